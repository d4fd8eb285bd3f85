package cmd

import (
	"github.com/spf13/cobra"
)

// listOptions is `mallbots replay list`: the poison queues with their
// counts, and their messages grouped by handler and error.
type listOptions struct {
	env       replayEnv
	selection poisonSelection
}

func newReplayList(runF func(*listOptions) error) *cobra.Command {
	o := &listOptions{}
	var f selectionFlags
	c := &cobra.Command{
		Use:   "list",
		Short: "List the poison queues with counts, grouped by handler and error, oldest first",
		Long: `list reads the poison queues (<service>.poison) without changing them and prints
each with its message count, then the messages grouped by handler and error
(errors compared with their IDs and numbers masked), the group whose first
failure is oldest first. The selection flags of replay narrow what is counted.`,
		Example: `  mallbots replay list
  mallbots replay list --service=baskets
  mallbots replay list --handler=baskets.OnProductAdded --topic=stores.ProductAdded
  mallbots replay list --id=0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d
  mallbots replay list --error="not found" --since=2h --until=30m`,
		Args: cobra.NoArgs,
	}
	f.add(c.Flags(), false)
	s := bindSettings(c, replayReadSettings...)
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		env, err := newReplayEnv(cmd, s)
		if err != nil {
			return err
		}
		if o.selection, err = f.resolve(cmd.Flags().Changed("error"), env.now); err != nil {
			return err
		}
		o.env = env
		if runF != nil {
			return runF(o)
		}
		return listRun(o)
	}
	return c
}

func listRun(o *listOptions) error {
	q, closeAll, err := o.env.readPoison(o.selection.services)
	if err != nil {
		return err
	}
	defer closeAll()
	return writeList(o.env.out, o.selection.services, o.selection.sel.Select(q.Messages()), o.env.now)
}
