package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/events"
)

// Publisher writes events to one service's outbox on their own, for a use
// case or consumer that publishes without changing an aggregate (a saga
// command's failure reply, say). Inside a consumer it joins the transaction
// in ctx, so the events commit with the inbox row; otherwise it runs its own.
type Publisher struct {
	db     *DB
	outbox Outbox
}

// NewPublisher returns a Publisher writing to outbox through db.
func NewPublisher(db *DB, outbox Outbox) *Publisher {
	return &Publisher{db: db, outbox: outbox}
}

// Publish writes evs to the outbox in the transaction in ctx (or its own).
func (p *Publisher) Publish(ctx context.Context, evs ...events.Event) error {
	return p.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		return publish(ctx, tx, p.outbox, evs...)
	})
}
