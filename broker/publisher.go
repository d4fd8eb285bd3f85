package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Publisher publishes one message at a time, mandatory, with the broker's
// confirm, on a channel of its own on the process's shared connection; after
// the connection was lost it opens a new channel on the connection
// watermill-amqp reconnected. The consumer router's poison and wait
// publishes go through it. It is safe for concurrent use.
//
// It replaces watermill-amqp's Publisher there, for two reasons: that
// publisher's channel pool loses its channel for good when reopening it
// fails during a reconnect, after which every publish blocks forever
// (watermill-amqp PR #37, open); and it derives the exchange and the routing
// key from one topic, while a wait publish needs both (the wait exchange,
// and the handler's queue as the key the message is later dead-lettered
// with).
//
// Its channel lives as long as the connection: the process closes that last.
type Publisher struct {
	conn *wamqp.ConnectionWrapper

	mu      sync.Mutex
	ch      *amqp.Channel
	returns chan amqp.Return
}

// NewPublisher returns a Publisher on conn.
func NewPublisher(conn *wamqp.ConnectionWrapper) *Publisher {
	return &Publisher{conn: conn}
}

// Publish sends pub to exchange with routing key key and waits for the
// confirm, or until ctx ends. A message the broker cannot route anywhere is
// an error, not a silent loss.
func (p *Publisher) Publish(ctx context.Context, exchange, key string, pub amqp.Publishing) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch == nil || p.ch.IsClosed() {
		ch, returns, err := ConfirmChannel(p.conn, 1)
		if err != nil {
			return err
		}
		p.ch, p.returns = ch, returns
	}
	err := PublishConfirmed(ctx, p.ch, p.returns, exchange, key, pub)
	if err != nil {
		// A fresh channel next time: no late confirm or return of this
		// publish can then be taken for the next one's.
		_ = p.ch.Close()
		p.ch = nil
	}
	return err
}

// ConfirmChannel opens a channel in confirm mode on conn's current
// connection (watermill-amqp replaces it when it reconnects), with room for
// buffer returned (unroutable) publishes. The caller closes it.
func ConfirmChannel(conn *wamqp.ConnectionWrapper, buffer int) (*amqp.Channel, chan amqp.Return, error) {
	if !conn.IsConnected() {
		return nil, nil, errors.New("not connected to RabbitMQ")
	}
	ch, err := conn.Connection().Channel()
	if err != nil {
		return nil, nil, fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		ch.Close()
		return nil, nil, fmt.Errorf("enable publisher confirms: %w", err)
	}
	return ch, ch.NotifyReturn(make(chan amqp.Return, buffer)), nil
}

// PublishConfirmed publishes pub on ch (in confirm mode, its returns
// delivered to returns) to exchange with routing key key, mandatory, and
// waits for the confirm; the default exchange ("") routes to the queue named
// key. A message returned as unroutable is an error naming what is missing.
// A basic.return precedes its ack on the wire and is dispatched first, so a
// return is buffered by the time the confirm arrives.
func PublishConfirmed(ctx context.Context, ch *amqp.Channel, returns <-chan amqp.Return, exchange, key string, pub amqp.Publishing) error {
	target := "queue " + key
	if exchange != "" {
		target = "exchange " + exchange
	}
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, true, false, pub)
	if err != nil {
		return fmt.Errorf("publish to %s: %w", target, err)
	}
	acked, err := dc.WaitContext(ctx)
	if err != nil {
		return fmt.Errorf("wait for the broker to confirm the publish to %s: %w", target, err)
	}
	if !acked {
		return fmt.Errorf("the broker refused the publish to %s", target)
	}
	select {
	case ret := <-returns:
		what := "queue " + key + " does not exist on the broker"
		if exchange != "" {
			what = "exchange " + exchange + " routes it to no queue"
		}
		return fmt.Errorf("%s (message %s returned: %s); start `mallbots serve` once to declare the topology",
			what, ret.MessageId, ret.ReplyText)
	default:
		return nil
	}
}
