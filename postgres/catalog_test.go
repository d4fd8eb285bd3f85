package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/catalog"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/postgres"
)

// catalogCache is one service's catalog cache under test.
type catalogCache struct {
	*postgres.CatalogCache
	db      *postgres.DB
	service string
}

// eachCatalogCache runs test, in parallel with other tests, on the catalog
// cache of every service that keeps one, all in one fresh database: the
// same code over each schema.
func eachCatalogCache(t *testing.T, test func(ctx context.Context, t *testing.T, c catalogCache)) {
	t.Helper()
	t.Parallel()
	db, _ := testkit.Database(t)
	for _, service := range []string{"baskets", "orders"} {
		t.Run(service, func(t *testing.T) {
			t.Parallel()
			test(context.Background(), t, catalogCache{postgres.NewCatalogCache(db, service), db, service})
		})
	}
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

func (c catalogCache) readProductRow(t *testing.T, id string) productRow {
	t.Helper()
	var r productRow
	err := c.db.Pool.QueryRow(context.Background(), `
		SELECT store_id, name, name_version, price, price_version, removed, removed_version
		FROM `+c.service+`.products_cache WHERE id = $1`, id).
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

func TestCatalogCacheStoreNameIsVersioned(t *testing.T) {
	eachCatalogCache(t, func(ctx context.Context, t *testing.T, cache catalogCache) {
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
	})
}

func TestCatalogCacheProduct(t *testing.T) {
	eachCatalogCache(t, func(ctx context.Context, t *testing.T, cache catalogCache) {
		storeID, productID, gone := uuid.NewString(), uuid.NewString(), uuid.NewString()

		requireNoError(t, cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1))
		p, err := cache.Product(ctx, productID)
		requireNoError(t, err)
		if want := (catalog.Product{ID: productID, StoreID: storeID, Name: "Syrup", Price: 499}); p != want {
			t.Errorf("product before its store is cached = %+v, want %+v", p, want)
		}
		requireNoError(t, cache.SetStoreName(ctx, storeID, "Waffles", 1))
		p, err = cache.Product(ctx, productID)
		requireNoError(t, err)
		want := catalog.Product{ID: productID, StoreID: storeID, StoreName: "Waffles", Name: "Syrup", Price: 499}
		if p != want {
			t.Errorf("product = %+v, want %+v", p, want)
		}

		_, err = cache.Product(ctx, uuid.NewString())
		requireNotFound(t, err, "cached product")

		// Products reads several at once and leaves out the unknown and
		// the removed.
		requireNoError(t, cache.AddProduct(ctx, gone, storeID, "Gone", 100, 1))
		requireNoError(t, cache.RemoveProduct(ctx, gone, storeID, 2))
		found, err := cache.Products(ctx, []string{productID, gone, uuid.NewString()})
		requireNoError(t, err)
		if len(found) != 1 || found[productID] != want {
			t.Errorf("Products = %+v, want only %+v", found, want)
		}
		if found, err := cache.Products(ctx, nil); err != nil || len(found) != 0 {
			t.Errorf("Products(none) = %+v, %v; want none", found, err)
		}
	})
}

func TestCatalogCacheProductEventsOutOfOrder(t *testing.T) {
	eachCatalogCache(t, func(ctx context.Context, t *testing.T, cache catalogCache) {
		storeID, productID := uuid.NewString(), uuid.NewString()
		notYet := "product " + productID + " is not in the " + cache.service + " catalog cache yet"

		// ProductRebranded v2 before ProductAdded: not cached yet, retried.
		requireNotFound(t, cache.SetProductName(ctx, productID, "Golden syrup", 2), notYet)
		requireNotFound(t, cache.SetProductPrice(ctx, productID, 599, 3), notYet)

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
		if got := cache.readProductRow(t, productID); got != want {
			t.Errorf("row = %+v, want %+v", got, want)
		}
	})
}

func TestCatalogCacheAddProductUpdatesOnlyOlderFields(t *testing.T) {
	eachCatalogCache(t, func(ctx context.Context, t *testing.T, cache catalogCache) {
		storeID, newerPrice, newerName := uuid.NewString(), uuid.NewString(), uuid.NewString()

		requireNoError(t, cache.AddProduct(ctx, newerPrice, storeID, "Syrup", 499, 1))
		requireNoError(t, cache.SetProductPrice(ctx, newerPrice, 599, 3))
		requireNoError(t, cache.AddProduct(ctx, newerName, storeID, "Syrup", 499, 1))
		requireNoError(t, cache.SetProductName(ctx, newerName, "Maple syrup", 3))
		// A product snapshot at v2 sets each field whose stored version is
		// older and keeps the newer one, version included.
		requireNoError(t, cache.AddProduct(ctx, newerPrice, storeID, "Golden syrup", 549, 2))
		requireNoError(t, cache.AddProduct(ctx, newerName, storeID, "Golden syrup", 549, 2))

		for id, want := range map[string]productRow{
			newerPrice: {StoreID: storeID, Name: "Golden syrup", NameVersion: 2, Price: 599, PriceVersion: 3},
			newerName:  {StoreID: storeID, Name: "Maple syrup", NameVersion: 3, Price: 549, PriceVersion: 2},
		} {
			if got := cache.readProductRow(t, id); got != want {
				t.Errorf("row = %+v, want %+v", got, want)
			}
		}
	})
}

func TestCatalogCacheRemovedProduct(t *testing.T) {
	eachCatalogCache(t, func(ctx context.Context, t *testing.T, cache catalogCache) {
		storeID, productID := uuid.NewString(), uuid.NewString()

		requireNoError(t, cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1))
		requireNoError(t, cache.SetProductPrice(ctx, productID, 599, 3))
		requireNoError(t, cache.RemoveProduct(ctx, productID, storeID, 5))
		_, err := cache.Product(ctx, productID)
		requireNotFound(t, err, "cached product "+productID)

		removed := productRow{StoreID: storeID, Name: "Syrup", NameVersion: 1, Price: 599, PriceVersion: 3, Removed: true, RemovedVersion: 5}
		if got := cache.readProductRow(t, productID); got != removed {
			t.Fatalf("row = %+v, want %+v", got, removed)
		}
		// Late events about the removed product are acknowledged, never
		// retried as missing. Those from before the removal fill in what
		// the product was, as they would have in order; stale ones change
		// nothing.
		requireNoError(t, cache.SetProductPrice(ctx, productID, 649, 4))
		requireNoError(t, cache.SetProductName(ctx, productID, "Golden syrup", 2))
		requireNoError(t, cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1))
		requireNoError(t, cache.RemoveProduct(ctx, productID, storeID, 5))
		requireNoError(t, cache.RemoveProduct(ctx, productID, storeID, 4))
		removed.Name, removed.NameVersion, removed.Price, removed.PriceVersion = "Golden syrup", 2, 649, 4
		if got := cache.readProductRow(t, productID); got != removed {
			t.Errorf("row after late events = %+v, want %+v", got, removed)
		}
		if _, err := cache.Product(ctx, productID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Product after late events: err = %v, want ErrNotFound", err)
		}
	})
}

func TestCatalogCacheRemovalOvertakingProductAdded(t *testing.T) {
	eachCatalogCache(t, func(ctx context.Context, t *testing.T, cache catalogCache) {
		storeID, productID := uuid.NewString(), uuid.NewString()

		requireNoError(t, cache.RemoveProduct(ctx, productID, storeID, 2))
		requireNoError(t, cache.AddProduct(ctx, productID, storeID, "Syrup", 499, 1))
		requireNoError(t, cache.SetProductPrice(ctx, productID, 599, 1))
		if _, err := cache.Product(ctx, productID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Product: err = %v, want ErrNotFound", err)
		}
		// The removal leaves a placeholder that the late ProductAdded fills
		// in: the very row the events leave when they arrive in order.
		want := productRow{StoreID: storeID, Name: "Syrup", NameVersion: 1, Price: 499, PriceVersion: 1, Removed: true, RemovedVersion: 2}
		if got := cache.readProductRow(t, productID); got != want {
			t.Errorf("row = %+v, want %+v", got, want)
		}
	})
}

// TestCatalogCacheUpdateRacingTheCreationIsNeverLost races ProductRebranded
// against the ProductAdded it depends on, the way two queues deliver them.
// Whatever the interleaving, the rebrand is either applied or refused as not
// cached yet (and retried, as the consumer does); it is never acknowledged
// as stale while the product it renames commits beside it.
func TestCatalogCacheUpdateRacingTheCreationIsNeverLost(t *testing.T) {
	eachCatalogCache(t, func(ctx context.Context, t *testing.T, cache catalogCache) {
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
			if got := cache.readProductRow(t, productID); got.Name != "Golden syrup" || got.NameVersion != 2 {
				t.Fatalf("after the race the row is %+v: the rebrand was lost", got)
			}
		}
	})
}
