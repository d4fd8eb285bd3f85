package stores_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/store"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/contract"
	"github.com/mallbots/mallbots/internal/memrepo"
)

// fakeRepo is an in-memory stand-in for postgres.Stores over memrepo: it
// keeps copies of the stores and products and records, in order, the events
// each successful write of either publishes. Like the real one, a write whose
// fn fails saves and publishes nothing.
type fakeRepo struct {
	log      memrepo.Log
	stores   *memrepo.Table[*store.Store]
	products *memrepo.Table[*store.Product]
}

func newFakeRepo() *fakeRepo {
	f := &fakeRepo{}
	f.stores = memrepo.NewTable(&f.log, "store", (*store.Store).ID, func(s *store.Store) *store.Store {
		return store.Rehydrate(s.ID(), s.Name(), s.Location(), s.Participating(), s.Version())
	})
	f.products = memrepo.NewTable(&f.log, "product", (*store.Product).ID, func(p *store.Product) *store.Product {
		return store.RehydrateProduct(p.ID(), p.StoreID(), p.Name(), p.Description(), p.SKU(), p.Price(), p.Version())
	})
	return f
}

// opened returns f and what it has published, as the contract suites open
// an implementation.
func (f *fakeRepo) opened() (*fakeRepo, contract.Outbox) { return f, f.log.Outbox() }

func (f *fakeRepo) Add(ctx context.Context, s *store.Store, evs ...events.Event) error {
	return f.stores.Add(ctx, s, evs)
}

func (f *fakeRepo) Update(ctx context.Context, id string, fn func(*store.Store) ([]events.Event, error)) error {
	return f.stores.Update(ctx, id, fn)
}

func (f *fakeRepo) Get(_ context.Context, id string) (*store.Store, error) {
	return f.stores.Get(id)
}

func (f *fakeRepo) List(_ context.Context, participatingOnly bool) ([]*store.Store, error) {
	out, err := f.stores.List(func(s *store.Store) bool { return !participatingOnly || s.Participating() })
	slices.SortFunc(out, func(a, b *store.Store) int {
		return cmp.Or(cmp.Compare(a.Name(), b.Name()), cmp.Compare(a.ID(), b.ID()))
	})
	return out, err
}

// AddProduct stores p once its store exists; stores are never removed, so
// checking first cannot race.
func (f *fakeRepo) AddProduct(ctx context.Context, p *store.Product, evs ...events.Event) error {
	if _, ok := f.stores.Stored(p.StoreID()); !ok {
		return fmt.Errorf("%w: store %s", domain.ErrNotFound, p.StoreID())
	}
	return f.products.Add(ctx, p, evs)
}

func (f *fakeRepo) UpdateProduct(ctx context.Context, id string, fn func(*store.Product) ([]events.Event, error)) error {
	return f.products.Update(ctx, id, fn)
}

func (f *fakeRepo) RemoveProduct(ctx context.Context, id string, fn func(*store.Product) ([]events.Event, error)) error {
	return f.products.Remove(ctx, id, fn)
}

func (f *fakeRepo) GetProduct(_ context.Context, id string) (*store.Product, error) {
	return f.products.Get(id)
}

func (f *fakeRepo) Catalog(_ context.Context, storeID string) ([]*store.Product, error) {
	if _, ok := f.stores.Stored(storeID); !ok {
		return nil, fmt.Errorf("%w: store %s", domain.ErrNotFound, storeID)
	}
	out, err := f.products.List(func(p *store.Product) bool { return p.StoreID() == storeID })
	slices.SortFunc(out, func(a, b *store.Product) int {
		return cmp.Or(cmp.Compare(a.Name(), b.Name()), cmp.Compare(a.ID(), b.ID()))
	})
	return out, err
}

// published returns a copy of every event published so far, in order.
func (f *fakeRepo) published() []events.Event { return f.log.Published() }

// product returns the stored product id, or nil.
func (f *fakeRepo) product(id string) *store.Product {
	p, _ := f.products.Stored(id)
	return p
}

// store returns the stored store id, or nil.
func (f *fakeRepo) store(id string) *store.Store {
	s, _ := f.stores.Stored(id)
	return s
}

// sequentialIDs returns a newID func making predictable UUIDs
// 00000000-0000-4000-8000-000000000001, …002, ...
func sequentialIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }
}
