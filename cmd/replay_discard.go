package cmd

import (
	"github.com/spf13/cobra"

	"github.com/mallbots/mallbots/replay"
)

// discardOptions is `mallbots replay discard`: remove a selection of
// poisoned messages for good, after recording each in full.
type discardOptions struct {
	env       replayEnv
	selection poisonSelection
	dryRun    bool
	yes       bool
	rate      float64
}

func newReplayDiscard(runF func(*discardOptions) error) *cobra.Command {
	o := &discardOptions{}
	var f selectionFlags
	c := &cobra.Command{
		Use:   "discard",
		Short: "Remove poisoned messages that can never succeed, after recording them in the audit trail",
		Long: `discard removes the selected messages from their poison queue for good: a
message that can never succeed, such as a payload that cannot be decoded. Each
is first recorded in full (properties, headers, payload bytes) in the audit
trail (replay.messages), then removed; replay history shows the run. It takes
the selection flags of replay, and needs at least one of them: it will not
discard everything.

Without --yes, discarding more than one message asks for confirmation on a
terminal, and is refused (exit code 2) when stdin is not a terminal.`,
		Example: `  mallbots replay discard --id=0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d
  mallbots replay discard --error="decode stores.ProductRebranded payload" --dry-run
  mallbots replay discard --service=baskets --handler=baskets.OnProductRebranded --topic=stores.ProductRebranded --limit=10 --yes
  mallbots replay discard --since=2024-05-01 --until=2024-05-02 --rate=5 --yes`,
		Args: cobra.NoArgs,
	}
	fl := c.Flags()
	f.add(fl, true)
	fl.BoolVar(&o.dryRun, "dry-run", false, "print what would be discarded and change nothing, e.g. --id=… --dry-run")
	fl.Float64Var(&o.rate, "rate", 0, "discard at most this many messages per second (0: no limit), e.g. --rate=5")
	fl.BoolVar(&o.yes, "yes", false, "discard more than one message without asking, e.g. in scripts: --error=\"decode\" --yes")
	s := bindSettings(c, replayBrokerSettings...)
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		env, err := newReplayEnv(cmd, s)
		if err != nil {
			return err
		}
		if err := checkRate(o.rate); err != nil {
			return err
		}
		if !f.selecting() {
			return usageError("replay discard needs a selection (--service, --handler, --topic, --id, --error, --since or --until): it will not discard everything")
		}
		if o.selection, err = f.resolve(cmd.Flags().Changed("error"), env.now); err != nil {
			return err
		}
		o.env = env
		if runF != nil {
			return runF(o)
		}
		return actOnPoison(o.env, o.selection, poisonAction{action: replay.ActionDiscard, dryRun: o.dryRun, yes: o.yes, rate: o.rate})
	}
	return c
}
