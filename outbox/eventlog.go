package outbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"
)

// logPage is how many event log rows one query reads.
const logPage = 500

// EventLog reads the services' retained outbox rows, the event log that
// `mallbots replay from-log` re-delivers from. Rows stay there after the relay has
// sent them for the event log retention (MALLBOTS_EVENT_LOG_RETENTION),
// which the relay's prune enforces.
type EventLog struct {
	pool *pgxpool.Pool
}

// NewEventLog returns the event log stored through pool.
func NewEventLog(pool *pgxpool.Pool) *EventLog { return &EventLog{pool: pool} }

// LogQuery selects the events of one topic from its producer's event log.
type LogQuery struct {
	// Topic is the event name; the service before its dot produced it and
	// keeps it in its outbox ("stores.ProductAdded": stores.watermill_outbox).
	Topic string
	// Since and Until bound when the event was committed, inclusive; a zero
	// value is unbounded.
	Since, Until time.Time
	// Limit caps the events read, oldest first; 0 is no cap.
	Limit int
}

// LoggedEvent is one event of the log, as the relay publishes it.
type LoggedEvent struct {
	ID         string
	Topic      string
	CreatedAt  time.Time
	Publishing amqp.Publishing
}

func (q LogQuery) table() (string, error) {
	service, _, ok := strings.Cut(q.Topic, ".")
	if !ok || service == "" {
		return "", fmt.Errorf("topic %q names no producing service (want <service>.<Event>)", q.Topic)
	}
	return outboxTable(service), nil
}

// logWhere filters the log by a LogQuery: the forwarder envelope's
// destination topic (the row's own metadata column belongs to the envelope
// and is empty) and the commit time. created_at is a UTC timestamp without
// zone.
const logWhere = `payload->>'destination_topic' = $1
	AND ($2::timestamptz IS NULL OR created_at >= ($2::timestamptz AT TIME ZONE 'UTC'))
	AND ($3::timestamptz IS NULL OR created_at <= ($3::timestamptz AT TIME ZONE 'UTC'))`

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Count returns how many events q selects (at most q.Limit).
func (l *EventLog) Count(ctx context.Context, q LogQuery) (int, error) {
	table, err := q.table()
	if err != nil {
		return 0, err
	}
	var n int
	err = l.pool.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE "+logWhere, q.Topic, optionalTime(q.Since), optionalTime(q.Until)).Scan(&n)
	if err != nil {
		return 0, logError(q, err)
	}
	if q.Limit > 0 && n > q.Limit {
		n = q.Limit
	}
	return n, nil
}

// Each calls fn with every event q selects, in commit order (transaction,
// then position in it: the order the relay published them), and returns
// how many rows it skipped because they were not forwarder envelopes. An
// error from fn stops it and is returned.
func (l *EventLog) Each(ctx context.Context, q LogQuery, fn func(LoggedEvent) error) (skipped int, err error) {
	table, err := q.table()
	if err != nil {
		return 0, err
	}
	lastTx, lastOffset, read := "0", int64(0), 0
	for {
		page := logPage
		if q.Limit > 0 {
			page = min(page, q.Limit-read)
		}
		if page == 0 {
			return skipped, nil
		}
		rows, err := l.pool.Query(ctx, `SELECT "offset", transaction_id::text AS transaction_id_text, payload::text, created_at FROM `+table+`
			WHERE `+logWhere+` AND (transaction_id, "offset") > ($4::xid8, $5)
			ORDER BY transaction_id, "offset" LIMIT $6`,
			q.Topic, optionalTime(q.Since), optionalTime(q.Until), lastTx, lastOffset, page)
		if err != nil {
			return skipped, logError(q, err)
		}
		type row struct {
			offset    int64
			txID      string
			payload   string
			createdAt time.Time
		}
		batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var o row
			return o, r.Scan(&o.offset, &o.txID, &o.payload, &o.createdAt)
		})
		if err != nil {
			return skipped, logError(q, err)
		}
		for _, r := range batch {
			read++
			lastTx, lastOffset = r.txID, r.offset
			topic, pub, err := envelopePublishing([]byte(r.payload))
			if err != nil {
				skipped++
				continue
			}
			if err := fn(LoggedEvent{ID: pub.MessageId, Topic: topic, CreatedAt: r.createdAt.UTC(), Publishing: pub}); err != nil {
				return skipped, err
			}
		}
		if len(batch) < page {
			return skipped, nil
		}
	}
}

func logError(q LogQuery, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "3F000") { // undefined table, schema
		table, _ := q.table()
		return fmt.Errorf("no event log for topic %s: %s does not exist (is the producing service's name right?)", q.Topic, table)
	}
	return fmt.Errorf("read the event log of %s: %w", q.Topic, err)
}
