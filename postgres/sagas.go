package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain/saga"
	"github.com/mallbots/mallbots/events"
)

// Sagas is the saga service's repository: one row per order's create-order
// saga in saga.create_order, with the service's outbox inside every write,
// so a step's new state and the command it sends commit together (and,
// inside a consumer, with the reply's inbox row).
type Sagas struct {
	db     *DB
	outbox Outbox
}

// NewSagas returns the create-order saga repository.
func NewSagas(db *DB, outbox Outbox) *Sagas { return &Sagas{db: db, outbox: outbox} }

// sagaData is the data column: what the steps need and learned.
type sagaData struct {
	CustomerID           string          `json:"customerId"`
	PaymentID            string          `json:"paymentId"`
	Items                []orderItemData `json:"items"`
	Total                int64           `json:"total"`
	ShoppingID           string          `json:"shoppingId,omitempty"`
	PaymentConfirmed     bool            `json:"paymentConfirmed"`
	Reason               string          `json:"reason,omitempty"`
	OrderCanceled        bool            `json:"orderCanceled,omitempty"`
	CompensationFailures []string        `json:"compensationFailures,omitempty"`
}

func encodeSaga(st saga.State) ([]byte, error) {
	d := sagaData{CustomerID: st.CustomerID, PaymentID: st.PaymentID, Items: make([]orderItemData, len(st.Items)), Total: st.Total,
		ShoppingID: st.ShoppingID, PaymentConfirmed: st.PaymentConfirmed, Reason: st.Reason, OrderCanceled: st.OrderCanceled,
		CompensationFailures: st.CompensationFailures}
	for i, it := range st.Items {
		d.Items[i] = orderItemData(it)
	}
	data, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode saga of order %s: %w", st.OrderID, err)
	}
	return data, nil
}

func scanSaga(row pgx.Row) (*saga.CreateOrder, error) {
	var orderID, step, status string
	var data []byte
	var version int64
	var updatedAt time.Time
	if err := row.Scan(&orderID, &step, &status, &data, &version, &updatedAt); err != nil {
		return nil, err
	}
	var d sagaData
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("decode saga of order %s: %w", orderID, err)
	}
	st := saga.State{OrderID: orderID, CustomerID: d.CustomerID, PaymentID: d.PaymentID, Items: make([]saga.Item, len(d.Items)),
		Total: d.Total, ShoppingID: d.ShoppingID, PaymentConfirmed: d.PaymentConfirmed, Reason: d.Reason, OrderCanceled: d.OrderCanceled,
		CompensationFailures: d.CompensationFailures, Version: version, UpdatedAt: updatedAt}
	for i, it := range d.Items {
		st.Items[i] = saga.Item(it)
	}
	var err error
	if st.Step, err = saga.ParseStep(step); err != nil {
		return nil, fmt.Errorf("load saga of order %s: %w", orderID, err)
	}
	if st.Status, err = saga.ParseStatus(status); err != nil {
		return nil, fmt.Errorf("load saga of order %s: %w", orderID, err)
	}
	return saga.Rehydrate(st), nil
}

const sagaColumns = "order_id, step, status, data, version, updated_at"

// Add stores a new saga and publishes evs (its first command) with it, in
// one transaction (joining the one in ctx). When the order has a saga
// already the error wraps saga.ErrExists, nothing is published, and the
// transaction in ctx stays usable.
func (r *Sagas) Add(ctx context.Context, s *saga.CreateOrder, evs ...events.Event) error {
	return insert(ctx, r.db, r.outbox, func(ctx context.Context, tx pgx.Tx) error {
		st := s.State()
		data, err := encodeSaga(st)
		if err != nil {
			return err
		}
		// DO NOTHING instead of catching the unique violation: a failed
		// INSERT would abort the consumer's transaction.
		tag, err := tx.Exec(ctx, "INSERT INTO saga.create_order (order_id, step, status, data, version) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
			st.OrderID, st.Step.String(), st.Status.String(), data, st.Version)
		if err != nil {
			return fmt.Errorf("insert saga of order %s: %w", st.OrderID, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: order %s", saga.ErrExists, st.OrderID)
		}
		return nil
	}, evs)
}

// Update changes the saga of order orderID with fn under a row lock and
// publishes the commands fn returns, in one transaction (joining the one in
// ctx): a concurrent reply to the same saga waits, then sees the new step.
// The row is rewritten only when fn moved the saga on (its version grew).
// If fn fails nothing is saved or published. ErrNotFound when the order has
// no saga.
func (r *Sagas) Update(ctx context.Context, orderID string, fn func(*saga.CreateOrder) ([]events.Event, error)) error {
	return update(ctx, r.db, r.outbox,
		func(ctx context.Context, tx pgx.Tx) (*saga.CreateOrder, error) {
			s, err := scanSaga(tx.QueryRow(ctx, "SELECT "+sagaColumns+" FROM saga.create_order WHERE order_id = $1 FOR UPDATE", orderID))
			if err != nil {
				return nil, notFound(err, "create-order saga of order", orderID)
			}
			return s, nil
		},
		func(ctx context.Context, tx pgx.Tx, s *saga.CreateOrder) error {
			st := s.State()
			data, err := encodeSaga(st)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, "UPDATE saga.create_order SET step = $2, status = $3, data = $4, version = $5, updated_at = now() WHERE order_id = $1 AND version < $5",
				st.OrderID, st.Step.String(), st.Status.String(), data, st.Version)
			if err != nil {
				return fmt.Errorf("save saga of order %s: %w", st.OrderID, err)
			}
			return nil
		}, fn)
}

// Get returns the saga of order orderID, or ErrNotFound.
func (r *Sagas) Get(ctx context.Context, orderID string) (*saga.CreateOrder, error) {
	s, err := scanSaga(r.db.conn(ctx).QueryRow(ctx, "SELECT "+sagaColumns+" FROM saga.create_order WHERE order_id = $1", orderID))
	if err != nil {
		return nil, notFound(err, "create-order saga of order", orderID)
	}
	return s, nil
}
