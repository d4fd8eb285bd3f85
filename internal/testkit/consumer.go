package testkit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/consumer"
	"github.com/mallbots/mallbots/postgres"
)

// FastRetry keeps the consumer tests quick; every field is set, as in
// production.
var FastRetry = config.RetryConfig{
	MaxRetries:          3,
	InitialInterval:     10 * time.Millisecond,
	MaxInterval:         50 * time.Millisecond,
	Multiplier:          2,
	MaxElapsedTime:      5 * time.Second,
	RandomizationFactor: 0.1,
}

// RouterDeps is the router of service with handler h alone, retrying with
// FastRetry, on a broker connection and metrics registry of its own.
func RouterDeps(t testing.TB, db *postgres.DB, service string, h consumer.Handler) consumer.RouterDeps {
	return consumer.RouterDeps{
		Service:  service,
		Handlers: []consumer.Handler{h},
		Conn:     Broker(t),
		DB:       db,
		Retry:    FastRetry,
		Timeout:  10 * time.Second,
		Prefetch: 10,
		Registry: prometheus.NewRegistry(),
		Logger:   Logger(t),
	}
}

// NopHandle is a consumer.Handler's Handle that does nothing.
func NopHandle(context.Context, []byte) error { return nil }

// RunRouter declares top, builds the consumer router deps describe and runs
// it until the test ends.
func RunRouter(t testing.TB, deps consumer.RouterDeps, top broker.Topology) {
	t.Helper()
	if err := top.Declare(Channel(t)); err != nil {
		t.Fatalf("declare topology: %v", err)
	}
	router, err := consumer.NewRouter(deps)
	if err != nil {
		t.Fatalf("new router: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- router.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		_ = router.Close()
		if err := <-done; err != nil {
			t.Errorf("router Run: %v", err)
		}
	})
	select {
	case <-router.Running():
	case err := <-done:
		t.Fatalf("router stopped before running: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("router not running within 30s")
	}
}

// CountingLogger returns a Logger that also counts its records by message,
// at any level, and a function that returns a message's count so far.
func CountingLogger(t testing.TB) (*slog.Logger, func(msg string) int64) {
	c := counter{Handler: Logger(t).Handler(), counts: &sync.Map{}}
	get := func(msg string) int64 {
		v, _ := c.counts.LoadOrStore(msg, new(atomic.Int64))
		return v.(*atomic.Int64).Load()
	}
	return slog.New(c), get
}

// counter is a slog handler that counts records by message, at any level,
// and forwards those its handler is enabled for.
type counter struct {
	slog.Handler
	counts *sync.Map // message → *atomic.Int64
}

// Enabled lets every record through to be counted, whatever level the test
// log shows.
func (c counter) Enabled(context.Context, slog.Level) bool { return true }

func (c counter) Handle(ctx context.Context, r slog.Record) error {
	v, _ := c.counts.LoadOrStore(r.Message, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	if !c.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return c.Handler.Handle(ctx, r)
}

func (c counter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return counter{Handler: c.Handler.WithAttrs(attrs), counts: c.counts}
}

func (c counter) WithGroup(name string) slog.Handler {
	return counter{Handler: c.Handler.WithGroup(name), counts: c.counts}
}
