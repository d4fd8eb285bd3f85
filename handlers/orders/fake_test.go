package orders_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/order"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/orders"
	"github.com/mallbots/mallbots/internal/contract"
	"github.com/mallbots/mallbots/internal/fakecatalog"
	"github.com/mallbots/mallbots/internal/memrepo"
)

// fakeStore is an in-memory stand-in for postgres.Orders: it keeps each
// order's events and folds them on every load, like the real one. A write
// whose fn fails appends nothing. concurrentChanges makes the next Updates
// fail as if other writers kept winning the race.
type fakeStore struct {
	mu                sync.Mutex
	history           map[string][]order.Recorded
	appended          []order.Event
	concurrentChanges int
	clock             time.Time
}

func newFakeStore() *fakeStore {
	return &fakeStore{history: map[string][]order.Recorded{}, clock: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
}

func (f *fakeStore) appendLocked(id string, evs []order.Event) {
	for _, e := range evs {
		f.clock = f.clock.Add(time.Minute)
		f.history[id] = append(f.history[id], order.Recorded{Version: int64(len(f.history[id]) + 1), OccurredAt: f.clock, Event: e})
		f.appended = append(f.appended, e)
	}
}

func (f *fakeStore) Add(_ context.Context, o *order.Order, evs []order.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.history[o.ID()]; ok {
		return fmt.Errorf("%w: %s", order.ErrExists, o.ID())
	}
	f.appendLocked(o.ID(), evs)
	return nil
}

func (f *fakeStore) Update(_ context.Context, id string, fn func(*order.Order) ([]order.Event, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.concurrentChanges > 0 {
		f.concurrentChanges--
		return fmt.Errorf("%w: order %s, 5 attempts", order.ErrConcurrentChange, id)
	}
	o, err := f.loadLocked(id)
	if err != nil {
		return err
	}
	evs, err := fn(o)
	if err != nil {
		return err
	}
	f.appendLocked(id, evs)
	return nil
}

func (f *fakeStore) loadLocked(id string) (*order.Order, error) {
	h, ok := f.history[id]
	if !ok {
		return nil, fmt.Errorf("%w: order %s", domain.ErrNotFound, id)
	}
	return order.Load(h)
}

func (f *fakeStore) Get(_ context.Context, id string) (*order.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loadLocked(id)
}

func (f *fakeStore) History(_ context.Context, id string) ([]order.Recorded, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.history[id]
	if !ok {
		return nil, fmt.Errorf("%w: order %s", domain.ErrNotFound, id)
	}
	return slices.Clone(h), nil
}

// events returns every event appended so far, to any order, in order.
func (f *fakeStore) events() []order.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.appended)
}

// fakeReplies records the saga replies published.
type fakeReplies struct {
	log memrepo.Log
}

func (f *fakeReplies) Publish(ctx context.Context, evs ...events.Event) error {
	return f.log.Publish(ctx, evs...)
}

func (f *fakeReplies) all() []events.Event { return f.log.Published() }

// opened returns f and what it has published, as the contract suites open
// an implementation.
func (f *fakeReplies) opened() (*fakeReplies, contract.Outbox) { return f, f.log.Outbox() }

// sequentialIDs returns a newID func making predictable UUIDs
// 00000000-0000-4000-8000-000000000001, …002, ...
func sequentialIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }
}

// fixture is the orders service over fakes, with its log captured.
type fixture struct {
	h       *orders.Handlers
	store   *fakeStore
	catalog *fakecatalog.Cache
	replies *fakeReplies
	log     *bytes.Buffer
}

// newFixture returns the service with a catalog, fed through its own
// catalog consumers, of store "Robo Parts" selling "Servo" at 9.99.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{store: newFakeStore(), catalog: fakecatalog.New(), replies: &fakeReplies{}, log: &bytes.Buffer{}}
	logger := slog.New(slog.NewTextHandler(f.log, nil))
	f.h = orders.New(f.store, f.catalog, f.replies, sequentialIDs(), logger)
	ctx := context.Background()
	err := errors.Join(
		f.h.OnStoreCreated(ctx, events.StoreCreated{StoreID: storeID, Name: "Robo Parts", Location: "Level 1", Version: 1}),
		f.h.OnProductAdded(ctx, events.ProductAdded{ProductID: productID, StoreID: storeID, Name: "Servo", SKU: "S-1", Price: 999, Version: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return f
}
