package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain/catalog"
)

// BasketsCache is the baskets service's local copy of the stores' catalog and
// of its customers, in schema baskets, filled by consumers of the stores and
// customers events.
//
// Every write runs through DB.Transact, so inside a consumer it joins the
// transaction that records the message in the inbox: the effect and the
// inbox row commit together. Writes are idempotent and order-independent:
// each cached field keeps the version of the event that last set it and only
// a newer version overwrites it, because the events arrive through one queue
// per event type and a stale one can overtake a fresh one.
type BasketsCache struct {
	db *DB
}

// NewBasketsCache returns the baskets service's cache.
func NewBasketsCache(db *DB) *BasketsCache { return &BasketsCache{db: db} }

// SetStoreName records that store id is called name as of version (from
// StoreCreated and StoreRebranded alike, so either may arrive first). An
// older or equal version changes nothing.
func (c *BasketsCache) SetStoreName(ctx context.Context, id, name string, version int64) error {
	return c.exec(ctx, fmt.Sprintf("cache store %s", id), `
		INSERT INTO baskets.stores_cache AS s (id, name, name_version) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_version = excluded.name_version, updated_at = now()
		WHERE s.name_version < excluded.name_version`,
		id, name, version)
}

// AddProduct records product id of store storeID, with its name and price
// (cents), both as of version. When the product is cached already (a
// redelivery, or fresher events got there first) each field is set only
// where its stored version is older. That holds for a removed product too,
// so the cached row ends the same whatever order the events arrive in.
func (c *BasketsCache) AddProduct(ctx context.Context, id, storeID, name string, price, version int64) error {
	return c.exec(ctx, fmt.Sprintf("cache product %s", id), `
		INSERT INTO baskets.products_cache AS p (id, store_id, name, name_version, price, price_version)
		VALUES ($1, $2, $3, $5, $4, $5)
		ON CONFLICT (id) DO UPDATE SET
			name          = CASE WHEN p.name_version < excluded.name_version THEN excluded.name ELSE p.name END,
			name_version  = GREATEST(p.name_version, excluded.name_version),
			price         = CASE WHEN p.price_version < excluded.price_version THEN excluded.price ELSE p.price END,
			price_version = GREATEST(p.price_version, excluded.price_version),
			updated_at    = now()
		WHERE p.name_version < excluded.name_version OR p.price_version < excluded.price_version`,
		id, storeID, name, price, version)
}

// SetProductName records product id's name as of version. A stale event (the
// stored name is as new or newer) changes nothing. An event about a removed
// product is applied like any other: it happened before the removal, which
// is final, so the row ends the same whatever the arrival order. When the
// product is not cached yet, because this event overtook its ProductAdded,
// the error wraps domain.ErrNotFound so the consumer retries until
// ProductAdded lands.
func (c *BasketsCache) SetProductName(ctx context.Context, id, name string, version int64) error {
	return c.updateProduct(ctx, `
		UPDATE baskets.products_cache SET name = $2, name_version = $3, updated_at = now()
		WHERE id = $1 AND name_version < $3`,
		id, name, version)
}

// SetProductPrice records product id's price (cents) as of version, from
// ProductPriceIncreased and ProductPriceDecreased alike: both carry the new
// absolute price. Stale events, removed products and missing products are
// handled as in SetProductName.
func (c *BasketsCache) SetProductPrice(ctx context.Context, id string, price, version int64) error {
	return c.updateProduct(ctx, `
		UPDATE baskets.products_cache SET price = $2, price_version = $3, updated_at = now()
		WHERE id = $1 AND price_version < $3`,
		id, price, version)
}

// RemoveProduct marks product id of store storeID removed as of version. The
// row stays, so that a late event about the product finds it instead of
// being retried as not arrived yet. Removal is final (the stores service
// deletes the product), so when it overtakes ProductAdded it leaves a removed
// placeholder row that the late ProductAdded then fills in.
func (c *BasketsCache) RemoveProduct(ctx context.Context, id, storeID string, version int64) error {
	return c.exec(ctx, fmt.Sprintf("remove product %s from the cache", id), `
		INSERT INTO baskets.products_cache AS p
			(id, store_id, name, name_version, price, price_version, removed, removed_version)
		VALUES ($1, $2, '', 0, 0, 0, true, $3)
		ON CONFLICT (id) DO UPDATE SET removed = true, removed_version = excluded.removed_version, updated_at = now()
		WHERE p.removed_version < excluded.removed_version`,
		id, storeID, version)
}

// AddCustomer records customer id, enabled or not as of version. An older or
// equal version changes nothing.
func (c *BasketsCache) AddCustomer(ctx context.Context, id string, enabled bool, version int64) error {
	return c.exec(ctx, fmt.Sprintf("cache customer %s", id), `
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

// Store returns cached store id, or ErrNotFound.
func (c *BasketsCache) Store(ctx context.Context, id string) (catalog.Store, error) {
	s := catalog.Store{ID: id}
	err := c.db.reader(ctx).QueryRow(ctx, "SELECT name FROM baskets.stores_cache WHERE id = $1", id).Scan(&s.Name)
	if err != nil {
		return catalog.Store{}, notFound(err, "cached store", id)
	}
	return s, nil
}

// Product returns cached product id with its store's name ("" while the store
// is not cached yet), or ErrNotFound when it is unknown or removed.
func (c *BasketsCache) Product(ctx context.Context, id string) (catalog.Product, error) {
	p := catalog.Product{ID: id}
	err := c.db.reader(ctx).QueryRow(ctx, `
		SELECT p.store_id, COALESCE(s.name, ''), p.name, p.price
		FROM baskets.products_cache p LEFT JOIN baskets.stores_cache s ON s.id = p.store_id
		WHERE p.id = $1 AND NOT p.removed`, id).Scan(&p.StoreID, &p.StoreName, &p.Name, &p.Price)
	if err != nil {
		return catalog.Product{}, notFound(err, "cached product", id)
	}
	return p, nil
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

// exec runs one upsert in the transaction in ctx, or in its own.
func (c *BasketsCache) exec(ctx context.Context, what, sql string, args ...any) error {
	return c.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
}

// updateProduct runs a version-guarded UPDATE of one field of product id. No
// row updated means a stale event (nil) or a product not cached yet
// (ErrNotFound).
func (c *BasketsCache) updateProduct(ctx context.Context, sql string, args ...any) error {
	_, err := c.db.guardedUpdate(ctx, "baskets.products_cache", "id", sql,
		"product %s is not in the baskets catalog cache yet", args...)
	return err
}
