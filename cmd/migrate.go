package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mallbots/mallbots/migrations"
	"github.com/mallbots/mallbots/postgres"
)

func newMigrate() *cobra.Command {
	c := &cobra.Command{
		Use:   "migrate",
		Short: "Create the database if missing and apply pending schema migrations",
		Long: `migrate creates the database named by the DSN if it does not exist, then applies
every embedded migration not applied yet, each in its own transaction. Several
processes may run it at once; an advisory lock serialises them. serve runs it too.`,
		Example: "  mallbots migrate\n  MALLBOTS_DATABASE_URL=postgres://postgres@db:5432/mallbots mallbots migrate",
		Args:    cobra.NoArgs,
	}
	s := bindSettings(c, "database-url", "log-format", "log-level", "connect-timeout")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := s.resolve()
		if err != nil {
			return err
		}
		logger := newLogger(cfg, cmd.ErrOrStderr())
		ctx := cmd.Context()
		if cfg.Broker.ConnectTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, cfg.Broker.ConnectTimeout)
			defer cancel()
		}
		db, err := postgres.Connect(ctx, cfg.DatabaseURL, logger)
		if err != nil {
			return err
		}
		defer db.Close()
		applied, err := migrations.Migrate(ctx, db.Pool)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(cmd.OutOrStdout(), "database is up to date")
			return nil
		}
		fmt.Fprintf(cmd.OutOrStdout(), "applied %d migration(s): %s\n", len(applied), strings.Join(applied, ", "))
		return nil
	}
	return c
}
