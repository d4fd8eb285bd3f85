// Package cmd holds mallbots' cobra commands and its composition root: the
// only package that knows the concrete types and wires them together.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/dsn"
)

// Version is the release, set at build time with
// -ldflags "-X github.com/mallbots/mallbots/cmd.Version=v1.2.3".
var Version = "dev"

// UsageError is a command line the program cannot act on (unknown command,
// flag or service, malformed value): exit code 2.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// ExitCode maps Execute's result to the process exit code: 0 success,
// 2 bad usage, 1 any other failure.
func ExitCode(err error) int {
	var usage UsageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &usage):
		return 2
	default:
		return 1
	}
}

// Execute runs the command line args, writing output to stdout and errors to
// stderr, and returns the error the exit code is derived from. SIGINT and
// SIGTERM cancel the command's context (a graceful shutdown for serve).
func Execute(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		// Connect and Dial redact what they report; this catches any other
		// library error that echoes a connection string.
		err = dsn.RedactError(err, connectionStrings(cmd)...)
		// cobra reports an unknown subcommand with a plain error; it is a
		// usage mistake all the same.
		if strings.HasPrefix(err.Error(), "unknown command") {
			err = UsageError{err}
		}
		fmt.Fprintf(stderr, "mallbots: %v\n", err)
		var usage UsageError
		if errors.As(err, &usage) {
			fmt.Fprintln(stderr, "Run 'mallbots --help' for usage.")
		}
	}
	return err
}

// connectionStrings returns the database, broker and management API URLs
// cmd ran with: its flags are bound to the resolved configuration,
// environment included.
func connectionStrings(cmd *cobra.Command) []string {
	var out []string
	if cmd == nil {
		return nil
	}
	for _, name := range []string{"database-url", "amqp-url", "management-url"} {
		if f := cmd.Flags().Lookup(name); f != nil {
			out = append(out, f.Value.String())
		}
	}
	return out
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "mallbots",
		Short: "MallBots: an event-driven shop backend on Watermill, RabbitMQ and PostgreSQL",
		Long: `MallBots is a mall where robots do the shopping. Customers fill baskets from
several stores, bots collect the items, and the customer pays at the depot.
Each service owns its PostgreSQL schema and talks to the others only through
events on RabbitMQ, published through a transactional outbox.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Runnable, so that cobra validates its arguments and reports an
		// unknown command instead of printing the help and succeeding.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return UsageError{err} })
	root.AddCommand(newServe(), newMigrate(), newTopology(), newReplay(), newStatus(), newDemo(), newBench(), newVersion())
	return root
}

// settings binds configuration fields to a command's flags and resolves
// them: flags over MALLBOTS_* environment variables over defaults.
type settings struct {
	cfg   config.Config
	flags *pflag.FlagSet
}

// bindSettings registers the config fields named by flags (all when none)
// on cmd.
func bindSettings(cmd *cobra.Command, flags ...string) *settings {
	s := &settings{cfg: config.Default(), flags: cmd.Flags()}
	want := map[string]bool{}
	for _, f := range flags {
		want[f] = true
	}
	for _, f := range s.cfg.Fields() {
		if len(flags) > 0 && !want[f.Flag] {
			continue
		}
		cmd.Flags().Var(f.Value, f.Flag, fmt.Sprintf("%s (env %s)", f.Usage, f.Env))
	}
	return s
}

// resolve applies the environment under the flags given and validates the
// result, reporting every problem at once as a usage error.
func (s *settings) resolve() (config.Config, error) {
	err := s.cfg.ApplyEnv(os.LookupEnv, func(f config.Field) bool {
		fl := s.flags.Lookup(f.Flag)
		return fl != nil && fl.Changed
	})
	if err == nil {
		err = s.cfg.Validate()
	}
	if err != nil {
		return s.cfg, UsageError{err}
	}
	return s.cfg, nil
}

// newLogger builds the process logger from the configuration.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
