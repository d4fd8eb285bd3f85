package baskets

import (
	"context"

	"github.com/mallbots/mallbots/events"
)

// The consumers below keep the local caches of the customers and the
// payments; those of the stores' catalog (OnStoreCreated, OnProductAdded, …)
// are the embedded catalogcache.Consumers, shared with orders. The
// composition root wraps each one with consumer.Of((*Handlers).On<Event>),
// which names its queue "baskets.On<Event>" and runs it in one transaction
// with the message's inbox row. Each is idempotent and tolerates any
// delivery order: a stale event is acknowledged and changes nothing. An
// event that needs an entity the cache has not seen yet fails with an error
// wrapping domain.ErrNotFound, which the router retries until the earlier
// event lands (and poisons, with that reason, if it never does).

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

// OnPaymentAuthorized caches the new payment and who authorized it, so that
// checkout can refuse another customer's payment at once.
func (h *Handlers) OnPaymentAuthorized(ctx context.Context, e events.PaymentAuthorized) error {
	return h.cache.AddPayment(ctx, e.PaymentID, e.CustomerID)
}

// OnPaymentConfirmed records the order the payment now pays for, so that
// checkout refuses it for any other basket. It may arrive before
// PaymentAuthorized, which then fills in the customer.
func (h *Handlers) OnPaymentConfirmed(ctx context.Context, e events.PaymentConfirmed) error {
	return h.cache.SetPaymentOrder(ctx, e.PaymentID, e.OrderID)
}

// OnPaymentVoided records that the payment was released; payments never
// uses a voided payment again, so neither does checkout.
func (h *Handlers) OnPaymentVoided(ctx context.Context, e events.PaymentVoided) error {
	return h.cache.SetPaymentVoided(ctx, e.PaymentID, e.OrderID)
}
