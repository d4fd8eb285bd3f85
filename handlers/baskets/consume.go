package baskets

import (
	"context"

	"github.com/mallbots/mallbots/events"
)

// The consumers below keep the local caches. The composition root wraps each
// one with messaging.On(Service, h.On<Event>), which names its queue
// "baskets.On<Event>" and runs it in one transaction with the message's inbox
// row. Each is idempotent and tolerates any delivery order: a stale event is
// acknowledged and changes nothing. An event that needs an entity the cache
// has not seen yet fails with an error wrapping domain.ErrNotFound, which the
// router retries until the earlier event lands (and poisons, with that
// reason, if it never does).

// OnStoreCreated caches the new store's name.
func (h *Handlers) OnStoreCreated(ctx context.Context, e events.StoreCreated) error {
	return h.cache.SetStoreName(ctx, e.StoreID, e.Name, e.Version)
}

// OnStoreRebranded caches the store's new name; it may arrive before
// StoreCreated, which then changes nothing.
func (h *Handlers) OnStoreRebranded(ctx context.Context, e events.StoreRebranded) error {
	return h.cache.SetStoreName(ctx, e.StoreID, e.Name, e.Version)
}

// OnProductAdded caches the new product with its store, name and price.
func (h *Handlers) OnProductAdded(ctx context.Context, e events.ProductAdded) error {
	return h.cache.AddProduct(ctx, e.ProductID, e.StoreID, e.Name, e.Price, e.Version)
}

// OnProductRebranded caches the product's new name; ErrNotFound (retried)
// while the product is not cached yet.
func (h *Handlers) OnProductRebranded(ctx context.Context, e events.ProductRebranded) error {
	return h.cache.SetProductName(ctx, e.ProductID, e.Name, e.Version)
}

// OnProductPriceIncreased caches the product's new absolute price (not the
// delta, so redeliveries converge); ErrNotFound (retried) while the product
// is not cached yet.
func (h *Handlers) OnProductPriceIncreased(ctx context.Context, e events.ProductPriceIncreased) error {
	return h.cache.SetProductPrice(ctx, e.ProductID, e.Price, e.Version)
}

// OnProductPriceDecreased caches the product's new absolute price;
// ErrNotFound (retried) while the product is not cached yet.
func (h *Handlers) OnProductPriceDecreased(ctx context.Context, e events.ProductPriceDecreased) error {
	return h.cache.SetProductPrice(ctx, e.ProductID, e.Price, e.Version)
}

// OnProductRemoved marks the product removed, so baskets can no longer add
// it; later events about it are ignored.
func (h *Handlers) OnProductRemoved(ctx context.Context, e events.ProductRemoved) error {
	return h.cache.RemoveProduct(ctx, e.ProductID, e.StoreID, e.Version)
}

// OnCustomerRegistered caches the new customer and whether they may shop.
func (h *Handlers) OnCustomerRegistered(ctx context.Context, e events.CustomerRegistered) error {
	return h.cache.AddCustomer(ctx, e.CustomerID, e.Enabled, e.Version)
}

// OnCustomerEnabled records that the customer may shop again; ErrNotFound
// (retried) while the customer is not cached yet.
func (h *Handlers) OnCustomerEnabled(ctx context.Context, e events.CustomerEnabled) error {
	return h.cache.SetCustomerEnabled(ctx, e.CustomerID, true, e.Version)
}

// OnCustomerDisabled records that the customer may no longer shop;
// ErrNotFound (retried) while the customer is not cached yet.
func (h *Handlers) OnCustomerDisabled(ctx context.Context, e events.CustomerDisabled) error {
	return h.cache.SetCustomerEnabled(ctx, e.CustomerID, false, e.Version)
}
