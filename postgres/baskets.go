package postgres

import (
	"context"
	"fmt"

	"github.com/mallbots/mallbots/domain/catalog"
)

// BasketsCache is the baskets service's local copy of other services' data,
// in schema baskets: the stores' catalog (the embedded CatalogCache) and its
// customers, filled by consumers of the stores and customers events.
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
	err := c.db.reader(ctx).QueryRow(ctx, "SELECT enabled FROM baskets.customers_cache WHERE id = $1", id).Scan(&cu.Enabled)
	if err != nil {
		return catalog.Customer{}, notFound(err, "cached customer", id)
	}
	return cu, nil
}
