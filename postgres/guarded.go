package postgres

import (
	"context"
	"fmt"

	"github.com/mallbots/mallbots/domain"
)

// guardedUpdate is a consumer's update of one existing row guarded by a
// version or rank, such as
//
//	UPDATE baskets.products_cache SET name = $2, name_version = $3
//	WHERE id = $1 AND name_version < $3
//
// (the row's key is always $1). It runs inside the transaction in ctx (or
// on its own) and reports whether the row changed: false for a stale or
// duplicate event. When the row does not exist, because the event overtook
// the one that creates it, the error wraps domain.ErrNotFound worded by
// missing (a format taking the key), so the consumer retries.
//
// The update and the existence check are one statement and so see one
// snapshot. Run one after the other, a row committed between them would make
// the event look stale: acknowledged, and its change lost.
func (db *DB) guardedUpdate(ctx context.Context, table, key, update, missing string, args ...any) (bool, error) {
	var changed, exists bool
	err := db.conn(ctx).QueryRow(ctx, `WITH changed AS (`+update+` RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM changed), EXISTS (SELECT 1 FROM `+table+` WHERE `+key+` = $1)`, args...).
		Scan(&changed, &exists)
	switch {
	case err != nil:
		return false, fmt.Errorf("update %s in %s: %w", args[0], table, err)
	case !exists:
		return false, fmt.Errorf("%w: "+missing, domain.ErrNotFound, args[0])
	}
	return changed, nil
}

// upsert runs one idempotent cache write (an INSERT … ON CONFLICT guarded by
// versions) in the transaction in ctx, or on its own; what says what it was
// doing, for the error.
func (db *DB) upsert(ctx context.Context, what, sql string, args ...any) error {
	if _, err := db.conn(ctx).Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
