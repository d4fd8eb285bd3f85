package postgres_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/store"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
)

// newStores returns the stores repository with the real outbox over a fresh
// migrated database of the test's own.
func newStores(t *testing.T) (*postgres.Stores, *postgres.DB) {
	t.Helper()
	db, _ := testkit.Database(t)
	return postgres.NewStores(db, outbox.New("stores", nil)), db
}

// outboxMessage is one row of stores.watermill_outbox unwrapped: Watermill's
// forwarder envelope and the event message inside it.
type outboxMessage struct {
	DestinationTopic string
	UUID             string
	Payload          []byte
	Metadata         map[string]string
}

// outboxRows returns the rows of stores.watermill_outbox in insertion order,
// decoding each forwarder envelope by hand: the payload column holds
// {"destination_topic", "uuid", "payload" (base64), "metadata"}.
func outboxRows(t *testing.T, db *postgres.DB) []outboxMessage {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `SELECT payload::text FROM stores.watermill_outbox ORDER BY "offset"`)
	if err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	defer rows.Close()
	var out []outboxMessage
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			t.Fatalf("scan outbox row: %v", err)
		}
		var env struct {
			DestinationTopic string            `json:"destination_topic"`
			UUID             string            `json:"uuid"`
			Payload          string            `json:"payload"`
			Metadata         map[string]string `json:"metadata"`
		}
		if err := json.Unmarshal([]byte(raw), &env); err != nil {
			t.Fatalf("outbox row is not a forwarder envelope: %v\n%s", err, raw)
		}
		payload, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			t.Fatalf("envelope payload is not base64: %v\n%s", err, raw)
		}
		out = append(out, outboxMessage{DestinationTopic: env.DestinationTopic, UUID: env.UUID, Payload: payload, Metadata: env.Metadata})
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	return out
}

// payloadAs decodes m's event payload into a T.
func payloadAs[T any](t *testing.T, m outboxMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(m.Payload, &v); err != nil {
		t.Fatalf("decode %s payload %s: %v", m.DestinationTopic, m.Payload, err)
	}
	return v
}

func mustStore(t *testing.T, name, location string) *store.Store {
	t.Helper()
	s, err := store.New(uuid.NewString(), name, location)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustProduct(t *testing.T, storeID, name string, price int64) *store.Product {
	t.Helper()
	p, err := store.NewProduct(uuid.NewString(), storeID, name, "desc", "sku-1", price)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func created(s *store.Store) events.Event {
	return events.StoreCreated{StoreID: s.ID(), Name: s.Name(), Location: s.Location(), Version: s.Version()}
}

func TestStoresAddGet(t *testing.T) {
	t.Parallel()
	repo, db := newStores(t)
	ctx := context.Background()
	s := mustStore(t, "Waldo", "Level 2")
	if err := repo.Add(ctx, s, created(s)); err != nil {
		t.Fatalf("Add: %v", err)
	}

	got, err := repo.Get(ctx, s.ID())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.ID() != s.ID() || got.Name() != "Waldo" || got.Location() != "Level 2" || got.Participating() || got.Version() != 1 {
		t.Errorf("Get = %+v, want %+v", got, s)
	}

	if _, err := repo.Get(ctx, uuid.NewString()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Get of a missing store: %v, want ErrNotFound", err)
	}
	if err := repo.Add(ctx, s); err == nil {
		t.Error("Add of the same ID twice succeeded")
	}

	msgs := outboxRows(t, db)
	if len(msgs) != 1 {
		t.Fatalf("outbox holds %d rows, want 1 (a failed Add must publish nothing)", len(msgs))
	}
	m := msgs[0]
	if m.DestinationTopic != events.StoreCreatedName {
		t.Errorf("destination_topic %q, want %q", m.DestinationTopic, events.StoreCreatedName)
	}
	if ev := payloadAs[events.StoreCreated](t, m); ev != created(s) {
		t.Errorf("payload %+v, want %+v", ev, created(s))
	}
	// A message that starts a conversation correlates to itself.
	if m.Metadata[broker.CorrelationIDKey] != m.UUID || m.UUID == "" {
		t.Errorf("correlation_id %q, want the message's own UUID %q", m.Metadata[broker.CorrelationIDKey], m.UUID)
	}
}

func TestStoresUpdateFnErrorChangesNothing(t *testing.T) {
	t.Parallel()
	repo, db := newStores(t)
	ctx := context.Background()
	s := mustStore(t, "Waldo", "Level 2")
	if err := repo.Add(ctx, s); err != nil {
		t.Fatal(err)
	}

	boom := errors.New("boom")
	err := repo.Update(ctx, s.ID(), func(s *store.Store) ([]events.Event, error) {
		// Change the aggregate and name an event, then fail: neither may stick.
		if err := s.Rebrand("Changed"); err != nil {
			return nil, err
		}
		if err := s.EnableParticipation(); err != nil {
			return nil, err
		}
		return []events.Event{events.StoreRebranded{StoreID: s.ID(), Name: s.Name(), Version: s.Version()}}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v, want fn's error", err)
	}
	got, err := repo.Get(ctx, s.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Name() != "Waldo" || got.Participating() || got.Version() != 1 {
		t.Errorf("after a failed fn the store is %q participating=%v version %d, want unchanged", got.Name(), got.Participating(), got.Version())
	}
	if n := len(outboxRows(t, db)); n != 0 {
		t.Errorf("outbox holds %d rows after a failed fn, want 0", n)
	}

	called := false
	err = repo.Update(ctx, uuid.NewString(), func(*store.Store) ([]events.Event, error) { called = true; return nil, nil })
	if !errors.Is(err, domain.ErrNotFound) || called {
		t.Errorf("Update of a missing store: err %v, fn called %v; want ErrNotFound without calling fn", err, called)
	}
}

func TestStoresUpdatePublishes(t *testing.T) {
	t.Parallel()
	repo, db := newStores(t)
	s := mustStore(t, "Waldo", "Level 2")
	if err := repo.Add(context.Background(), s); err != nil {
		t.Fatal(err)
	}

	ctx := correlation.With(context.Background(), correlation.IDs{CorrelationID: "corr-1", CausationID: "cause-1"})
	before := time.Now().UTC().Add(-time.Second)
	err := repo.Update(ctx, s.ID(), func(s *store.Store) ([]events.Event, error) {
		if err := s.Rebrand("Waldo II"); err != nil {
			return nil, err
		}
		return []events.Event{events.StoreRebranded{StoreID: s.ID(), Name: s.Name(), Version: s.Version()}}, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}

	got, err := repo.Get(ctx, s.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Name() != "Waldo II" || got.Version() != 2 || got.Location() != "Level 2" {
		t.Errorf("after Update: %q at %q version %d, want Waldo II at Level 2 version 2", got.Name(), got.Location(), got.Version())
	}

	msgs := outboxRows(t, db)
	if len(msgs) != 1 {
		t.Fatalf("outbox holds %d rows, want exactly 1", len(msgs))
	}
	m := msgs[0]
	if m.DestinationTopic != "stores.StoreRebranded" {
		t.Errorf("destination_topic %q, want stores.StoreRebranded", m.DestinationTopic)
	}
	want := events.StoreRebranded{StoreID: s.ID(), Name: "Waldo II", Version: 2}
	if ev := payloadAs[events.StoreRebranded](t, m); ev != want {
		t.Errorf("inner payload %+v, want %+v", ev, want)
	}
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

func TestStoresAddProduct(t *testing.T) {
	t.Parallel()
	repo, db := newStores(t)
	ctx := context.Background()

	orphan := mustProduct(t, uuid.NewString(), "Widget", 999)
	err := repo.AddProduct(ctx, orphan, events.ProductAdded{ProductID: orphan.ID(), StoreID: orphan.StoreID(), Price: 999, Version: 1})
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("AddProduct to a missing store: %v, want ErrNotFound", err)
	}
	if _, err := repo.GetProduct(ctx, orphan.ID()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetProduct of the rejected product: %v, want ErrNotFound", err)
	}
	if n := len(outboxRows(t, db)); n != 0 {
		t.Errorf("outbox holds %d rows after a rejected AddProduct, want 0", n)
	}

	s := mustStore(t, "Waldo", "L2")
	if err := repo.Add(ctx, s); err != nil {
		t.Fatal(err)
	}
	p := mustProduct(t, s.ID(), "Widget", 999)
	added := events.ProductAdded{ProductID: p.ID(), StoreID: s.ID(), Name: "Widget", Description: "desc", SKU: "sku-1", Price: 999, Version: 1}
	if err := repo.AddProduct(ctx, p, added); err != nil {
		t.Fatalf("AddProduct: %v", err)
	}
	got, err := repo.GetProduct(ctx, p.ID())
	if err != nil {
		t.Fatal(err)
	}
	if *got != *p {
		t.Errorf("GetProduct = %+v, want %+v", got, p)
	}
	msgs := outboxRows(t, db)
	if len(msgs) != 1 || payloadAs[events.ProductAdded](t, msgs[0]) != added {
		t.Errorf("outbox %+v, want one ProductAdded %+v", msgs, added)
	}
}

func TestStoresConcurrentUpdatesSerialize(t *testing.T) {
	t.Parallel()
	repo, db := newStores(t)
	ctx := context.Background()
	s := mustStore(t, "Waldo", "L2")
	if err := repo.Add(ctx, s); err != nil {
		t.Fatal(err)
	}
	const initial, writers = 500, 20
	p := mustProduct(t, s.ID(), "Widget", initial)
	if err := repo.AddProduct(ctx, p); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := make(chan struct{})
	for range writers {
		wg.Go(func() {
			<-start
			errs <- repo.UpdateProduct(ctx, p.ID(), func(p *store.Product) ([]events.Event, error) {
				if err := p.IncreasePrice(1); err != nil {
					return nil, err
				}
				return []events.Event{events.ProductPriceIncreased{ProductID: p.ID(), StoreID: p.StoreID(), Delta: 1, Price: p.Price(), Version: p.Version()}}, nil
			})
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("UpdateProduct: %v", err)
		}
	}

	got, err := repo.GetProduct(ctx, p.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Price() != initial+writers || got.Version() != 1+writers {
		t.Errorf("after %d concurrent +1 updates: price %d version %d, want %d version %d (lost updates?)",
			writers, got.Price(), got.Version(), initial+writers, 1+writers)
	}
	msgs := outboxRows(t, db)
	if len(msgs) != writers {
		t.Fatalf("outbox holds %d rows, want %d", len(msgs), writers)
	}
	// Serialized writers each saw the previous one's result: the events
	// carry every price and version from initial+1 to initial+writers once.
	var prices, versions []int64
	for _, m := range msgs {
		ev := payloadAs[events.ProductPriceIncreased](t, m)
		prices, versions = append(prices, ev.Price), append(versions, ev.Version)
	}
	slices.Sort(prices)
	slices.Sort(versions)
	for i := range writers {
		if prices[i] != int64(initial+1+i) || versions[i] != int64(2+i) {
			t.Fatalf("event prices %v versions %v, want %d..%d and 2..%d each once", prices, versions, initial+1, initial+writers, 1+writers)
		}
	}
}

func TestStoresUpdateProductFnError(t *testing.T) {
	t.Parallel()
	repo, db := newStores(t)
	ctx := context.Background()
	s := mustStore(t, "Waldo", "L2")
	p := mustProduct(t, s.ID(), "Widget", 999)
	if err := repo.Add(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := repo.AddProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	err := repo.UpdateProduct(ctx, p.ID(), func(p *store.Product) ([]events.Event, error) {
		if err := p.IncreasePrice(100); err != nil {
			return nil, err
		}
		return nil, p.DecreasePrice(5000) // fails: the increase must not stick
	})
	if !errors.Is(err, store.ErrPriceNotPositive) {
		t.Fatalf("UpdateProduct: %v, want ErrPriceNotPositive", err)
	}
	got, err := repo.GetProduct(ctx, p.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Price() != 999 || got.Version() != 1 {
		t.Errorf("after a failed fn: price %d version %d, want 999 version 1", got.Price(), got.Version())
	}
	if n := len(outboxRows(t, db)); n != 0 {
		t.Errorf("outbox holds %d rows, want 0", n)
	}
	if err := repo.UpdateProduct(ctx, uuid.NewString(), func(*store.Product) ([]events.Event, error) { return nil, nil }); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UpdateProduct of a missing product: %v, want ErrNotFound", err)
	}
}

func TestStoresRemoveProduct(t *testing.T) {
	t.Parallel()
	repo, db := newStores(t)
	ctx := context.Background()
	s := mustStore(t, "Waldo", "L2")
	p := mustProduct(t, s.ID(), "Widget", 999)
	if err := repo.Add(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := repo.AddProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	removed := func(p *store.Product) ([]events.Event, error) {
		return []events.Event{events.ProductRemoved{ProductID: p.ID(), StoreID: p.StoreID(), Version: p.Version() + 1}}, nil
	}

	veto := errors.New("veto")
	if err := repo.RemoveProduct(ctx, p.ID(), func(*store.Product) ([]events.Event, error) { return nil, veto }); !errors.Is(err, veto) {
		t.Fatalf("RemoveProduct with a failing fn: %v, want its error", err)
	}
	if _, err := repo.GetProduct(ctx, p.ID()); err != nil {
		t.Fatalf("product gone after a vetoed remove: %v", err)
	}
	if n := len(outboxRows(t, db)); n != 0 {
		t.Fatalf("outbox holds %d rows after a vetoed remove, want 0", n)
	}

	if err := repo.RemoveProduct(ctx, p.ID(), removed); err != nil {
		t.Fatalf("RemoveProduct: %v", err)
	}
	if _, err := repo.GetProduct(ctx, p.ID()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetProduct after remove: %v, want ErrNotFound", err)
	}
	msgs := outboxRows(t, db)
	want := events.ProductRemoved{ProductID: p.ID(), StoreID: s.ID(), Version: 2}
	if len(msgs) != 1 || msgs[0].DestinationTopic != events.ProductRemovedName || payloadAs[events.ProductRemoved](t, msgs[0]) != want {
		t.Errorf("outbox %+v, want one ProductRemoved %+v", msgs, want)
	}
	if err := repo.RemoveProduct(ctx, p.ID(), removed); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("second RemoveProduct: %v, want ErrNotFound", err)
	}
	if n := len(outboxRows(t, db)); n != 1 {
		t.Errorf("outbox holds %d rows after removing a missing product, want 1", n)
	}
}

func TestStoresCatalog(t *testing.T) {
	t.Parallel()
	repo, _ := newStores(t)
	ctx := context.Background()
	a, b, empty := mustStore(t, "A", "L1"), mustStore(t, "B", "L2"), mustStore(t, "C", "L3")
	for _, s := range []*store.Store{a, b, empty} {
		if err := repo.Add(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []*store.Product{
		mustProduct(t, a.ID(), "Zip", 100), mustProduct(t, a.ID(), "Bolt", 200), mustProduct(t, b.ID(), "Other", 300),
	} {
		if err := repo.AddProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
	}

	cases := []struct {
		name    string
		storeID string
		want    []string
		err     error
	}{
		{"by name", a.ID(), []string{"Bolt:200", "Zip:100"}, nil},
		{"only its own", b.ID(), []string{"Other:300"}, nil},
		{"empty", empty.ID(), nil, nil},
		{"missing store", uuid.NewString(), nil, domain.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			list, err := repo.Catalog(ctx, tc.storeID)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("Catalog: %v, want %v", err, tc.err)
			}
			var got []string
			for _, p := range list {
				if p.StoreID() != tc.storeID {
					t.Errorf("product %s belongs to %s, not %s", p.Name(), p.StoreID(), tc.storeID)
				}
				got = append(got, fmt.Sprintf("%s:%d", p.Name(), p.Price()))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Catalog = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStoresList(t *testing.T) {
	t.Parallel()
	repo, db := newStores(t)
	ctx := context.Background()
	zeta, alpha, mid := mustStore(t, "Zeta", "L1"), mustStore(t, "Alpha", "L2"), mustStore(t, "Mid", "L3")
	for _, s := range []*store.Store{zeta, alpha, mid} {
		if err := repo.Add(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*store.Store{zeta, mid} {
		err := repo.Update(ctx, s.ID(), func(s *store.Store) ([]events.Event, error) {
			if err := s.EnableParticipation(); err != nil {
				return nil, err
			}
			return []events.Event{events.StoreParticipationEnabled{StoreID: s.ID(), Version: s.Version()}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(outboxRows(t, db)); n != 2 {
		t.Errorf("outbox holds %d rows, want 2", n)
	}

	cases := []struct {
		participatingOnly bool
		want              []string
	}{
		{false, []string{"Alpha:false:1", "Mid:true:2", "Zeta:true:2"}},
		{true, []string{"Mid:true:2", "Zeta:true:2"}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("participatingOnly=%v", tc.participatingOnly), func(t *testing.T) {
			t.Parallel()
			list, err := repo.List(ctx, tc.participatingOnly)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range list {
				got = append(got, fmt.Sprintf("%s:%v:%d", s.Name(), s.Participating(), s.Version()))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("List = %v, want %v", got, tc.want)
			}
		})
	}
}
