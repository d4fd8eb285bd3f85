package replay

import (
	"context"
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
)

// replayTimeout bounds one message's publish, confirm and ack. It runs on a
// context detached from the caller's, so an interrupt never cuts a message
// in half (re-delivered but not yet removed from the poison queue).
const replayTimeout = 30 * time.Second

// readIdle is how long reading a poison queue waits for the next of the
// messages the queue reported before it settles for those it has.
const readIdle = 5 * time.Second

// PoisonQueues holds every message of some services' poison queues,
// unacknowledged, so that each can be re-delivered or discarded on its own
// while the others keep their place.
//
// It consumes each queue exclusively (a second replay on the same queue is
// refused by the broker) and never acknowledges a message it was not asked
// to remove: closing the channel, or the process dying at any point, hands
// every such message back to its queue in its original position (classic
// queues requeue in place). Re-delivery publishes to the handler's queue and
// waits for the broker's confirm before it acknowledges the poisoned copy;
// a crash between the two leaves the message in both places, and the
// handler's inbox drops the second copy. The acknowledgement itself runs in
// an AMQP transaction, so once Redeliver or Discard returns, the removal is
// done on the broker, not merely sent.
type PoisonQueues struct {
	consume  *amqp.Channel
	publish  *amqp.Channel
	returns  chan amqp.Return
	messages []PoisonMessage
}

// ReadPoisonQueues reads every message now in the poison queues of services,
// in queue order (services in the order given). The caller must Close it.
// A poison queue that does not exist is an error naming it.
func ReadPoisonQueues(ctx context.Context, conn *amqp.Connection, services []string) (*PoisonQueues, error) {
	q := &PoisonQueues{}
	ok := false
	defer func() {
		if !ok {
			q.Close()
		}
	}()
	var err error
	if q.consume, err = conn.Channel(); err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := q.consume.Tx(); err != nil {
		return nil, fmt.Errorf("start AMQP transaction mode: %w", err)
	}
	if q.publish, err = conn.Channel(); err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := q.publish.Confirm(false); err != nil {
		return nil, fmt.Errorf("enable publisher confirms: %w", err)
	}
	q.returns = q.publish.NotifyReturn(make(chan amqp.Return, 1))

	for _, svc := range services {
		if err := q.read(ctx, conn, svc); err != nil {
			return nil, err
		}
	}
	ok = true
	return q, nil
}

// read takes every message that service's poison queue reports holding.
func (q *PoisonQueues) read(ctx context.Context, conn *amqp.Connection, service string) error {
	name := broker.PoisonName(service)
	n, err := queueLength(conn, name)
	if err != nil {
		return err
	}
	// The prefetch lets the broker push exactly the messages counted; newer
	// arrivals stay in the queue (or, pushed once an ack frees a slot, are
	// held unacknowledged and go back on Close). An empty queue is consumed
	// all the same, to hold it exclusively.
	prefetch := max(n, 1)
	if prefetch > 65535 {
		prefetch = 0 // the protocol's limit; 0 is unlimited
	}
	if err := q.consume.Qos(prefetch, 0, false); err != nil {
		return fmt.Errorf("set prefetch: %w", err)
	}
	deliveries, err := q.consume.Consume(name, "mallbots-replay-"+service, false, true, false, false, nil)
	if err != nil {
		var amqpErr *amqp.Error
		if errors.As(err, &amqpErr) && amqpErr.Code == amqp.AccessRefused {
			return fmt.Errorf("poison queue %s is in exclusive use: another `mallbots replay` is reading it; try again when it is done", name)
		}
		return fmt.Errorf("read poison queue %s: %w", name, err)
	}
	idle := time.NewTimer(readIdle)
	defer idle.Stop()
	for read := 0; read < n; read++ {
		select {
		case d, open := <-deliveries:
			if !open {
				return fmt.Errorf("read poison queue %s: the broker closed the channel", name)
			}
			q.messages = append(q.messages, DecodePoisoned(service, d))
			idle.Reset(readIdle)
		case <-idle.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// queueLength returns how many messages queue holds, on a channel of its
// own: a failed passive declare closes its channel.
func queueLength(conn *amqp.Connection, queue string) (int, error) {
	ch, err := conn.Channel()
	if err != nil {
		return 0, fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	info, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		var amqpErr *amqp.Error
		if errors.As(err, &amqpErr) && amqpErr.Code == amqp.NotFound {
			return 0, fmt.Errorf("queue %s does not exist on the broker: start `mallbots serve` once to declare the topology (`mallbots topology --check` lists what is missing)", queue)
		}
		return 0, fmt.Errorf("inspect queue %s: %w", queue, err)
	}
	return info.Messages, nil
}

// Messages returns the messages read, in queue order.
func (q *PoisonQueues) Messages() []PoisonMessage { return q.messages }

// Redeliver publishes m to its handler's queue through the default exchange
// (so no other consumer of its topic sees it again), waits for the
// broker's confirm, and only then removes m from its poison queue. A
// handler queue that does not exist returns the publish as unroutable: m
// then stays in the poison queue and the error says why.
func (q *PoisonQueues) Redeliver(m PoisonMessage, now time.Time) error {
	if m.Handler == "" {
		return errors.New("the message names no handler (no handler_poisoned header, no x-death): it can only be discarded")
	}
	ctx, cancel := context.WithTimeout(context.Background(), replayTimeout)
	defer cancel()
	if err := broker.PublishConfirmed(ctx, q.publish, q.returns, "", m.Handler, Redelivery(m, now)); err != nil {
		return err
	}
	return q.remove(m)
}

// Discard removes m from its poison queue for good. Record it first.
func (q *PoisonQueues) Discard(m PoisonMessage) error { return q.remove(m) }

func (q *PoisonQueues) remove(m PoisonMessage) error {
	if err := q.consume.Ack(m.Delivery.DeliveryTag, false); err != nil {
		return fmt.Errorf("remove message %s from %s: %w", m.ID, broker.PoisonName(m.Service), err)
	}
	if err := q.consume.TxCommit(); err != nil {
		return fmt.Errorf("remove message %s from %s: %w", m.ID, broker.PoisonName(m.Service), err)
	}
	return nil
}

// Close gives every message not re-delivered or discarded back to its
// poison queue, in its original place.
func (q *PoisonQueues) Close() {
	if q.consume != nil {
		_ = q.consume.Close()
	}
	if q.publish != nil {
		_ = q.publish.Close()
	}
}
