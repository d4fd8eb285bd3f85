package messaging_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/messaging"
	"github.com/mallbots/mallbots/postgres"
)

// thing is the test event. Its name is a field, so every test publishes to
// topics of its own (EventName is a method: the field is not on the wire).
type thing struct {
	topic string
	// Seq is a sequence number assigned inside the committing transaction.
	Seq int64 `json:"seq"`
	// XID is the committing transaction's ID, Idx the event's place in it.
	XID  uint64 `json:"xid,omitempty"`
	Idx  int    `json:"idx,omitempty"`
	Note string `json:"note,omitempty"`
}

func (e thing) EventName() string { return e.topic }

// newService returns a fresh migrated database holding the schema of a new,
// uniquely named service.
func newService(t *testing.T) (*postgres.DB, string) {
	t.Helper()
	db, _ := testkit.Database(t)
	svc := testkit.Name("svc")
	exec(t, db, "SELECT mallbots_create_service_schema($1)", svc)
	return db, svc
}

func exec(t *testing.T, db *postgres.DB, sql string, args ...any) {
	t.Helper()
	if _, err := db.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func count(t *testing.T, db *postgres.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func table(svc, name string) string { return pgx.Identifier{svc, name}.Sanitize() }

// commit publishes evs through the outbox of svc in one transaction.
func commit(t *testing.T, db *postgres.DB, svc string, evs ...thing) {
	t.Helper()
	out := messaging.NewOutbox(svc)
	err := db.Transact(context.Background(), func(ctx context.Context, tx pgx.Tx) error {
		return out.Publish(ctx, tx, asEvents(evs)...)
	})
	if err != nil {
		t.Fatalf("commit events: %v", err)
	}
}

func asEvents(evs []thing) []events.Event {
	out := make([]events.Event, len(evs))
	for i, e := range evs {
		out[i] = e
	}
	return out
}

// rabbit opens a direct RabbitMQ connection (not through any proxy) for the
// test's own declares, gets and inspections.
func rabbit(t *testing.T) *amqp.Channel {
	t.Helper()
	testkit.Require(t, "RabbitMQ", testkit.AMQPURL)
	conn, err := amqp.Dial(testkit.AMQPURL)
	if err != nil {
		t.Fatalf("dial RabbitMQ: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("open channel: %v", err)
	}
	return ch
}

// removeAtEnd deletes exchanges and queues when the test ends, on a
// connection of its own, so durable leftovers do not pile up on the broker.
// Register it before anything that uses them: cleanups run last-in first-out.
func removeAtEnd(t *testing.T, exchanges, queues []string) {
	t.Helper()
	t.Cleanup(func() {
		conn, err := amqp.Dial(testkit.AMQPURL)
		if err != nil {
			t.Logf("cleanup: dial RabbitMQ: %v", err)
			return
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			t.Logf("cleanup: open channel: %v", err)
			return
		}
		for _, q := range queues {
			if _, err := ch.QueueDelete(q, false, false, false); err != nil {
				t.Logf("cleanup: delete queue %s: %v", q, err)
			}
		}
		for _, e := range exchanges {
			if err := ch.ExchangeDelete(e, false, false); err != nil {
				t.Logf("cleanup: delete exchange %s: %v", e, err)
			}
		}
	})
}

// removeTopologyAtEnd deletes every exchange and queue of top when the test ends.
func removeTopologyAtEnd(t *testing.T, top messaging.Topology) {
	t.Helper()
	var exchanges, queues []string
	for _, e := range top.Exchanges {
		exchanges = append(exchanges, e.Name)
	}
	for _, q := range top.Queues {
		queues = append(queues, q.Name)
	}
	removeAtEnd(t, exchanges, queues)
}

// listen declares topic's fanout exchange and binds a fresh queue to it, as a
// consumer would; both are deleted when the test ends.
func listen(t *testing.T, ch *amqp.Channel, topic string) string {
	t.Helper()
	q := testkit.Name("q")
	removeAtEnd(t, []string{topic}, []string{q})
	if err := ch.ExchangeDeclare(topic, "fanout", true, false, false, false, nil); err != nil {
		t.Fatalf("declare exchange %s: %v", topic, err)
	}
	if _, err := ch.QueueDeclare(q, false, false, false, false, nil); err != nil {
		t.Fatalf("declare queue %s: %v", q, err)
	}
	if err := ch.QueueBind(q, "", topic, false, nil); err != nil {
		t.Fatalf("bind %s to %s: %v", q, topic, err)
	}
	return q
}

// drain takes every message now in q, in queue order.
func drain(t *testing.T, ch *amqp.Channel, q string) []amqp.Delivery {
	t.Helper()
	var out []amqp.Delivery
	for {
		d, ok, err := ch.Get(q, true)
		if err != nil {
			t.Fatalf("get from %s: %v", q, err)
		}
		if !ok {
			return out
		}
		out = append(out, d)
	}
}

// inspect returns q's ready message count and its consumer count.
func inspect(t *testing.T, ch *amqp.Channel, q string) (messages, consumers int) {
	t.Helper()
	info, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("inspect queue %s: %v", q, err)
	}
	return info.Messages, info.Consumers
}

// relayedAll reports whether the relay's offset covers every outbox row of svc.
func relayedAll(t *testing.T, db *postgres.DB, svc string) bool {
	t.Helper()
	var pending int
	err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table(svc, "watermill_outbox")+` o
		WHERE NOT EXISTS (SELECT 1 FROM `+table(svc, "watermill_outbox_offsets")+` f
			WHERE f.consumer_group = $1
			  AND (o.transaction_id < f.last_processed_transaction_id
			       OR (o.transaction_id = f.last_processed_transaction_id AND o."offset" <= f.offset_acked)))`,
		messaging.RelayGroup).Scan(&pending)
	if err != nil {
		t.Fatalf("count pending outbox rows: %v", err)
	}
	return pending == 0
}

// awaitRelayable waits until the relay can see n outbox rows of svc. It
// relays only rows of transactions older than every transaction still in
// flight anywhere on the server (watermill-sql's rule, which keeps commit
// order), so a row committed a moment ago may not be relayable yet while
// other tests' transactions run.
func awaitRelayable(t *testing.T, db *postgres.DB, svc string, n int) {
	t.Helper()
	testkit.Eventually(t, 60*time.Second, fmt.Sprintf("%d outbox rows of %s are relayable", n, svc), func() bool {
		return count(t, db, "SELECT count(*) FROM "+table(svc, "watermill_outbox")+
			" WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())") == n
	})
}

// runRelay runs r until the returned stop is called (or the test ends); stop
// waits for Run to return, after which the relay publishes nothing more.
func runRelay(t *testing.T, r interface{ Run(context.Context) error }) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("relay Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func decodeThing(t *testing.T, d amqp.Delivery) thing {
	t.Helper()
	var e thing
	if err := json.Unmarshal(d.Body, &e); err != nil {
		t.Fatalf("decode delivered body %q: %v", d.Body, err)
	}
	return e
}

// counter is a slog handler that counts records by message, at any level,
// and forwards those its handler is enabled for.
type counter struct {
	slog.Handler
	counts *sync.Map // message → *atomic.Int64
}

func newCountingLogger(t *testing.T) (*slog.Logger, func(msg string) int64) {
	c := counter{Handler: testkit.Logger(t).Handler(), counts: &sync.Map{}}
	get := func(msg string) int64 {
		v, _ := c.counts.LoadOrStore(msg, new(atomic.Int64))
		return v.(*atomic.Int64).Load()
	}
	return slog.New(c), get
}

// Enabled lets every record through to be counted, whatever level the test
// log shows.
func (c counter) Enabled(context.Context, slog.Level) bool { return true }

func (c counter) Handle(ctx context.Context, r slog.Record) error {
	v, _ := c.counts.LoadOrStore(r.Message, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	if !c.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return c.Handler.Handle(ctx, r)
}

func (c counter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return counter{Handler: c.Handler.WithAttrs(attrs), counts: c.counts}
}

func (c counter) WithGroup(name string) slog.Handler {
	return counter{Handler: c.Handler.WithGroup(name), counts: c.counts}
}

// runRouter declares top, builds the consumer router of svc with handlers
// and runs it until the test ends.
func runRouter(t *testing.T, deps messaging.RouterDeps, top messaging.Topology) {
	t.Helper()
	ch := rabbit(t)
	if err := top.Declare(ch); err != nil {
		t.Fatalf("declare topology: %v", err)
	}
	router, err := messaging.NewRouter(deps)
	if err != nil {
		t.Fatalf("new router: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- router.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		_ = router.Close()
		if err := <-done; err != nil {
			t.Errorf("router Run: %v", err)
		}
	})
	select {
	case <-router.Running():
	case err := <-done:
		t.Fatalf("router stopped before running: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("router not running within 30s")
	}
}

// connect dials RabbitMQ through messaging.Dial at amqpURL.
func connect(t *testing.T, amqpURL string) *wamqp.ConnectionWrapper {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := messaging.Dial(ctx, amqpURL, config.Default().Broker.ReconnectMaxBackoff, testkit.Logger(t))
	if err != nil {
		t.Fatalf("dial %s: %v", amqpURL, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// managementURL is the RabbitMQ management API next to testkit.AMQPURL.
func managementURL(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(testkit.AMQPURL)
	if err != nil {
		t.Fatalf("parse AMQP URL: %v", err)
	}
	return fmt.Sprintf("http://%s:15672", u.Hostname())
}

// management GETs path from the management API into out and returns the status.
func management(t *testing.T, path string, out any) int {
	t.Helper()
	u, _ := url.Parse(testkit.AMQPURL)
	pass, _ := u.User.Password()
	req, err := http.NewRequest(http.MethodGet, managementURL(t)+"/api"+path, nil)
	if err != nil {
		t.Fatalf("request %s: %v", path, err)
	}
	req.SetBasicAuth(u.User.Username(), pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("decode %s: %v", path, err)
		}
	}
	return resp.StatusCode
}
