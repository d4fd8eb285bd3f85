package broker

import (
	"fmt"
	"sort"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Topology is the RabbitMQ layout a set of services uses: a durable fanout
// exchange per topic (named like the event), a durable quorum queue per
// consuming handler (named like the handler) bound to it, and per service a
// poison exchange and queue and, for a service that consumes, an exchange and
// a queue per wait. It is what `mallbots topology` prints and what every
// process declares at startup before any relay publishes.
type Topology struct {
	Exchanges []Exchange
	Queues    []Queue
	Bindings  []Binding
	consumed  map[string]bool
}

// Exchange is a durable exchange.
type Exchange struct {
	Name string
	Kind string // "fanout"
	// Publisher names the service that publishes to it; a topic several
	// services publish to (the saga's reply topic) lists them, comma-separated.
	Publisher string
}

// Queue is a durable queue.
type Queue struct {
	Name string
	// Type is "quorum" for handler and wait queues, "classic" for poison
	// queues (a classic queue keeps a requeued message in its place, so
	// replay can leave unselected poisoned messages in order).
	Type string
	// DeadLetterExchange receives messages the broker gives up on.
	DeadLetterExchange string
	// DeliveryLimit is the quorum queue's redelivery limit (0: none).
	DeliveryLimit int
	// Wait, when set, makes this a wait queue: nobody consumes it, and each
	// message expires after Wait and is dead-lettered through the default
	// exchange with the routing key it was published with, its handler's
	// queue. At-least-once dead-lettering (RabbitMQ 3.10+, quorum queues)
	// keeps the message until that queue has it.
	Wait time.Duration
}

// Binding routes an exchange's messages into a queue.
type Binding struct {
	Exchange string
	Queue    string
}

// Service describes one service for the topology: what it publishes and
// which handlers it runs.
type Service struct {
	Name      string
	Publishes []string
	Consumes  []Subscription
}

// Subscription is one handler as the broker sees it: a queue named like the
// handler, bound to the exchange of the topic it consumes
// (consumer.Handler.Subscription makes it).
type Subscription struct {
	// Queue is the handler's name, "<service>.On<Event>".
	Queue string
	// Topic is the event or command it consumes.
	Topic string
}

// Plan computes the topology of services; deliveryLimit bounds redeliveries
// of handler queues, and each of waits gets a wait exchange and queue per
// service with handlers. The result is sorted by name so output is stable.
func Plan(services []Service, deliveryLimit int, waits []time.Duration) Topology {
	t := Topology{consumed: map[string]bool{}}
	exchanges := map[string]Exchange{}
	for _, s := range services {
		for _, topic := range s.Publishes {
			e := Exchange{Name: topic, Kind: "fanout", Publisher: s.Name}
			if prev, ok := exchanges[topic]; ok {
				e.Publisher = prev.Publisher + ", " + s.Name
			}
			exchanges[topic] = e
		}
	}
	for _, s := range services {
		poison := PoisonName(s.Name)
		exchanges[poison] = Exchange{Name: poison, Kind: "fanout", Publisher: s.Name}
		t.Queues = append(t.Queues, Queue{Name: poison, Type: "classic"})
		t.Bindings = append(t.Bindings, Binding{Exchange: poison, Queue: poison})
		for _, sub := range s.Consumes {
			if _, ok := exchanges[sub.Topic]; !ok {
				exchanges[sub.Topic] = Exchange{Name: sub.Topic, Kind: "fanout"}
			}
			t.Queues = append(t.Queues, Queue{Name: sub.Queue, Type: "quorum", DeadLetterExchange: poison, DeliveryLimit: deliveryLimit})
			t.Bindings = append(t.Bindings, Binding{Exchange: sub.Topic, Queue: sub.Queue})
			t.consumed[sub.Topic] = true
		}
		if len(s.Consumes) == 0 {
			continue
		}
		for _, w := range waits {
			name := WaitName(s.Name, w)
			exchanges[name] = Exchange{Name: name, Kind: "fanout", Publisher: s.Name}
			t.Queues = append(t.Queues, Queue{Name: name, Type: "quorum", Wait: w})
			t.Bindings = append(t.Bindings, Binding{Exchange: name, Queue: name})
		}
	}
	for _, e := range exchanges {
		t.Exchanges = append(t.Exchanges, e)
	}
	sort.Slice(t.Exchanges, func(i, j int) bool { return before(t.Exchanges[i].Name, t.Exchanges[j].Name) })
	sort.Slice(t.Queues, func(i, j int) bool { return before(t.Queues[i].Name, t.Queues[j].Name) })
	sort.Slice(t.Bindings, func(i, j int) bool {
		if t.Bindings[i].Exchange != t.Bindings[j].Exchange {
			return before(t.Bindings[i].Exchange, t.Bindings[j].Exchange)
		}
		return before(t.Bindings[i].Queue, t.Bindings[j].Queue)
	})
	return t
}

// before orders names alphabetically, except that one service's waits go
// from the shortest to the longest (200ms, 1s, 5s, 15s).
func before(a, b string) bool {
	sa, da, okA := parseWaitName(a)
	sb, db, okB := parseWaitName(b)
	if okA && okB && sa == sb {
		return da < db
	}
	return a < b
}

// HasConsumers reports whether some handler's queue is bound to topic's
// exchange: a publish to it that the broker returns as unroutable means the
// topology is broken, not that nobody cares.
func (t Topology) HasConsumers(topic string) bool { return t.consumed[topic] }

// Arguments returns the declare arguments of q.
func (q Queue) Arguments() amqp.Table {
	args := amqp.Table{"x-queue-type": q.Type}
	if q.Wait > 0 {
		args["x-message-ttl"] = q.Wait.Milliseconds()
		args["x-dead-letter-exchange"] = ""
		// At-least-once dead-lettering needs reject-publish overflow; the
		// queue has no length limit, so it never rejects a publish.
		args["x-dead-letter-strategy"] = "at-least-once"
		args["x-overflow"] = "reject-publish"
	}
	if q.DeadLetterExchange != "" {
		args["x-dead-letter-exchange"] = q.DeadLetterExchange
	}
	if q.DeliveryLimit > 0 {
		args["x-delivery-limit"] = int64(q.DeliveryLimit)
	}
	return args
}

// Declare declares every exchange, queue and binding on ch. Declaring is
// idempotent; a queue that exists with other arguments (an older delivery
// limit, say) is reported with what to do about it.
func (t Topology) Declare(ch *amqp.Channel) error {
	for _, e := range t.Exchanges {
		if err := ch.ExchangeDeclare(e.Name, e.Kind, true, false, false, false, nil); err != nil {
			return fmt.Errorf("declare exchange %s: %w", e.Name, err)
		}
	}
	for _, q := range t.Queues {
		if _, err := ch.QueueDeclare(q.Name, true, false, false, false, q.Arguments()); err != nil {
			if amqpErr, ok := err.(*amqp.Error); ok && amqpErr.Code == amqp.PreconditionFailed {
				return fmt.Errorf("declare queue %s: it exists with other arguments than %v; "+
					"drain and delete it (RabbitMQ cannot change a queue's arguments), then start again: %w", q.Name, q.Arguments(), err)
			}
			return fmt.Errorf("declare queue %s: %w", q.Name, err)
		}
	}
	for _, b := range t.Bindings {
		if err := ch.QueueBind(b.Queue, "", b.Exchange, false, nil); err != nil {
			return fmt.Errorf("bind queue %s to exchange %s: %w", b.Queue, b.Exchange, err)
		}
	}
	return nil
}

// Check verifies with passive declares on conn that every exchange and queue
// of t exists, and returns the missing ones ("exchange X", "queue Y").
// Passive declares cannot see bindings; the management API can.
func (t Topology) Check(conn *amqp.Connection) ([]string, error) {
	var missing []string
	// A failed passive declare closes its channel, so each check gets one.
	exists := func(declare func(ch *amqp.Channel) error) (bool, error) {
		ch, err := conn.Channel()
		if err != nil {
			return false, fmt.Errorf("open channel: %w", err)
		}
		defer ch.Close()
		err = declare(ch)
		if amqpErr, ok := err.(*amqp.Error); ok && amqpErr.Code == amqp.NotFound {
			return false, nil
		}
		return err == nil, err
	}
	for _, e := range t.Exchanges {
		ok, err := exists(func(ch *amqp.Channel) error {
			return ch.ExchangeDeclarePassive(e.Name, e.Kind, true, false, false, false, nil)
		})
		if err != nil && !ok {
			return nil, fmt.Errorf("check exchange %s: %w", e.Name, err)
		}
		if !ok {
			missing = append(missing, "exchange "+e.Name)
		}
	}
	for _, q := range t.Queues {
		ok, err := exists(func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclarePassive(q.Name, true, false, false, false, q.Arguments())
			return err
		})
		if err != nil && !ok {
			return nil, fmt.Errorf("check queue %s: %w", q.Name, err)
		}
		if !ok {
			missing = append(missing, "queue "+q.Name)
		}
	}
	return missing, nil
}
