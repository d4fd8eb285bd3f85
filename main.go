// Command mallbots runs the MallBots shop backend; see cmd for its commands.
package main

import (
	"os"

	"github.com/mallbots/mallbots/cmd"
)

func main() {
	os.Exit(cmd.ExitCode(cmd.Execute(os.Args[1:], os.Stdout, os.Stderr)))
}
