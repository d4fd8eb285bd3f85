package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain/customer"
	"github.com/mallbots/mallbots/events"
)

// Customers is the customers service's repository: customers in schema
// customers, with the service's outbox inside every write.
type Customers struct {
	db     *DB
	outbox Outbox
}

// NewCustomers returns the customers repository.
func NewCustomers(db *DB, outbox Outbox) *Customers { return &Customers{db: db, outbox: outbox} }

const customerColumns = "id, name, sms_number, enabled, version"

func scanCustomer(row pgx.Row) (*customer.Customer, error) {
	var id, name, smsNumber string
	var enabled bool
	var version int64
	if err := row.Scan(&id, &name, &smsNumber, &enabled, &version); err != nil {
		return nil, err
	}
	return customer.Rehydrate(id, name, smsNumber, enabled, version), nil
}

// Add saves a new customer and publishes evs with it, in one transaction.
func (r *Customers) Add(ctx context.Context, c *customer.Customer, evs ...events.Event) error {
	return insert(ctx, r.db, r.outbox, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO customers.customers ("+customerColumns+") VALUES ($1, $2, $3, $4, $5)",
			c.ID(), c.Name(), c.SmsNumber(), c.Enabled(), c.Version())
		if err != nil {
			return fmt.Errorf("insert customer %s: %w", c.ID(), err)
		}
		return nil
	}, evs)
}

// Update changes customer id with fn under a row lock and publishes the
// events fn returns, in one transaction; if fn fails nothing is saved or
// published. ErrNotFound when there is no such customer.
func (r *Customers) Update(ctx context.Context, id string, fn func(*customer.Customer) ([]events.Event, error)) error {
	return update(ctx, r.db, r.outbox,
		func(ctx context.Context, tx pgx.Tx) (*customer.Customer, error) {
			c, err := scanCustomer(tx.QueryRow(ctx, "SELECT "+customerColumns+" FROM customers.customers WHERE id = $1 FOR UPDATE", id))
			if err != nil {
				return nil, notFound(err, "customer", id)
			}
			return c, nil
		},
		func(ctx context.Context, tx pgx.Tx, c *customer.Customer) error {
			_, err := tx.Exec(ctx, "UPDATE customers.customers SET name = $2, sms_number = $3, enabled = $4, version = $5, updated_at = now() WHERE id = $1",
				c.ID(), c.Name(), c.SmsNumber(), c.Enabled(), c.Version())
			if err != nil {
				return fmt.Errorf("save customer %s: %w", c.ID(), err)
			}
			return nil
		}, fn)
}

// Get returns customer id, or ErrNotFound.
func (r *Customers) Get(ctx context.Context, id string) (*customer.Customer, error) {
	c, err := scanCustomer(r.db.conn(ctx).QueryRow(ctx, "SELECT "+customerColumns+" FROM customers.customers WHERE id = $1", id))
	if err != nil {
		return nil, notFound(err, "customer", id)
	}
	return c, nil
}
