package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/consumer"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
)

// benchTopic is the wire name of benchEvent for the service under test. It is
// set by newService before anything publishes or consumes (benchmarks run one
// at a time), because an event's name is a method of its zero value.
var benchTopic = "bench.BenchEvent"

// benchEvent is the event the benchmarks publish: about the size of a real
// one (StoreCreated), with a sequence number and the writer that committed it
// so that losses, duplicates and reordering can be counted.
type benchEvent struct {
	Seq      int64  `json:"seq"`
	Writer   int    `json:"writer"`
	StoreID  string `json:"storeId"`
	Name     string `json:"name"`
	Location string `json:"location"`
	Version  int64  `json:"version"`
}

func (benchEvent) EventName() string { return benchTopic }

// Validate checks what a real StoreCreated checks, so the consumer
// benchmarks pay for the validation every real handler does.
func (e benchEvent) Validate() error {
	return events.StoreCreated{StoreID: e.StoreID, Name: e.Name, Location: e.Location, Version: e.Version}.Validate()
}

func newEvent(seq int64, writer int) benchEvent {
	return benchEvent{
		Seq:      seq,
		Writer:   writer,
		StoreID:  fmt.Sprintf("%08x-0000-7000-8000-%012x", seq, seq),
		Name:     "Benchmark Books & Coffee",
		Location: "Level 2, north wing",
		Version:  1,
	}
}

func ident(parts ...string) string { return pgx.Identifier(parts).Sanitize() }

// benchEnv is one benchmark's infrastructure: a fresh migrated database and a
// broker connection, with the application's default settings.
type benchEnv struct {
	db     *postgres.DB
	conn   *wamqp.ConnectionWrapper
	cfg    config.Config
	logger *slog.Logger
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	db, _ := testkit.Database(b)
	conn := testkit.Broker(b)
	return &benchEnv{db: db, conn: conn, cfg: config.Default(), logger: testkit.Logger(b)}
}

// channel opens a plain amqp091 channel on the shared connection, closed
// when the benchmark ends.
func (e *benchEnv) channel(b *testing.B) *amqp.Channel {
	b.Helper()
	ch, err := e.conn.Connection().Channel()
	if err != nil {
		b.Fatalf("open channel: %v", err)
	}
	b.Cleanup(func() { _ = ch.Close() })
	return ch
}

// deleteLater deletes exchanges and queues when the benchmark ends.
func (e *benchEnv) deleteLater(b *testing.B, exchanges, queues []string) {
	b.Cleanup(func() {
		ch, err := e.conn.Connection().Channel()
		if err != nil {
			b.Logf("cleanup: open channel: %v", err)
			return
		}
		defer ch.Close()
		for _, q := range queues {
			if _, err := ch.QueueDelete(q, false, false, false); err != nil {
				b.Logf("cleanup: delete queue %s: %v", q, err)
				if ch, err = e.conn.Connection().Channel(); err != nil {
					return
				}
			}
		}
		for _, x := range exchanges {
			if err := ch.ExchangeDelete(x, false, false); err != nil {
				b.Logf("cleanup: delete exchange %s: %v", x, err)
				if ch, err = e.conn.Connection().Channel(); err != nil {
					return
				}
			}
		}
	})
}

// declareRaw declares a durable fanout exchange bound to a durable quorum
// queue, both called name, deleted when the benchmark ends.
func (e *benchEnv) declareRaw(b *testing.B, name string) {
	b.Helper()
	ch := e.channel(b)
	if err := ch.ExchangeDeclare(name, "fanout", true, false, false, false, nil); err != nil {
		b.Fatalf("declare exchange %s: %v", name, err)
	}
	if _, err := ch.QueueDeclare(name, true, false, false, false, amqp.Table{"x-queue-type": "quorum"}); err != nil {
		b.Fatalf("declare queue %s: %v", name, err)
	}
	if err := ch.QueueBind(name, "", name, false, nil); err != nil {
		b.Fatalf("bind queue %s: %v", name, err)
	}
	e.deleteLater(b, []string{name}, []string{name})
}

// benchService is a service under test: its schema (outbox, offsets, inbox,
// plus an effect table for the handler), one topic it publishes, one handler
// consuming it, and the topology of both, declared.
type benchService struct {
	name     string
	topic    string
	handler  consumer.Handler
	topology broker.Topology
	queue    string // the handler's queue
	poison   string // the service's poison queue
	outbox   *outbox.Outbox
}

func (e *benchEnv) newService(b *testing.B, handle func(context.Context, benchEvent) error) *benchService {
	b.Helper()
	ctx := context.Background()
	name := testkit.Name("bench")
	if _, err := e.db.Pool.Exec(ctx, "SELECT mallbots_create_service_schema($1)", name); err != nil {
		b.Fatalf("create service schema: %v", err)
	}
	if _, err := e.db.Pool.Exec(ctx, "CREATE TABLE "+ident(name, "bench_effect")+
		" (seq BIGINT NOT NULL, handled_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())"); err != nil {
		b.Fatalf("create effect table: %v", err)
	}
	benchTopic = name + ".BenchEvent"
	if handle == nil {
		handle = func(context.Context, benchEvent) error { return nil }
	}
	h := consumer.On[benchEvent](name, handle)
	topo := broker.Plan([]broker.Service{{Name: name, Publishes: []string{benchTopic}, Consumes: consumer.Subscriptions(h)}},
		e.cfg.Broker.DeliveryLimit, nil)
	ch := e.channel(b)
	if err := topo.Declare(ch); err != nil {
		b.Fatalf("declare topology: %v", err)
	}
	var exchanges, queues []string
	for _, x := range topo.Exchanges {
		exchanges = append(exchanges, x.Name)
	}
	for _, q := range topo.Queues {
		queues = append(queues, q.Name)
	}
	e.deleteLater(b, exchanges, queues)
	return &benchService{
		name: name, topic: benchTopic, handler: h, topology: topo,
		queue: h.Name, poison: broker.PoisonName(name),
		outbox: outbox.New(name, nil),
	}
}

// newRelay returns the service's relay with the default settings.
func (e *benchEnv) newRelay(s *benchService, reg prometheus.Registerer) *outbox.Relay {
	return outbox.NewRelay(s.name, e.db.Pool, e.conn, s.topology, nil, outbox.RelayConfig{
		BatchSize:    e.cfg.Relay.BatchSize,
		PollInterval: e.cfg.Relay.PollInterval,
		Retention:    e.cfg.Relay.Retention,
	}, reg, e.logger)
}

// queueDepth returns the number of ready messages in queue.
func queueDepth(ch *amqp.Channel, queue string) (int, error) {
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		return 0, err
	}
	return q.Messages, nil
}

// waitDepth polls queue until it holds n messages and returns when that was
// seen. It fails on a timeout and on more than n messages (duplicates).
func (e *benchEnv) waitDepth(b *testing.B, queue string, n int, timeout time.Duration) time.Time {
	b.Helper()
	ch := e.channel(b)
	deadline := time.Now().Add(timeout)
	for {
		depth, err := queueDepth(ch, queue)
		if err != nil {
			b.Fatalf("inspect queue %s: %v", queue, err)
		}
		now := time.Now()
		if depth > n {
			b.Fatalf("queue %s holds %d messages, %d were sent: %d duplicated", queue, depth, n, depth-n)
		}
		if depth == n {
			return now
		}
		if now.After(deadline) {
			b.Fatalf("queue %s holds %d of %d messages after %s: %d lost; %s", queue, depth, n, timeout, n-depth, e.horizonBlockers())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// horizonBlockers describes the transactions, in any database of the
// cluster, that hold a transaction ID: the oldest of them is the snapshot
// xmin below which the outbox readers (Relay and watermill-sql alike) see
// rows, so a long one stalls every relay of the cluster.
func (e *benchEnv) horizonBlockers() string {
	rows, err := e.db.Pool.Query(context.Background(), `SELECT pid, coalesce(datname, ''), coalesce(application_name, ''), state,
			extract(epoch FROM now() - xact_start)::float8, left(query, 120)
		FROM pg_stat_activity
		WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
		ORDER BY age(backend_xid) DESC LIMIT 3`)
	if err != nil {
		return "cannot list transactions: " + err.Error()
	}
	type tx struct {
		pid               int
		db, app, state, q string
		age               float64
	}
	txs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tx, error) {
		var t tx
		return t, r.Scan(&t.pid, &t.db, &t.app, &t.state, &t.age, &t.q)
	})
	if err != nil {
		return "cannot list transactions: " + err.Error()
	}
	if len(txs) == 0 {
		return "no transaction holds an xid now"
	}
	out := "oldest transactions holding an xid (outbox rows of later transactions stay invisible until they end):"
	for _, t := range txs {
		out += fmt.Sprintf(" [pid %d, database %s, application %q, %s for %.1f s: %s]", t.pid, t.db, t.app, t.state, t.age, t.q)
	}
	return out
}

// purge empties queue.
func (e *benchEnv) purge(b *testing.B, queue string) {
	b.Helper()
	if _, err := e.channel(b).QueuePurge(queue, false); err != nil {
		b.Fatalf("purge %s: %v", queue, err)
	}
}

// expectDepth checks, after a short settling time, that queue holds exactly n.
func (e *benchEnv) expectDepth(b *testing.B, queue string, n int) {
	b.Helper()
	time.Sleep(200 * time.Millisecond)
	depth, err := queueDepth(e.channel(b), queue)
	if err != nil {
		b.Fatalf("inspect queue %s: %v", queue, err)
	}
	if depth != n {
		b.Fatalf("queue %s holds %d messages, want %d", queue, depth, n)
	}
}

// commitOutbox commits n events through the service's outbox, perTx events
// per transaction, from w concurrent writers (db.Transact + Outbox.Publish,
// as a use case does). Event seq numbers are 0..n-1, in commit order per
// writer. It returns the wall time from the first begin to the last commit.
func (e *benchEnv) commitOutbox(ctx context.Context, s *benchService, n, perTx, w int) (time.Duration, error) {
	txs := (n + perTx - 1) / perTx
	var next atomic.Int64
	errs := make(chan error, w)
	var wg sync.WaitGroup
	start := time.Now()
	for writer := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := make([]events.Event, 0, perTx)
			for {
				t := int(next.Add(1) - 1)
				if t >= txs {
					return
				}
				evs = evs[:0]
				for seq := t * perTx; seq < min(n, (t+1)*perTx); seq++ {
					evs = append(evs, newEvent(int64(seq), writer))
				}
				err := e.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
					return s.outbox.Publish(ctx, tx, evs...)
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d: commit tx %d: %w", writer, t, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	return took, <-errs
}

// outboxRows counts the rows of the service's outbox.
func (e *benchEnv) outboxRows(b *testing.B, s *benchService) int {
	b.Helper()
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+ident(s.name, "watermill_outbox")).Scan(&n); err != nil {
		b.Fatalf("count outbox rows: %v", err)
	}
	return n
}

// drainAndVerify consumes exactly n messages from queue and checks that they
// are the events 0..n-1, each once, in commit order per writer; then it
// checks that nothing more arrives.
func (e *benchEnv) drainAndVerify(b *testing.B, queue string, n int) {
	b.Helper()
	ch, err := e.conn.Connection().Channel()
	if err != nil {
		b.Fatalf("open channel: %v", err)
	}
	defer ch.Close()
	if err := ch.Qos(2000, 0, false); err != nil {
		b.Fatalf("qos: %v", err)
	}
	deliveries, err := ch.Consume(queue, "", false, false, false, false, nil)
	if err != nil {
		b.Fatalf("consume %s: %v", queue, err)
	}
	seen := make([]bool, n)
	lastOfWriter := map[int]int64{}
	ids := make(map[string]bool, n)
	var dups, foreign, reordered int
	for got := 0; got < n; got++ {
		var d amqp.Delivery
		select {
		case d = <-deliveries:
		case <-time.After(10 * time.Second):
			b.Fatalf("queue %s: only %d of %d messages arrived: %d lost", queue, got, n, n-got)
		}
		if (got+1)%500 == 0 || got == n-1 {
			if err := d.Ack(true); err != nil {
				b.Fatalf("ack: %v", err)
			}
		}
		var ev benchEvent
		if err := json.Unmarshal(d.Body, &ev); err != nil || ev.Seq < 0 || ev.Seq >= int64(n) {
			foreign++
			continue
		}
		if seen[ev.Seq] || ids[d.MessageId] {
			dups++
			continue
		}
		seen[ev.Seq] = true
		ids[d.MessageId] = true
		if last, ok := lastOfWriter[ev.Writer]; ok && ev.Seq < last {
			reordered++
		}
		lastOfWriter[ev.Writer] = ev.Seq
	}
	select {
	case d := <-deliveries:
		_ = d.Ack(false)
		dups++
	case <-time.After(300 * time.Millisecond):
	}
	missing := 0
	for _, ok := range seen {
		if !ok {
			missing++
		}
	}
	if dups+foreign+missing+reordered > 0 {
		b.Fatalf("queue %s: %d duplicated, %d missing, %d not ours, %d out of commit order per writer", queue, dups, missing, foreign, reordered)
	}
}
