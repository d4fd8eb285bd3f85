package messaging_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/messaging"
)

// TestConsumersHandleOneQueueConcurrently checks that RouterDeps.Consumers
// messages of one handler's queue are in flight at once: each handler call
// blocks until as many calls have started.
func TestConsumersHandleOneQueueConcurrently(t *testing.T) {
	t.Parallel()
	db, svc := newService(t)
	topic := svc + ".ThingHappened"
	const consumers = 3
	var inFlight, peak, done atomic.Int64
	release := make(chan struct{})
	h := messaging.Handler{
		Service: svc, Name: svc + ".OnThingHappened", Topic: topic,
		Handle: func(ctx context.Context, _ []byte) error {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			if n == consumers {
				close(release)
			}
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
			done.Add(1)
			return nil
		},
	}
	top := messaging.Plan([]messaging.Service{{Name: svc, Publishes: []string{topic}, Handlers: []messaging.Handler{h}}}, 20, nil)
	removeTopologyAtEnd(t, top)
	deps := routerDeps(t, db, svc, h)
	deps.Consumers, deps.Prefetch = consumers, 1
	runRouter(t, deps, top)

	ch := rabbit(t)
	for i := range consumers {
		publish(t, ch, topic, "", amqp.Table{messaging.MessageIDKey: correlation.NewID(), messaging.NameKey: topic}, fmt.Appendf(nil, `{"seq":%d}`, i))
	}
	testkit.Eventually(t, 30*time.Second, "every message is handled", func() bool { return done.Load() == consumers })
	if p := peak.Load(); p != consumers {
		t.Errorf("at most %d messages were in flight, want %d", p, consumers)
	}
}
