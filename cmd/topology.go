package cmd

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mallbots/mallbots/broker"
)

func newTopology() *cobra.Command {
	var check bool
	c := &cobra.Command{
		Use:   "topology",
		Short: "Print the RabbitMQ exchanges, queues and bindings the services use",
		Long: `topology prints what the selected services declare on RabbitMQ: a fanout exchange
per event (named like the event, e.g. stores.StoreCreated), a quorum queue per
consuming handler (named like the handler, e.g. baskets.OnStoreCreated) bound
to it, a poison exchange and queue per service (<service>.poison), and per
consuming service an exchange and a queue for each of --retry-waits, in which a
message whose data has not arrived yet waits before its handler gets it again
(<service>.wait.200ms, <service>.wait.1s, …). Every serve process declares the
topology of all services at startup, so events are queued for a service even
while no process runs it.

With --check it also connects to the broker and verifies that each exchange and
queue exists (passive declares), exiting 1 when one is missing.`,
		Example: "  mallbots topology\n  mallbots topology --service=baskets\n  mallbots topology --check",
		Args:    cobra.NoArgs,
	}
	c.Flags().BoolVar(&check, "check", false, "verify against the broker that every exchange and queue exists")
	s := bindSettings(c, "service", "delivery-limit", "retry-waits", "amqp-url", "reconnect-max-backoff", "log-format", "log-level")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := s.resolve()
		if err != nil {
			return err
		}
		services, err := selectServices(cfg.Services)
		if err != nil {
			return err
		}
		t := topologyOf(services, cfg.Broker.DeliveryLimit, cfg.Retry.Waits)
		if err := writeTopology(cmd.OutOrStdout(), t); err != nil {
			return err
		}
		if !check {
			return nil
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), cfgTimeout(cfg.Broker.ConnectTimeout))
		defer cancel()
		conn, err := broker.Dial(ctx, cfg.AMQPURL, cfg.Broker.ReconnectMaxBackoff, newLogger(cfg, cmd.ErrOrStderr()))
		if err != nil {
			return err
		}
		defer conn.Close()
		missing, err := t.Check(conn.Connection())
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			for _, m := range missing {
				fmt.Fprintf(cmd.ErrOrStderr(), "missing on the broker: %s\n", m)
			}
			return fmt.Errorf("%d of the topology's exchanges and queues are missing; start `mallbots serve` to declare them", len(missing))
		}
		fmt.Fprintf(cmd.OutOrStdout(), "\nbroker check: all %d exchanges and %d queues exist\n", len(t.Exchanges), len(t.Queues))
		return nil
	}
	return c
}

// writeTopology prints t as three tables, the way the RabbitMQ management
// console's Exchanges and Queues tabs show it.
func writeTopology(w io.Writer, t broker.Topology) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "EXCHANGE\tTYPE\tPUBLISHED BY\n")
	for _, e := range t.Exchanges {
		pub := e.Publisher
		if pub == "" {
			pub = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, e.Kind, pub)
	}
	fmt.Fprintf(tw, "\nQUEUE\tTYPE\tDEAD-LETTERS TO\tDELIVERY LIMIT\n")
	for _, q := range t.Queues {
		dlx, limit := "-", "-"
		if q.DeadLetterExchange != "" {
			dlx = q.DeadLetterExchange
		}
		if q.Wait > 0 {
			dlx = "its handler's queue, after " + broker.ShortDuration(q.Wait)
		}
		if q.DeliveryLimit > 0 {
			limit = fmt.Sprint(q.DeliveryLimit)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", q.Name, q.Type, dlx, limit)
	}
	fmt.Fprintf(tw, "\nBINDING (EXCHANGE → QUEUE)\t\t\t\n")
	for _, b := range t.Bindings {
		fmt.Fprintf(tw, "%s → %s\t\t\t\n", b.Exchange, b.Queue)
	}
	return tw.Flush()
}
