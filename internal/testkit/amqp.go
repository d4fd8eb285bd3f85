package testkit

import (
	"context"
	"fmt"
	"testing"
	"time"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/config"
)

// The helpers below are the broker side of the messaging packages' tests
// (broker, consumer, outbox, replay): plain AMQP channels for the tests' own
// declares, publishes and inspections, and clean-up of what they declared.

// Connection opens a plain AMQP connection to AMQPURL (not through any
// proxy), closed when the test ends.
func Connection(t testing.TB) *amqp.Connection {
	t.Helper()
	Require(t, "RabbitMQ", AMQPURL)
	conn, err := amqp.Dial(AMQPURL)
	if err != nil {
		t.Fatalf("dial RabbitMQ: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// Channel opens a channel on a Connection of its own.
func Channel(t testing.TB) *amqp.Channel {
	t.Helper()
	ch, err := Connection(t).Channel()
	if err != nil {
		t.Fatalf("open channel: %v", err)
	}
	return ch
}

// BrokerAt dials RabbitMQ at amqpURL (a proxy's, say) through broker.Dial,
// as a process does; the connection is closed when the test ends.
func BrokerAt(t testing.TB, amqpURL string) *wamqp.ConnectionWrapper {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := broker.Dial(ctx, amqpURL, config.Default().Broker.ReconnectMaxBackoff, Logger(t))
	if err != nil {
		t.Fatalf("connect RabbitMQ at %s: %v", amqpURL, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// RemoveAtEnd deletes exchanges and queues when the test ends, on a
// connection of its own, so durable leftovers do not pile up on the broker.
// Register it before anything that uses them: cleanups run last-in first-out.
func RemoveAtEnd(t testing.TB, exchanges, queues []string) {
	t.Helper()
	t.Cleanup(func() {
		conn, err := amqp.Dial(AMQPURL)
		if err != nil {
			t.Logf("cleanup: dial RabbitMQ: %v", err)
			return
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			t.Logf("cleanup: open channel: %v", err)
			return
		}
		for _, q := range queues {
			if _, err := ch.QueueDelete(q, false, false, false); err != nil {
				t.Logf("cleanup: delete queue %s: %v", q, err)
			}
		}
		for _, e := range exchanges {
			if err := ch.ExchangeDelete(e, false, false); err != nil {
				t.Logf("cleanup: delete exchange %s: %v", e, err)
			}
		}
	})
}

// RemoveTopologyAtEnd deletes every exchange and queue of top when the test
// ends.
func RemoveTopologyAtEnd(t testing.TB, top broker.Topology) {
	t.Helper()
	var exchanges, queues []string
	for _, e := range top.Exchanges {
		exchanges = append(exchanges, e.Name)
	}
	for _, q := range top.Queues {
		queues = append(queues, q.Name)
	}
	RemoveAtEnd(t, exchanges, queues)
}

// Listen declares topic's fanout exchange and binds a fresh queue to it, as a
// consumer would, and returns the queue; both are deleted when the test ends.
func Listen(t testing.TB, ch *amqp.Channel, topic string) string {
	t.Helper()
	q := Name("q")
	RemoveAtEnd(t, []string{topic}, []string{q})
	if err := ch.ExchangeDeclare(topic, "fanout", true, false, false, false, nil); err != nil {
		t.Fatalf("declare exchange %s: %v", topic, err)
	}
	if _, err := ch.QueueDeclare(q, false, false, false, false, nil); err != nil {
		t.Fatalf("declare queue %s: %v", q, err)
	}
	if err := ch.QueueBind(q, "", topic, false, nil); err != nil {
		t.Fatalf("bind %s to %s: %v", q, topic, err)
	}
	return q
}

// Drain takes every message now in q, in queue order.
func Drain(t testing.TB, ch *amqp.Channel, q string) []amqp.Delivery {
	t.Helper()
	var out []amqp.Delivery
	for {
		d, ok, err := ch.Get(q, true)
		if err != nil {
			t.Fatalf("get from %s: %v", q, err)
		}
		if !ok {
			return out
		}
		out = append(out, d)
	}
}

// Inspect returns q's ready message count and its consumer count.
func Inspect(t testing.TB, ch *amqp.Channel, q string) (messages, consumers int) {
	t.Helper()
	info, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("inspect queue %s: %v", q, err)
	}
	return info.Messages, info.Consumers
}

// AwaitQueue waits until q holds n ready messages.
func AwaitQueue(t testing.TB, ch *amqp.Channel, q string, n int) {
	t.Helper()
	Eventually(t, 30*time.Second, fmt.Sprintf("%s holds %d messages", q, n), func() bool {
		msgs, _ := Inspect(t, ch, q)
		return msgs == n
	})
}

// Await takes the next message off q, polling until it comes; ack false
// leaves it unacknowledged, for the channel's closing to put back.
func Await(t testing.TB, ch *amqp.Channel, q string, ack bool, what string) amqp.Delivery {
	t.Helper()
	var d amqp.Delivery
	Eventually(t, 30*time.Second, what, func() bool {
		var ok bool
		var err error
		d, ok, err = ch.Get(q, ack)
		if err != nil {
			t.Fatalf("get from %s: %v", q, err)
		}
		return ok
	})
	return d
}

// Publish publishes a persistent JSON message to exchange with routing key
// key (the default exchange "" routes to the queue named key).
func Publish(t testing.TB, ch *amqp.Channel, exchange, key string, headers amqp.Table, body []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := ch.PublishWithContext(ctx, exchange, key, false, false, amqp.Publishing{
		Headers: headers, ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: body,
	})
	if err != nil {
		t.Fatalf("publish to %q/%q: %v", exchange, key, err)
	}
}
