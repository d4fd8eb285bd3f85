package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

type txKey struct{}

// hooksKey holds the *commitHooks of the outermost transaction in a context.
type hooksKey struct{}

// commitHooks are the functions to call once the outermost transaction has
// committed.
type commitHooks struct{ fns []func() }

// afterCommit arranges for fn to run once the outermost transaction in ctx
// has committed, and never if it rolls back; with no transaction in ctx it
// runs fn at once.
func afterCommit(ctx context.Context, fn func()) {
	if hooks, ok := ctx.Value(hooksKey{}).(*commitHooks); ok {
		hooks.fns = append(hooks.fns, fn)
		return
	}
	fn()
}

// Transact runs fn in one transaction and commits when fn returns nil; any
// error (or panic) rolls it back. The transaction travels in the context fn
// receives, so repositories, the inbox and the outbox called inside fn join
// it instead of opening their own: a consumer's inbox row, its effects and the
// events it publishes commit or vanish together. A nested Transact joins the
// outer transaction and leaves the commit to it.
func (db *DB) Transact(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) (err error) {
	if tx, ok := TxFrom(ctx); ok {
		return fn(ctx, tx)
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			if rbErr := tx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
				err = errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
			}
		}
	}()
	hooks := &commitHooks{}
	if err := fn(context.WithValue(context.WithValue(ctx, txKey{}, tx), hooksKey{}, hooks), tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, h := range hooks.fns {
		h()
	}
	return nil
}

// TxFrom returns the transaction Transact put into ctx.
func TxFrom(ctx context.Context) (pgx.Tx, bool) {
	tx, ok := ctx.Value(txKey{}).(pgx.Tx)
	return tx, ok
}

// querier is what one statement runs on; pgx.Tx and the pool both are one.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// conn returns what a repository statement runs on: the transaction in ctx
// when there is one, and the pool otherwise. Every statement outside a
// Transact callback goes through it, reads and writes alike (a test keeps
// the pool out of the repositories), so inside a consumer or an
// idempotent request a statement sees the work's own writes, commits or
// vanishes with it, and never asks the pool for a second connection while
// the work holds one: with every connection held by work waiting for
// another, the pool would deadlock. Outside a transaction a statement
// commits on its own, which is all that one statement needs; work of more
// than one statement runs in Transact.
func (db *DB) conn(ctx context.Context) querier {
	if tx, ok := TxFrom(ctx); ok {
		return tx
	}
	return db.Pool
}
