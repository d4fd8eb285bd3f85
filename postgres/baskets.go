package postgres

import (
	"context"
	"fmt"

	"github.com/mallbots/mallbots/domain/catalog"
)

// BasketsCache is the baskets service's local copy of other services' data,
// in schema baskets: the stores' catalog (the embedded CatalogCache), its
// customers and the payment authorizations, filled by consumers of the
// stores, customers and payments events.
//
// Like CatalogCache's, every write joins the transaction in ctx (a
// consumer's, with its inbox row), is idempotent, and converges whatever
// order the events arrive in.
type BasketsCache struct {
	*CatalogCache
	db *DB
}

// NewBasketsCache returns the baskets service's cache.
func NewBasketsCache(db *DB) *BasketsCache {
	return &BasketsCache{CatalogCache: NewCatalogCache(db, "baskets"), db: db}
}

// AddCustomer records customer id, enabled or not as of version. An older or
// equal version changes nothing.
func (c *BasketsCache) AddCustomer(ctx context.Context, id string, enabled bool, version int64) error {
	return c.db.upsert(ctx, fmt.Sprintf("cache customer %s", id), `
		INSERT INTO baskets.customers_cache AS c (id, enabled, enabled_version) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, enabled_version = excluded.enabled_version, updated_at = now()
		WHERE c.enabled_version < excluded.enabled_version`,
		id, enabled, version)
}

// SetCustomerEnabled records whether customer id may shop as of version. A
// stale event changes nothing. When the customer is not cached yet (the
// event overtook CustomerRegistered) the error wraps domain.ErrNotFound so
// the consumer retries.
func (c *BasketsCache) SetCustomerEnabled(ctx context.Context, id string, enabled bool, version int64) error {
	_, err := c.db.guardedUpdate(ctx, "baskets.customers_cache", "id", `
		UPDATE baskets.customers_cache SET enabled = $2, enabled_version = $3, updated_at = now()
		WHERE id = $1 AND enabled_version < $3`,
		"customer %s is not in the baskets customer cache yet", id, enabled, version)
	return err
}

// Customer returns cached customer id, or ErrNotFound.
func (c *BasketsCache) Customer(ctx context.Context, id string) (catalog.Customer, error) {
	cu := catalog.Customer{ID: id}
	err := c.db.conn(ctx).QueryRow(ctx, "SELECT enabled FROM baskets.customers_cache WHERE id = $1", id).Scan(&cu.Enabled)
	if err != nil {
		return catalog.Customer{}, notFound(err, "cached customer", id)
	}
	return cu, nil
}

// The payment writes below need no versions: each sets one fact that, once
// true, stays true (who authorized the payment, the one order it was
// confirmed for, that it was voided), so each only fills a field still
// empty, and any event may come first: a later one leaves a row that the
// earlier one then fills in. The row ends the same in every arrival order,
// and a redelivery changes nothing.

// AddPayment records payment id, authorized by customer customerID (from
// PaymentAuthorized).
func (c *BasketsCache) AddPayment(ctx context.Context, id, customerID string) error {
	return c.fillPayment(ctx, id, "customer_id", customerID)
}

// SetPaymentOrder records that payment id was confirmed for order orderID
// (from PaymentConfirmed). Payments confirms a payment for one order at most,
// so the first order recorded is the only one.
func (c *BasketsCache) SetPaymentOrder(ctx context.Context, id, orderID string) error {
	return c.fillPayment(ctx, id, "order_id", orderID)
}

// fillPayment sets column of payment id to value unless it is set already,
// caching the payment if need be.
func (c *BasketsCache) fillPayment(ctx context.Context, id, column, value string) error {
	return c.db.upsert(ctx, fmt.Sprintf("cache payment %s", id), `
		INSERT INTO baskets.payments_cache AS p (id, `+column+`) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET `+column+` = excluded.`+column+`, updated_at = now()
		WHERE p.`+column+` IS NULL`,
		id, value)
}

// SetPaymentVoided records that payment id, confirmed for order orderID,
// was voided (from PaymentVoided); a voided payment is never used again.
func (c *BasketsCache) SetPaymentVoided(ctx context.Context, id, orderID string) error {
	return c.db.upsert(ctx, fmt.Sprintf("cache payment %s", id), `
		INSERT INTO baskets.payments_cache AS p (id, order_id, voided) VALUES ($1, $2, true)
		ON CONFLICT (id) DO UPDATE SET voided = true, order_id = COALESCE(p.order_id, excluded.order_id), updated_at = now()
		WHERE NOT p.voided OR p.order_id IS NULL`,
		id, orderID)
}

// Payment returns cached payment id, or ErrNotFound when no event about it
// has arrived.
func (c *BasketsCache) Payment(ctx context.Context, id string) (catalog.Payment, error) {
	p := catalog.Payment{ID: id}
	err := c.db.conn(ctx).QueryRow(ctx, `
		SELECT COALESCE(customer_id::text, ''), COALESCE(order_id::text, ''), voided
		FROM baskets.payments_cache WHERE id = $1`, id).Scan(&p.CustomerID, &p.OrderID, &p.Voided)
	if err != nil {
		return catalog.Payment{}, notFound(err, "cached payment", id)
	}
	return p, nil
}
