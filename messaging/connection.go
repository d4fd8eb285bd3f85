// Package messaging is mallbots' Watermill glue: the shared RabbitMQ
// connection, the broker topology, the marshaler, the transactional outbox
// (publisher and relay), the inbox, and the consumer router with its
// middleware stack. It knows nothing of the domain.
package messaging

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"

	"github.com/mallbots/mallbots/dsn"
)

// Dial opens the RabbitMQ connection one process shares between its relays,
// routers and publishers. While the broker is unreachable it retries with
// backoff and logs one clear line per attempt; it gives up when ctx ends.
// After the first connection, watermill-amqp reconnects by itself. Errors and
// log lines never contain the password.
func Dial(ctx context.Context, amqpURL string, logger *slog.Logger) (*wamqp.ConnectionWrapper, error) {
	where := dsn.Redact(amqpURL)
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
			return nil, dsn.RedactError(fmt.Errorf("connect to RabbitMQ at %s: gave up after %d attempts: %w", where, attempt, err), amqpURL)
		}
		logger.Warn("waiting for RabbitMQ", "at", where, "attempt", attempt, "retry_in", wait.String(),
			"error", dsn.Scrub(err.Error(), amqpURL))
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// watermillLogger adapts slog for Watermill, demoting its chatty Info lines
// (one per handler start, per connection) to Debug.
func watermillLogger(logger *slog.Logger) watermill.LoggerAdapter {
	return watermill.NewSlogLoggerWithLevelMapping(logger, map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug,
	})
}
