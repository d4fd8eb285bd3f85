package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
)

// batchTimeout bounds one relay batch, read to offset commit.
const batchTimeout = 30 * time.Second

// RelayGroup is the watermill-sql consumer group under which the relay keeps
// its position in a service's outbox offsets table.
const RelayGroup = "relay"

// Relay moves one service's committed outbox rows to RabbitMQ.
//
// It replaces Watermill's forwarder.Forwarder, which publishes one message and
// waits for its confirm before the next (≈1,200 msg/s here), with a batched
// relay over the very same watermill-sql tables and forwarder envelopes: it
// reads up to BatchSize rows in commit order, publishes them all on one
// confirm-mode channel, waits for every confirm, and only then advances the
// offset, in one transaction. Rows are read with watermill-sql's own rule
// (transaction_id below the snapshot's xmin), so a row never overtakes an
// earlier transaction still in flight, and the order of the outbox is the
// order on the broker.
//
// Several processes may run the relay of one service: a transaction-scoped
// advisory lock lets one of them work a batch at a time; the others skip and
// are woken again by the next notification. A crash between the confirms and
// the offset commit re-sends the batch: at-least-once, which the consumers'
// inbox absorbs.
type Relay struct {
	service  string
	pool     *pgxpool.Pool
	conn     *wamqp.ConnectionWrapper
	topology broker.Topology
	bell     *Bell
	cfg      RelayConfig
	logger   *slog.Logger
	metrics  *relayMetrics

	wake     chan struct{}
	ch       *amqp.Channel
	returns  chan amqp.Return
	declared map[string]bool
	started  bool
	// lockBusy records that the last batch found another process holding
	// the service's relay lock.
	lockBusy bool
	// behindHorizon records that the last batch left committed rows behind
	// the outbox horizon; stuckSince, since when no row has moved past it.
	behindHorizon bool
	stuckSince    time.Time
}

// RelayConfig tunes a Relay.
type RelayConfig struct {
	// BatchSize is the most rows relayed per transaction.
	BatchSize int
	// PollInterval is the fallback wake-up when no notification arrives.
	PollInterval time.Duration
	// Retention is how long relayed rows stay as the event log.
	Retention time.Duration
	// MaxBackoff is the longest wait before a failed batch is tried again
	// (the broker's reconnect bound, so the relay resumes as soon as the
	// connection does); 0 means 5 s.
	MaxBackoff time.Duration
}

// NewRelay returns the relay of service, which declares what topology
// plans when the broker returns a publish it should have routed, and wakes
// when bell rings for service (nil: at its poll interval only); Run starts
// it.
func NewRelay(service string, pool *pgxpool.Pool, conn *wamqp.ConnectionWrapper, topology broker.Topology, bell *Bell,
	cfg RelayConfig, reg prometheus.Registerer, logger *slog.Logger) *Relay {
	return &Relay{
		service:  service,
		pool:     pool,
		conn:     conn,
		topology: topology,
		bell:     bell,
		cfg:      cfg,
		logger:   logger.With("service", service, "component", "relay"),
		metrics:  newRelayMetrics(reg),
		wake:     make(chan struct{}, 1),
	}
}

func (r *Relay) maxBackoff() time.Duration {
	if r.cfg.MaxBackoff <= 0 {
		return 5 * time.Second
	}
	return r.cfg.MaxBackoff
}

// Wake asks the relay to look for new rows now. It never blocks.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends, then finishes the batch in flight and returns.
// Errors are logged and retried with backoff; Run returns nil on shutdown.
func (r *Relay) Run(ctx context.Context) error {
	defer r.closeChannel()
	defer r.bell.listen(r)()
	poll := time.NewTicker(r.cfg.PollInterval)
	defer poll.Stop()
	prune := time.NewTicker(time.Minute)
	defer prune.Stop()
	backoff := 100 * time.Millisecond
	r.Wake()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-poll.C:
		case <-prune.C:
			if err := r.prune(ctx); err != nil && ctx.Err() == nil {
				r.logger.Warn("prune event log", "error", err)
			}
			continue
		}
		if err := r.drain(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.logger.Error("relay outbox", "error", err, "retry_in", backoff.String())
			r.closeChannel()
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, r.maxBackoff())
			r.Wake()
			continue
		}
		backoff = 100 * time.Millisecond
		switch {
		case r.lockBusy:
			// Another process is relaying this service's rows, maybe not
			// the ones this process just rang for: look again shortly.
			time.AfterFunc(lockRetry, r.Wake)
		case r.behindHorizon:
			time.AfterFunc(horizonRetry, r.Wake)
		}
	}
}

// lockRetry is how soon a relay that found the relay lock taken looks again;
// horizonRetry, one that left committed rows behind the horizon.
// A relay whose rows have been stuck behind the cheap, cluster-wide horizon
// for stuckAfter uses the exact one of its own database.
const (
	lockRetry    = 20 * time.Millisecond
	horizonRetry = 2 * time.Millisecond
	stuckAfter   = 100 * time.Millisecond
)

// drain relays batches until a batch comes back short.
func (r *Relay) drain(ctx context.Context) error {
	for {
		// The batch runs on a context that survives shutdown, so a batch
		// whose messages are out is confirmed and recorded, not re-sent; but
		// a bounded one, so a broker that blocks publishing (a memory alarm)
		// cannot hold shutdown forever. A batch cut short is sent again.
		batchCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
		n, err := r.RelayBatch(batchCtx)
		cancel()
		if err != nil {
			return err
		}
		if n < r.cfg.BatchSize || ctx.Err() != nil {
			return nil
		}
	}
}

type outboxRow struct {
	offset    int64
	txID      string
	payload   []byte
	createdAt time.Time
}

// RelayBatch relays one batch and returns how many rows it moved; 0 when
// another process holds the service's relay lock or nothing is pending.
func (r *Relay) RelayBatch(ctx context.Context) (int, error) {
	start := time.Now()
	if !r.started {
		// The zero offset is committed on its own: written inside the batch
		// transaction it would give that transaction an ID, and
		// the outbox horizon would then hide every row committed after it.
		if _, err := r.pool.Exec(ctx, "INSERT INTO "+offsetsTable(r.service)+" (consumer_group, offset_acked, last_processed_transaction_id) VALUES ($1, 0, '0') ON CONFLICT DO NOTHING", RelayGroup); err != nil {
			return 0, fmt.Errorf("initialise relay offset: %w", err)
		}
		r.started = true
	}
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit

	// The lock takes no transaction ID, unlike SELECT … FOR UPDATE: while the
	// batch is on the wire this transaction does not hold back the
	// outbox horizon that every outbox reader waits on.
	var locked bool
	if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock(hashtext($1))", "mallbots.relay."+r.service).Scan(&locked); err != nil {
		return 0, fmt.Errorf("take relay lock: %w", err)
	}
	r.lockBusy, r.behindHorizon = !locked, false
	if !locked {
		return 0, nil
	}
	var offsetAcked int64
	var lastTx string
	err = tx.QueryRow(ctx, "SELECT offset_acked, last_processed_transaction_id::text FROM "+offsetsTable(r.service)+" WHERE consumer_group = $1", RelayGroup).Scan(&offsetAcked, &lastTx)
	if err != nil {
		return 0, fmt.Errorf("read relay offset: %w", err)
	}

	// The horizon is Watermill's ordering rule, pg_snapshot_xmin: rows of
	// transactions older than every transaction still running. It is
	// cluster-wide, so a transaction left open in another database would
	// stall this relay; once rows have waited behind it for longer than
	// stuckAfter, the relay switches to mallbots_outbox_horizon
	// (migrations/0015), the same rule narrowed to this database's
	// transactions, which is exact but costs a scan of the server's backends.
	// The text column is renamed so that ORDER BY sorts by the xid8 column,
	// not by its text ("100000" < "99999"), and the row comparison lets the
	// primary key start at the offset instead of filtering the event log.
	horizon := "pg_snapshot_xmin(pg_current_snapshot())"
	if !r.stuckSince.IsZero() && time.Since(r.stuckSince) > stuckAfter {
		horizon = "(SELECT mallbots_outbox_horizon())"
	}
	rows, err := tx.Query(ctx, `SELECT "offset", transaction_id::text AS transaction_id_text, payload::text, created_at FROM `+outboxTable(r.service)+`
		WHERE (transaction_id, "offset") > ($1::xid8, $2)
		  AND transaction_id < `+horizon+`
		ORDER BY transaction_id, "offset"
		LIMIT $3`, lastTx, offsetAcked, r.cfg.BatchSize)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	batch, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (outboxRow, error) {
		var o outboxRow
		var payload string
		err := row.Scan(&o.offset, &o.txID, &payload, &o.createdAt)
		o.payload = []byte(payload)
		return o, err
	})
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	if len(batch) < r.cfg.BatchSize {
		// A short read may have stopped at the horizon: committed rows
		// behind a transaction still open. That transaction may never ring
		// this relay (it need not write to this outbox), so note it and
		// look again shortly instead of waiting for the poll. The newest
		// row decides, read backwards along the primary key.
		if err := tx.QueryRow(ctx, `SELECT COALESCE((SELECT transaction_id >= `+horizon+`
			FROM `+outboxTable(r.service)+` ORDER BY transaction_id DESC LIMIT 1), false)`).Scan(&r.behindHorizon); err != nil {
			return 0, fmt.Errorf("look past the outbox horizon: %w", err)
		}
	}
	switch {
	case !r.behindHorizon || len(batch) > 0:
		r.stuckSince = time.Time{}
	case r.stuckSince.IsZero():
		r.stuckSince = time.Now()
	}
	if len(batch) == 0 {
		return 0, nil
	}

	if err := r.publish(ctx, batch); err != nil {
		return 0, err
	}
	last := batch[len(batch)-1]
	if _, err := tx.Exec(ctx, "UPDATE "+offsetsTable(r.service)+" SET offset_acked = $1, last_processed_transaction_id = $2::xid8 WHERE consumer_group = $3", last.offset, last.txID, RelayGroup); err != nil {
		return 0, fmt.Errorf("advance relay offset: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("commit relay offset: %w", err)
	}
	r.metrics.observe(r.service, batch, time.Since(start))
	return len(batch), nil
}

// publish sends batch on the confirm channel, mandatory, and waits for every
// confirm. A nack, or a return from an exchange that has consumers, fails the
// whole batch (it is sent again; the inbox drops the copies).
func (r *Relay) publish(ctx context.Context, batch []outboxRow) error {
	ch, err := r.channel()
	if err != nil {
		return err
	}
	confirms := make([]*amqp.DeferredConfirmation, 0, len(batch))
	for _, row := range batch {
		topic, pub, err := envelopePublishing(row.payload)
		if err != nil {
			// A row our own publisher did not write; it stays in the event
			// log for inspection, and relaying goes on.
			r.logger.Error("skipping outbox row that is not a forwarder envelope", "offset", row.offset, "error", err)
			r.metrics.skipped.WithLabelValues(r.service).Inc()
			continue
		}
		if !r.declared[topic] {
			if err := ch.ExchangeDeclare(topic, "fanout", true, false, false, false, nil); err != nil {
				return fmt.Errorf("declare exchange %s: %w", topic, err)
			}
			r.declared[topic] = true
		}
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, topic, "", true, false, pub)
		if err != nil {
			return fmt.Errorf("publish %s: %w", topic, err)
		}
		confirms = append(confirms, dc)
	}
	for _, dc := range confirms {
		ok, err := dc.WaitContext(ctx)
		if err != nil {
			return fmt.Errorf("wait for confirm: %w", err)
		}
		if !ok {
			return errors.New("broker nacked a publish")
		}
	}
	// A basic.return precedes its message's ack on the wire and is
	// dispatched first, so every return of this batch is buffered by now.
	for {
		select {
		case ret := <-r.returns:
			if r.topology.HasConsumers(ret.Exchange) {
				r.redeclare(ch)
				return fmt.Errorf("broker returned %s message %s as unroutable (%s) although handlers consume it; topology re-declared",
					ret.Exchange, ret.MessageId, ret.ReplyText)
			}
			r.metrics.unrouted.WithLabelValues(ret.Exchange).Inc()
			r.logger.Debug("no queue consumes this event yet", "topic", ret.Exchange, "message_id", ret.MessageId)
		default:
			return nil
		}
	}
}

func (r *Relay) redeclare(ch *amqp.Channel) {
	if err := r.topology.Declare(ch); err != nil {
		r.logger.Error("re-declare topology", "error", err)
	}
}

// channel returns the relay's confirm-mode channel, opening one on the
// current connection when needed (watermill-amqp reconnects the connection).
func (r *Relay) channel() (*amqp.Channel, error) {
	if r.ch != nil && !r.ch.IsClosed() {
		return r.ch, nil
	}
	ch, returns, err := broker.ConfirmChannel(r.conn, r.cfg.BatchSize+1)
	if err != nil {
		return nil, err
	}
	r.returns = returns
	r.ch, r.declared = ch, map[string]bool{}
	return ch, nil
}

func (r *Relay) closeChannel() {
	if r.ch != nil {
		_ = r.ch.Close()
		r.ch = nil
	}
}
