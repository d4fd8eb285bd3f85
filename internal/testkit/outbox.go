package testkit

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
)

// The helpers below are the database side of the messaging packages' tests:
// a service schema of its own per test, events written through its outbox,
// and the relay's progress.

// ServiceSchema returns a fresh migrated database holding the schema of a
// new, uniquely named service (outbox, offsets and inbox tables).
func ServiceSchema(t testing.TB) (*postgres.DB, string) {
	t.Helper()
	db, _ := Database(t)
	svc := Name("svc")
	Exec(t, db, "SELECT mallbots_create_service_schema($1)", svc)
	return db, svc
}

// Exec runs sql, failing the test on an error.
func Exec(t testing.TB, db *postgres.DB, sql string, args ...any) {
	t.Helper()
	if _, err := db.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// Count runs sql, which selects one integer, and returns it.
func Count(t testing.TB, db *postgres.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// Table is the quoted name of service's table name.
func Table(service, name string) string { return pgx.Identifier{service, name}.Sanitize() }

// Thing is the messaging tests' event. Its name is a field, so every test
// publishes to topics of its own (EventName is a method: the field is not on
// the wire).
type Thing struct {
	Topic string `json:"-"`
	// Seq is a sequence number assigned inside the committing transaction.
	Seq int64 `json:"seq"`
	// XID is the committing transaction's ID, Idx the event's place in it.
	XID  uint64 `json:"xid,omitempty"`
	Idx  int    `json:"idx,omitempty"`
	Note string `json:"note,omitempty"`
}

// EventName is the Thing's topic.
func (e Thing) EventName() string { return e.Topic }

// Things turns evs into events for Outbox.Publish.
func Things(evs ...Thing) []events.Event {
	out := make([]events.Event, len(evs))
	for i, e := range evs {
		out[i] = e
	}
	return out
}

// DecodeThing decodes a delivered Thing.
func DecodeThing(t testing.TB, d amqp.Delivery) Thing {
	t.Helper()
	var e Thing
	if err := json.Unmarshal(d.Body, &e); err != nil {
		t.Fatalf("decode delivered body %q: %v", d.Body, err)
	}
	return e
}

// Commit publishes evs through the outbox of service in one transaction.
func Commit(t testing.TB, db *postgres.DB, service string, evs ...Thing) {
	t.Helper()
	out := outbox.New(service, nil)
	err := db.Transact(context.Background(), func(ctx context.Context, tx pgx.Tx) error {
		return out.Publish(ctx, tx, Things(evs...)...)
	})
	if err != nil {
		t.Fatalf("commit events: %v", err)
	}
}

// AwaitRelayable waits until the relay can see n outbox rows of service. It
// relays only rows of transactions older than every transaction still in
// flight anywhere on the server (watermill-sql's rule, which keeps commit
// order), so a row committed a moment ago may not be relayable yet while
// other tests' transactions run.
func AwaitRelayable(t testing.TB, db *postgres.DB, service string, n int) {
	t.Helper()
	Eventually(t, 60*time.Second, fmt.Sprintf("%d outbox rows of %s are relayable", n, service), func() bool {
		return Count(t, db, "SELECT count(*) FROM "+Table(service, "watermill_outbox")+
			" WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())") == n
	})
}

// RelayedAll reports whether the relay's offset covers every outbox row of
// service.
func RelayedAll(t testing.TB, db *postgres.DB, service string) bool {
	t.Helper()
	var pending int
	err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM `+Table(service, "watermill_outbox")+` o
		WHERE NOT EXISTS (SELECT 1 FROM `+Table(service, "watermill_outbox_offsets")+` f
			WHERE f.consumer_group = $1
			  AND (o.transaction_id < f.last_processed_transaction_id
			       OR (o.transaction_id = f.last_processed_transaction_id AND o."offset" <= f.offset_acked)))`,
		outbox.RelayGroup).Scan(&pending)
	if err != nil {
		t.Fatalf("count pending outbox rows: %v", err)
	}
	return pending == 0
}

// RunRelay runs r until the returned stop is called (or the test ends); stop
// waits for Run to return, after which the relay publishes nothing more.
func RunRelay(t testing.TB, r *outbox.Relay) (stop func()) {
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
