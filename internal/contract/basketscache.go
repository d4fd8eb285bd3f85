package contract

import (
	"context"
	"testing"

	"github.com/mallbots/mallbots/catalogcache"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/catalog"
)

// BasketsCacheWrites is handlers/baskets' cacheRepository
// (postgres.BasketsCache): the consumers' writes to its copies of the
// catalog, the customers and the payments.
type BasketsCacheWrites interface {
	catalogcache.Cache
	AddCustomer(ctx context.Context, id string, enabled bool, version int64) error
	SetCustomerEnabled(ctx context.Context, id string, enabled bool, version int64) error
	AddPayment(ctx context.Context, id, customerID string) error
	SetPaymentOrder(ctx context.Context, id, orderID string) error
	SetPaymentVoided(ctx context.Context, id, orderID string) error
}

// BasketsCacheReads is handlers/baskets' catalogReader
// (postgres.BasketsCache again): the use cases' reads of the same copies.
type BasketsCacheReads interface {
	Product(ctx context.Context, id string) (catalog.Product, error)
	Customer(ctx context.Context, id string) (catalog.Customer, error)
	Payment(ctx context.Context, id string) (catalog.Payment, error)
}

// BasketsCache is the baskets service's cache, written and read: one
// implementation of both interfaces.
type BasketsCache interface {
	BasketsCacheWrites
	BasketsCacheReads
}

// RunBasketsCache holds the baskets cache to its contract, beyond the
// catalog's own (RunCatalogCache):
//
//   - Product answers a cached product on sale with its store's name, and
//     domain.ErrNotFound for one unknown or removed.
//   - Customer answers whether a cached customer may shop, guarded by the
//     version of the event that said so, so it ends the same whatever order
//     the events arrive in; SetCustomerEnabled and Customer are
//     domain.ErrNotFound until AddCustomer.
//   - Payment answers who authorized a payment, the one order it was
//     confirmed for (the first recorded) and whether it was voided: facts
//     that each event fills in once, in any order; domain.ErrNotFound until
//     one of them arrives.
func RunBasketsCache[R BasketsCache](t *testing.T, open func(*testing.T) R) {
	t.Run("Product answers the products on sale", func(t *testing.T) {
		c := open(t)
		ctx := context.Background()
		storeID, syrupID, goneID := newID(), newID(), newID()
		must(t, "cache the store", c.SetStoreName(ctx, storeID, "Waffles", 1))
		must(t, "add", c.AddProduct(ctx, syrupID, storeID, "Syrup", 499, 1))
		must(t, "add", c.AddProduct(ctx, goneID, storeID, "Gone", 100, 1))
		must(t, "remove", c.RemoveProduct(ctx, goneID, storeID, 2))
		got, err := c.Product(ctx, syrupID)
		must(t, "product", err)
		if want := (catalog.Product{ID: syrupID, StoreID: storeID, StoreName: "Waffles", Name: "Syrup", Price: 499}); got != want {
			t.Errorf("Product = %+v, want %+v", got, want)
		}
		for _, id := range []string{goneID, newID()} {
			_, err := c.Product(ctx, id)
			assertKind(t, err, domain.ErrNotFound)
		}
	})

	t.Run("whether a customer may shop converges in any arrival order", func(t *testing.T) {
		c, ctx := open(t), context.Background()
		_, err := c.Customer(ctx, newID())
		assertKind(t, err, domain.ErrNotFound)
		writes := []write{
			{"CustomerRegistered", func(id, _ string) error { return c.AddCustomer(ctx, id, true, 1) }},
			{"CustomerDisabled v2", func(id, _ string) error { return c.SetCustomerEnabled(ctx, id, false, 2) }},
			{"CustomerEnabled v3", func(id, _ string) error { return c.SetCustomerEnabled(ctx, id, true, 3) }},
			{"CustomerDisabled v4", func(id, _ string) error { return c.SetCustomerEnabled(ctx, id, false, 4) }},
		}
		assertConverges(t, writes, func(id, _ string) (any, any, error) {
			got, err := c.Customer(ctx, id)
			return got, catalog.Customer{ID: id, Enabled: false}, err
		})
	})

	t.Run("a payment converges in any arrival order", func(t *testing.T) {
		c := open(t)
		ctx := context.Background()
		_, err := c.Payment(ctx, newID())
		assertKind(t, err, domain.ErrNotFound)
		customerID, orderID := newID(), newID()
		all := []write{
			{"PaymentAuthorized", func(id, _ string) error { return c.AddPayment(ctx, id, customerID) }},
			{"PaymentConfirmed", func(id, _ string) error { return c.SetPaymentOrder(ctx, id, orderID) }},
			{"PaymentVoided", func(id, _ string) error { return c.SetPaymentVoided(ctx, id, orderID) }},
		}
		for _, tc := range []struct {
			writes []write
			want   catalog.Payment // its ID is filled in
		}{
			{all[:1], catalog.Payment{CustomerID: customerID}},
			{all[:2], catalog.Payment{CustomerID: customerID, OrderID: orderID}},
			{all, catalog.Payment{CustomerID: customerID, OrderID: orderID, Voided: true}},
			{all[1:2], catalog.Payment{OrderID: orderID}},
			{all[1:], catalog.Payment{OrderID: orderID, Voided: true}},
		} {
			assertConverges(t, tc.writes, func(id, _ string) (any, any, error) {
				got, err := c.Payment(ctx, id)
				want := tc.want
				want.ID = id
				return got, want, err
			})
		}
		id := newID()
		must(t, "confirm", c.SetPaymentOrder(ctx, id, orderID))
		must(t, "confirm for another order", c.SetPaymentOrder(ctx, id, newID()))
		if got, err := c.Payment(ctx, id); err != nil || got.OrderID != orderID {
			t.Errorf("payment %+v (%v), want the first order recorded, %s", got, err, orderID)
		}
	})
}
