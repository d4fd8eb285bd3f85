package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/events"
)

// Outbox writes events into the transactional outbox inside the caller's
// transaction (outbox.Outbox); repositories hide it from use cases.
type Outbox interface {
	Publish(ctx context.Context, tx pgx.Tx, evs ...events.Event) error
	// Committed tells the outbox that a transaction it wrote to has
	// committed, so the relay can move the rows now.
	Committed()
}

// publish writes evs to outbox inside tx and, once the outermost
// transaction has committed, rings the outbox's relay.
func publish(ctx context.Context, tx pgx.Tx, outbox Outbox, evs ...events.Event) error {
	if len(evs) == 0 {
		return nil
	}
	if err := outbox.Publish(ctx, tx, evs...); err != nil {
		return err
	}
	afterCommit(ctx, outbox.Committed)
	return nil
}

// update is the UpdateFn helper behind every repository's Update: in one
// transaction it loads and locks the aggregate, lets fn change it and name the
// events that result, saves it, and writes those events to the outbox. If fn
// fails nothing is saved or published; if the commit fails neither is.
func update[T any](ctx context.Context, db *DB, outbox Outbox,
	load func(context.Context, pgx.Tx) (T, error),
	save func(context.Context, pgx.Tx, T) error,
	fn func(T) ([]events.Event, error),
) error {
	return updateInFlow(ctx, db, outbox, func(ctx context.Context, tx pgx.Tx) (T, string, error) {
		agg, err := load(ctx, tx)
		return agg, "", err
	}, save, fn)
}

// updateInFlow is update for an aggregate that remembers the flow it was
// born in: load also returns the correlation ID stored with it (insertInFlow
// stored it), and the events fn returns continue that flow
// (correlation.Continue), whoever asked for the change.
func updateInFlow[T any](ctx context.Context, db *DB, outbox Outbox,
	load func(context.Context, pgx.Tx) (T, string, error),
	save func(context.Context, pgx.Tx, T) error,
	fn func(T) ([]events.Event, error),
) error {
	return db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		agg, flow, err := load(ctx, tx)
		if err != nil {
			return err
		}
		evs, err := fn(agg)
		if err != nil {
			return err
		}
		if err := save(ctx, tx, agg); err != nil {
			return err
		}
		return publish(correlation.Continue(ctx, flow), tx, outbox, evs...)
	})
}

// flowOf returns the correlation ID of the flow ctx belongs to, for an
// aggregate to store when it is born.
func flowOf(ctx context.Context) string { return correlation.From(ctx).CorrelationID }

// insert stores a new aggregate with save and writes evs to the outbox, in
// one transaction.
func insert(ctx context.Context, db *DB, outbox Outbox, save func(context.Context, pgx.Tx) error, evs []events.Event) error {
	return db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if err := save(ctx, tx); err != nil {
			return err
		}
		return publish(ctx, tx, outbox, evs...)
	})
}

// notFound turns pgx.ErrNoRows into a domain.ErrNotFound naming what was
// looked for; other errors are wrapped with it.
func notFound(err error, what string, id string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s %s", domain.ErrNotFound, what, id)
	}
	return fmt.Errorf("load %s %s: %w", what, id, err)
}

// isUniqueViolation reports a duplicate key (SQLSTATE 23505).
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// violates reports whether err is a violation of the named constraint or
// unique index.
func violates(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.ConstraintName == constraint
}

// isForeignKeyViolation reports a missing referenced row (SQLSTATE 23503).
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}
