package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/events"
)

// Payments is the payments service's repository: payment authorizations and
// invoices in schema payments, with the service's outbox inside every write.
type Payments struct {
	db     *DB
	outbox Outbox
}

// NewPayments returns the payments repository.
func NewPayments(db *DB, outbox Outbox) *Payments { return &Payments{db: db, outbox: outbox} }

// paymentColumns are read as Rehydrate takes them: an unused payment's
// NULL order_id as "".
const paymentColumns = "id, customer_id, amount, status, COALESCE(order_id::text, ''), version"

func scanPayment(row pgx.Row) (*payment.Payment, error) {
	var id, customerID, status, orderID string
	var amount, version int64
	if err := row.Scan(&id, &customerID, &amount, &status, &orderID, &version); err != nil {
		return nil, err
	}
	st, err := payment.ParseStatus(status)
	if err != nil {
		// Not wrapped: bad stored data is not the caller's invalid input.
		return nil, fmt.Errorf("payment %s has unknown status %q", id, status)
	}
	return payment.Rehydrate(id, customerID, amount, st, orderID, version), nil
}

// Add saves a new payment and publishes evs with it, in one transaction.
func (r *Payments) Add(ctx context.Context, p *payment.Payment, evs ...events.Event) error {
	return insert(ctx, r.db, r.outbox, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO payments.payments (id, customer_id, amount, status, order_id, version)
			VALUES ($1, $2, $3, $4, NULLIF($5, '')::uuid, $6)`,
			p.ID(), p.CustomerID(), p.Amount(), p.Status().String(), p.OrderID(), p.Version())
		if err != nil {
			return fmt.Errorf("insert payment %s: %w", p.ID(), err)
		}
		return nil
	}, evs)
}

// Update changes payment id with fn under a row lock and publishes the
// events fn returns, in one transaction; if fn fails nothing is saved or
// published. The row is written only when fn changed the payment (its
// version moved), so a no-op costs no write. The lock is held until the
// transaction ends: inside a consumer that is the consumer's whole
// transaction, which is how OnOrderReadied and OnOrderCanceled serialise.
// ErrNotFound when there is no such payment.
func (r *Payments) Update(ctx context.Context, id string, fn func(*payment.Payment) ([]events.Event, error)) error {
	var loaded int64
	return update(ctx, r.db, r.outbox,
		func(ctx context.Context, tx pgx.Tx) (*payment.Payment, error) {
			p, err := scanPayment(tx.QueryRow(ctx, "SELECT "+paymentColumns+" FROM payments.payments WHERE id = $1 FOR UPDATE", id))
			if err != nil {
				return nil, notFound(err, "payment", id)
			}
			loaded = p.Version()
			return p, nil
		},
		func(ctx context.Context, tx pgx.Tx, p *payment.Payment) error {
			if p.Version() == loaded {
				return nil
			}
			_, err := tx.Exec(ctx, "UPDATE payments.payments SET status = $2, order_id = NULLIF($3, '')::uuid, version = $4, updated_at = now() WHERE id = $1",
				p.ID(), p.Status().String(), p.OrderID(), p.Version())
			if err != nil {
				return fmt.Errorf("save payment %s: %w", p.ID(), err)
			}
			return nil
		}, fn)
}

// Get returns payment id, or ErrNotFound.
func (r *Payments) Get(ctx context.Context, id string) (*payment.Payment, error) {
	p, err := scanPayment(r.db.conn(ctx).QueryRow(ctx, "SELECT "+paymentColumns+" FROM payments.payments WHERE id = $1", id))
	if err != nil {
		return nil, notFound(err, "payment", id)
	}
	return p, nil
}

const invoiceColumns = "id, order_id, payment_id, amount, status, version"

// scanInvoice reads a row of invoiceColumns, then any more columns into more.
func scanInvoice(row pgx.Row, more ...any) (*payment.Invoice, error) {
	var id, orderID, paymentID, status string
	var amount, version int64
	if err := row.Scan(append([]any{&id, &orderID, &paymentID, &amount, &status, &version}, more...)...); err != nil {
		return nil, err
	}
	st, err := payment.ParseInvoiceStatus(status)
	if err != nil {
		// Not wrapped: bad stored data is not the caller's invalid input.
		return nil, fmt.Errorf("invoice %s has unknown status %q", id, status)
	}
	return payment.RehydrateInvoice(id, orderID, paymentID, amount, st, version), nil
}

// AddInvoice saves a new invoice and publishes evs with it, in one
// transaction. When an invoice with the same ID exists, or another invoice
// for the same order, it saves and publishes nothing and returns
// payment.ErrInvoiceExists (kind domain.ErrConflict). It does so without an
// SQL error (ON CONFLICT DO NOTHING), so the caller's transaction stays
// usable: a consumer can then look at the existing invoice and decide.
func (r *Payments) AddInvoice(ctx context.Context, inv *payment.Invoice, evs ...events.Event) error {
	return insert(ctx, r.db, r.outbox, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "INSERT INTO payments.invoices ("+invoiceColumns+", correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
			inv.ID(), inv.OrderID(), inv.PaymentID(), inv.Amount(), inv.Status().String(), inv.Version(), flowOf(ctx))
		if err != nil {
			return fmt.Errorf("insert invoice %s: %w", inv.ID(), err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: invoice %s or another invoice for order %s", payment.ErrInvoiceExists, inv.ID(), inv.OrderID())
		}
		return nil
	}, evs)
}

// UpdateInvoice changes invoice id with fn under a row lock and publishes
// the events fn returns, in one transaction; if fn fails nothing is saved or
// published, and a no-op is not written. The events continue the flow of the
// order the invoice was created for (its correlation ID), whoever pays it.
// ErrNotFound when there is no such invoice.
func (r *Payments) UpdateInvoice(ctx context.Context, id string, fn func(*payment.Invoice) ([]events.Event, error)) error {
	var loaded int64
	return updateInFlow(ctx, r.db, r.outbox,
		func(ctx context.Context, tx pgx.Tx) (*payment.Invoice, string, error) {
			var flow string
			inv, err := scanInvoice(tx.QueryRow(ctx, "SELECT "+invoiceColumns+", correlation_id FROM payments.invoices WHERE id = $1 FOR UPDATE", id), &flow)
			if err != nil {
				return nil, "", notFound(err, "invoice", id)
			}
			loaded = inv.Version()
			return inv, flow, nil
		},
		func(ctx context.Context, tx pgx.Tx, inv *payment.Invoice) error {
			if inv.Version() == loaded {
				return nil
			}
			_, err := tx.Exec(ctx, "UPDATE payments.invoices SET status = $2, version = $3, updated_at = now() WHERE id = $1",
				inv.ID(), inv.Status().String(), inv.Version())
			if err != nil {
				return fmt.Errorf("save invoice %s: %w", inv.ID(), err)
			}
			return nil
		}, fn)
}

// GetInvoice returns invoice id, or ErrNotFound.
func (r *Payments) GetInvoice(ctx context.Context, id string) (*payment.Invoice, error) {
	inv, err := scanInvoice(r.db.conn(ctx).QueryRow(ctx, "SELECT "+invoiceColumns+" FROM payments.invoices WHERE id = $1", id))
	if err != nil {
		return nil, notFound(err, "invoice", id)
	}
	return inv, nil
}

// InvoicesOfOrder returns the invoices of order orderID (at most one), empty
// when there are none.
func (r *Payments) InvoicesOfOrder(ctx context.Context, orderID string) ([]*payment.Invoice, error) {
	rows, err := r.db.conn(ctx).Query(ctx, "SELECT "+invoiceColumns+" FROM payments.invoices WHERE order_id = $1 ORDER BY created_at, id", orderID)
	if err != nil {
		return nil, fmt.Errorf("list invoices of order %s: %w", orderID, err)
	}
	invs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*payment.Invoice, error) { return scanInvoice(row) })
	if err != nil {
		return nil, fmt.Errorf("list invoices of order %s: %w", orderID, err)
	}
	return invs, nil
}
