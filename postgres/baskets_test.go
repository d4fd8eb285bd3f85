package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/catalog"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/postgres"
)

func newBasketsCache(t *testing.T) (*postgres.DB, *postgres.BasketsCache) {
	t.Helper()
	db, _ := testkit.Database(t)
	return db, postgres.NewBasketsCache(db)
}

func TestBasketsCacheIsIdempotent(t *testing.T) {
	t.Parallel()
	db, cache := newBasketsCache(t)
	ctx := context.Background()
	storeID, productID, customerID := uuid.NewString(), uuid.NewString(), uuid.NewString()

	apply := []func() error{
		func() error { return cache.SetStoreName(ctx, storeID, "Waffles", 1) },
		func() error { return cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1) },
		func() error { return cache.SetProductName(ctx, productID, "Golden syrup", 2) },
		func() error { return cache.SetProductPrice(ctx, productID, 599, 3) },
		func() error { return cache.AddCustomer(ctx, customerID, true, 1) },
		func() error { return cache.SetCustomerEnabled(ctx, customerID, false, 2) },
	}
	type state struct {
		product  productRow
		store    catalog.Store
		customer catalog.Customer
	}
	read := func() state {
		s, err := cache.Store(ctx, storeID)
		requireNoError(t, err)
		c, err := cache.Customer(ctx, customerID)
		requireNoError(t, err)
		return state{catalogCache{cache.CatalogCache, db, "baskets"}.readProductRow(t, productID), s, c}
	}
	for _, f := range apply {
		requireNoError(t, f())
	}
	first := read()
	for _, f := range apply {
		requireNoError(t, f())
	}
	if again := read(); again != first {
		t.Errorf("state after redelivering every event = %+v, want %+v", again, first)
	}
	if first.customer.Enabled || first.product.Price != 599 || first.product.Name != "Golden syrup" {
		t.Errorf("state = %+v, want the latest values", first)
	}
}

func TestBasketsCacheCustomer(t *testing.T) {
	t.Parallel()
	_, cache := newBasketsCache(t)
	ctx := context.Background()
	id := uuid.NewString()

	// CustomerDisabled before CustomerRegistered: not cached yet, retried.
	err := cache.SetCustomerEnabled(ctx, id, false, 2)
	requireNotFound(t, err, "customer "+id+" is not in the baskets customer cache yet")
	_, err = cache.Customer(ctx, id)
	requireNotFound(t, err, "cached customer "+id)

	requireNoError(t, cache.AddCustomer(ctx, id, true, 1))
	requireNoError(t, cache.SetCustomerEnabled(ctx, id, false, 2))
	requireNoError(t, cache.AddCustomer(ctx, id, true, 1)) // CustomerRegistered redelivered late
	c, err := cache.Customer(ctx, id)
	requireNoError(t, err)
	if c != (catalog.Customer{ID: id, Enabled: false}) {
		t.Errorf("customer = %+v, want disabled at v2", c)
	}

	// CustomerEnabled v4 overtakes CustomerDisabled v3.
	requireNoError(t, cache.SetCustomerEnabled(ctx, id, true, 4))
	requireNoError(t, cache.SetCustomerEnabled(ctx, id, false, 3))
	if c, _ := cache.Customer(ctx, id); !c.Enabled {
		t.Errorf("customer = %+v, want enabled at v4", c)
	}
}

func TestBasketsCacheJoinsTheCallersTransaction(t *testing.T) {
	t.Parallel()
	db, cache := newBasketsCache(t)
	ctx := context.Background()
	storeID, productID, customerID, paymentID := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	requireNoError(t, cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1))

	// As in a consumer: the router's transaction holds the inbox row; when
	// it rolls back, the cache writes made inside it vanish too.
	boom := errors.New("boom")
	err := db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
		return errors.Join(
			cache.SetStoreName(ctx, storeID, "Waffles", 1),
			cache.SetProductPrice(ctx, productID, 599, 2),
			cache.AddCustomer(ctx, customerID, true, 1),
			cache.AddPayment(ctx, paymentID, customerID),
			boom)
	})
	if !errors.Is(err, boom) || err.Error() != boom.Error() {
		t.Fatalf("err = %v, want boom alone (the cache writes succeeded)", err)
	}
	if _, err := cache.Store(ctx, storeID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("store cached despite the rollback (err = %v)", err)
	}
	if _, err := cache.Customer(ctx, customerID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("customer cached despite the rollback (err = %v)", err)
	}
	if _, err := cache.Payment(ctx, paymentID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("payment cached despite the rollback (err = %v)", err)
	}
	if got := (catalogCache{cache.CatalogCache, db, "baskets"}).readProductRow(t, productID); got.Price != 499 || got.PriceVersion != 1 {
		t.Errorf("price changed despite the rollback: %+v", got)
	}

	// A not-yet-cached product inside the transaction fails it without
	// aborting it: the caller decides.
	var notYet error
	err = db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
		notYet = cache.SetProductName(ctx, uuid.NewString(), "X", 2)
		return cache.SetStoreName(ctx, storeID, "Waffles", 1)
	})
	requireNoError(t, err)
	requireNotFound(t, notYet, "not in the baskets catalog cache yet")
	if s, err := cache.Store(ctx, storeID); err != nil || s.Name != "Waffles" {
		t.Errorf("store = %+v, %v; want Waffles", s, err)
	}
}

// TestBasketsCachePaymentEventsInAnyOrder delivers a payment's events in
// every order, each twice (a redelivery, or the same event re-sent): the
// cached payment ends the same every time.
func TestBasketsCachePaymentEventsInAnyOrder(t *testing.T) {
	t.Parallel()
	_, cache := newBasketsCache(t)
	ctx := context.Background()
	customerID, orderID := uuid.NewString(), uuid.NewString()

	_, err := cache.Payment(ctx, uuid.NewString())
	requireNotFound(t, err, "cached payment")

	type event func(id string) error
	var (
		authorized event = func(id string) error { return cache.AddPayment(ctx, id, customerID) }
		confirmed  event = func(id string) error { return cache.SetPaymentOrder(ctx, id, orderID) }
		voided     event = func(id string) error { return cache.SetPaymentVoided(ctx, id, orderID) }
	)
	for _, tc := range []struct {
		name   string
		events []event
		want   catalog.Payment // ID filled in per case
	}{
		{"authorized", []event{authorized}, catalog.Payment{CustomerID: customerID}},
		{"authorized, confirmed", []event{authorized, confirmed}, catalog.Payment{CustomerID: customerID, OrderID: orderID}},
		{"confirmed, authorized", []event{confirmed, authorized}, catalog.Payment{CustomerID: customerID, OrderID: orderID}},
		{"confirmed alone", []event{confirmed}, catalog.Payment{OrderID: orderID}},
		{"authorized, confirmed, voided", []event{authorized, confirmed, voided}, catalog.Payment{CustomerID: customerID, OrderID: orderID, Voided: true}},
		{"authorized, voided, confirmed", []event{authorized, voided, confirmed}, catalog.Payment{CustomerID: customerID, OrderID: orderID, Voided: true}},
		{"confirmed, authorized, voided", []event{confirmed, authorized, voided}, catalog.Payment{CustomerID: customerID, OrderID: orderID, Voided: true}},
		{"confirmed, voided, authorized", []event{confirmed, voided, authorized}, catalog.Payment{CustomerID: customerID, OrderID: orderID, Voided: true}},
		{"voided, authorized, confirmed", []event{voided, authorized, confirmed}, catalog.Payment{CustomerID: customerID, OrderID: orderID, Voided: true}},
		{"voided, confirmed, authorized", []event{voided, confirmed, authorized}, catalog.Payment{CustomerID: customerID, OrderID: orderID, Voided: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := uuid.NewString()
			for _, e := range tc.events {
				requireNoError(t, e(id))
				requireNoError(t, e(id)) // delivered again
			}
			tc.want.ID = id
			got, err := cache.Payment(ctx, id)
			requireNoError(t, err)
			if got != tc.want {
				t.Errorf("payment = %+v, want %+v", got, tc.want)
			}
		})
	}
}
