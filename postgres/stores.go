package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/store"
	"github.com/mallbots/mallbots/events"
)

// Stores is the stores service's repository: stores and their products in
// schema stores, with the service's outbox inside every write.
type Stores struct {
	db     *DB
	outbox Outbox
}

// NewStores returns the stores repository.
func NewStores(db *DB, outbox Outbox) *Stores { return &Stores{db: db, outbox: outbox} }

const storeColumns = "id, name, location, participating, version"

func scanStore(row pgx.Row) (*store.Store, error) {
	var id, name, location string
	var participating bool
	var version int64
	if err := row.Scan(&id, &name, &location, &participating, &version); err != nil {
		return nil, err
	}
	return store.Rehydrate(id, name, location, participating, version), nil
}

// Add saves a new store and publishes evs with it.
func (r *Stores) Add(ctx context.Context, s *store.Store, evs ...events.Event) error {
	return insert(ctx, r.db, r.outbox, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO stores.stores ("+storeColumns+") VALUES ($1, $2, $3, $4, $5)",
			s.ID(), s.Name(), s.Location(), s.Participating(), s.Version())
		if err != nil {
			return fmt.Errorf("insert store %s: %w", s.ID(), err)
		}
		return nil
	}, evs)
}

// Update changes store id with fn under a row lock and publishes the events
// fn returns, in one transaction. ErrNotFound when there is no such store.
func (r *Stores) Update(ctx context.Context, id string, fn func(*store.Store) ([]events.Event, error)) error {
	return update(ctx, r.db, r.outbox,
		func(ctx context.Context, tx pgx.Tx) (*store.Store, error) {
			s, err := scanStore(tx.QueryRow(ctx, "SELECT "+storeColumns+" FROM stores.stores WHERE id = $1 FOR UPDATE", id))
			if err != nil {
				return nil, notFound(err, "store", id)
			}
			return s, nil
		},
		func(ctx context.Context, tx pgx.Tx, s *store.Store) error {
			_, err := tx.Exec(ctx, "UPDATE stores.stores SET name = $2, participating = $3, version = $4, updated_at = now() WHERE id = $1",
				s.ID(), s.Name(), s.Participating(), s.Version())
			if err != nil {
				return fmt.Errorf("save store %s: %w", s.ID(), err)
			}
			return nil
		}, fn)
}

// Get returns store id, or ErrNotFound.
func (r *Stores) Get(ctx context.Context, id string) (*store.Store, error) {
	s, err := scanStore(r.db.conn(ctx).QueryRow(ctx, "SELECT "+storeColumns+" FROM stores.stores WHERE id = $1", id))
	if err != nil {
		return nil, notFound(err, "store", id)
	}
	return s, nil
}

// List returns the stores by name; only the participating ones when
// participatingOnly is set.
func (r *Stores) List(ctx context.Context, participatingOnly bool) ([]*store.Store, error) {
	rows, err := r.db.conn(ctx).Query(ctx, "SELECT "+storeColumns+" FROM stores.stores WHERE participating OR NOT $1 ORDER BY name, id", participatingOnly)
	if err != nil {
		return nil, fmt.Errorf("list stores: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Store, error) { return scanStore(row) })
}

const productColumns = "id, store_id, name, description, sku, price, version"

func scanProduct(row pgx.Row) (*store.Product, error) {
	var id, storeID, name, description, sku string
	var price, version int64
	if err := row.Scan(&id, &storeID, &name, &description, &sku, &price, &version); err != nil {
		return nil, err
	}
	return store.RehydrateProduct(id, storeID, name, description, sku, price, version), nil
}

// AddProduct saves a new product and publishes evs with it. ErrNotFound when
// its store does not exist.
func (r *Stores) AddProduct(ctx context.Context, p *store.Product, evs ...events.Event) error {
	return insert(ctx, r.db, r.outbox, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO stores.products ("+productColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7)",
			p.ID(), p.StoreID(), p.Name(), p.Description(), p.SKU(), p.Price(), p.Version())
		if isForeignKeyViolation(err) {
			return fmt.Errorf("%w: store %s", domain.ErrNotFound, p.StoreID())
		}
		if err != nil {
			return fmt.Errorf("insert product %s: %w", p.ID(), err)
		}
		return nil
	}, evs)
}

func lockProduct(ctx context.Context, tx pgx.Tx, id string) (*store.Product, error) {
	p, err := scanProduct(tx.QueryRow(ctx, "SELECT "+productColumns+" FROM stores.products WHERE id = $1 FOR UPDATE", id))
	if err != nil {
		return nil, notFound(err, "product", id)
	}
	return p, nil
}

// UpdateProduct changes product id with fn under a row lock and publishes
// the events fn returns, in one transaction. ErrNotFound when there is no
// such product.
func (r *Stores) UpdateProduct(ctx context.Context, id string, fn func(*store.Product) ([]events.Event, error)) error {
	return update(ctx, r.db, r.outbox, func(ctx context.Context, tx pgx.Tx) (*store.Product, error) { return lockProduct(ctx, tx, id) },
		func(ctx context.Context, tx pgx.Tx, p *store.Product) error {
			_, err := tx.Exec(ctx, "UPDATE stores.products SET name = $2, description = $3, price = $4, version = $5, updated_at = now() WHERE id = $1",
				p.ID(), p.Name(), p.Description(), p.Price(), p.Version())
			if err != nil {
				return fmt.Errorf("save product %s: %w", p.ID(), err)
			}
			return nil
		}, fn)
}

// RemoveProduct deletes product id if fn agrees, publishing the events fn
// returns, in one transaction. ErrNotFound when there is no such product.
func (r *Stores) RemoveProduct(ctx context.Context, id string, fn func(*store.Product) ([]events.Event, error)) error {
	return update(ctx, r.db, r.outbox, func(ctx context.Context, tx pgx.Tx) (*store.Product, error) { return lockProduct(ctx, tx, id) },
		func(ctx context.Context, tx pgx.Tx, p *store.Product) error {
			if _, err := tx.Exec(ctx, "DELETE FROM stores.products WHERE id = $1", p.ID()); err != nil {
				return fmt.Errorf("delete product %s: %w", p.ID(), err)
			}
			return nil
		}, fn)
}

// GetProduct returns product id, or ErrNotFound.
func (r *Stores) GetProduct(ctx context.Context, id string) (*store.Product, error) {
	p, err := scanProduct(r.db.conn(ctx).QueryRow(ctx, "SELECT "+productColumns+" FROM stores.products WHERE id = $1", id))
	if err != nil {
		return nil, notFound(err, "product", id)
	}
	return p, nil
}

// Catalog returns the products of store storeID by name; ErrNotFound when
// the store does not exist.
func (r *Stores) Catalog(ctx context.Context, storeID string) ([]*store.Product, error) {
	var exists bool
	if err := r.db.conn(ctx).QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM stores.stores WHERE id = $1)", storeID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("find store %s: %w", storeID, err)
	}
	if !exists {
		return nil, fmt.Errorf("%w: store %s", domain.ErrNotFound, storeID)
	}
	rows, err := r.db.conn(ctx).Query(ctx, "SELECT "+productColumns+" FROM stores.products WHERE store_id = $1 ORDER BY name, id", storeID)
	if err != nil {
		return nil, fmt.Errorf("list products of store %s: %w", storeID, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Product, error) { return scanProduct(row) })
}
