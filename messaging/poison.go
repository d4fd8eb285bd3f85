package messaging

import (
	"context"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// Metadata keys Watermill's PoisonQueue middleware sets on a poisoned message.
const (
	ReasonPoisonedKey  = middleware.ReasonForPoisonedKey
	TopicPoisonedKey   = middleware.PoisonedTopicKey
	HandlerPoisonedKey = middleware.PoisonedHandlerKey
)

// poisonPublisher publishes poisoned messages to a service's poison exchange
// with confirms, stamping poisoned_at and logging each one: Watermill's
// PoisonQueue middleware records the reason, topic and handler but not when.
type poisonPublisher struct {
	pub    *brokerPublisher
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
		m.Metadata.Set(PoisonedAtKey, now)
		p.logger.Error("message poisoned",
			"poison_queue", topic,
			"handler", m.Metadata.Get(HandlerPoisonedKey),
			"topic", m.Metadata.Get(TopicPoisonedKey),
			"message_id", m.UUID,
			"correlation_id", m.Metadata.Get(CorrelationIDKey),
			"reason", m.Metadata.Get(ReasonPoisonedKey))
		pub, err := Marshaler{}.Marshal(m)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(m.Context()), brokerPublishTimeout)
		err = p.pub.publish(ctx, topic, "", pub)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// Close does nothing: the publisher's channel closes with the connection.
func (p *poisonPublisher) Close() error { return nil }
