package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/idempotency"
)

// IdempotencyKeys stores the HTTP edge's idempotency keys
// (httpapi.IdempotencyStore) in public.mallbots_idempotency_keys and prunes
// those older than its retention, at most once a minute.
type IdempotencyKeys struct {
	db        *DB
	retention time.Duration

	mu         sync.Mutex
	lastPruned time.Time
}

// NewIdempotencyKeys returns the key store; keys are kept for retention.
func NewIdempotencyKeys(db *DB, retention time.Duration) *IdempotencyKeys {
	return &IdempotencyKeys{db: db, retention: retention}
}

// Run implements httpapi.IdempotencyStore. The claim is a row locked by the
// transaction: a request holding the key's row blocks a concurrent one with
// the same key at its INSERT until it commits (the second then reads the
// stored response) or rolls back (the second then claims the key itself).
func (k *IdempotencyKeys) Run(ctx context.Context, scope, key, requestHash string,
	fn func(ctx context.Context, claim idempotency.Claim) (*idempotency.Response, error),
) error {
	k.prune(ctx)
	return k.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO public.mallbots_idempotency_keys (scope, key, request_hash, status, content_type, body)
			VALUES ($1, $2, $3, 0, '', '') ON CONFLICT (scope, key) DO NOTHING`,
			scope, key, requestHash)
		if err != nil {
			return fmt.Errorf("claim idempotency key: %w", err)
		}
		if tag.RowsAffected() == 0 {
			var claim idempotency.Claim
			stored := idempotency.Response{}
			err := tx.QueryRow(ctx, `
				SELECT request_hash, status, content_type, body FROM public.mallbots_idempotency_keys
				WHERE scope = $1 AND key = $2`, scope, key).
				Scan(&claim.RequestHash, &stored.Status, &stored.ContentType, &stored.Body)
			if err != nil {
				return fmt.Errorf("read idempotency key: %w", err)
			}
			claim.Stored = &stored
			_, err = fn(ctx, claim)
			return err
		}
		resp, err := fn(ctx, idempotency.Claim{})
		if err != nil {
			return err
		}
		if resp == nil {
			return errors.New("idempotency: no response to keep")
		}
		_, err = tx.Exec(ctx, `
			UPDATE public.mallbots_idempotency_keys SET status = $3, content_type = $4, body = $5
			WHERE scope = $1 AND key = $2`,
			scope, key, resp.Status, resp.ContentType, resp.Body)
		if err != nil {
			return fmt.Errorf("keep response of idempotency key: %w", err)
		}
		return nil
	})
}

// prune deletes keys older than the retention, at most once a minute per
// process; a failure is left to the next attempt. It runs before Run begins
// the request's transaction, so the DELETE commits on its own.
func (k *IdempotencyKeys) prune(ctx context.Context) {
	k.mu.Lock()
	due := time.Since(k.lastPruned) > time.Minute
	if due {
		k.lastPruned = time.Now()
	}
	k.mu.Unlock()
	if !due {
		return
	}
	_, _ = k.db.conn(ctx).Exec(ctx, "DELETE FROM public.mallbots_idempotency_keys WHERE created_at < now() - $1::interval",
		k.retention.String())
}
