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
// successful write publishes. Like the real one, a write whose fn fails saves
// and publishes nothing.
type fakeRepo struct {
	log     memrepo.Log
	baskets *memrepo.Table[*basket.Basket]
}

func newFakeRepo() *fakeRepo {
	f := &fakeRepo{}
	f.baskets = memrepo.NewTable(&f.log, "basket", (*basket.Basket).ID, func(b *basket.Basket) *basket.Basket {
		return basket.Rehydrate(b.ID(), b.CustomerID(), b.PaymentID(), b.Status(), b.Items(), b.Version())
	})
	return f
}

func (f *fakeRepo) Add(_ context.Context, b *basket.Basket, evs ...events.Event) error {
	return f.baskets.Add(b, evs)
}

func (f *fakeRepo) Update(_ context.Context, id string, fn func(*basket.Basket) ([]events.Event, error)) error {
	return f.baskets.Update(id, fn)
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
// postgres.BasketsCache: products and customers by ID, ErrNotFound for the
// rest, or err for everything when set.
type fakeCatalog struct {
	products  map[string]catalog.Product
	customers map[string]catalog.Customer
	err       error
}

func (f *fakeCatalog) Product(_ context.Context, id string) (catalog.Product, error) {
	if f.err != nil {
		return catalog.Product{}, f.err
	}
	p, ok := f.products[id]
	if !ok {
		return catalog.Product{}, fmt.Errorf("%w: cached product %s", domain.ErrNotFound, id)
	}
	return p, nil
}

func (f *fakeCatalog) Customer(_ context.Context, id string) (catalog.Customer, error) {
	if f.err != nil {
		return catalog.Customer{}, f.err
	}
	c, ok := f.customers[id]
	if !ok {
		return catalog.Customer{}, fmt.Errorf("%w: cached customer %s", domain.ErrNotFound, id)
	}
	return c, nil
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
	paymentID     = "00000000-0000-4000-8000-0000000000e1"
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
