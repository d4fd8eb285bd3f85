// Package messaging is mallbots' Watermill glue: the shared RabbitMQ
// connection, the broker topology, the marshaler, the transactional outbox
// (publisher and relay), the inbox, and the consumer router with its
// middleware stack. It knows nothing of the domain.
package messaging

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
)

// Dial opens the RabbitMQ connection one process shares between its relays,
// routers and publishers. While the broker is unreachable it retries with
// backoff and logs one clear line per attempt; it gives up when ctx ends.
// After the first connection, watermill-amqp reconnects by itself.
func Dial(ctx context.Context, amqpURL string, logger *slog.Logger) (*wamqp.ConnectionWrapper, error) {
	where := redactURL(amqpURL)
	wait := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		conn, err := wamqp.NewConnection(wamqp.ConnectionConfig{AmqpURI: amqpURL}, watermillLogger(logger))
		if err == nil {
			if attempt > 1 {
				logger.Info("connected to RabbitMQ", "at", where, "attempts", attempt)
			}
			return conn, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect to RabbitMQ at %s: gave up after %d attempts: %w", where, attempt, err)
		}
		logger.Warn("waiting for RabbitMQ", "at", where, "attempt", attempt, "retry_in", wait.String(), "error", err.Error())
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable URL>"
	}
	return u.Redacted()
}

// watermillLogger adapts slog for Watermill, demoting its chatty Info lines
// (one per handler start, per connection) to Debug.
func watermillLogger(logger *slog.Logger) watermill.LoggerAdapter {
	return watermill.NewSlogLoggerWithLevelMapping(logger, map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug,
	})
}
