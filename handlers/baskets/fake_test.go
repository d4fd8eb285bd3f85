package baskets_test

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/basket"
	"github.com/mallbots/mallbots/domain/catalog"
	"github.com/mallbots/mallbots/events"
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

// fakeCatalog is an in-memory stand-in for the reads of
// postgres.BasketsCache: products, customers and payments by ID, ErrNotFound
// for the rest, or err for everything when set.
type fakeCatalog struct {
	products  map[string]catalog.Product
	customers map[string]catalog.Customer
	payments  map[string]catalog.Payment
	err       error
}

func (f *fakeCatalog) Product(_ context.Context, id string) (catalog.Product, error) {
	return lookup(f, f.products, "product", id)
}

func (f *fakeCatalog) Customer(_ context.Context, id string) (catalog.Customer, error) {
	return lookup(f, f.customers, "customer", id)
}

func (f *fakeCatalog) Payment(_ context.Context, id string) (catalog.Payment, error) {
	return lookup(f, f.payments, "payment", id)
}

// lookup returns the cached value of id in m, f.err when set, and
// ErrNotFound naming what for an id m does not hold.
func lookup[T any](f *fakeCatalog, m map[string]T, what, id string) (T, error) {
	var zero T
	if f.err != nil {
		return zero, f.err
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

func newCatalog() *fakeCatalog {
	return &fakeCatalog{
		products: map[string]catalog.Product{syrupID: syrup, creamID: cream, orphanID: orphan},
		customers: map[string]catalog.Customer{
			adaID: {ID: adaID, Enabled: true},
			bobID: {ID: bobID, Enabled: false},
		},
		payments: map[string]catalog.Payment{
			paymentID:     {ID: paymentID, CustomerID: adaID},
			bobsPayment:   {ID: bobsPayment, CustomerID: bobID},
			usedPayment:   {ID: usedPayment, CustomerID: adaID, OrderID: orderID},
			voidedPayment: {ID: voidedPayment, CustomerID: adaID, OrderID: orderID, Voided: true},
		},
	}
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
