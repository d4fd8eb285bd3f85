package messaging

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
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
	pub    *wamqp.Publisher
	logger *slog.Logger
}

func newPoisonPublisher(conn *wamqp.ConnectionWrapper, logger *slog.Logger) (*poisonPublisher, error) {
	pub, err := wamqp.NewPublisherWithConnection(wamqp.Config{
		Marshaler: Marshaler{},
		Exchange: wamqp.ExchangeConfig{
			GenerateName: func(topic string) string { return topic },
			Type:         "fanout",
			Durable:      true,
		},
		Publish: wamqp.PublishConfig{
			GenerateRoutingKey: func(string) string { return "" },
			ConfirmDelivery:    true,
			Mandatory:          false,
			ChannelPoolSize:    1,
		},
		TopologyBuilder: declaredTopology{},
	}, watermillLogger(logger), conn)
	if err != nil {
		return nil, fmt.Errorf("poison publisher: %w", err)
	}
	return &poisonPublisher{pub: pub, logger: logger}, nil
}

// Publish sends msgs to topic (a poison exchange) and waits for the confirms.
//
// It publishes with the messages' contexts stripped of their cancellation:
// Watermill's PoisonQueue middleware hands over the message as the inner
// Timeout middleware left it, with a context already canceled, and
// watermill-amqp publishes with msg.Context(), so every poison publish would
// fail with "context canceled", the delivery would be nacked, requeued and
// retried until the broker's delivery limit (Watermill issue #636).
func (p *poisonPublisher) Publish(topic string, msgs ...*message.Message) error {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for _, m := range msgs {
		m.SetContext(context.WithoutCancel(m.Context()))
		m.Metadata.Set(PoisonedAtKey, now)
		p.logger.Error("message poisoned",
			"poison_queue", topic,
			"handler", m.Metadata.Get(HandlerPoisonedKey),
			"topic", m.Metadata.Get(TopicPoisonedKey),
			"message_id", m.UUID,
			"correlation_id", m.Metadata.Get(CorrelationIDKey),
			"reason", m.Metadata.Get(ReasonPoisonedKey))
	}
	return p.pub.Publish(topic, msgs...)
}

// Close closes the underlying publisher.
func (p *poisonPublisher) Close() error { return p.pub.Close() }
