package contract

import (
	"context"
	"testing"

	"github.com/mallbots/mallbots/catalogcache"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/catalog"
)

// CatalogCache is a service's copy of the stores' catalog as
// handlers/orders declares it (postgres.CatalogCache): the writes of the
// catalog consumers and the read that prices an order.
type CatalogCache interface {
	catalogcache.Cache
	Products(ctx context.Context, ids []string) (map[string]catalog.Product, error)
}

// RunCatalogCache holds a catalog cache to its contract
// (catalogcache.Cache):
//
//   - Products answers the cached products among the IDs asked for, with
//     their store's name ("" until the store is cached), leaving out the
//     unknown and the removed.
//   - A product's name or price update before the product is cached fails
//     with domain.ErrNotFound, for the consumer to retry.
//   - Every write is idempotent and guarded by the version of the event
//     that carries it, field by field, so the cache ends the same whatever
//     order the events arrive in (retrying the not-found ones) and however
//     often each is delivered; a removal is final.
func RunCatalogCache[R CatalogCache](t *testing.T, open func(*testing.T) R) {
	t.Run("Products answers the cached products on sale", func(t *testing.T) {
		c := open(t)
		ctx := context.Background()
		storeID, syrupID, goneID := newID(), newID(), newID()
		must(t, "add", c.AddProduct(ctx, syrupID, storeID, "Syrup", 499, 1))
		want := catalog.Product{ID: syrupID, StoreID: storeID, Name: "Syrup", Price: 499}
		assertProducts := func(ids []string, want ...catalog.Product) {
			t.Helper()
			got, err := c.Products(ctx, ids)
			must(t, "products", err)
			if len(got) != len(want) {
				t.Errorf("Products(%v) = %v, want %v", ids, got, want)
			}
			for _, p := range want {
				if got[p.ID] != p {
					t.Errorf("Products(%v)[%s] = %+v, want %+v", ids, p.ID, got[p.ID], p)
				}
			}
		}
		assertProducts([]string{syrupID}, want)
		must(t, "cache the store", c.SetStoreName(ctx, storeID, "Waffles", 1))
		want.StoreName = "Waffles"
		must(t, "add", c.AddProduct(ctx, goneID, storeID, "Gone", 100, 1))
		must(t, "remove", c.RemoveProduct(ctx, goneID, storeID, 2))
		assertProducts([]string{syrupID, goneID, newID()}, want)
		assertProducts(nil)
	})

	t.Run("updates of a product not cached yet are not found", func(t *testing.T) {
		c := open(t)
		assertKind(t, c.SetProductName(context.Background(), newID(), "Golden syrup", 2), domain.ErrNotFound)
		assertKind(t, c.SetProductPrice(context.Background(), newID(), 599, 2), domain.ErrNotFound)
	})

	// A store's and a product's life, each event delivered twice, and an
	// AddProduct of a later snapshot (version 2, as a replay could carry).
	life := func(c CatalogCache) []write {
		ctx := context.Background()
		return []write{
			{"StoreCreated", func(s, p string) error { return c.SetStoreName(ctx, s, "Waffles", 1) }},
			{"StoreRebranded", func(s, p string) error { return c.SetStoreName(ctx, s, "Crêpes", 3) }},
			{"ProductAdded", func(s, p string) error { return c.AddProduct(ctx, p, s, "Syrup", 499, 1) }},
			{"ProductAdded v2", func(s, p string) error { return c.AddProduct(ctx, p, s, "Golden syrup", 549, 2) }},
			{"ProductRebranded", func(s, p string) error { return c.SetProductName(ctx, p, "Maple syrup", 3) }},
			{"ProductPriceIncreased", func(s, p string) error { return c.SetProductPrice(ctx, p, 599, 4) }},
		}
	}
	for _, tc := range []struct {
		name    string
		removed bool
		product catalog.Product // its IDs are filled in
	}{
		{"a product on sale", false, catalog.Product{StoreName: "Crêpes", Name: "Maple syrup", Price: 599}},
		{"a removed product", true, catalog.Product{}},
	} {
		t.Run("the cache converges in any arrival order: "+tc.name, func(t *testing.T) {
			c := open(t)
			writes := life(c)
			if tc.removed {
				writes = append(writes, write{"ProductRemoved", func(s, p string) error {
					return c.RemoveProduct(context.Background(), p, s, 5)
				}})
			}
			assertConverges(t, writes, func(storeID, productID string) (any, any, error) {
				found, err := c.Products(context.Background(), []string{productID})
				want := map[string]catalog.Product{}
				if !tc.removed {
					p := tc.product
					p.ID, p.StoreID = productID, storeID
					want[productID] = p
				}
				return found, want, err
			})
		})
	}
}
