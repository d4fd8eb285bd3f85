package messaging

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// outboxChannel is the PostgreSQL NOTIFY channel the outbox trigger signals
// on at commit, with the service name as payload.
const outboxChannel = "mallbots_outbox"

// Notifier wakes relays as soon as their service commits outbox rows, by
// LISTENing on one dedicated connection for the whole process. When that
// connection breaks it reconnects and wakes every relay, since notifications
// sent meanwhile were lost (each relay's poll is the last safety net).
type Notifier struct {
	pool   *pgxpool.Pool
	relays map[string]*Relay
	logger *slog.Logger
}

// NewNotifier returns a notifier for relays, keyed by service.
func NewNotifier(pool *pgxpool.Pool, relays map[string]*Relay, logger *slog.Logger) *Notifier {
	return &Notifier{pool: pool, relays: relays, logger: logger.With("component", "outbox-notifier")}
}

// Run listens until ctx ends.
func (n *Notifier) Run(ctx context.Context) error {
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := n.listen(ctx)
		if ctx.Err() != nil {
			return nil
		}
		n.logger.Warn("outbox notifications interrupted; relays fall back to polling meanwhile", "error", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
	return nil
}

func (n *Notifier) listen(ctx context.Context) error {
	conn, err := n.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection is hijacked: a LISTENing session must not return to
	// the pool, where another user could run queries on it.
	pgConn := conn.Hijack()
	defer pgConn.Close(context.WithoutCancel(ctx))
	if _, err := pgConn.Exec(ctx, "LISTEN "+outboxChannel); err != nil {
		return err
	}
	for _, r := range n.relays {
		r.Wake()
	}
	for {
		note, err := pgConn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if r, ok := n.relays[note.Payload]; ok {
			r.Wake()
		}
	}
}
