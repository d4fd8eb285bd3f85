package consumer

import (
	"context"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/mallbots/mallbots/broker"
)

// publishTimeout bounds one poison or wait publish and its confirm.
const publishTimeout = 30 * time.Second

// poisonPublisher publishes poisoned messages to a service's poison exchange
// with confirms, stamping poisoned_at and logging each one: Watermill's
// PoisonQueue middleware records the reason, topic and handler but not when.
type poisonPublisher struct {
	pub    *broker.Publisher
	logger *slog.Logger
}

// Publish sends msgs to topic (a poison exchange) and waits for the confirms.
//
// It publishes with the messages' contexts stripped of their cancellation:
// Watermill's PoisonQueue middleware hands over the message as the inner
// Timeout middleware left it, with a context already canceled, and a publish
// with it would fail with "context canceled", the delivery would be nacked,
// requeued and retried until the broker's delivery limit (Watermill issue
// #636).
func (p *poisonPublisher) Publish(topic string, msgs ...*message.Message) error {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for _, m := range msgs {
		m.Metadata.Set(broker.PoisonedAtKey, now)
		p.logger.Error("message poisoned",
			"poison_queue", topic,
			"handler", m.Metadata.Get(broker.HandlerPoisonedKey),
			"topic", m.Metadata.Get(broker.TopicPoisonedKey),
			"message_id", m.UUID,
			"correlation_id", m.Metadata.Get(broker.CorrelationIDKey),
			"reason", m.Metadata.Get(broker.ReasonPoisonedKey))
		pub, err := broker.Marshaler{}.Marshal(m)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(m.Context()), publishTimeout)
		err = p.pub.Publish(ctx, topic, "", pub)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// Close does nothing: the publisher's channel closes with the connection.
func (p *poisonPublisher) Close() error { return nil }
