package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// showOptions is `mallbots replay show ID`: one poisoned message in full.
type showOptions struct {
	env replayEnv
	// id is the message's UUID.
	id string
	// services are the services whose poison queues to look in.
	services []string
}

func newReplayShow(runF func(*showOptions) error) *cobra.Command {
	o := &showOptions{}
	var services []string
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Print one poisoned message in full: properties, headers, payload",
		Long: `show prints the poisoned message with the UUID ID in full, without changing its
poison queue: what replay decoded (handler, topic, error, when it failed, how
often it was replayed), its AMQP properties, every header (tables such as
x-death included, with their types), and the payload as indented JSON, or as
escaped bytes when it is not JSON, so that no byte is hidden. A message
poisoned twice (re-delivered and failed again) is shown once per copy.`,
		Example: `  mallbots replay show 0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d
  mallbots replay show 0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d --service=baskets`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
				return usageError("replay show takes one message UUID, e.g. mallbots replay show 0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d")
			}
			return nil
		},
	}
	c.Flags().StringSliceVar(&services, "service", nil, "look only in these services' poison queues (repeatable or comma-separated), e.g. --service=baskets")
	s := bindSettings(c, replayReadSettings...)
	c.RunE = func(cmd *cobra.Command, args []string) error {
		env, err := newReplayEnv(cmd, s)
		if err != nil {
			return err
		}
		chosen, err := selectServices(services)
		if err != nil {
			return err
		}
		o.env, o.id, o.services = env, args[0], nil
		for _, svc := range chosen {
			o.services = append(o.services, svc.name)
		}
		if runF != nil {
			return runF(o)
		}
		return showRun(o)
	}
	return c
}

func showRun(o *showOptions) error {
	q, closeAll, err := o.env.readPoison(o.services)
	if err != nil {
		return err
	}
	defer closeAll()
	found := 0
	for _, m := range q.Messages() {
		if m.ID != o.id {
			continue
		}
		if found > 0 {
			fmt.Fprintln(o.env.out)
		}
		found++
		if err := writeMessage(o.env.out, m); err != nil {
			return err
		}
	}
	if found == 0 {
		return fmt.Errorf("no message %s in the poison queues of %s", o.id, strings.Join(o.services, ", "))
	}
	return nil
}
