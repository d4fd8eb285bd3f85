// Package fakecatalog is an in-memory stand-in for postgres.CatalogCache,
// for the handler tests of the services that keep a copy of the stores'
// catalog: it takes the catalog consumers' writes and answers the reads of
// the use cases that sell from it. Like the real cache it guards each field
// by the version of the event that set it, so it converges whatever order
// the events arrive in; internal/contract holds both to the same suite. It
// depends on the standard library and domain only.
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
	stores   map[string]store
	products map[string]product
	err      error
}

type store struct {
	name    string
	version int64
}

// product is a cached product; each field keeps the version that set it.
type product struct {
	storeID                   string
	name                      string
	price                     int64
	nameVersion, priceVersion int64
	removed                   bool
	removedVersion            int64
}

// New returns an empty cache.
func New() *Cache {
	return &Cache{stores: map[string]store{}, products: map[string]product{}}
}

// Fail makes every later call return err (nil: succeed again), as a
// database that went away would.
func (c *Cache) Fail(err error) {
	c.err = err
}

// Version returns the newest version stored for store or product id, 0
// when none.
func (c *Cache) Version(id string) int64 {
	p := c.products[id]
	return max(c.stores[id].version, p.nameVersion, p.priceVersion, p.removedVersion)
}

// SetStoreName records the store's name; an older or equal version changes
// nothing.
func (c *Cache) SetStoreName(_ context.Context, id, name string, version int64) error {
	if c.err != nil {
		return c.err
	}
	if c.stores[id].version < version {
		c.stores[id] = store{name: name, version: version}
	}
	return nil
}

// AddProduct records the product with its store, name and price, each field
// only where its stored version is older.
func (c *Cache) AddProduct(_ context.Context, id, storeID, name string, price, version int64) error {
	if c.err != nil {
		return c.err
	}
	p, ok := c.products[id]
	if !ok {
		p.storeID = storeID
	}
	p.setName(name, version)
	p.setPrice(price, version)
	c.products[id] = p
	return nil
}

// SetProductName renames a cached product, removed or not; ErrNotFound when
// it is not cached.
func (c *Cache) SetProductName(_ context.Context, id, name string, version int64) error {
	return c.change(id, func(p *product) { p.setName(name, version) })
}

// SetProductPrice reprices a cached product, removed or not; ErrNotFound
// when it is not cached.
func (c *Cache) SetProductPrice(_ context.Context, id string, price, version int64) error {
	return c.change(id, func(p *product) { p.setPrice(price, version) })
}

// RemoveProduct marks the product of store storeID removed; a product not
// cached yet is cached removed, as the real cache leaves a placeholder that
// a late AddProduct fills in.
func (c *Cache) RemoveProduct(_ context.Context, id, storeID string, version int64) error {
	if c.err != nil {
		return c.err
	}
	p, ok := c.products[id]
	if !ok {
		p.storeID = storeID
	}
	if p.removedVersion < version {
		p.removed, p.removedVersion = true, version
	}
	c.products[id] = p
	return nil
}

func (c *Cache) change(id string, fn func(*product)) error {
	if c.err != nil {
		return c.err
	}
	p, ok := c.products[id]
	if !ok {
		return fmt.Errorf("%w: product %s is not in the catalog cache yet", domain.ErrNotFound, id)
	}
	fn(&p)
	c.products[id] = p
	return nil
}

func (p *product) setName(name string, version int64) {
	if p.nameVersion < version {
		p.name, p.nameVersion = name, version
	}
}

func (p *product) setPrice(price, version int64) {
	if p.priceVersion < version {
		p.price, p.priceVersion = price, version
	}
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
			out[id] = catalog.Product{ID: id, StoreID: p.storeID, StoreName: c.stores[p.storeID].name, Name: p.name, Price: p.price}
		}
	}
	return out, nil
}
