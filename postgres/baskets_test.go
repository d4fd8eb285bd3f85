package postgres_test

import (
	"context"
	"errors"
	"strings"
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

// productRow is a products_cache row, versions included, as stored.
type productRow struct {
	StoreID             string
	Name                string
	NameVersion         int64
	Price, PriceVersion int64
	Removed             bool
	RemovedVersion      int64
}

func readProductRow(t *testing.T, db *postgres.DB, id string) productRow {
	t.Helper()
	var r productRow
	err := db.Pool.QueryRow(context.Background(), `
		SELECT store_id, name, name_version, price, price_version, removed, removed_version
		FROM baskets.products_cache WHERE id = $1`, id).
		Scan(&r.StoreID, &r.Name, &r.NameVersion, &r.Price, &r.PriceVersion, &r.Removed, &r.RemovedVersion)
	if err != nil {
		t.Fatalf("read cached product %s: %v", id, err)
	}
	return r
}

func requireNoError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func requireNotFound(t *testing.T, err error, text string) {
	t.Helper()
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("err = %v, want it to wrap domain.ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), text) {
		t.Errorf("err = %q, want it to contain %q", err, text)
	}
}

func TestBasketsCacheStoreNameIsVersioned(t *testing.T) {
	t.Parallel()
	_, cache := newBasketsCache(t)
	ctx := context.Background()
	id := uuid.NewString()

	_, err := cache.Store(ctx, id)
	requireNotFound(t, err, id)

	// StoreRebranded v2 overtakes StoreCreated v1.
	requireNoError(t, cache.SetStoreName(ctx, id, "Crêpes", 2))
	requireNoError(t, cache.SetStoreName(ctx, id, "Waffles", 1))
	s, err := cache.Store(ctx, id)
	requireNoError(t, err)
	if s != (catalog.Store{ID: id, Name: "Crêpes"}) {
		t.Errorf("store = %+v, want the v2 name", s)
	}
	requireNoError(t, cache.SetStoreName(ctx, id, "Crêpes", 2)) // redelivery
	if s, _ := cache.Store(ctx, id); s.Name != "Crêpes" {
		t.Errorf("store name = %q after a redelivery, want Crêpes", s.Name)
	}
	requireNoError(t, cache.SetStoreName(ctx, id, "Pancakes", 3))
	if s, _ := cache.Store(ctx, id); s.Name != "Pancakes" {
		t.Errorf("store name = %q after v3, want Pancakes", s.Name)
	}
}

func TestBasketsCacheProduct(t *testing.T) {
	t.Parallel()
	_, cache := newBasketsCache(t)
	ctx := context.Background()
	storeID, productID := uuid.NewString(), uuid.NewString()

	requireNoError(t, cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1))
	p, err := cache.Product(ctx, productID)
	requireNoError(t, err)
	if want := (catalog.Product{ID: productID, StoreID: storeID, Name: "Syrup", Price: 499}); p != want {
		t.Errorf("product before its store is cached = %+v, want %+v", p, want)
	}
	requireNoError(t, cache.SetStoreName(ctx, storeID, "Waffles", 1))
	p, err = cache.Product(ctx, productID)
	requireNoError(t, err)
	if want := (catalog.Product{ID: productID, StoreID: storeID, StoreName: "Waffles", Name: "Syrup", Price: 499}); p != want {
		t.Errorf("product = %+v, want %+v", p, want)
	}

	_, err = cache.Product(ctx, uuid.NewString())
	requireNotFound(t, err, "cached product")
}

func TestBasketsCacheProductEventsOutOfOrder(t *testing.T) {
	t.Parallel()
	db, cache := newBasketsCache(t)
	ctx := context.Background()
	storeID, productID := uuid.NewString(), uuid.NewString()

	// ProductRebranded v2 before ProductAdded: not cached yet, retried.
	err := cache.SetProductName(ctx, productID, "Golden syrup", 2)
	requireNotFound(t, err, "product "+productID+" is not in the baskets catalog cache yet")
	err = cache.SetProductPrice(ctx, productID, 599, 3)
	requireNotFound(t, err, "product "+productID+" is not in the baskets catalog cache yet")

	requireNoError(t, cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1))
	// The retries land.
	requireNoError(t, cache.SetProductName(ctx, productID, "Golden syrup", 2))
	requireNoError(t, cache.SetProductPrice(ctx, productID, 599, 3))
	// A stale ProductPriceDecreased v2 arrives after v3 was applied.
	requireNoError(t, cache.SetProductPrice(ctx, productID, 449, 2))
	// ProductAdded v1 is delivered again after v2 and v3.
	requireNoError(t, cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1))
	// ProductRebranded v4 lands, then the stale v2 is delivered again.
	requireNoError(t, cache.SetProductName(ctx, productID, "Maple syrup", 4))
	requireNoError(t, cache.SetProductName(ctx, productID, "Golden syrup", 2))

	want := productRow{StoreID: storeID, Name: "Maple syrup", NameVersion: 4, Price: 599, PriceVersion: 3}
	if got := readProductRow(t, db, productID); got != want {
		t.Errorf("row = %+v, want %+v", got, want)
	}
}

func TestBasketsCacheAddProductUpdatesOnlyOlderFields(t *testing.T) {
	t.Parallel()
	db, cache := newBasketsCache(t)
	ctx := context.Background()
	storeID, newerPrice, newerName := uuid.NewString(), uuid.NewString(), uuid.NewString()

	requireNoError(t, cache.AddProduct(ctx, newerPrice, storeID, "Syrup", 499, 1))
	requireNoError(t, cache.SetProductPrice(ctx, newerPrice, 599, 3))
	requireNoError(t, cache.AddProduct(ctx, newerName, storeID, "Syrup", 499, 1))
	requireNoError(t, cache.SetProductName(ctx, newerName, "Maple syrup", 3))
	// A product snapshot at v2 sets each field whose stored version is older
	// and keeps the newer one, version included.
	requireNoError(t, cache.AddProduct(ctx, newerPrice, storeID, "Golden syrup", 549, 2))
	requireNoError(t, cache.AddProduct(ctx, newerName, storeID, "Golden syrup", 549, 2))

	for id, want := range map[string]productRow{
		newerPrice: {StoreID: storeID, Name: "Golden syrup", NameVersion: 2, Price: 599, PriceVersion: 3},
		newerName:  {StoreID: storeID, Name: "Maple syrup", NameVersion: 3, Price: 549, PriceVersion: 2},
	} {
		if got := readProductRow(t, db, id); got != want {
			t.Errorf("row = %+v, want %+v", got, want)
		}
	}
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
		return state{readProductRow(t, db, productID), s, c}
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

func TestBasketsCacheRemovedProduct(t *testing.T) {
	t.Parallel()
	db, cache := newBasketsCache(t)
	ctx := context.Background()
	storeID, productID := uuid.NewString(), uuid.NewString()

	requireNoError(t, cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1))
	requireNoError(t, cache.SetProductPrice(ctx, productID, 599, 3))
	requireNoError(t, cache.RemoveProduct(ctx, productID, storeID, 5))
	_, err := cache.Product(ctx, productID)
	requireNotFound(t, err, "cached product "+productID)

	removed := productRow{StoreID: storeID, Name: "Syrup", NameVersion: 1, Price: 599, PriceVersion: 3, Removed: true, RemovedVersion: 5}
	if got := readProductRow(t, db, productID); got != removed {
		t.Fatalf("row = %+v, want %+v", got, removed)
	}
	// Late events about the removed product are acknowledged, never retried
	// as missing. Those from before the removal fill in what the product
	// was, as they would have in order; stale ones change nothing.
	requireNoError(t, cache.SetProductPrice(ctx, productID, 649, 4))
	requireNoError(t, cache.SetProductName(ctx, productID, "Golden syrup", 2))
	requireNoError(t, cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1))
	requireNoError(t, cache.RemoveProduct(ctx, productID, storeID, 5))
	requireNoError(t, cache.RemoveProduct(ctx, productID, storeID, 4))
	removed.Name, removed.NameVersion, removed.Price, removed.PriceVersion = "Golden syrup", 2, 649, 4
	if got := readProductRow(t, db, productID); got != removed {
		t.Errorf("row after late events = %+v, want %+v", got, removed)
	}
	if _, err := cache.Product(ctx, productID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Product after late events: err = %v, want ErrNotFound", err)
	}
}

func TestBasketsCacheRemovalOvertakingProductAdded(t *testing.T) {
	t.Parallel()
	db, cache := newBasketsCache(t)
	ctx := context.Background()
	storeID, productID := uuid.NewString(), uuid.NewString()

	requireNoError(t, cache.RemoveProduct(ctx, productID, storeID, 2))
	requireNoError(t, cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1))
	requireNoError(t, cache.SetProductPrice(ctx, productID, 599, 1))
	if _, err := cache.Product(ctx, productID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Product: err = %v, want ErrNotFound", err)
	}
	// The removal leaves a placeholder that the late ProductAdded fills in:
	// the very row the events leave when they arrive in order.
	want := productRow{StoreID: storeID, Name: "Syrup", NameVersion: 1, Price: 499, PriceVersion: 1, Removed: true, RemovedVersion: 2}
	if got := readProductRow(t, db, productID); got != want {
		t.Errorf("row = %+v, want %+v", got, want)
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
	storeID, productID, customerID := uuid.NewString(), uuid.NewString(), uuid.NewString()
	requireNoError(t, cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1))

	// As in a consumer: the router's transaction holds the inbox row; when
	// it rolls back, the cache writes made inside it vanish too.
	boom := errors.New("boom")
	err := db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
		return errors.Join(
			cache.SetStoreName(ctx, storeID, "Waffles", 1),
			cache.SetProductPrice(ctx, productID, 599, 2),
			cache.AddCustomer(ctx, customerID, true, 1),
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
	if got := readProductRow(t, db, productID); got.Price != 499 || got.PriceVersion != 1 {
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

// TestBasketsCacheUpdateRacingTheCreationIsNeverLost races ProductRebranded
// against the ProductAdded it depends on, the way two queues deliver them.
// Whatever the interleaving, the rebrand is either applied or refused as not
// cached yet (and retried, as the consumer does); it is never acknowledged
// as stale while the product it renames commits beside it.
func TestBasketsCacheUpdateRacingTheCreationIsNeverLost(t *testing.T) {
	t.Parallel()
	db, cache := newBasketsCache(t)
	ctx := context.Background()
	storeID := uuid.NewString()
	for range 300 {
		productID := uuid.NewString()
		added := make(chan error, 1)
		go func() { added <- cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1) }()
		for {
			err := cache.SetProductName(ctx, productID, "Golden syrup", 2)
			if err == nil {
				break
			}
			if !errors.Is(err, domain.ErrNotFound) {
				t.Fatal(err)
			}
		}
		requireNoError(t, <-added)
		if got := readProductRow(t, db, productID); got.Name != "Golden syrup" || got.NameVersion != 2 {
			t.Fatalf("after the race the row is %+v: the rebrand was lost", got)
		}
	}
}
