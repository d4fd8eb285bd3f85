package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/catalog"
)

// CatalogCache is one service's local copy of the stores' catalog: store
// names, and products with their store, name, price and whether they were
// removed. It lives in the service's own schema (tables stores_cache and
// products_cache, the same shape in every schema that has them) and is
// filled by the service's consumers of the stores events. The baskets and
// orders services each keep one, so each prices what it sells from events
// and never calls the stores service.
//
// Every write joins the transaction in ctx, so inside a consumer it joins the
// transaction that records the message in the inbox: the effect and the
// inbox row commit together. Writes are idempotent and order-independent:
// each cached field keeps the version of the event that last set it and only
// a newer version overwrites it, because the events arrive through one queue
// per event type and a stale one can overtake a fresh one.
type CatalogCache struct {
	db *DB
	// service names the schema and words the errors ("the orders catalog
	// cache"); stores and products are its two tables.
	service, stores, products string
}

// NewCatalogCache returns the catalog cache in schema service, one of the
// services whose migrations create the cache tables (baskets, orders).
func NewCatalogCache(db *DB, service string) *CatalogCache {
	return &CatalogCache{db: db, service: service, stores: service + ".stores_cache", products: service + ".products_cache"}
}

// SetStoreName records that store id is called name as of version (from
// StoreCreated and StoreRebranded alike, so either may arrive first). An
// older or equal version changes nothing.
func (c *CatalogCache) SetStoreName(ctx context.Context, id, name string, version int64) error {
	return c.db.upsert(ctx, fmt.Sprintf("cache store %s", id), `
		INSERT INTO `+c.stores+` AS s (id, name, name_version) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_version = excluded.name_version, updated_at = now()
		WHERE s.name_version < excluded.name_version`,
		id, name, version)
}

// AddProduct records product id of store storeID, with its name and price
// (cents), both as of version. When the product is cached already (a
// redelivery, or fresher events got there first) each field is set only
// where its stored version is older. That holds for a removed product too,
// so the cached row ends the same whatever order the events arrive in.
func (c *CatalogCache) AddProduct(ctx context.Context, id, storeID, name string, price, version int64) error {
	return c.db.upsert(ctx, fmt.Sprintf("cache product %s", id), `
		INSERT INTO `+c.products+` AS p (id, store_id, name, name_version, price, price_version)
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
func (c *CatalogCache) SetProductName(ctx context.Context, id, name string, version int64) error {
	return c.updateProduct(ctx, `
		UPDATE `+c.products+` SET name = $2, name_version = $3, updated_at = now()
		WHERE id = $1 AND name_version < $3`,
		id, name, version)
}

// SetProductPrice records product id's price (cents) as of version, from
// ProductPriceIncreased and ProductPriceDecreased alike: both carry the new
// absolute price. Stale events, removed products and missing products are
// handled as in SetProductName.
func (c *CatalogCache) SetProductPrice(ctx context.Context, id string, price, version int64) error {
	return c.updateProduct(ctx, `
		UPDATE `+c.products+` SET price = $2, price_version = $3, updated_at = now()
		WHERE id = $1 AND price_version < $3`,
		id, price, version)
}

// RemoveProduct marks product id of store storeID removed as of version. The
// row stays, so that a late event about the product finds it instead of
// being retried as not arrived yet. Removal is final (the stores service
// deletes the product), so when it overtakes ProductAdded it leaves a removed
// placeholder row that the late ProductAdded then fills in.
func (c *CatalogCache) RemoveProduct(ctx context.Context, id, storeID string, version int64) error {
	return c.db.upsert(ctx, fmt.Sprintf("remove product %s from the cache", id), `
		INSERT INTO `+c.products+` AS p
			(id, store_id, name, name_version, price, price_version, removed, removed_version)
		VALUES ($1, $2, '', 0, 0, 0, true, $3)
		ON CONFLICT (id) DO UPDATE SET removed = true, removed_version = excluded.removed_version, updated_at = now()
		WHERE p.removed_version < excluded.removed_version`,
		id, storeID, version)
}

// Store returns cached store id, or ErrNotFound.
func (c *CatalogCache) Store(ctx context.Context, id string) (catalog.Store, error) {
	s := catalog.Store{ID: id}
	err := c.db.conn(ctx).QueryRow(ctx, "SELECT name FROM "+c.stores+" WHERE id = $1", id).Scan(&s.Name)
	if err != nil {
		return catalog.Store{}, notFound(err, "cached store", id)
	}
	return s, nil
}

// Product returns cached product id with its store's name ("" while the store
// is not cached yet), or ErrNotFound when it is unknown or removed.
func (c *CatalogCache) Product(ctx context.Context, id string) (catalog.Product, error) {
	found, err := c.Products(ctx, []string{id})
	if err != nil {
		return catalog.Product{}, err
	}
	p, ok := found[id]
	if !ok {
		return catalog.Product{}, fmt.Errorf("%w: cached product %s", domain.ErrNotFound, id)
	}
	return p, nil
}

// Products returns the products among ids (canonical lowercase UUIDs) that
// are cached and not removed, keyed by ID, each with its store's name (""
// while the store is not cached yet), in one query.
func (c *CatalogCache) Products(ctx context.Context, ids []string) (map[string]catalog.Product, error) {
	rows, err := c.db.conn(ctx).Query(ctx, `
		SELECT p.id, p.store_id, COALESCE(s.name, ''), p.name, p.price
		FROM `+c.products+` p LEFT JOIN `+c.stores+` s ON s.id = p.store_id
		WHERE p.id = ANY($1) AND NOT p.removed`, ids)
	if err != nil {
		return nil, fmt.Errorf("look up cached products: %w", err)
	}
	products, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (catalog.Product, error) {
		var p catalog.Product
		err := row.Scan(&p.ID, &p.StoreID, &p.StoreName, &p.Name, &p.Price)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("look up cached products: %w", err)
	}
	out := make(map[string]catalog.Product, len(products))
	for _, p := range products {
		out[p.ID] = p
	}
	return out, nil
}

// updateProduct runs a version-guarded UPDATE of one field of product id. No
// row updated means a stale event (nil) or a product not cached yet
// (ErrNotFound).
func (c *CatalogCache) updateProduct(ctx context.Context, sql string, args ...any) error {
	_, err := c.db.guardedUpdate(ctx, c.products, "id", sql,
		"product %s is not in the "+c.service+" catalog cache yet", args...)
	return err
}
