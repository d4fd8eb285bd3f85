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
