package search_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/ordersearch"
	"github.com/mallbots/mallbots/domain/orderstatus"
)

// fakeRepo is an in-memory stand-in for postgres.Search with its write rules
// (version-guarded names, statuses that only move to a higher rank, orders
// inserted once). Search answers page, recording the query it was asked.
type fakeRepo struct {
	mu       sync.Mutex
	names    map[string]string
	versions map[string]int64
	orders   map[string]ordersearch.Order
	queries  []ordersearch.Query
	page     ordersearch.Page
	err      error
}

func newFakeRepo() *fakeRepo {
	return &fakeRepo{names: map[string]string{}, versions: map[string]int64{}, orders: map[string]ordersearch.Order{}}
}

func (f *fakeRepo) SetCustomerName(_ context.Context, id, name string, version int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.versions[id] >= version {
		return nil
	}
	f.names[id], f.versions[id] = name, version
	for oid, o := range f.orders {
		if o.CustomerID == id {
			o.CustomerName = name
			f.orders[oid] = o
		}
	}
	return nil
}

func (f *fakeRepo) AddOrder(_ context.Context, o ordersearch.Order) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.orders[o.ID]; !ok {
		o.CustomerName = f.names[o.CustomerID]
		f.orders[o.ID] = o
	}
	return nil
}

func (f *fakeRepo) SetStatus(_ context.Context, id string, status orderstatus.Status, reason string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.orders[id]
	if !ok {
		return fmt.Errorf("%w: order %s is not in the read model yet", domain.ErrNotFound, id)
	}
	if status.Supersedes(o.Status) {
		o.Status, o.Reason, o.UpdatedAt = status, reason, at
		f.orders[id] = o
	}
	return nil
}

func (f *fakeRepo) Order(_ context.Context, id string) (ordersearch.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.orders[id]
	if !ok {
		return ordersearch.Order{}, fmt.Errorf("%w: order %s", domain.ErrNotFound, id)
	}
	return o, nil
}

func (f *fakeRepo) Search(_ context.Context, q ordersearch.Query) (ordersearch.Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	return f.page, f.err
}
