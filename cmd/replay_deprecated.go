package cmd

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// oldForms are the flags that chose a mode of `mallbots replay` before it
// had verbs (--list, --show ID, --discard, --history, --from-log). For one
// release they still work, hidden: each runs its verb with the other flags
// given, after a note on stderr naming the new form, so that scripts keep
// working while their authors move to the verbs.
var oldForms = []string{"list", "show", "discard", "history", "from-log"}

// addOldForms registers the old mode flags on the replay group, hidden.
func addOldForms(c *cobra.Command) {
	fl := c.Flags()
	for _, name := range oldForms {
		usage := "deprecated: use `mallbots replay " + name + "`"
		if name == "show" {
			fl.String(name, "", usage)
		} else {
			fl.Bool(name, false, usage)
		}
		_ = fl.MarkHidden(name)
	}
}

// runOldForm runs the verb an old mode flag on cmd's command line asks for,
// with the rest of that command line; ran is false when there is none.
//
// It prints its own note rather than marking the flags Deprecated: cobra
// prints a deprecated flag's note to the command's output, which is stdout
// here, where scripts read the results.
func runOldForm(cmd *cobra.Command, r replayRunners) (ran bool, err error) {
	var used []string
	for _, name := range oldForms {
		if cmd.Flags().Changed(name) {
			used = append(used, name)
		}
	}
	switch len(used) {
	case 0:
		return false, nil
	case 1:
	default:
		return true, usageError("--%s were replaced by the verbs `mallbots replay %s`; give one",
			strings.Join(used, ", --"), strings.Join(used, "`, `mallbots replay "))
	}
	name := used[0]
	verb := r.verb(name)
	// Not nil: cobra reads os.Args for a command given nil arguments.
	args, shown := []string{}, []string{}
	if name == "show" {
		args = append(args, cmd.Flags().Lookup(name).Value.String())
		shown = append(shown, args[0])
	}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Name == name {
			return
		}
		if slices.Contains(replayBrokerSettings, f.Name) {
			// The old replay took every connection setting and ignored the
			// ones a mode did not use; they are not shown, being secret.
			if verb.Flags().Lookup(f.Name) != nil {
				args = append(args, flagArgs(f)...)
			}
			return
		}
		args = append(args, flagArgs(f)...)
		shown = append(shown, flagArgs(f)...)
	})
	fmt.Fprintf(cmd.ErrOrStderr(), "mallbots: replay --%s is deprecated and goes away in the next release; use: mallbots replay %s\n",
		name, strings.Join(append([]string{name}, quoteArgs(shown)...), " "))
	verb.SetArgs(args)
	verb.SetIn(cmd.InOrStdin())
	verb.SetOut(cmd.OutOrStdout())
	verb.SetErr(cmd.ErrOrStderr())
	verb.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return UsageError{err} })
	verb.SilenceErrors, verb.SilenceUsage = true, true
	return true, verb.ExecuteContext(cmd.Context())
}

// flagArgs writes f back as command-line arguments, one per value of a
// repeatable flag.
func flagArgs(f *pflag.Flag) []string {
	if s, ok := f.Value.(pflag.SliceValue); ok {
		var out []string
		for _, v := range s.GetSlice() {
			out = append(out, "--"+f.Name+"="+v)
		}
		return out
	}
	if f.Value.Type() == "bool" && f.Value.String() == "true" {
		return []string{"--" + f.Name}
	}
	return []string{"--" + f.Name + "=" + f.Value.String()}
}

// quoteArgs quotes the arguments a shell would split or expand.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t\n'\"$`\\|&;<>(){}*?[]#~!") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}
