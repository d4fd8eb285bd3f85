package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain/store"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
)

// TestStoresOutboxMetadata checks, through one repository, the metadata of
// the outbox rows that the contract suites (TestStoresKeepTheContract) leave
// aside: a write outside any flow correlates to its own message; one inside
// a flow carries its correlation and causation, its name, producer and time.
func TestStoresOutboxMetadata(t *testing.T) {
	t.Parallel()
	db, _ := testkit.Database(t)
	repo := postgres.NewStores(db, outbox.New("stores", nil))
	s, err := store.New(uuid.NewString(), "Waldo", "Level 2")
	if err != nil {
		t.Fatal(err)
	}
	created := events.StoreCreated{StoreID: s.ID(), Name: s.Name(), Location: s.Location(), Version: s.Version()}
	if err := repo.Add(context.Background(), s, created); err != nil {
		t.Fatalf("Add: %v", err)
	}

	ctx := correlation.With(context.Background(), correlation.IDs{CorrelationID: "corr-1", CausationID: "cause-1"})
	before := time.Now().UTC().Add(-time.Second)
	err = repo.Update(ctx, s.ID(), func(s *store.Store) ([]events.Event, error) {
		if err := s.Rebrand("Waldo II"); err != nil {
			return nil, err
		}
		return []events.Event{events.StoreRebranded{StoreID: s.ID(), Name: s.Name(), Version: s.Version()}}, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}

	rows := readOutbox(t, db, "stores")
	if len(rows) != 2 {
		t.Fatalf("outbox holds %d rows, want 2", len(rows))
	}
	if m := rows[0]; m.Metadata[broker.CorrelationIDKey] != m.UUID || m.UUID == "" {
		t.Errorf("correlation_id %q, want the message's own UUID %q", m.Metadata[broker.CorrelationIDKey], m.UUID)
	}
	m := rows[1]
	for key, want := range map[string]string{
		broker.NameKey:          "stores.StoreRebranded",
		broker.ProducerKey:      "stores",
		broker.CorrelationIDKey: "corr-1",
		broker.CausationIDKey:   "cause-1",
	} {
		if got := m.Metadata[key]; got != want {
			t.Errorf("metadata %s = %q, want %q", key, got, want)
		}
	}
	at, err := time.Parse(time.RFC3339Nano, m.Metadata[broker.OccurredAtKey])
	if err != nil || at.Before(before) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("metadata occurred_at %q (%v), want a time of this test", m.Metadata[broker.OccurredAtKey], err)
	}
	if _, err := uuid.Parse(m.UUID); err != nil {
		t.Errorf("message UUID %q: %v", m.UUID, err)
	}
}
