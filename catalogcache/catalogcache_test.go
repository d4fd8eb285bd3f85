package catalogcache_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mallbots/mallbots/catalogcache"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/catalog"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/fakecatalog"
)

const (
	storeID   = "00000000-0000-4000-8000-00000000000a"
	productID = "00000000-0000-4000-8000-00000000000b"
)

// TestConsumersKeepTheCache feeds a product's and its store's life through
// the consumers and checks what the cache sells after each event: the
// fields the event carries, at its version.
func TestConsumersKeepTheCache(t *testing.T) {
	cache := fakecatalog.New()
	c := catalogcache.New(cache)
	ctx := context.Background()
	product := func(store, name string, price int64) catalog.Product {
		return catalog.Product{ID: productID, StoreID: storeID, StoreName: store, Name: name, Price: price}
	}
	steps := []struct {
		name    string
		consume func() error
		product catalog.Product // zero: not on sale
		id      string          // whose version the event set
		version int64
	}{
		{"ProductAdded, before its store", func() error {
			return c.OnProductAdded(ctx, events.ProductAdded{ProductID: productID, StoreID: storeID, Name: "Syrup",
				Description: "maple", SKU: "S-1", Price: 499, Version: 1})
		}, product("", "Syrup", 499), productID, 1},
		{"StoreCreated", func() error {
			return c.OnStoreCreated(ctx, events.StoreCreated{StoreID: storeID, Name: "Waffles", Location: "Level 1", Version: 1})
		}, product("Waffles", "Syrup", 499), storeID, 1},
		{"StoreRebranded", func() error {
			return c.OnStoreRebranded(ctx, events.StoreRebranded{StoreID: storeID, Name: "Crêpes", Version: 4})
		}, product("Crêpes", "Syrup", 499), storeID, 4},
		{"ProductRebranded", func() error {
			return c.OnProductRebranded(ctx, events.ProductRebranded{ProductID: productID, StoreID: storeID, Name: "Golden syrup",
				Description: "cane", Version: 2})
		}, product("Crêpes", "Golden syrup", 499), productID, 2},
		{"ProductPriceIncreased: the new price, not the delta", func() error {
			return c.OnProductPriceIncreased(ctx, events.ProductPriceIncreased{ProductID: productID, StoreID: storeID, Delta: 100, Price: 599, Version: 3})
		}, product("Crêpes", "Golden syrup", 599), productID, 3},
		{"ProductPriceDecreased: the new price, not the delta", func() error {
			return c.OnProductPriceDecreased(ctx, events.ProductPriceDecreased{ProductID: productID, StoreID: storeID, Delta: 50, Price: 549, Version: 4})
		}, product("Crêpes", "Golden syrup", 549), productID, 4},
		{"ProductRemoved", func() error {
			return c.OnProductRemoved(ctx, events.ProductRemoved{ProductID: productID, StoreID: storeID, Version: 5})
		}, catalog.Product{}, productID, 5},
	}
	for _, s := range steps {
		if err := s.consume(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		found, err := cache.Products(ctx, []string{productID})
		if err != nil || found[productID] != s.product {
			t.Errorf("after %s: product = %+v (%v), want %+v", s.name, found[productID], err, s.product)
		}
		if v := cache.Version(s.id); v != s.version {
			t.Errorf("after %s: version = %d, want %d", s.name, v, s.version)
		}
	}
}

// TestConsumersReturnTheCacheError: the router tells a transient
// not-found (an event that overtook ProductAdded) from a permanent failure
// by the error's kind, so the consumers return the cache's error as is.
func TestConsumersReturnTheCacheError(t *testing.T) {
	ctx := context.Background()
	c := catalogcache.New(fakecatalog.New())
	for name, consume := range map[string]func() error{
		"OnProductRebranded": func() error {
			return c.OnProductRebranded(ctx, events.ProductRebranded{ProductID: productID, Name: "Golden syrup", Version: 2})
		},
		"OnProductPriceIncreased": func() error {
			return c.OnProductPriceIncreased(ctx, events.ProductPriceIncreased{ProductID: productID, Price: 599, Version: 2})
		},
		"OnProductPriceDecreased": func() error {
			return c.OnProductPriceDecreased(ctx, events.ProductPriceDecreased{ProductID: productID, Price: 399, Version: 2})
		},
	} {
		if err := consume(); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s before ProductAdded: err = %v, want it to wrap domain.ErrNotFound", name, err)
		}
	}
	boom := errors.New("connection reset")
	cache := fakecatalog.New()
	cache.Fail(boom)
	c = catalogcache.New(cache)
	for name, err := range map[string]error{
		"OnStoreCreated":   c.OnStoreCreated(ctx, events.StoreCreated{StoreID: storeID, Name: "Waffles", Version: 1}),
		"OnStoreRebranded": c.OnStoreRebranded(ctx, events.StoreRebranded{StoreID: storeID, Name: "Crêpes", Version: 2}),
		"OnProductAdded":   c.OnProductAdded(ctx, events.ProductAdded{ProductID: productID, StoreID: storeID, Name: "Syrup", Price: 499, Version: 1}),
		"OnProductRemoved": c.OnProductRemoved(ctx, events.ProductRemoved{ProductID: productID, StoreID: storeID, Version: 3}),
	} {
		if !errors.Is(err, boom) {
			t.Errorf("%s: err = %v, want the cache's", name, err)
		}
	}
}
