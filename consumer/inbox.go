package consumer

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// recordInbox records that handler processed message id, inside tx. It
// returns false when the row already exists: a duplicate delivery, whose
// effects were committed with that row and must not happen again. A
// concurrent delivery of the same message blocks on the primary key until the
// first transaction ends, then sees the row.
func recordInbox(ctx context.Context, tx pgx.Tx, service, handler, id string) (bool, error) {
	tag, err := tx.Exec(ctx, "INSERT INTO "+pgx.Identifier{service, "inbox"}.Sanitize()+
		" (handler, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", handler, id)
	if err != nil {
		return false, fmt.Errorf("record message %s in the %s inbox: %w", id, service, err)
	}
	return tag.RowsAffected() == 1, nil
}
