package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain/basket"
	"github.com/mallbots/mallbots/events"
)

// Baskets is the baskets service's repository of basket aggregates, in table
// baskets.baskets with each basket's lines as a JSONB array on its row, and
// the service's outbox inside every write.
type Baskets struct {
	db     *DB
	outbox Outbox
}

// NewBaskets returns the baskets repository.
func NewBaskets(db *DB, outbox Outbox) *Baskets { return &Baskets{db: db, outbox: outbox} }

const basketColumns = "id, customer_id, COALESCE(payment_id::text, ''), status, items, version"

// basketItemRow is one element of the items column. Its JSON is the storage
// format of a line, kept here so the domain needs no tags.
type basketItemRow struct {
	StoreID     string `json:"storeId"`
	StoreName   string `json:"storeName"`
	ProductID   string `json:"productId"`
	ProductName string `json:"productName"`
	Price       int64  `json:"price"`
	Quantity    int    `json:"quantity"`
}

// scanBasket reads a row of basketColumns, then any more columns into more.
func scanBasket(row pgx.Row, more ...any) (*basket.Basket, error) {
	var id, customerID, paymentID, status string
	var rows []basketItemRow
	var version int64
	if err := row.Scan(append([]any{&id, &customerID, &paymentID, &status, &rows, &version}, more...)...); err != nil {
		return nil, err
	}
	st, err := basket.ParseStatus(status)
	if err != nil {
		// Storage broke the table's CHECK, not the client a rule: keep the
		// text but drop the ErrInvalid kind, so it is a 500, not a 422.
		return nil, fmt.Errorf("basket %s in storage: %v", id, err)
	}
	items := make([]basket.Item, len(rows))
	for i, r := range rows {
		items[i] = basket.Item(r)
	}
	return basket.Rehydrate(id, customerID, paymentID, st, items, version), nil
}

// itemRows returns b's lines as the items column stores them: always an
// array, never null.
func itemRows(b *basket.Basket) []basketItemRow {
	items := b.Items()
	rows := make([]basketItemRow, len(items))
	for i, it := range items {
		rows[i] = basketItemRow(it)
	}
	return rows
}

// Add saves a new basket and publishes evs with it, in one transaction. The
// basket remembers the flow (correlation ID) it was started in: its later
// events, and the order its checkout creates, continue it.
func (r *Baskets) Add(ctx context.Context, b *basket.Basket, evs ...events.Event) error {
	return insert(ctx, r.db, r.outbox, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO baskets.baskets (id, customer_id, payment_id, status, items, version, correlation_id)
			VALUES ($1, $2, NULLIF($3, '')::uuid, $4, $5, $6, $7)`,
			b.ID(), b.CustomerID(), b.PaymentID(), b.Status().String(), itemRows(b), b.Version(), flowOf(ctx))
		if err != nil {
			return fmt.Errorf("insert basket %s: %w", b.ID(), err)
		}
		return nil
	}, evs)
}

// Update changes basket id with fn under a row lock and publishes the events
// fn returns, in one transaction; if fn fails nothing is saved or published.
// The events carry the basket's flow as their correlation ID. ErrNotFound
// when there is no such basket; basket.ErrPaymentUsed when fn checked it out
// with a payment another basket was checked out with.
func (r *Baskets) Update(ctx context.Context, id string, fn func(*basket.Basket) ([]events.Event, error)) error {
	return updateInFlow(ctx, r.db, r.outbox,
		func(ctx context.Context, tx pgx.Tx) (*basket.Basket, string, error) {
			var flow string
			b, err := scanBasket(tx.QueryRow(ctx, "SELECT "+basketColumns+", correlation_id FROM baskets.baskets WHERE id = $1 FOR UPDATE", id), &flow)
			if err != nil {
				return nil, "", notFound(err, "basket", id)
			}
			return b, flow, nil
		},
		func(ctx context.Context, tx pgx.Tx, b *basket.Basket) error {
			_, err := tx.Exec(ctx, `UPDATE baskets.baskets
				SET payment_id = NULLIF($2, '')::uuid, status = $3, items = $4, version = $5, updated_at = now()
				WHERE id = $1`,
				b.ID(), b.PaymentID(), b.Status().String(), itemRows(b), b.Version())
			if violates(err, "baskets_one_basket_per_payment") {
				// Another basket checked out with the payment; two racing
				// checkouts meet here, where the index makes one wait.
				return fmt.Errorf("%w: payment %s pays for another basket's checkout already", basket.ErrPaymentUsed, b.PaymentID())
			}
			if err != nil {
				return fmt.Errorf("save basket %s: %w", b.ID(), err)
			}
			return nil
		}, fn)
}

// Get returns basket id, or ErrNotFound.
func (r *Baskets) Get(ctx context.Context, id string) (*basket.Basket, error) {
	b, err := scanBasket(r.db.conn(ctx).QueryRow(ctx, "SELECT "+basketColumns+" FROM baskets.baskets WHERE id = $1", id))
	if err != nil {
		return nil, notFound(err, "basket", id)
	}
	return b, nil
}
