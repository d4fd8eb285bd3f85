package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/client"
)

// OrderOptions sets up RunOrders: a running system's API and broker, the
// database for the raw baseline, and the size of each phase.
type OrderOptions struct {
	API         *client.Client
	AMQPURL     string
	DatabaseURL string
	// Sequential orders run one at a time, each placed once the previous
	// one is completed (latency with no queueing).
	Sequential int
	// Rate orders per second are placed for RateDuration.
	Rate         float64
	RateDuration time.Duration
	// FlatOut orders are placed by Concurrency customers at once.
	FlatOut     int
	Concurrency int
	// Bots shop the lists concurrently.
	Bots int
	// Logf reports progress.
	Logf func(format string, args ...any)
}

// PhaseReport is one phase's figures. Latencies run from the moment the
// checkout was accepted to the moment the order's event reached the
// benchmark's own queue on the broker.
type PhaseReport struct {
	Name                            string
	Orders, Approved, Completed     int
	Rejected                        int
	Elapsed                         time.Duration
	ApprovedPerSec, CompletedPerSec float64
	ApprovedP50, ApprovedP99        time.Duration
	CompletedP50, CompletedP99      time.Duration
}

// OrderReport is a whole RunOrders: the raw baselines and each phase.
type OrderReport struct {
	RawPostgresTxPerSec float64
	RawAMQPMsgsPerSec   float64
	Phases              []PhaseReport
}

// orderTimes is what the benchmark saw of one order.
type orderTimes struct {
	checkout, approved, completed time.Time
	rejected                      bool
	done                          chan struct{}
}

// orderRun tracks the orders the benchmark placed, from their events.
type orderRun struct {
	mu     sync.Mutex
	orders map[string]*orderTimes
	api    *client.Client
	// available gets one token per shopping list that became available.
	available chan struct{}
}

// RunOrders measures the raw baselines, then runs each phase: orders placed
// over HTTP, shopped by built-in bots and paid when ready, timed from the
// events the services publish.
func RunOrders(ctx context.Context, o OrderOptions) (OrderReport, error) {
	var rep OrderReport
	var err error
	o.Logf("raw baseline: PostgreSQL 1-row transactions, 8 writers, 2s")
	if rep.RawPostgresTxPerSec, err = rawPostgres(ctx, o.DatabaseURL, 8, 2*time.Second); err != nil {
		return rep, err
	}
	o.Logf("raw baseline: RabbitMQ publish with confirms → consume → ack, 20000 messages")
	if rep.RawAMQPMsgsPerSec, err = rawAMQP(ctx, o.AMQPURL, 20000); err != nil {
		return rep, err
	}

	run := &orderRun{orders: map[string]*orderTimes{}, api: o.API, available: make(chan struct{}, 1<<16)}
	observed, err := broker.Watch(ctx, o.AMQPURL, []string{
		"orders.OrderApproved", "orders.OrderRejected", "orders.OrderReadied", "orders.OrderCompleted",
		"depot.ShoppingListAvailable",
	})
	if err != nil {
		return rep, err
	}
	go run.track(ctx, observed)

	cat, err := client.Setup(ctx, o.API, o.Logf)
	if err != nil {
		return rep, fmt.Errorf("set up the mall: %w", err)
	}
	botCtx, stopBots := context.WithCancel(ctx)
	defer stopBots()
	for i := range o.Bots {
		botID, err := o.API.RegisterBot(ctx, fmt.Sprintf("bench-bot-%d", i+1))
		if err != nil {
			return rep, err
		}
		go run.bot(botCtx, botID, o.Logf)
	}
	// Warm up: caches filled, connections open.
	if _, err := run.phase(ctx, "warm-up", 3, 1, 0, cat); err != nil {
		return rep, err
	}
	phases := []struct {
		name        string
		n, parallel int
		rate        float64
	}{
		{"one at a time", o.Sequential, 1, 0},
		{fmt.Sprintf("fixed rate %.0f/s", o.Rate), int(o.Rate * o.RateDuration.Seconds()), 0, o.Rate},
		{fmt.Sprintf("flat out, %d customers", o.Concurrency), o.FlatOut, o.Concurrency, 0},
	}
	for _, p := range phases {
		if p.n <= 0 {
			continue
		}
		o.Logf("phase %s: %d orders", p.name, p.n)
		pr, err := run.phase(ctx, p.name, p.n, p.parallel, p.rate, cat)
		if err != nil {
			return rep, err
		}
		rep.Phases = append(rep.Phases, pr)
	}
	return rep, nil
}

// phase places n orders, parallel at a time or at rate per second, waits
// until each is completed or rejected, and reports.
func (r *orderRun) phase(ctx context.Context, name string, n, parallel int, rate float64, cat client.Catalog) (PhaseReport, error) {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		placed []*orderTimes
		failed error
	)
	place := func() {
		defer wg.Done()
		o, err := client.PlaceOrder(ctx, r.api, cat, 1, 0)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed = err
			return
		}
		placed = append(placed, r.checkedOut(o.OrderID, o.CheckedOut))
	}
	start := time.Now()
	switch {
	case rate > 0:
		tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
		for range n {
			<-tick.C
			wg.Add(1)
			go place()
		}
		tick.Stop()
	default:
		sem := make(chan struct{}, parallel)
		for range n {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem }()
				place()
				if parallel == 1 {
					r.waitLast(ctx, &mu, &placed)
				}
			}()
		}
	}
	wg.Wait()
	if failed != nil {
		return PhaseReport{}, fmt.Errorf("%s: place an order: %w", name, failed)
	}
	for _, t := range placed {
		select {
		case <-t.done:
		case <-ctx.Done():
			return PhaseReport{}, fmt.Errorf("%s: orders still running: %w", name, ctx.Err())
		}
	}
	return r.report(name, start, placed), nil
}

// waitLast waits until the most recently placed order is done.
func (r *orderRun) waitLast(ctx context.Context, mu *sync.Mutex, placed *[]*orderTimes) {
	mu.Lock()
	if len(*placed) == 0 {
		mu.Unlock()
		return
	}
	t := (*placed)[len(*placed)-1]
	mu.Unlock()
	select {
	case <-t.done:
	case <-ctx.Done():
	}
}

// checkedOut records an order's checkout time; its events may have come
// first.
func (r *orderRun) checkedOut(id string, at time.Time) *orderTimes {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.entry(id)
	t.checkout = at
	return t
}

func (r *orderRun) entry(id string) *orderTimes {
	t, ok := r.orders[id]
	if !ok {
		t = &orderTimes{done: make(chan struct{})}
		r.orders[id] = t
	}
	return t
}

// track records the order events and pays each invoice when its order is
// ready, as the customer at the depot would.
func (r *orderRun) track(ctx context.Context, observed <-chan broker.Observed) {
	for o := range observed {
		var e struct {
			OrderID   string `json:"orderId"`
			InvoiceID string `json:"invoiceId"`
		}
		if json.Unmarshal(o.Payload, &e) != nil {
			continue
		}
		r.mu.Lock()
		t := r.entry(e.OrderID)
		switch o.Topic {
		case "orders.OrderApproved":
			t.approved = o.At
		case "orders.OrderRejected":
			t.rejected = true
			close(t.done)
		case "orders.OrderCompleted":
			t.completed = o.At
			close(t.done)
		case "depot.ShoppingListAvailable":
			r.available <- struct{}{}
		case "orders.OrderReadied":
			go func() { _ = client.PayInvoiceWhenIssued(ctx, r.api, e.InvoiceID) }()
		}
		r.mu.Unlock()
	}
}

// report computes a phase's figures.
func (r *orderRun) report(name string, start time.Time, placed []*orderTimes) PhaseReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := PhaseReport{Name: name, Orders: len(placed)}
	var approved, completed []time.Duration
	var lastApproved, lastCompleted time.Time
	for _, t := range placed {
		if t.rejected {
			p.Rejected++
		}
		if !t.approved.IsZero() {
			approved = append(approved, t.approved.Sub(t.checkout))
			lastApproved = later(lastApproved, t.approved)
		}
		if !t.completed.IsZero() {
			completed = append(completed, t.completed.Sub(t.checkout))
			lastCompleted = later(lastCompleted, t.completed)
		}
	}
	p.Approved, p.Completed = len(approved), len(completed)
	if p.Approved > 0 {
		p.ApprovedPerSec = float64(p.Approved) / lastApproved.Sub(start).Seconds()
	}
	if p.Completed > 0 {
		p.CompletedPerSec = float64(p.Completed) / lastCompleted.Sub(start).Seconds()
		p.Elapsed = lastCompleted.Sub(start)
	}
	if len(approved) > 0 {
		slices.Sort(approved)
		p.ApprovedP50, p.ApprovedP99 = percentile(approved, 0.50), percentile(approved, 0.99)
	}
	if len(completed) > 0 {
		slices.Sort(completed)
		p.CompletedP50, p.CompletedP99 = percentile(completed, 0.50), percentile(completed, 0.99)
	}
	return p
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// percentile returns the nearest-rank q-quantile of sorted, which must not
// be empty.
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// bot shops one list for every ShoppingListAvailable the benchmark sees,
// until ctx ends: bots react to the depot's events rather than poll it, so
// the benchmark does not load the system with claims that find nothing.
func (r *orderRun) bot(ctx context.Context, botID string, logf func(string, ...any)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.available:
		}
		for ctx.Err() == nil {
			_, got, err := client.Shop(ctx, r.api, botID)
			if err != nil && ctx.Err() == nil {
				logf("bot %s: %v", botID, err)
			}
			if got || err != nil {
				break
			}
			// Another bot took this list and ours is not visible yet.
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// Write prints the report as a table.
func (r OrderReport) Write(w io.Writer) {
	fmt.Fprintf(w, "\nraw baselines (same run)\n")
	fmt.Fprintf(w, "  PostgreSQL 1-row transactions, 8 writers   %8.0f tx/s\n", r.RawPostgresTxPerSec)
	fmt.Fprintf(w, "  RabbitMQ publish-confirm → consume → ack    %8.0f msgs/s\n", r.RawAMQPMsgsPerSec)
	fmt.Fprintf(w, "\n%-26s %6s %8s %9s %10s %9s %9s %10s %9s %9s\n", "phase", "orders", "rejected",
		"approved/s", "completed/s", "appr p50", "appr p99", "compl p50", "compl p99", "elapsed")
	for _, p := range r.Phases {
		fmt.Fprintf(w, "%-26s %6d %8d %9.1f %10.1f %9s %9s %10s %9s %9s\n", p.Name, p.Orders, p.Rejected,
			p.ApprovedPerSec, p.CompletedPerSec, millis(p.ApprovedP50), millis(p.ApprovedP99), millis(p.CompletedP50), millis(p.CompletedP99), millis(p.Elapsed))
	}
}

func millis(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
