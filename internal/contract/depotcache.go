package contract

import (
	"context"
	"fmt"
	"testing"

	"github.com/mallbots/mallbots/domain/depot"
)

// DepotStoreCache is handlers/depot's copy of the stores' names and
// locations (postgres.DepotCache).
type DepotStoreCache interface {
	SetStore(ctx context.Context, id, name, location string, version int64) error
	SetStoreName(ctx context.Context, id, name string, version int64) error
	Stores(ctx context.Context, ids []string) (map[string]depot.Store, error)
}

// RunDepotStoreCache holds the depot's store cache to its contract: Stores
// answers the known stores among the IDs asked for, a store being known
// once its StoreCreated (SetStore, with the location) arrived; the name is
// guarded by the version of the event that set it, so the cache ends the
// same whatever order StoreCreated and StoreRebranded arrive in and however
// often; the location, set once, stays.
func RunDepotStoreCache[R DepotStoreCache](t *testing.T, open func(*testing.T) R) {
	t.Run("Stores answers the stores known by their StoreCreated", func(t *testing.T) {
		c := open(t)
		ctx := context.Background()
		a, b := newID(), newID()
		must(t, "set store", c.SetStore(ctx, a, "Waffles", "Level 1", 1))
		must(t, "rename", c.SetStoreName(ctx, b, "Bolts & Nuts", 2))
		assertStores := func(want map[string]depot.Store) {
			t.Helper()
			got, err := c.Stores(ctx, []string{a, b, newID()})
			must(t, "stores", err)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("Stores = %v, want %v", got, want)
			}
		}
		assertStores(map[string]depot.Store{a: {ID: a, Name: "Waffles", Location: "Level 1"}})
		must(t, "set store", c.SetStore(ctx, b, "Bolts", "Level 2", 1))
		assertStores(map[string]depot.Store{a: {ID: a, Name: "Waffles", Location: "Level 1"}, b: {ID: b, Name: "Bolts & Nuts", Location: "Level 2"}})
	})

	t.Run("the cache converges in any arrival order", func(t *testing.T) {
		c := open(t)
		ctx := context.Background()
		writes := []write{
			{"StoreCreated", func(s, _ string) error { return c.SetStore(ctx, s, "Waffles", "Level 1", 1) }},
			{"StoreRebranded v2", func(s, _ string) error { return c.SetStoreName(ctx, s, "Pancakes", 2) }},
			{"StoreRebranded v3", func(s, _ string) error { return c.SetStoreName(ctx, s, "Crêpes", 3) }},
		}
		assertConverges(t, writes, func(id, _ string) (any, any, error) {
			got, err := c.Stores(ctx, []string{id})
			return got, map[string]depot.Store{id: {ID: id, Name: "Crêpes", Location: "Level 1"}}, err
		})
	})
}
