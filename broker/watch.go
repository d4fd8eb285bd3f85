package broker

import (
	"context"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Observed is one message a Watch saw on an exchange.
type Observed struct {
	Topic         string
	MessageID     string
	CorrelationID string
	CausationID   string
	Payload       []byte
	// At is when the watcher received it.
	At time.Time
}

// Watch binds a fresh exclusive, auto-deleted queue to the exchange of each
// topic and yields every message published to them from then on, until ctx
// ends or the connection drops (the channel is closed then). Watching takes
// nothing from the services' own queues: a fanout exchange copies each
// message to every bound queue. Exchanges must exist (serve declares them).
func Watch(ctx context.Context, amqpURL string, topics []string) (<-chan Observed, error) {
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		return nil, fmt.Errorf("connect to RabbitMQ to watch events: %w", err)
	}
	ch, err := conn.Channel()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("open a channel to watch events: %w", err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("declare the watch queue: %w", err)
	}
	for _, topic := range topics {
		if err := ch.QueueBind(q.Name, "", topic, false, nil); err != nil {
			conn.Close()
			return nil, fmt.Errorf("watch %s (is `mallbots serve` running against this broker?): %w", topic, err)
		}
	}
	deliveries, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("consume the watch queue: %w", err)
	}
	out := make(chan Observed, 1024)
	go func() {
		defer close(out)
		defer conn.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case d, ok := <-deliveries:
				if !ok {
					return
				}
				header := func(k string) string { s, _ := d.Headers[k].(string); return s }
				o := Observed{
					Topic: d.Exchange, MessageID: d.MessageId, Payload: d.Body, At: time.Now(),
					CorrelationID: header(CorrelationIDKey), CausationID: header(CausationIDKey),
				}
				if name := header(NameKey); name != "" {
					o.Topic = name
				}
				select {
				case out <- o:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
