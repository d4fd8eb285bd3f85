package customers_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/customer"
	"github.com/mallbots/mallbots/events"
)

// fakeRepo is an in-memory stand-in for postgres.Customers: it keeps copies
// of the customers and records, in order, the events each successful write
// publishes. Like the real one, a write whose fn fails saves and publishes
// nothing.
type fakeRepo struct {
	mu        sync.Mutex
	customers map[string]*customer.Customer
	events    []events.Event
}

func newFakeRepo() *fakeRepo {
	return &fakeRepo{customers: map[string]*customer.Customer{}}
}

func clone(c *customer.Customer) *customer.Customer {
	return customer.Rehydrate(c.ID(), c.Name(), c.SmsNumber(), c.Enabled(), c.Version())
}

func (f *fakeRepo) Add(_ context.Context, c *customer.Customer, evs ...events.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.customers[c.ID()]; ok {
		return fmt.Errorf("%w: customer %s exists", domain.ErrConflict, c.ID())
	}
	f.customers[c.ID()] = clone(c)
	f.events = append(f.events, evs...)
	return nil
}

func (f *fakeRepo) Update(_ context.Context, id string, fn func(*customer.Customer) ([]events.Event, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.customers[id]
	if !ok {
		return fmt.Errorf("%w: customer %s", domain.ErrNotFound, id)
	}
	work := clone(c)
	evs, err := fn(work)
	if err != nil {
		return err
	}
	f.customers[id] = work
	f.events = append(f.events, evs...)
	return nil
}

func (f *fakeRepo) Get(_ context.Context, id string) (*customer.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.customers[id]
	if !ok {
		return nil, fmt.Errorf("%w: customer %s", domain.ErrNotFound, id)
	}
	return clone(c), nil
}

// published returns a copy of every event published so far, in order.
func (f *fakeRepo) published() []events.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

// customer returns the stored customer id, or nil.
func (f *fakeRepo) customer(id string) *customer.Customer {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.customers[id]; ok {
		return clone(c)
	}
	return nil
}

// sequentialIDs returns a newID func making predictable UUIDs
// 00000000-0000-4000-8000-000000000001, …002, ...
func sequentialIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }
}
