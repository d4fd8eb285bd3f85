package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mallbots/mallbots/bench"
	"github.com/mallbots/mallbots/client"
)

func newBench() *cobra.Command {
	var (
		url      string
		o        bench.OrderOptions
		duration time.Duration
		timeout  time.Duration
	)
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure orders through the full saga against a running system",
		Long: `bench drives a running mallbots (mallbots serve) over HTTP the way the demo does
— basket, payment, checkout, saga, bots shopping, invoice paid — and times every
order from the accepted checkout to its OrderApproved and OrderCompleted events
as they cross RabbitMQ. It runs three phases: orders one at a time (latency with
no queueing), a fixed rate, and flat out; each prints orders/s and p50/p99
checkout→approved and checkout→completed.

First it measures, in the same run and on the same servers, the raw rates the
system is built from: PostgreSQL 1-row transactions and RabbitMQ
publish-with-confirm → consume → ack through a quorum queue. An order is about 20
messages and 20 transactions, which sets the ceiling to compare with.

Run it against a system with no other load; its own HTTP calls (about ten per
order) count against the same CPU. Profile the server meanwhile with
  go tool pprof 'http://localhost:6060/debug/pprof/profile?seconds=20'
after starting serve with --pprof-addr=localhost:6060.`,
		Example: "  mallbots bench\n  mallbots bench --rate 50 --duration 20s --flat-out 1000 --concurrency 64",
		Args:    cobra.NoArgs,
	}
	c.Flags().StringVar(&url, "url", "http://localhost:8080", "base URL of the running system's HTTP API")
	c.Flags().IntVar(&o.Sequential, "one-at-a-time", 30, "orders run one after the other")
	c.Flags().Float64Var(&o.Rate, "rate", 50, "orders per second of the fixed-rate phase")
	c.Flags().DurationVar(&duration, "duration", 10*time.Second, "length of the fixed-rate phase")
	c.Flags().IntVar(&o.FlatOut, "flat-out", 500, "orders of the flat-out phase")
	c.Flags().IntVar(&o.Concurrency, "concurrency", 32, "customers placing orders at once in the flat-out phase")
	c.Flags().IntVar(&o.Bots, "bots", 16, "bots shopping at once")
	c.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this")
	s := bindSettings(c, "amqp-url", "database-url")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := s.resolve()
		if err != nil {
			return err
		}
		if o.Sequential < 0 || o.FlatOut < 0 || o.Rate < 0 || o.Concurrency < 1 || o.Bots < 1 {
			return UsageError{fmt.Errorf("phase sizes and rates must not be negative, --concurrency and --bots at least 1")}
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
		defer cancel()
		o.API, o.AMQPURL, o.DatabaseURL, o.RateDuration = client.New(url), cfg.AMQPURL, cfg.DatabaseURL, duration
		o.Logf = func(f string, a ...any) { fmt.Fprintf(cmd.ErrOrStderr(), "bench: "+f+"\n", a...) }
		rep, err := bench.RunOrders(ctx, o)
		if err != nil {
			return err
		}
		rep.Write(cmd.OutOrStdout())
		return nil
	}
	return c
}
