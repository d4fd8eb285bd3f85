package baskets_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/basket"
	"github.com/mallbots/mallbots/domain/catalog"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/contract"
	"github.com/mallbots/mallbots/internal/fakecatalog"
	"github.com/mallbots/mallbots/internal/memrepo"
)

// fakeRepo is an in-memory stand-in for postgres.Baskets over memrepo: it
// keeps copies of the baskets and records, in order, the events each
// successful write publishes, in the flow the basket was started in. Like
// the real one, a write whose fn fails saves and publishes nothing, and one
// payment checks out one basket (contract.RunBaskets).
type fakeRepo struct {
	log     memrepo.Log
	baskets *memrepo.Table[*basket.Basket]
}

func newFakeRepo() *fakeRepo {
	f := &fakeRepo{}
	f.baskets = memrepo.NewTable(&f.log, "basket", (*basket.Basket).ID, func(b *basket.Basket) *basket.Basket {
		return basket.Rehydrate(b.ID(), b.CustomerID(), b.PaymentID(), b.Status(), b.Items(), b.Version())
	}).ContinueFlows().Constrain(func(b, other *basket.Basket) error {
		if b.PaymentID() != "" && b.PaymentID() == other.PaymentID() {
			return fmt.Errorf("%w: payment %s pays for another basket's checkout already", basket.ErrPaymentUsed, b.PaymentID())
		}
		return nil
	})
	return f
}

// opened returns f and what it has published, as the contract suites open
// an implementation.
func (f *fakeRepo) opened() (*fakeRepo, contract.Outbox) { return f, f.log.Outbox() }

func (f *fakeRepo) Add(ctx context.Context, b *basket.Basket, evs ...events.Event) error {
	return f.baskets.Add(ctx, b, evs)
}

func (f *fakeRepo) Update(ctx context.Context, id string, fn func(*basket.Basket) ([]events.Event, error)) error {
	return f.baskets.Update(ctx, id, fn)
}

func (f *fakeRepo) Get(_ context.Context, id string) (*basket.Basket, error) {
	return f.baskets.Get(id)
}

// published returns a copy of every event published so far, in order.
func (f *fakeRepo) published() []events.Event { return f.log.Published() }

// basket returns the stored basket id, or nil.
func (f *fakeRepo) basket(id string) *basket.Basket {
	b, _ := f.baskets.Stored(id)
	return b
}

// call is one cache write as the fake saw it.
type call struct {
	method string
	args   []any
}

// fakeCache is an in-memory stand-in for postgres.BasketsCache with its
// rules (contract.RunCatalogCache, contract.RunBasketsCache): the catalog as
// fakecatalog keeps it, customers guarded by version, payments whose facts
// each event fills in once. It records every write, in order, and fails
// every call with err when set. It is for one goroutine at a time.
type fakeCache struct {
	catalog   *fakecatalog.Cache
	customers map[string]cachedCustomer
	payments  map[string]catalog.Payment
	calls     []call
	err       error
}

type cachedCustomer struct {
	enabled bool
	version int64
}

func newFakeCache() *fakeCache {
	return &fakeCache{catalog: fakecatalog.New(), customers: map[string]cachedCustomer{}, payments: map[string]catalog.Payment{}}
}

// write records a write and, unless err is set, does it.
func (f *fakeCache) write(do func() error, method string, args ...any) error {
	f.calls = append(f.calls, call{method, args})
	if f.err != nil {
		return f.err
	}
	return do()
}

func (f *fakeCache) SetStoreName(ctx context.Context, id, name string, version int64) error {
	return f.write(func() error { return f.catalog.SetStoreName(ctx, id, name, version) }, "SetStoreName", id, name, version)
}

func (f *fakeCache) AddProduct(ctx context.Context, id, storeID, name string, price, version int64) error {
	return f.write(func() error { return f.catalog.AddProduct(ctx, id, storeID, name, price, version) },
		"AddProduct", id, storeID, name, price, version)
}

func (f *fakeCache) SetProductName(ctx context.Context, id, name string, version int64) error {
	return f.write(func() error { return f.catalog.SetProductName(ctx, id, name, version) }, "SetProductName", id, name, version)
}

func (f *fakeCache) SetProductPrice(ctx context.Context, id string, price, version int64) error {
	return f.write(func() error { return f.catalog.SetProductPrice(ctx, id, price, version) }, "SetProductPrice", id, price, version)
}

func (f *fakeCache) RemoveProduct(ctx context.Context, id, storeID string, version int64) error {
	return f.write(func() error { return f.catalog.RemoveProduct(ctx, id, storeID, version) }, "RemoveProduct", id, storeID, version)
}

func (f *fakeCache) AddCustomer(_ context.Context, id string, enabled bool, version int64) error {
	return f.write(func() error {
		if c, ok := f.customers[id]; !ok || c.version < version {
			f.customers[id] = cachedCustomer{enabled, version}
		}
		return nil
	}, "AddCustomer", id, enabled, version)
}

func (f *fakeCache) SetCustomerEnabled(_ context.Context, id string, enabled bool, version int64) error {
	return f.write(func() error {
		c, ok := f.customers[id]
		if !ok {
			return fmt.Errorf("%w: customer %s is not in the baskets customer cache yet", domain.ErrNotFound, id)
		}
		if c.version < version {
			f.customers[id] = cachedCustomer{enabled, version}
		}
		return nil
	}, "SetCustomerEnabled", id, enabled, version)
}

// The payment writes each fill in one fact still unset; see
// postgres.BasketsCache.

func (f *fakeCache) AddPayment(_ context.Context, id, customerID string) error {
	return f.write(func() error {
		return f.fillPayment(id, func(p *catalog.Payment) { p.CustomerID = cmp.Or(p.CustomerID, customerID) })
	}, "AddPayment", id, customerID)
}

func (f *fakeCache) SetPaymentOrder(_ context.Context, id, orderID string) error {
	return f.write(func() error {
		return f.fillPayment(id, func(p *catalog.Payment) { p.OrderID = cmp.Or(p.OrderID, orderID) })
	}, "SetPaymentOrder", id, orderID)
}

func (f *fakeCache) SetPaymentVoided(_ context.Context, id, orderID string) error {
	return f.write(func() error {
		return f.fillPayment(id, func(p *catalog.Payment) { p.OrderID, p.Voided = cmp.Or(p.OrderID, orderID), true })
	}, "SetPaymentVoided", id, orderID)
}

// fillPayment caches payment id if need be and lets fill set what is unset.
func (f *fakeCache) fillPayment(id string, fill func(*catalog.Payment)) error {
	p := f.payments[id]
	p.ID = id
	fill(&p)
	f.payments[id] = p
	return nil
}

func (f *fakeCache) Products(ctx context.Context, ids []string) (map[string]catalog.Product, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.catalog.Products(ctx, ids)
}

func (f *fakeCache) Product(ctx context.Context, id string) (catalog.Product, error) {
	found, err := f.Products(ctx, []string{id})
	return lookup(found, err, "product", id)
}

func (f *fakeCache) Customer(_ context.Context, id string) (catalog.Customer, error) {
	found := map[string]catalog.Customer{}
	if c, ok := f.customers[id]; ok {
		found[id] = catalog.Customer{ID: id, Enabled: c.enabled}
	}
	return lookup(found, f.err, "customer", id)
}

func (f *fakeCache) Payment(_ context.Context, id string) (catalog.Payment, error) {
	return lookup(f.payments, f.err, "payment", id)
}

// lookup returns the cached value of id in m, err when set, and ErrNotFound
// naming what for an id m does not hold.
func lookup[T any](m map[string]T, err error, what, id string) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	v, ok := m[id]
	if !ok {
		return zero, fmt.Errorf("%w: cached %s %s", domain.ErrNotFound, what, id)
	}
	return v, nil
}

// The catalog every use case test starts from.
const (
	firstID       = "00000000-0000-4000-8000-000000000001" // the first basket
	adaID         = "00000000-0000-4000-8000-0000000000ad"
	bobID         = "00000000-0000-4000-8000-0000000000b0" // disabled
	strangerID    = "00000000-0000-4000-8000-0000000000ff" // not cached
	wafflesID     = "00000000-0000-4000-8000-00000000005a"
	syrupID       = "00000000-0000-4000-8000-0000000000a1"
	creamID       = "00000000-0000-4000-8000-0000000000a2"
	orphanID      = "00000000-0000-4000-8000-0000000000a3" // its store is not cached
	paymentID     = "00000000-0000-4000-8000-0000000000e1" // Ada's, unused
	bobsPayment   = "00000000-0000-4000-8000-0000000000e2"
	usedPayment   = "00000000-0000-4000-8000-0000000000e3" // Ada's, confirmed for orderID
	voidedPayment = "00000000-0000-4000-8000-0000000000e4" // Ada's, voided
	orderID       = "00000000-0000-4000-8000-0000000000d1"
	missingBasket = "00000000-0000-4000-8000-999999999999"
)

var (
	syrup  = catalog.Product{ID: syrupID, StoreID: wafflesID, StoreName: "Waffles", Name: "Syrup", Price: 499}
	cream  = catalog.Product{ID: creamID, StoreID: wafflesID, StoreName: "Waffles", Name: "Cream", Price: 250}
	orphan = catalog.Product{ID: orphanID, StoreID: "00000000-0000-4000-8000-00000000005b", Name: "Orphan", Price: 100}
)

// newCatalog returns the cache every use case test starts from, filled
// through its writes (whose record it then forgets).
func newCatalog() *fakeCache {
	c := newFakeCache()
	ctx := context.Background()
	err := errors.Join(
		c.SetStoreName(ctx, wafflesID, "Waffles", 1),
		c.AddProduct(ctx, syrupID, wafflesID, syrup.Name, syrup.Price, 1),
		c.AddProduct(ctx, creamID, wafflesID, cream.Name, cream.Price, 1),
		c.AddProduct(ctx, orphanID, orphan.StoreID, orphan.Name, orphan.Price, 1),
		c.AddCustomer(ctx, adaID, true, 1),
		c.AddCustomer(ctx, bobID, false, 2),
		c.AddPayment(ctx, paymentID, adaID),
		c.AddPayment(ctx, bobsPayment, bobID),
		c.AddPayment(ctx, usedPayment, adaID),
		c.SetPaymentOrder(ctx, usedPayment, orderID),
		c.AddPayment(ctx, voidedPayment, adaID),
		c.SetPaymentVoided(ctx, voidedPayment, orderID),
	)
	if err != nil {
		panic(err)
	}
	c.calls = nil
	return c
}

// item returns the event line for quantity units of p.
func item(p catalog.Product, quantity int) events.Item {
	return events.Item{StoreID: p.StoreID, StoreName: p.StoreName, ProductID: p.ID, ProductName: p.Name, Price: p.Price, Quantity: quantity}
}

// sequentialIDs returns a newID func making predictable UUIDs
// 00000000-0000-4000-8000-000000000001, …002, ...
func sequentialIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }
}
