package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

type txKey struct{}

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
	if err := fn(context.WithValue(ctx, txKey{}, tx), tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// TxFrom returns the transaction Transact put into ctx.
func TxFrom(ctx context.Context) (pgx.Tx, bool) {
	tx, ok := ctx.Value(txKey{}).(pgx.Tx)
	return tx, ok
}
