package status

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mallbots/mallbots/outbox"
)

// backlog is one service's outbox at one sample.
type backlog struct {
	err error
	// position is the relay's offset: the (transaction_id, offset) of the
	// last row it confirmed.
	position string
	rows     int64
	oldest   *time.Time
	age      float64 // seconds
}

// backlogSQL reads a service's relay offset and the rows past it, by the
// relay's own rule (outbox.Relay.RelayBatch): rows after (last processed
// transaction, offset acked) in (transaction_id, offset) order, which the
// primary key serves. A service whose relay never ran has no offset row and
// everything waits. Rows behind the outbox horizon (committed after a
// transaction that is still open) count: they are waiting all the same.
// created_at is a UTC timestamp without zone; the age is taken on the
// database's clock, so the caller's clock does not matter.
const backlogSQL = `SELECT p.acked::text || '@' || p.tx::text, b.n, b.oldest,
		COALESCE(EXTRACT(EPOCH FROM (clock_timestamp() AT TIME ZONE 'UTC') - b.oldest)::float8, 0)
	FROM (SELECT COALESCE((SELECT offset_acked FROM %[2]s WHERE consumer_group = $1), 0) AS acked,
	             COALESCE((SELECT last_processed_transaction_id FROM %[2]s WHERE consumer_group = $1), '0'::xid8) AS tx) p
	CROSS JOIN LATERAL (SELECT count(*) AS n, min(o.created_at) AS oldest FROM %[1]s o
		WHERE (o.transaction_id, o."offset") > (p.tx, p.acked)) b`

// readBacklog reads service's outbox backlog through pool.
func readBacklog(ctx context.Context, pool *pgxpool.Pool, service string) backlog {
	var b backlog
	sql := fmt.Sprintf(backlogSQL, pgx.Identifier{service, "watermill_outbox"}.Sanitize(), pgx.Identifier{service, "watermill_outbox_offsets"}.Sanitize())
	if err := pool.QueryRow(ctx, sql, outbox.RelayGroup).Scan(&b.position, &b.rows, &b.oldest, &b.age); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
			err = fmt.Errorf("no outbox tables in schema %q (has `mallbots migrate` run on this database?)", service)
		}
		return backlog{err: err}
	}
	if b.oldest != nil {
		t := b.oldest.UTC()
		b.oldest = &t
	}
	return b
}
