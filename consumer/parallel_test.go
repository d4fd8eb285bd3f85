package consumer_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/consumer"
	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/internal/testkit"
)

// TestConsumersHandleOneQueueConcurrently checks that RouterDeps.Consumers
// messages of one handler's queue are in flight at once: each handler call
// blocks until as many calls have started.
func TestConsumersHandleOneQueueConcurrently(t *testing.T) {
	t.Parallel()
	db, svc := testkit.ServiceSchema(t)
	topic := svc + ".ThingHappened"
	const consumers = 3
	var inFlight, peak, done atomic.Int64
	release := make(chan struct{})
	h := consumer.Handler{
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
	top := broker.Plan([]broker.Service{{Name: svc, Publishes: []string{topic}, Consumes: consumer.Subscriptions(h)}}, 20, nil)
	testkit.RemoveTopologyAtEnd(t, top)
	deps := testkit.RouterDeps(t, db, svc, h)
	deps.Consumers, deps.Prefetch = consumers, 1
	testkit.RunRouter(t, deps, top)

	ch := testkit.Channel(t)
	for i := range consumers {
		testkit.Publish(t, ch, topic, "", amqp.Table{broker.MessageIDKey: correlation.NewID(), broker.NameKey: topic}, fmt.Appendf(nil, `{"seq":%d}`, i))
	}
	testkit.Eventually(t, 30*time.Second, "every message is handled", func() bool { return done.Load() == consumers })
	if p := peak.Load(); p != consumers {
		t.Errorf("at most %d messages were in flight, want %d", p, consumers)
	}
}
