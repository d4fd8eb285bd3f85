package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/dsn"
	"github.com/mallbots/mallbots/status"
)

// statusConnectTimeout bounds each read of the management API and the
// database when --connect-timeout is 0 (serve's "wait forever"): an
// operator's command must answer, not hang.
const statusConnectTimeout = 10 * time.Second

// maxStatusInterval bounds --interval: status is a glance, not a watch.
const maxStatusInterval = time.Minute

// statusOptions is `mallbots status`.
type statusOptions struct {
	cfg      config.Config
	interval time.Duration
	output   string
}

func newStatus() *cobra.Command {
	o := &statusOptions{}
	c := &cobra.Command{
		Use:   "status",
		Short: "Show, per service, each handler queue, the outbox and its relay, and poisoned messages; exit 1 when unhealthy",
		Long: `status is one screen for an operator. It reads the RabbitMQ management HTTP API
(--management-url) and the database, and shows per service: each handler queue
with the messages ready and unacknowledged, its consumers and its rates in and
out (the broker's statistics, up to 5 s old); the outbox backlog (committed
events the relay has not sent yet), the age of the oldest and the relay's
state; the poison queue and the wait queues (messages waiting for data that
has not arrived yet). Then it lists the problems, one per line.

It exits 0 when the system is healthy and 1 when a problem is listed:
  <service>.On<Event>: no consumer        nothing runs that handler
  <queue>: queue missing                  no serve declared the topology here
  <service>.poison: 3 messages            failed for good; see mallbots replay
  <service> outbox: 120 rows, oldest 42s, not moving
                                          the relay is stuck: rows older than
                                          --relay-stuck-after wait and its
                                          offset did not move in --interval
  <service> outbox: …, growing (+300 in 1s) …
                                          the relay moves but falls behind
  RabbitMQ management API / PostgreSQL: cannot read …
It exits 1 too when the management API or the database cannot be read,
saying which (the rest of the report is still shown), and 2 on bad usage.

The relay is judged from two samples of the outboxes --interval apart (1s; 0
takes one sample and judges by age alone). A relay's state is idle (nothing
waits), moving (it sent rows in the interval), pending (rows younger than
--relay-stuck-after wait: normal for a moment) or stuck.

The management API's URL defaults to the AMQP URL's host on port 15672
(https on 15671 for amqps) with the AMQP URL's user and password; its
password is never printed. Each read of the management API and of the database
gives up after --connect-timeout (10s when it is 0). -o json prints the whole
report (field names are stable; see the status package).`,
		Example: `  mallbots status
  mallbots status --service=orders,saga
  mallbots status -o json
  mallbots status --interval=5s --relay-stuck-after=1m
  mallbots status --management-url=http://monitor:secret@rabbit.internal:15672`,
		Args: cobra.NoArgs,
	}
	c.Flags().DurationVar(&o.interval, "interval", time.Second, "time between the two samples that tell a moving relay from a stuck one (0: one sample)")
	c.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	s := bindSettings(c, "service", "database-url", "amqp-url", "management-url", "relay-stuck-after", "connect-timeout")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := s.resolve()
		if err != nil {
			return err
		}
		o.cfg = cfg
		return runStatus(cmd, o)
	}
	return c
}

func runStatus(cmd *cobra.Command, o *statusOptions) error {
	if o.output != "text" && o.output != "json" {
		return UsageError{fmt.Errorf("--output %q: want text or json", o.output)}
	}
	if o.interval < 0 || o.interval > maxStatusInterval {
		return UsageError{fmt.Errorf("--interval %s must be between 0 and %s", o.interval, maxStatusInterval)}
	}
	specs, err := serviceSpecs(o.cfg.Services)
	if err != nil {
		return err
	}
	management, err := status.NewManagement(o.cfg.ManagementEndpoint(), o.cfg.AMQPURL)
	if err != nil {
		return UsageError{err}
	}
	poolCfg, err := pgxpool.ParseConfig(o.cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("parse the database DSN %s: %w", dsn.Redact(o.cfg.DatabaseURL), dsn.RedactError(err, o.cfg.DatabaseURL))
	}
	poolCfg.MaxConns = 2
	// The pool connects on first use: a database that is down is a line of
	// the report, not a failure before it.
	pool, err := pgxpool.NewWithConfig(cmd.Context(), poolCfg)
	if err != nil {
		return dsn.RedactError(err, o.cfg.DatabaseURL)
	}
	defer pool.Close()
	timeout := o.cfg.Broker.ConnectTimeout
	if timeout == 0 {
		timeout = statusConnectTimeout
	}
	collector := status.New(status.Config{
		Services: specs, Management: management, DB: pool, StuckAfter: o.cfg.Status.StuckAfter, Timeout: timeout,
	})
	report, err := collector.Gather(cmd.Context(), o.interval)
	if err != nil {
		return err
	}
	if o.output == "json" {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else if err := writeStatus(cmd.OutOrStdout(), report); err != nil {
		return err
	}
	return statusVerdict(report)
}

// statusVerdict is the error that makes an unhealthy report exit 1: the
// sources that could not be read, by name and cause, or else how many
// problems there are (each is on its own line above).
func statusVerdict(r status.Report) error {
	if r.Healthy {
		return nil
	}
	var unread []string
	if !r.Broker.Reachable {
		unread = append(unread, "cannot read the RabbitMQ management API: "+r.Broker.Error)
	}
	if !r.Database.Reachable {
		unread = append(unread, "cannot read PostgreSQL: "+r.Database.Error)
	}
	if len(unread) > 0 {
		return errors.New(strings.Join(unread, "; "))
	}
	if len(r.Problems) == 1 {
		return errors.New("unhealthy: 1 problem")
	}
	return fmt.Errorf("unhealthy: %d problems", len(r.Problems))
}

// serviceSpecs returns the named services (all when none) as the broker
// sees them: the handler queue of each consumer. It is the one place status
// learns which services and handlers exist, from the static specs, as
// topology does.
func serviceSpecs(names []string) ([]broker.Service, error) {
	services, err := selectServices(names)
	if err != nil {
		return nil, err
	}
	specs := make([]broker.Service, len(services))
	for i, s := range services {
		specs[i] = s.topology()
	}
	return specs, nil
}
