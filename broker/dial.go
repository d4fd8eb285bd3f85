package broker

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
// After the first connection, watermill-amqp reconnects by itself. Both wait
// at most maxBackoff between attempts. Errors and log lines never contain the
// password.
func Dial(ctx context.Context, amqpURL string, maxBackoff time.Duration, logger *slog.Logger) (*wamqp.ConnectionWrapper, error) {
	where := dsn.Redact(amqpURL)
	wait := min(200*time.Millisecond, maxBackoff)
	for attempt := 1; ; attempt++ {
		conn, err := wamqp.NewConnection(wamqp.ConnectionConfig{AmqpURI: amqpURL, Reconnect: reconnectBackoff(maxBackoff)},
			WatermillLogger(logger))
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
		wait = min(wait*2, maxBackoff)
	}
}

// reconnectJitter randomises each reconnect wait by ±25%, so processes that
// lost the broker together do not all knock at once when it is back.
const reconnectJitter = 0.25

// reconnectBackoff is watermill-amqp's reconnect policy with its waits
// bounded by maxBackoff, jitter included. The library's default grows the
// wait by half after each failed attempt up to a minute, so after an outage
// of a minute or more a process reconnected up to a minute after the broker
// was back, all that time unready and consuming nothing.
func reconnectBackoff(maxBackoff time.Duration) *wamqp.ReconnectConfig {
	ceiling := time.Duration(float64(maxBackoff) / (1 + reconnectJitter))
	return &wamqp.ReconnectConfig{
		BackoffInitialInterval:     min(200*time.Millisecond, ceiling),
		BackoffRandomizationFactor: reconnectJitter,
		BackoffMultiplier:          2,
		BackoffMaxInterval:         ceiling,
	}
}

// WatermillLogger adapts slog for Watermill, demoting its chatty Info lines
// (one per handler start, per connection) to Debug.
func WatermillLogger(logger *slog.Logger) watermill.LoggerAdapter {
	return watermill.NewSlogLoggerWithLevelMapping(logger, map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug,
	})
}
