package consumer

import (
	"context"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
)

// parallelSubscriber consumes one queue through n AMQP consumers and merges
// their messages into one channel.
//
// It works around a watermill-amqp behaviour: a subscription hands the router
// one message and waits for its ack before taking the next, so one handler
// processes one message at a time however large the prefetch. The router
// already handles each message in a goroutine of its own, so n subscriptions
// give n messages in flight per handler, under the same middleware and
// handler name (which the poison queue and replay rely on). Handlers are
// safe with it: the inbox serialises duplicate deliveries, caches are
// version-guarded, and aggregates are locked or versioned.
type parallelSubscriber struct {
	message.Subscriber
	n int
}

// Subscribe subscribes n times to topic; the merged channel closes when all
// n have closed.
func (p parallelSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	out := make(chan *message.Message)
	var wg sync.WaitGroup
	for range p.n {
		in, err := p.Subscriber.Subscribe(ctx, topic)
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for msg := range in {
				out <- msg
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out, nil
}
