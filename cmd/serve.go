package cmd

import (
	"github.com/spf13/cobra"
)

func newServe() *cobra.Command {
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the services: HTTP API, consumers and outbox relays",
		Long: `serve runs the selected services (all by default) in one process: the HTTP API
of each with /healthz, /readyz and /metrics, each service's consumer router, and
each service's outbox relay. It migrates the database and declares the broker
topology first. Several processes may run the same service: they compete for
its queues and share its outbox relay safely.

SIGINT or SIGTERM stops intake, drains in-flight HTTP requests and messages,
then closes the relays and connections.`,
		Example: `  mallbots serve
  mallbots serve --service=orders,payments --http-addr=:8081
  MALLBOTS_LOG_FORMAT=json mallbots serve`,
		Args: cobra.NoArgs,
	}
	s := bindSettings(c)
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := s.resolve()
		if err != nil {
			return err
		}
		srv, err := NewServer(cfg, newLogger(cfg, cmd.ErrOrStderr()))
		if err != nil {
			return err
		}
		if err := srv.Run(cmd.Context()); err != nil {
			return err
		}
		// Serve until SIGINT or SIGTERM (which end the context), or until a
		// component fails.
		select {
		case <-cmd.Context().Done():
		case <-srv.Failed():
		}
		return srv.Close()
	}
	return c
}
