// Package catalogcache holds the consumers that keep a service's local copy
// of the stores' catalog (event-carried state transfer), for every service
// that sells at the catalog's prices without calling the stores service:
// baskets and orders. What each stores event means to such a copy is decided
// here once, and stored by postgres.CatalogCache, one implementation for
// both.
//
// A service embeds Consumers in its Handlers, so the consumers are its own
// methods: the composition root wraps each with
// consumer.Of((*Consumers).On<Event>), which names its queue
// "<service>.On<Event>" and runs it in one transaction with the message's
// inbox row, so a redelivery does nothing. Each consumer is idempotent and
// tolerates any delivery order: a stale event is acknowledged and changes
// nothing. An event about a product the cache has not seen yet fails with an
// error wrapping domain.ErrNotFound, which the router retries until the
// earlier event lands (and poisons, with that reason, if it never does).
package catalogcache

import (
	"context"

	"github.com/mallbots/mallbots/events"
)

// Cache is where the consumers write (postgres.CatalogCache). Every write
// is idempotent and version-guarded field by field (a store's name, a
// product's name, its price, its removal): an event older than what is
// stored changes nothing and succeeds, so the cache ends the same whatever
// order the events arrive in. Writes join the transaction in ctx. The
// product updates (SetProductName, SetProductPrice) return an error wrapping
// domain.ErrNotFound while the product is not cached; they apply to a
// removed product like to any other. AddProduct sets each field whose stored
// version is older. RemoveProduct is final: a product not cached yet is
// cached removed, and a late AddProduct fills it in without putting it back
// on sale. internal/contract.RunCatalogCache states this as tests.
type Cache interface {
	SetStoreName(ctx context.Context, id, name string, version int64) error
	AddProduct(ctx context.Context, id, storeID, name string, price, version int64) error
	SetProductName(ctx context.Context, id, name string, version int64) error
	SetProductPrice(ctx context.Context, id string, price, version int64) error
	RemoveProduct(ctx context.Context, id, storeID string, version int64) error
}

// Consumers keeps one service's catalog cache from the stores events.
type Consumers struct {
	cache Cache
}

// New returns the consumers that keep c.
func New(c Cache) Consumers { return Consumers{cache: c} }

// OnStoreCreated caches the new store's name.
func (c Consumers) OnStoreCreated(ctx context.Context, e events.StoreCreated) error {
	return c.cache.SetStoreName(ctx, e.StoreID, e.Name, e.Version)
}

// OnStoreRebranded caches the store's new name; it may arrive before
// StoreCreated, which then changes nothing.
func (c Consumers) OnStoreRebranded(ctx context.Context, e events.StoreRebranded) error {
	return c.cache.SetStoreName(ctx, e.StoreID, e.Name, e.Version)
}

// OnProductAdded caches the new product with its store, name and price.
func (c Consumers) OnProductAdded(ctx context.Context, e events.ProductAdded) error {
	return c.cache.AddProduct(ctx, e.ProductID, e.StoreID, e.Name, e.Price, e.Version)
}

// OnProductRebranded caches the product's new name; ErrNotFound (retried)
// while the product is not cached yet.
func (c Consumers) OnProductRebranded(ctx context.Context, e events.ProductRebranded) error {
	return c.cache.SetProductName(ctx, e.ProductID, e.Name, e.Version)
}

// OnProductPriceIncreased caches the product's new absolute price (not the
// delta, so redeliveries converge); ErrNotFound (retried) while the product
// is not cached yet.
func (c Consumers) OnProductPriceIncreased(ctx context.Context, e events.ProductPriceIncreased) error {
	return c.cache.SetProductPrice(ctx, e.ProductID, e.Price, e.Version)
}

// OnProductPriceDecreased caches the product's new absolute price;
// ErrNotFound (retried) while the product is not cached yet.
func (c Consumers) OnProductPriceDecreased(ctx context.Context, e events.ProductPriceDecreased) error {
	return c.cache.SetProductPrice(ctx, e.ProductID, e.Price, e.Version)
}

// OnProductRemoved marks the product removed, so it can no longer be sold;
// later events about it are ignored.
func (c Consumers) OnProductRemoved(ctx context.Context, e events.ProductRemoved) error {
	return c.cache.RemoveProduct(ctx, e.ProductID, e.StoreID, e.Version)
}
