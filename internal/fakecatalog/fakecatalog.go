// Package fakecatalog is an in-memory stand-in for postgres.CatalogCache,
// for the handler tests of the services that keep a copy of the stores'
// catalog: it takes the catalog consumers' writes and answers the reads of
// the use cases that sell from it. It keeps the version of each entity's
// last write but does not guard by it: ordering and staleness are the
// database's to get right and postgres' tests to prove. It depends on the
// standard library and domain only.
package fakecatalog

import (
	"context"
	"fmt"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/catalog"
)

// Cache is the fake catalog cache, for one goroutine at a time. The zero
// value is not usable; use New.
type Cache struct {
	stores   map[string]string // id → name
	products map[string]product
	versions map[string]int64 // store or product id → version of its last write
	err      error
}

type product struct {
	storeID, name string
	price         int64
	removed       bool
}

// New returns an empty cache.
func New() *Cache {
	return &Cache{stores: map[string]string{}, products: map[string]product{}, versions: map[string]int64{}}
}

// Fail makes every later call return err (nil: succeed again), as a
// database that went away would.
func (c *Cache) Fail(err error) {
	c.err = err
}

// Version returns the version of the last write to store or product id, 0
// when none.
func (c *Cache) Version(id string) int64 {
	return c.versions[id]
}

// SetStoreName records the store's name.
func (c *Cache) SetStoreName(_ context.Context, id, name string, version int64) error {
	if c.err != nil {
		return c.err
	}
	c.stores[id], c.versions[id] = name, version
	return nil
}

// AddProduct records the product with its store, name and price.
func (c *Cache) AddProduct(_ context.Context, id, storeID, name string, price, version int64) error {
	if c.err != nil {
		return c.err
	}
	c.products[id], c.versions[id] = product{storeID: storeID, name: name, price: price}, version
	return nil
}

// SetProductName renames a cached product; ErrNotFound when it is not.
func (c *Cache) SetProductName(_ context.Context, id, name string, version int64) error {
	return c.change(id, version, func(p *product) { p.name = name })
}

// SetProductPrice reprices a cached product; ErrNotFound when it is not.
func (c *Cache) SetProductPrice(_ context.Context, id string, price, version int64) error {
	return c.change(id, version, func(p *product) { p.price = price })
}

// RemoveProduct marks the product of store storeID removed; a product not
// cached yet is cached removed, as the real cache leaves a placeholder.
func (c *Cache) RemoveProduct(_ context.Context, id, storeID string, version int64) error {
	if c.err != nil {
		return c.err
	}
	p := c.products[id]
	p.storeID, p.removed = storeID, true
	c.products[id], c.versions[id] = p, version
	return nil
}

func (c *Cache) change(id string, version int64, fn func(*product)) error {
	if c.err != nil {
		return c.err
	}
	p, ok := c.products[id]
	if !ok {
		return fmt.Errorf("%w: product %s is not in the catalog cache yet", domain.ErrNotFound, id)
	}
	fn(&p)
	c.products[id], c.versions[id] = p, version
	return nil
}

// Products returns the cached, not removed products among ids, by ID, each
// with its store's name ("" while the store is not cached).
func (c *Cache) Products(_ context.Context, ids []string) (map[string]catalog.Product, error) {
	if c.err != nil {
		return nil, c.err
	}
	out := map[string]catalog.Product{}
	for _, id := range ids {
		if p, ok := c.products[id]; ok && !p.removed {
			out[id] = catalog.Product{ID: id, StoreID: p.storeID, StoreName: c.stores[p.storeID], Name: p.name, Price: p.price}
		}
	}
	return out, nil
}
