package customers_test

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/mallbots/mallbots/domain/customer"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/contract"
	"github.com/mallbots/mallbots/internal/memrepo"
)

// fakeRepo is an in-memory stand-in for postgres.Customers over memrepo: it
// keeps copies of the customers and records, in order, the events each
// successful write publishes. Like the real one, a write whose fn fails saves
// and publishes nothing.
type fakeRepo struct {
	log       memrepo.Log
	customers *memrepo.Table[*customer.Customer]
	// getErr, when set, is what Get answers.
	getErr error
}

func newFakeRepo() *fakeRepo {
	f := &fakeRepo{}
	f.log.Fail = func(op memrepo.Op) error {
		if op == memrepo.OpGet {
			return f.getErr
		}
		return nil
	}
	f.customers = memrepo.NewTable(&f.log, "customer", (*customer.Customer).ID, func(c *customer.Customer) *customer.Customer {
		return customer.Rehydrate(c.ID(), c.Name(), c.SmsNumber(), c.Enabled(), c.Version())
	})
	return f
}

// opened returns f and what it has published, as the contract suites open
// an implementation.
func (f *fakeRepo) opened() (*fakeRepo, contract.Outbox) { return f, f.log.Outbox() }

func (f *fakeRepo) Add(ctx context.Context, c *customer.Customer, evs ...events.Event) error {
	return f.customers.Add(ctx, c, evs)
}

func (f *fakeRepo) Update(ctx context.Context, id string, fn func(*customer.Customer) ([]events.Event, error)) error {
	return f.customers.Update(ctx, id, fn)
}

func (f *fakeRepo) Get(_ context.Context, id string) (*customer.Customer, error) {
	return f.customers.Get(id)
}

// published returns a copy of every event published so far, in order.
func (f *fakeRepo) published() []events.Event { return f.log.Published() }

// customer returns the stored customer id, or nil.
func (f *fakeRepo) customer(id string) *customer.Customer {
	c, _ := f.customers.Stored(id)
	return c
}

// fakePublisher is an in-memory stand-in for postgres.Publisher: it records
// what it publishes, in order, or fails with err.
type fakePublisher struct {
	log memrepo.Log
	err error
}

func (f *fakePublisher) Publish(ctx context.Context, evs ...events.Event) error {
	if f.err != nil {
		return f.err
	}
	return f.log.Publish(ctx, evs...)
}

// opened returns f and what it has published, as the contract suites open
// an implementation.
func (f *fakePublisher) opened() (*fakePublisher, contract.Outbox) { return f, f.log.Outbox() }

// published returns a copy of every event published so far, in order.
func (f *fakePublisher) published() []events.Event { return f.log.Published() }

// sequentialIDs returns a newID func making predictable UUIDs
// 00000000-0000-4000-8000-000000000001, …002, ...
func sequentialIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }
}
