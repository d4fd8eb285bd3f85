package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
)

// TestRelayHorizonIgnoresOtherDatabases holds a transaction open (with a
// transaction ID) in another database on the same server: the relay still
// moves the events committed after it. A transaction open in the relay's own
// database does hold them back until it ends, as the ordering rule requires.
func TestRelayHorizonIgnoresOtherDatabases(t *testing.T) {
	t.Parallel()
	db, svc := testkit.ServiceSchema(t)
	topic := svc + ".ThingHappened"
	relay := outbox.NewRelay(svc, db.Pool, testkit.Broker(t),
		broker.Plan([]broker.Service{{Name: svc, Publishes: []string{topic}}}, 20, nil),
		nil, relayConfig(100), nil, testkit.Logger(t))
	ctx := context.Background()
	ch := testkit.Channel(t)
	q := testkit.Listen(t, ch, topic)

	other, _ := testkit.Database(t)
	elsewhere, err := other.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer elsewhere.Rollback(ctx)
	if _, err := elsewhere.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil {
		t.Fatal(err)
	}
	testkit.Commit(t, db, svc, testkit.Thing{Topic: topic, Seq: 1})
	testkit.Eventually(t, 10*time.Second, "the event is relayed past another database's open transaction", func() bool {
		n, err := relay.RelayBatch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n == 1
	})

	here, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := here.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil {
		t.Fatal(err)
	}
	testkit.Commit(t, db, svc, testkit.Thing{Topic: topic, Seq: 2})
	if n, err := relay.RelayBatch(ctx); err != nil || n != 0 {
		t.Fatalf("relayed %d (%v) while an older transaction of its own database is open, want 0", n, err)
	}
	if err := here.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "the event is relayed once the older transaction ended", func() bool {
		n, err := relay.RelayBatch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n == 1
	})
	assertSequence(t, testkit.Drain(t, ch, q), 1, 2)
}
