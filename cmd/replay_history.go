package cmd

import (
	"github.com/spf13/cobra"

	"github.com/mallbots/mallbots/replay"
)

// historyLimit is how many runs `replay history` shows without --limit.
const historyLimit = 20

// historyOptions is `mallbots replay history`: the audit trail.
type historyOptions struct {
	env replayEnv
	// limit is how many runs to show, newest first.
	limit int
}

func newReplayHistory(runF func(*historyOptions) error) *cobra.Command {
	o := &historyOptions{}
	c := &cobra.Command{
		Use:   "history",
		Short: "Show the audit trail: who replayed or discarded what, when, and how it went",
		Long: `history prints the audit trail of replay, newest first: one block per run
(when it started, its ID, the verb, who ran it, how many messages it selected,
re-delivered or discarded and failed, its result and selection; the handler of
a from-log run) and the messages it touched with what became of each. A run
that never recorded its end (killed, say) says so, and each message it left
"pending" was re-delivered or is still poisoned.`,
		Example: `  mallbots replay history
  mallbots replay history --limit=5`,
		Args: cobra.NoArgs,
	}
	c.Flags().IntVar(&o.limit, "limit", historyLimit, "show this many runs, newest first, e.g. --limit=5")
	s := bindSettings(c, replayAuditSettings...)
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		env, err := newReplayEnv(cmd, s)
		if err != nil {
			return err
		}
		if o.limit < 0 {
			return usageError("--limit %d must not be negative", o.limit)
		}
		if o.limit == 0 {
			o.limit = historyLimit
		}
		o.env = env
		if runF != nil {
			return runF(o)
		}
		return historyRun(o)
	}
	return c
}

func historyRun(o *historyOptions) error {
	db, err := o.env.openDB(true)
	if err != nil {
		return err
	}
	defer db.Close()
	runs, err := replay.NewAudit(db.Pool).History(o.env.ctx, o.limit)
	if err != nil {
		return err
	}
	return writeHistory(o.env.out, runs)
}
