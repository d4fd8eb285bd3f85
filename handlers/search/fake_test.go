package search_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/ordersearch"
	"github.com/mallbots/mallbots/domain/orderstatus"
)

// fakeRepo is an in-memory stand-in for postgres.Search with its rules
// (contract.RunSearch): version-guarded names, statuses that only move to a
// higher rank, orders inserted once, and searches that filter, sort newest
// first and page by keyset. Search records the queries it was asked; page,
// when set, is its answer instead, and err fails it.
type fakeRepo struct {
	mu       sync.Mutex
	names    map[string]string
	versions map[string]int64
	orders   map[string]ordersearch.Order
	queries  []ordersearch.Query
	page     *ordersearch.Page
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
	if f.err != nil {
		return ordersearch.Page{}, f.err
	}
	if f.page != nil {
		return *f.page, nil
	}
	var found []ordersearch.Order
	for _, o := range f.orders {
		if matches(q, o) {
			found = append(found, o)
		}
	}
	// Newest first: by creation time, then by ID, both descending.
	slices.SortFunc(found, func(a, b ordersearch.Order) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	page := ordersearch.Page{Orders: []ordersearch.Order{}}
	if len(found) > q.Limit {
		found = found[:q.Limit]
		page.Next = ordersearch.CursorAt(found[q.Limit-1])
	}
	page.Orders = append(page.Orders, found...)
	return page, nil
}

// matches reports whether o is one q selects: every criterion of its filter
// holds and o comes after its cursor.
func matches(q ordersearch.Query, o ordersearch.Order) bool {
	f, c := q.Filter, q.Cursor
	anyOf := func(want, have []string) bool {
		return len(want) == 0 || slices.ContainsFunc(have, func(id string) bool { return slices.Contains(want, id) })
	}
	return (f.CustomerID == "" || o.CustomerID == f.CustomerID) &&
		anyOf(f.StoreIDs, o.StoreIDs()) && anyOf(f.ProductIDs, o.ProductIDs()) &&
		(f.Status.IsZero() || o.Status == f.Status) &&
		(f.MinTotal == nil || o.Total >= *f.MinTotal) && (f.MaxTotal == nil || o.Total <= *f.MaxTotal) &&
		(f.After.IsZero() || !o.CreatedAt.Before(f.After)) && (f.Before.IsZero() || o.CreatedAt.Before(f.Before)) &&
		(c.IsZero() || o.CreatedAt.Before(c.CreatedAt) || o.CreatedAt.Equal(c.CreatedAt) && o.ID < c.OrderID)
}
