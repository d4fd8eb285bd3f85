package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
)

// TestRelayPruneKeepsWhatWasNotRelayed enforces the event-log retention: it
// deletes outbox rows that are both older than the retention and relayed,
// keeps recent ones and every row not yet relayed however old, and deletes
// inbox rows older than the retention.
func TestRelayPruneKeepsWhatWasNotRelayed(t *testing.T) {
	t.Parallel()
	db, svc := testkit.ServiceSchema(t)
	topic := svc + ".ThingHappened"
	testkit.RemoveAtEnd(t, []string{topic}, nil)
	relay := outbox.NewRelay(svc, db.Pool, testkit.Broker(t),
		broker.Plan([]broker.Service{{Name: svc, Publishes: []string{topic}}}, 20, nil),
		nil, outbox.RelayConfig{BatchSize: 3, PollInterval: time.Second, Retention: 7 * 24 * time.Hour}, nil, testkit.Logger(t))

	ev := func(note string) testkit.Thing { return testkit.Thing{Topic: topic, Note: note} }
	testkit.Commit(t, db, svc, ev("recent, relayed"))
	testkit.Commit(t, db, svc, ev("old, relayed, earlier transaction"))
	testkit.Commit(t, db, svc, ev("old, relayed, last relayed transaction"), ev("old, not relayed, same transaction"))
	testkit.Commit(t, db, svc, ev("old, not relayed, later transaction"))
	testkit.AwaitRelayable(t, db, svc, 5)
	// One batch of 3 relays the first three rows and splits the third transaction.
	if n, err := relay.RelayBatch(context.Background()); err != nil || n != 3 {
		t.Fatalf("RelayBatch = %d, %v; want 3, nil", n, err)
	}
	testkit.Exec(t, db, `UPDATE `+testkit.Table(svc, "watermill_outbox")+` SET created_at = created_at - interval '30 days'
		WHERE "offset" > (SELECT min("offset") FROM `+testkit.Table(svc, "watermill_outbox")+`)`)

	testkit.Exec(t, db, "INSERT INTO "+testkit.Table(svc, "inbox")+" (handler, message_id, processed_at) VALUES ('h', 'old', now() - interval '30 days'), ('h', 'recent', now())")

	if err := relay.Prune(context.Background()); err != nil {
		t.Fatalf("Prune: %v", err)
	}

	rows, err := db.Pool.Query(context.Background(), `SELECT convert_from(decode(payload->>'payload', 'base64'), 'UTF8')::json->>'note'
		FROM `+testkit.Table(svc, "watermill_outbox")+` ORDER BY transaction_id, "offset"`)
	if err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	var kept []string
	for rows.Next() {
		var note string
		if err := rows.Scan(&note); err != nil {
			t.Fatalf("scan: %v", err)
		}
		kept = append(kept, note)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	want := []string{"recent, relayed", "old, not relayed, same transaction", "old, not relayed, later transaction"}
	if len(kept) != len(want) {
		t.Fatalf("outbox keeps %q, want %q", kept, want)
	}
	for i := range want {
		if kept[i] != want[i] {
			t.Fatalf("outbox keeps %q, want %q", kept, want)
		}
	}

	var inbox []string
	rows, err = db.Pool.Query(context.Background(), "SELECT message_id FROM "+testkit.Table(svc, "inbox")+" ORDER BY message_id")
	if err != nil {
		t.Fatalf("read inbox: %v", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatalf("scan: %v", err)
		}
		inbox = append(inbox, id)
	}
	if len(inbox) != 1 || inbox[0] != "recent" {
		t.Errorf("inbox keeps %q, want only the recent row", inbox)
	}

	// The rows kept are still relayed afterwards.
	if n, err := relay.RelayBatch(context.Background()); err != nil || n != 2 {
		t.Errorf("RelayBatch after pruning = %d, %v; want the 2 pending rows", n, err)
	}
}
