package outbox

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// prune enforces the event log retention: it deletes rows older than the
// retention that the relay has already moved, and inbox rows as old (the
// service's inbox is pruned here, by the process that runs the service, on
// the same clock: a duplicate delivery is not expected that late, and
// `replay from-log` cannot reach back further).
func (r *Relay) prune(ctx context.Context) error {
	retention := fmt.Sprintf("%d seconds", int64(r.cfg.Retention.Seconds()))
	tag, err := r.pool.Exec(ctx, `DELETE FROM `+outboxTable(r.service)+` o
		USING `+offsetsTable(r.service)+` off
		WHERE off.consumer_group = $1
		  AND o.created_at < LOCALTIMESTAMP - $2::interval
		  AND (o.transaction_id < off.last_processed_transaction_id
		       OR (o.transaction_id = off.last_processed_transaction_id AND o."offset" <= off.offset_acked))`,
		RelayGroup, retention)
	if err != nil {
		return fmt.Errorf("prune outbox: %w", err)
	}
	inbox, err := r.pool.Exec(ctx, "DELETE FROM "+pgx.Identifier{r.service, "inbox"}.Sanitize()+" WHERE processed_at < now() - $1::interval", retention)
	if err != nil {
		return fmt.Errorf("prune inbox: %w", err)
	}
	if tag.RowsAffected()+inbox.RowsAffected() > 0 {
		r.logger.Info("pruned event log", "outbox_rows", tag.RowsAffected(), "inbox_rows", inbox.RowsAffected(), "retention", r.cfg.Retention.String())
	}
	return nil
}
