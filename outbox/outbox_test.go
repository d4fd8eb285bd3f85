package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
)

func relayConfig(batch int) outbox.RelayConfig {
	return outbox.RelayConfig{BatchSize: batch, PollInterval: 20 * time.Millisecond, Retention: 7 * 24 * time.Hour}
}

// TestOutboxCommitsOrVanishesWithTheTransaction: an event published in a
// transaction that fails is neither stored nor relayed; a committed one is
// stored as a forwarder envelope and reaches a bound queue with the full
// mallbots envelope (headers, persistence, content type).
func TestOutboxCommitsOrVanishesWithTheTransaction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		failTx bool
	}{
		{name: "rolled back", failTx: true},
		{name: "committed", failTx: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, svc := testkit.ServiceSchema(t)
			topic := svc + ".ThingHappened"
			ch := testkit.Channel(t)
			q := testkit.Listen(t, ch, topic)
			relay := outbox.NewRelay(svc, db.Pool, testkit.Broker(t),
				broker.Plan([]broker.Service{{Name: svc, Publishes: []string{topic}}}, 20, nil),
				nil, relayConfig(100), nil, testkit.Logger(t))
			out := outbox.New(svc, nil)

			corr, cause := correlation.NewID(), correlation.NewID()
			ctx := correlation.With(context.Background(), correlation.IDs{CorrelationID: corr, CausationID: cause})
			ev := testkit.Thing{Topic: topic, Seq: 1, Note: "the one"}
			boom := errors.New("use case failed after publishing")
			err := db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
				if err := out.Publish(ctx, tx, ev); err != nil {
					return err
				}
				if tt.failTx {
					return boom
				}
				return nil
			})

			if tt.failTx {
				if !errors.Is(err, boom) {
					t.Fatalf("Transact error = %v, want %v", err, boom)
				}
				if n := testkit.Count(t, db, "SELECT count(*) FROM "+testkit.Table(svc, "watermill_outbox")); n != 0 {
					t.Fatalf("outbox rows after rollback = %d, want 0", n)
				}
				if n, err := relay.RelayBatch(context.Background()); err != nil || n != 0 {
					t.Fatalf("RelayBatch after rollback = %d, %v; want 0, nil", n, err)
				}
				// A committed marker proves the queue and relay work, so
				// the rolled-back event's absence means something.
				testkit.Commit(t, db, svc, testkit.Thing{Topic: topic, Seq: 2, Note: "marker"})
				testkit.AwaitRelayable(t, db, svc, 1)
				if n, err := relay.RelayBatch(context.Background()); err != nil || n != 1 {
					t.Fatalf("RelayBatch of the marker = %d, %v; want 1, nil", n, err)
				}
				got := testkit.Drain(t, ch, q)
				if len(got) != 1 || testkit.DecodeThing(t, got[0]).Note != "marker" {
					t.Fatalf("queue holds %d messages (%v), want only the marker", len(got), got)
				}
				return
			}

			if err != nil {
				t.Fatalf("Transact: %v", err)
			}
			var rowUUID, payload string
			if err := db.Pool.QueryRow(context.Background(), "SELECT uuid, payload::text FROM "+testkit.Table(svc, "watermill_outbox")).Scan(&rowUUID, &payload); err != nil {
				t.Fatalf("read the outbox row: %v", err)
			}
			var env struct {
				DestinationTopic string            `json:"destination_topic"`
				UUID             string            `json:"uuid"`
				Payload          []byte            `json:"payload"`
				Metadata         map[string]string `json:"metadata"`
			}
			if err := json.Unmarshal([]byte(payload), &env); err != nil {
				t.Fatalf("outbox payload is not a forwarder envelope: %v (%s)", err, payload)
			}
			if env.DestinationTopic != topic {
				t.Errorf("envelope destination_topic = %q, want %q", env.DestinationTopic, topic)
			}
			if id, err := uuid.Parse(env.UUID); err != nil || id.Version() != 7 {
				t.Errorf("envelope uuid %q is not a UUIDv7 (%v)", env.UUID, err)
			}
			wantBody, _ := json.Marshal(ev)
			if string(env.Payload) != string(wantBody) {
				t.Errorf("envelope payload = %s, want %s", env.Payload, wantBody)
			}

			testkit.AwaitRelayable(t, db, svc, 1)
			if n, err := relay.RelayBatch(context.Background()); err != nil || n != 1 {
				t.Fatalf("RelayBatch = %d, %v; want 1, nil", n, err)
			}
			got := testkit.Drain(t, ch, q)
			if len(got) != 1 {
				t.Fatalf("queue holds %d messages, want 1", len(got))
			}
			d := got[0]
			if string(d.Body) != string(wantBody) {
				t.Errorf("body = %s, want %s", d.Body, wantBody)
			}
			if d.DeliveryMode != amqp.Persistent {
				t.Errorf("delivery mode = %d, want persistent", d.DeliveryMode)
			}
			if d.ContentType != "application/json" {
				t.Errorf("content type = %q, want application/json", d.ContentType)
			}
			if d.MessageId != env.UUID {
				t.Errorf("MessageId property = %q, want the message UUID %q", d.MessageId, env.UUID)
			}
			want := map[string]string{
				broker.MessageIDKey:     env.UUID,
				broker.NameKey:          topic,
				broker.CorrelationIDKey: corr,
				broker.CausationIDKey:   cause,
				broker.ProducerKey:      svc,
			}
			for k, v := range want {
				if got, _ := d.Headers[k].(string); got != v {
					t.Errorf("header %s = %#v, want %q", k, d.Headers[k], v)
				}
			}
			occurred, _ := d.Headers[broker.OccurredAtKey].(string)
			if _, err := time.Parse(time.RFC3339Nano, occurred); err != nil {
				t.Errorf("header occurred_at = %#v is not RFC 3339: %v", d.Headers[broker.OccurredAtKey], err)
			}
		})
	}
}

// TestRelayDeliversWhatWasCommittedWhileTheBrokerWasDown: events committed
// while nothing can relay them (the broker is down, so no relay runs yet)
// all arrive once a relay starts, in commit order, exactly once.
func TestRelayDeliversWhatWasCommittedWhileTheBrokerWasDown(t *testing.T) {
	t.Parallel()
	db, svc := testkit.ServiceSchema(t)
	topic := svc + ".ThingHappened"
	const n = 60
	for i := 1; i <= n; i++ {
		testkit.Commit(t, db, svc, testkit.Thing{Topic: topic, Seq: int64(i)})
	}

	ch := testkit.Channel(t)
	q := testkit.Listen(t, ch, topic)
	relay := outbox.NewRelay(svc, db.Pool, testkit.Broker(t),
		broker.Plan([]broker.Service{{Name: svc, Publishes: []string{topic}}}, 20, nil),
		nil, relayConfig(25), nil, testkit.Logger(t))
	stop := testkit.RunRelay(t, relay)
	testkit.Eventually(t, 60*time.Second, "relay moved every committed row", func() bool { return testkit.RelayedAll(t, db, svc) })
	stop()

	assertSequence(t, testkit.Drain(t, ch, q), 1, n)
}

// assertSequence checks that got holds the events numbered first..last,
// each once, in order.
func assertSequence(t *testing.T, got []amqp.Delivery, first, last int64) {
	t.Helper()
	if want := int(last - first + 1); len(got) != want {
		t.Errorf("received %d messages, want %d", len(got), want)
	}
	seen := map[string]bool{}
	for i, d := range got {
		if seen[d.MessageId] {
			t.Errorf("message %s received twice", d.MessageId)
		}
		seen[d.MessageId] = true
		if e := testkit.DecodeThing(t, d); e.Seq != first+int64(i) {
			t.Fatalf("message %d has seq %d, want %d (out of order or missing)", i, e.Seq, first+int64(i))
		}
	}
}

// TestRelayRidesOutABrokerOutage cuts the relay's connection to RabbitMQ
// with a TCP proxy (the broker itself keeps serving the other tests), commits
// events meanwhile, checks the relay tried and sent nothing, restores the
// path and checks that everything arrives, in order, exactly once.
func TestRelayRidesOutABrokerOutage(t *testing.T) {
	t.Parallel()
	db, svc := testkit.ServiceSchema(t)
	topic := svc + ".ThingHappened"
	ch := testkit.Channel(t)
	q := testkit.Listen(t, ch, topic)

	p := testkit.NewProxy(t, brokerAddr(t))
	conn := testkit.BrokerAt(t, p.URL(t, testkit.AMQPURL))
	logger, logged := testkit.CountingLogger(t)
	relay := outbox.NewRelay(svc, db.Pool, conn,
		broker.Plan([]broker.Service{{Name: svc, Publishes: []string{topic}}}, 20, nil),
		nil, relayConfig(100), nil, logger)
	stop := testkit.RunRelay(t, relay)

	for i := int64(1); i <= 5; i++ {
		testkit.Commit(t, db, svc, testkit.Thing{Topic: topic, Seq: i})
	}
	testkit.Eventually(t, 60*time.Second, "relay moved the events committed before the outage", func() bool { return testkit.RelayedAll(t, db, svc) })
	assertSequence(t, testkit.Drain(t, ch, q), 1, 5)

	p.Cut()
	for i := int64(6); i <= 25; i++ {
		testkit.Commit(t, db, svc, testkit.Thing{Topic: topic, Seq: i})
	}
	// The relay touches the broker only when it has read rows, so a failure
	// means it had rows to send; two failures logged after the commits mean
	// at least one whole attempt began after them.
	failures := logged("relay outbox")
	testkit.Eventually(t, 60*time.Second, "relay tried and failed while the broker was unreachable", func() bool {
		return logged("relay outbox") >= failures+2
	})
	if msgs, _ := testkit.Inspect(t, ch, q); msgs != 0 {
		t.Fatalf("%d messages arrived while the broker was unreachable", msgs)
	}
	if testkit.RelayedAll(t, db, svc) {
		t.Fatal("relay recorded rows as relayed while the broker was unreachable")
	}

	p.Restore()
	testkit.Eventually(t, 60*time.Second, "relay moved the events committed during the outage", func() bool { return testkit.RelayedAll(t, db, svc) })
	stop()
	assertSequence(t, testkit.Drain(t, ch, q), 6, 25)
}

func brokerAddr(t *testing.T) string {
	t.Helper()
	testkit.Require(t, "RabbitMQ", testkit.AMQPURL)
	u, err := url.Parse(testkit.AMQPURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// TestTwoRelaysOfOneServiceDeliverEachEventOnceInOrder runs two relays of the
// same service at once while concurrent transactions commit about 2,000
// events: every event arrives exactly once, and in the relay's order, which
// is transaction-ID order (watermill-sql's rule).
//
// Sequenced transactions take an advisory lock before their first write, so
// their transaction IDs, their commits and their sequence numbers all follow
// the same order: the received sequence must be 1..N, strictly increasing.
// Unsequenced transactions run alongside, without the lock, so rows of
// transactions still in flight interleave with committed ones (what the
// relay's snapshot-xmin rule exists for); all events must arrive ordered by
// (transaction ID, place in transaction).
func TestTwoRelaysOfOneServiceDeliverEachEventOnceInOrder(t *testing.T) {
	t.Parallel()
	db, svc := testkit.ServiceSchema(t)
	topic := svc + ".ThingHappened"
	testkit.Exec(t, db, "CREATE TABLE "+testkit.Table(svc, "counter")+" (id int PRIMARY KEY, n bigint NOT NULL)")
	testkit.Exec(t, db, "INSERT INTO "+testkit.Table(svc, "counter")+" VALUES (1, 0)")

	ch := testkit.Channel(t)
	q := testkit.Listen(t, ch, topic)
	conn := testkit.Broker(t)
	top := broker.Plan([]broker.Service{{Name: svc, Publishes: []string{topic}}}, 20, nil)
	// One process, one bell: both relays listen on it.
	bell := outbox.NewBell()
	var stops []func()
	for range 2 {
		r := outbox.NewRelay(svc, db.Pool, conn, top, bell, outbox.RelayConfig{
			BatchSize: 100, PollInterval: 50 * time.Millisecond, Retention: time.Hour,
		}, nil, testkit.Logger(t))
		stops = append(stops, testkit.RunRelay(t, r))
	}

	out := outbox.New(svc, bell)
	rng := rand.New(rand.NewPCG(1, 2))
	const sequencedTxs, noiseTxs = 200, 40
	sizes := make([]int, sequencedTxs)
	var sequenced int64
	for i := range sizes {
		sizes[i] = 1 + rng.IntN(20)
		sequenced += int64(sizes[i])
	}
	noiseSizes := make([]int, noiseTxs)
	var noise int64
	for i := range noiseSizes {
		noiseSizes[i] = 1 + rng.IntN(5)
		noise += int64(noiseSizes[i])
	}

	xid := func(ctx context.Context, tx pgx.Tx) (uint64, error) {
		var s string
		if err := tx.QueryRow(ctx, "SELECT pg_current_xact_id()::text").Scan(&s); err != nil {
			return 0, err
		}
		return strconv.ParseUint(s, 10, 64)
	}
	sequencedTx := func(ctx context.Context, size int) error {
		return db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
			// The advisory lock takes no transaction ID; the counter
			// update below takes one only once the lock is held.
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", svc+".seq"); err != nil {
				return err
			}
			var last int64
			if err := tx.QueryRow(ctx, "UPDATE "+testkit.Table(svc, "counter")+" SET n = n + $1 WHERE id = 1 RETURNING n", size).Scan(&last); err != nil {
				return err
			}
			id, err := xid(ctx, tx)
			if err != nil {
				return err
			}
			evs := make([]testkit.Thing, size)
			for i := range evs {
				evs[i] = testkit.Thing{Topic: topic, Seq: last - int64(size) + int64(i) + 1, XID: id, Idx: i}
			}
			return out.Publish(ctx, tx, testkit.Things(evs...)...)
		})
	}
	noiseTx := func(ctx context.Context, size int) error {
		return db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
			id, err := xid(ctx, tx)
			if err != nil {
				return err
			}
			// Hold the transaction open a little while others commit.
			if _, err := tx.Exec(ctx, "SELECT pg_sleep(0.002)"); err != nil {
				return err
			}
			evs := make([]testkit.Thing, size)
			for i := range evs {
				evs[i] = testkit.Thing{Topic: topic, XID: id, Idx: i}
			}
			return out.Publish(ctx, tx, testkit.Things(evs...)...)
		})
	}

	ctx := context.Background()
	work := make(chan func() error)
	errs := make(chan error, sequencedTxs+noiseTxs)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for w := range work {
				if err := w(); err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range sequencedTxs {
		work <- func() error { return sequencedTx(ctx, sizes[i]) }
		if i%5 == 0 && i/5 < noiseTxs {
			size := noiseSizes[i/5]
			work <- func() error { return noiseTx(ctx, size) }
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("commit: %v", err)
	}
	if n := testkit.Count(t, db, "SELECT count(*) FROM "+testkit.Table(svc, "watermill_outbox")); int64(n) != sequenced+noise {
		t.Fatalf("outbox holds %d rows, want %d", n, sequenced+noise)
	}

	testkit.Eventually(t, 60*time.Second, "relays moved every committed row", func() bool { return testkit.RelayedAll(t, db, svc) })
	// Stopping both relays (Run returns after its batch in flight) makes the
	// queue's content final: any duplicate would be in it now.
	for _, stop := range stops {
		stop()
	}
	got := testkit.Drain(t, ch, q)
	if int64(len(got)) != sequenced+noise {
		t.Errorf("received %d messages, want %d", len(got), sequenced+noise)
	}
	seen := map[string]bool{}
	var lastSeq int64
	var lastXID uint64
	lastIdx := -1
	for i, d := range got {
		if seen[d.MessageId] {
			t.Fatalf("message %s received twice", d.MessageId)
		}
		seen[d.MessageId] = true
		e := testkit.DecodeThing(t, d)
		if e.XID < lastXID || (e.XID == lastXID && e.Idx <= lastIdx) {
			t.Fatalf("message %d (xid %d, #%d) after xid %d #%d: not in transaction order", i, e.XID, e.Idx, lastXID, lastIdx)
		}
		lastXID, lastIdx = e.XID, e.Idx
		if e.Seq == 0 {
			continue
		}
		if e.Seq != lastSeq+1 {
			t.Fatalf("message %d has seq %d after %d: not in commit order", i, e.Seq, lastSeq)
		}
		lastSeq = e.Seq
	}
	if lastSeq != sequenced {
		t.Errorf("last sequence number received = %d, want %d", lastSeq, sequenced)
	}
}
