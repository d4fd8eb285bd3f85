package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/client"
	"github.com/mallbots/mallbots/correlation"
)

func newDemo() *cobra.Command {
	var (
		url     string
		orders  int
		timeout time.Duration
	)
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run orders through the whole mall against a running system, printing every event",
		Long: `demo drives a running mallbots (mallbots serve, or make run) the way its users
would, over the HTTP API: staff open two stores with products, a customer
registers, fills a basket, authorizes a payment and checks out; the create-order
saga approves the order; a built-in bot claims the shopping list, picks up each
store's stop and completes it; the customer pays the invoice at the depot and the
order is completed.

Every event the services publish meanwhile is printed as it crosses RabbitMQ, with
its correlation ID: each order's requests share one X-Correlation-ID, so the whole
life of an order — baskets, orders, saga commands and replies, depot, payments —
carries it. With --orders N, N customers' orders run concurrently.`,
		Example: "  mallbots demo\n  mallbots demo --orders 5\n  mallbots demo --url http://localhost:8080 --amqp-url amqp://guest:guest@localhost:5672/",
		Args:    cobra.NoArgs,
	}
	c.Flags().StringVar(&url, "url", "http://localhost:8080", "base URL of the running system's HTTP API")
	c.Flags().IntVar(&orders, "orders", 1, "orders to run concurrently")
	c.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "give up when the orders are not completed within this")
	s := bindSettings(c, "amqp-url")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := s.resolve()
		if err != nil {
			return err
		}
		if orders < 1 || orders > 1000 {
			return UsageError{fmt.Errorf("--orders %d must be between 1 and 1000", orders)}
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
		defer cancel()
		return runDemo(ctx, cmd.OutOrStdout(), client.New(url), cfg.AMQPURL, orders)
	}
	return c
}

// demoPrinter prints the events of the demo's own flows, labelled by flow.
type demoPrinter struct {
	mu     sync.Mutex
	out    io.Writer
	start  time.Time
	labels map[string]string // correlation ID → "order 2"
}

func (p *demoPrinter) label(corr, label string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.labels[corr] = label
}

func (p *demoPrinter) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "%8.3fs  %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

// event prints o when it belongs to one of the demo's flows.
func (p *demoPrinter) event(o broker.Observed) {
	p.mu.Lock()
	label, ours := p.labels[o.CorrelationID]
	p.mu.Unlock()
	if !ours {
		return
	}
	var compact bytes.Buffer
	summary := string(o.Payload)
	if json.Compact(&compact, o.Payload) == nil {
		summary = compact.String()
	}
	if len(summary) > 110 {
		summary = summary[:107] + "..."
	}
	p.printf("%-9s %-34s corr=%s %s", label, o.Topic, o.CorrelationID, summary)
}

func runDemo(ctx context.Context, out io.Writer, api *client.Client, amqpURL string, orders int) error {
	var topics []string
	for _, e := range topologyOf(registry, 1, nil).Exchanges {
		topics = append(topics, e.Name)
	}
	sort.Strings(topics)
	observed, err := broker.Watch(ctx, amqpURL, topics)
	if err != nil {
		return err
	}
	p := &demoPrinter{out: out, start: time.Now(), labels: map[string]string{}}
	go func() {
		for o := range observed {
			p.event(o)
		}
	}()

	setupCorr := correlation.NewID()
	p.label(setupCorr, "setup")
	cat, err := client.Setup(ctx, api.WithCorrelation(setupCorr), func(f string, a ...any) { p.printf("setup     "+f, a...) })
	if err != nil {
		return fmt.Errorf("set up the mall: %w", err)
	}

	flows := make([]*client.Client, orders)
	for i := range flows {
		corr := correlation.NewID()
		p.label(corr, fmt.Sprintf("order %d", i+1))
		flows[i] = api.WithCorrelation(corr)
	}
	errs := make([]error, orders)
	results := make([]client.Order, orders)
	var wg sync.WaitGroup
	for i, c := range flows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = demoOrder(ctx, p, c, api, cat, i+1)
		}()
	}
	wg.Wait()
	time.Sleep(300 * time.Millisecond) // let the last events print

	p.printf("summary:")
	failed := 0
	for i, o := range results {
		if errs[i] != nil {
			failed++
			p.printf("  order %d: %v", i+1, errs[i])
			continue
		}
		p.printf("  order %d %s: %s, total %s, shopping list %s, invoice %s", i+1, o.ID, o.Status, o.Total, o.ShoppingID, o.InvoiceID)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d orders did not complete", failed, orders)
	}
	return nil
}

// demoOrder runs one customer's order from basket to completed, with a bot
// of its own doing the shopping.
func demoOrder(ctx context.Context, p *demoPrinter, c, api *client.Client, cat client.Catalog, n int) (client.Order, error) {
	label := fmt.Sprintf("order %d", n)
	placed, err := client.PlaceOrder(ctx, c, cat, 1, 0)
	if err != nil {
		return client.Order{}, fmt.Errorf("place order: %w", err)
	}
	orderID := placed.OrderID
	p.printf("%-9s checked out basket %s", label, orderID)
	o, err := client.WaitForOrder(ctx, c, orderID, "approved", "ready", "completed")
	if err != nil {
		return o, err
	}
	p.printf("%-9s order approved; shopping list %s is available to the bots", label, o.ShoppingID)

	botID, err := c.RegisterBot(ctx, fmt.Sprintf("Robo-%d", n))
	if err != nil {
		return o, err
	}
	for {
		// Lists go to bots oldest first, so this bot may shop another
		// order's list; each flow's own bot keeps claiming until its order
		// is ready.
		list, got, err := client.Shop(ctx, c, botID)
		if err != nil {
			return o, fmt.Errorf("bot %s: %w", botID, err)
		}
		if got {
			p.printf("%-9s bot Robo-%d shopped list %s (%d stops) for order %s", label, n, list.ID, len(list.Stops), list.OrderID)
		}
		if o, err = api.GetOrder(ctx, orderID); err != nil {
			return o, err
		}
		if o.Status != "approved" {
			break
		}
		if !got {
			select {
			case <-ctx.Done():
				return o, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	if o, err = client.WaitForOrder(ctx, c, orderID, "ready"); err != nil {
		return o, err
	}
	p.printf("%-9s order ready; paying invoice %s of %s", label, o.InvoiceID, o.Total)
	if err := client.PayInvoiceWhenIssued(ctx, c, o.InvoiceID); err != nil {
		return o, err
	}
	o, err = client.WaitForOrder(ctx, c, orderID, "completed")
	if err == nil {
		p.printf("%-9s order completed", label)
	}
	return o, err
}
