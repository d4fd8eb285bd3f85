package messaging

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
// `replay --from-log` re-delivers from. Rows stay there after the relay has
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

// LogReplay configures ReplayLog.
type LogReplay struct {
	Query LogQuery
	// Handler is the handler whose queue receives the events.
	Handler string
	Audit   *Audit
	Actor   string
	// Selection describes the selection for the audit trail.
	Selection string
	// Rate caps the events sent per second; 0 is no cap.
	Rate float64
	// Progress, when set, is called as confirms come in, with how many of
	// total events are re-delivered so far.
	Progress func(done, total int)
}

// LogReplayed is what ReplayLog did.
type LogReplayed struct {
	RunID string
	// Total is how many events were selected when the run started.
	Total       int
	Redelivered int
	// Skipped counts rows that were not forwarder envelopes.
	Skipped     int
	First, Last string
}

// ReplayLog re-delivers the events r.Query selects from the event log to
// the queue of r.Handler alone, through the default exchange, in commit
// order, each exactly as the relay published it (same UUID, payload and
// headers) plus replay_count and replayed_at. Publishes are confirmed in
// windows; a window is confirmed before the next begins, so an interrupt
// (ctx ending) leaves a known prefix re-delivered. Re-delivering twice is
// harmless: the handler's inbox drops events it has processed (delete its
// inbox rows along with its read model to rebuild the model).
func ReplayLog(ctx context.Context, conn *amqp.Connection, log *EventLog, r LogReplay) (LogReplayed, error) {
	res := LogReplayed{}
	total, err := log.Count(ctx, r.Query)
	if err != nil {
		return res, err
	}
	res.Total = total
	if _, err := queueLength(conn, r.Handler); err != nil {
		return res, err
	}
	run := Run{Actor: r.Actor, Action: ActionFromLog, Selection: r.Selection, Target: r.Handler, Selected: total}
	if err := r.Audit.Begin(ctx, &run); err != nil {
		return res, err
	}
	res.RunID = run.ID

	ch, err := conn.Channel()
	if err != nil {
		return res, fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	window := 100
	if r.Rate > 0 {
		// About one confirmed window per second keeps the progress moving.
		window = max(1, min(window, int(r.Rate)))
	}
	if err := ch.Confirm(false); err != nil {
		return res, fmt.Errorf("enable publisher confirms: %w", err)
	}
	returns := ch.NotifyReturn(make(chan amqp.Return, window+1))

	var pending []*amqp.DeferredConfirmation
	// flush waits for the window's confirms on a context detached from
	// ctx: what was published is confirmed even when interrupted.
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replayTimeout)
		defer cancel()
		for _, dc := range pending {
			acked, err := dc.WaitContext(wctx)
			if err != nil {
				return fmt.Errorf("wait for the broker's confirm: %w", err)
			}
			if !acked {
				return fmt.Errorf("the broker refused a publish to queue %s", r.Handler)
			}
		}
		select {
		case ret := <-returns:
			return fmt.Errorf("queue %s does not exist on the broker (event %s returned: %s)", r.Handler, ret.MessageId, ret.ReplyText)
		default:
		}
		res.Redelivered += len(pending)
		pending = pending[:0]
		if r.Progress != nil {
			r.Progress(res.Redelivered, total)
		}
		return nil
	}
	pace := newPacer(r.Rate)
	// The run re-delivers the events counted at its start, not those
	// committed while it runs.
	q := r.Query
	q.Limit = total
	if total == 0 {
		return res, r.Audit.Finish(ctx, run.ID, 0, 0, "ok: no events selected")
	}
	if r.Progress != nil {
		r.Progress(0, total)
	}
	skipped, err := log.Each(ctx, q, func(ev LoggedEvent) error {
		if err := pace.wait(ctx); err != nil {
			return err
		}
		pub := ev.Publishing
		count, _ := pub.Headers[ReplayCountKey].(string)
		n, _ := strconv.Atoi(count)
		pub.Headers[ReplayCountKey] = strconv.Itoa(n + 1)
		pub.Headers[ReplayedAtKey] = time.Now().UTC().Format(time.RFC3339Nano)
		dc, err := ch.PublishWithDeferredConfirmWithContext(context.WithoutCancel(ctx), "", r.Handler, true, false, pub)
		if err != nil {
			return fmt.Errorf("publish event %s to queue %s: %w", ev.ID, r.Handler, err)
		}
		pending = append(pending, dc)
		if res.First == "" {
			res.First = ev.ID
		}
		res.Last = ev.ID
		if len(pending) == window {
			return flush()
		}
		return nil
	})
	res.Skipped = skipped
	if ferr := flush(); err == nil {
		err = ferr
	}
	result := fmt.Sprintf("ok: re-delivered %d events", res.Redelivered)
	if res.Redelivered > 0 {
		result += fmt.Sprintf(", first %s, last %s", res.First, res.Last)
	}
	if skipped > 0 {
		result += fmt.Sprintf("; skipped %d rows that are not forwarder envelopes", skipped)
	}
	failed := 0
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted after re-delivering %d of %d events: %w", res.Redelivered, total, err)
		}
		result = err.Error()
		failed = max(0, total-res.Redelivered-skipped)
	}
	if ferr := r.Audit.Finish(ctx, run.ID, res.Redelivered, failed, result); err == nil {
		err = ferr
	}
	return res, err
}
