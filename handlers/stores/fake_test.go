package stores_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/store"
	"github.com/mallbots/mallbots/events"
)

// fakeRepo is an in-memory stand-in for postgres.Stores: it keeps copies of
// the aggregates and records, in order, the events each successful write
// publishes. Like the real one, a write whose fn fails saves and publishes
// nothing.
type fakeRepo struct {
	mu       sync.Mutex
	stores   map[string]*store.Store
	products map[string]*store.Product
	events   []events.Event
}

func newFakeRepo() *fakeRepo {
	return &fakeRepo{stores: map[string]*store.Store{}, products: map[string]*store.Product{}}
}

func cloneStore(s *store.Store) *store.Store {
	return store.Rehydrate(s.ID(), s.Name(), s.Location(), s.Participating(), s.Version())
}

func cloneProduct(p *store.Product) *store.Product {
	return store.RehydrateProduct(p.ID(), p.StoreID(), p.Name(), p.Description(), p.SKU(), p.Price(), p.Version())
}

func (f *fakeRepo) Add(_ context.Context, s *store.Store, evs ...events.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.stores[s.ID()]; ok {
		return fmt.Errorf("%w: store %s exists", domain.ErrConflict, s.ID())
	}
	f.stores[s.ID()] = cloneStore(s)
	f.events = append(f.events, evs...)
	return nil
}

func (f *fakeRepo) Update(_ context.Context, id string, fn func(*store.Store) ([]events.Event, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.stores[id]
	if !ok {
		return fmt.Errorf("%w: store %s", domain.ErrNotFound, id)
	}
	work := cloneStore(s)
	evs, err := fn(work)
	if err != nil {
		return err
	}
	f.stores[id] = work
	f.events = append(f.events, evs...)
	return nil
}

func (f *fakeRepo) Get(_ context.Context, id string) (*store.Store, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.stores[id]
	if !ok {
		return nil, fmt.Errorf("%w: store %s", domain.ErrNotFound, id)
	}
	return cloneStore(s), nil
}

func (f *fakeRepo) List(_ context.Context, participatingOnly bool) ([]*store.Store, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*store.Store
	for _, s := range f.stores {
		if !participatingOnly || s.Participating() {
			out = append(out, cloneStore(s))
		}
	}
	slices.SortFunc(out, func(a, b *store.Store) int {
		return cmp.Or(cmp.Compare(a.Name(), b.Name()), cmp.Compare(a.ID(), b.ID()))
	})
	return out, nil
}

func (f *fakeRepo) AddProduct(_ context.Context, p *store.Product, evs ...events.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.stores[p.StoreID()]; !ok {
		return fmt.Errorf("%w: store %s", domain.ErrNotFound, p.StoreID())
	}
	f.products[p.ID()] = cloneProduct(p)
	f.events = append(f.events, evs...)
	return nil
}

func (f *fakeRepo) UpdateProduct(_ context.Context, id string, fn func(*store.Product) ([]events.Event, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.products[id]
	if !ok {
		return fmt.Errorf("%w: product %s", domain.ErrNotFound, id)
	}
	work := cloneProduct(p)
	evs, err := fn(work)
	if err != nil {
		return err
	}
	f.products[id] = work
	f.events = append(f.events, evs...)
	return nil
}

func (f *fakeRepo) RemoveProduct(_ context.Context, id string, fn func(*store.Product) ([]events.Event, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.products[id]
	if !ok {
		return fmt.Errorf("%w: product %s", domain.ErrNotFound, id)
	}
	evs, err := fn(cloneProduct(p))
	if err != nil {
		return err
	}
	delete(f.products, id)
	f.events = append(f.events, evs...)
	return nil
}

func (f *fakeRepo) GetProduct(_ context.Context, id string) (*store.Product, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.products[id]
	if !ok {
		return nil, fmt.Errorf("%w: product %s", domain.ErrNotFound, id)
	}
	return cloneProduct(p), nil
}

func (f *fakeRepo) Catalog(_ context.Context, storeID string) ([]*store.Product, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.stores[storeID]; !ok {
		return nil, fmt.Errorf("%w: store %s", domain.ErrNotFound, storeID)
	}
	var out []*store.Product
	for _, p := range f.products {
		if p.StoreID() == storeID {
			out = append(out, cloneProduct(p))
		}
	}
	slices.SortFunc(out, func(a, b *store.Product) int {
		return cmp.Or(cmp.Compare(a.Name(), b.Name()), cmp.Compare(a.ID(), b.ID()))
	})
	return out, nil
}

// published returns a copy of every event published so far, in order.
func (f *fakeRepo) published() []events.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

// product returns the stored product id, or nil.
func (f *fakeRepo) product(id string) *store.Product {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.products[id]; ok {
		return cloneProduct(p)
	}
	return nil
}

// store returns the stored store id, or nil.
func (f *fakeRepo) store(id string) *store.Store {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.stores[id]; ok {
		return cloneStore(s)
	}
	return nil
}

// sequentialIDs returns a newID func making predictable UUIDs
// 00000000-0000-4000-8000-000000000001, …002, ...
func sequentialIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }
}
