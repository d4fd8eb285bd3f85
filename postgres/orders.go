package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/order"
	"github.com/mallbots/mallbots/events"
)

// orderAttempts bounds how often Update runs a command against a freshly
// loaded order after losing the race to append to it.
const orderAttempts = 5

// errOrderVersionTaken: another writer appended the version being appended.
var errOrderVersionTaken = errors.New("order version taken by a concurrent writer")

// Orders is the orders service's event store: the events of every order in
// orders.events, one row per event, with the service's outbox inside every
// append. An order is loaded by folding its rows (order.Load); a command's
// events are appended after the version it was loaded at, and the primary
// key (order_id, version) turns a concurrent append into a unique violation
// instead of a lost update: optimistic concurrency, no row locks.
type Orders struct {
	db     *DB
	outbox Outbox
}

// NewOrders returns the orders event store.
func NewOrders(db *DB, outbox Outbox) *Orders { return &Orders{db: db, outbox: outbox} }

// Add stores the events of a new order (order.New returns both) and
// publishes them, in one transaction (joining the one in ctx). When the
// order's ID is taken the error wraps order.ErrExists; the transaction in
// ctx stays usable.
func (r *Orders) Add(ctx context.Context, o *order.Order, evs []order.Event) error {
	return r.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		err := r.appendEvents(ctx, tx, o, 0, evs)
		if errors.Is(err, errOrderVersionTaken) {
			return fmt.Errorf("%w: %s", order.ErrExists, o.ID())
		}
		return err
	})
}

// Update loads order id, lets fn run a command on it, appends the events fn
// returns and publishes what they mean, in one transaction (joining the one
// in ctx), continuing the flow (correlation ID) the order was created in. If
// fn fails nothing is stored or published. When a concurrent
// writer appended first, Update loads the order again and re-runs fn (so fn
// must not have effects outside the order), up to orderAttempts times; then
// the error wraps order.ErrConcurrentChange. (Transactions run at READ
// COMMITTED, so the reload sees the winner's events even inside a
// transaction that began before they were committed.) ErrNotFound when
// there is no such order.
func (r *Orders) Update(ctx context.Context, id string, fn func(*order.Order) ([]order.Event, error)) error {
	return r.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		for attempt := 1; ; attempt++ {
			o, flow, err := loadOrder(ctx, tx, id)
			if err != nil {
				return err
			}
			loaded := o.Version()
			evs, err := fn(o)
			if err != nil {
				return err
			}
			// The new events continue the flow the order was created in,
			// whoever asked for the change.
			err = r.appendEvents(correlation.Continue(ctx, flow), tx, o, loaded, evs)
			if !errors.Is(err, errOrderVersionTaken) {
				return err
			}
			if attempt == orderAttempts {
				return fmt.Errorf("%w: order %s, %d attempts", order.ErrConcurrentChange, id, attempt)
			}
		}
	})
}

// Get returns order id folded from its events, or ErrNotFound.
func (r *Orders) Get(ctx context.Context, id string) (*order.Order, error) {
	o, _, err := loadOrder(ctx, r.db.reader(ctx), id)
	return o, err
}

// History returns order id's stored events, oldest first, or ErrNotFound.
func (r *Orders) History(ctx context.Context, id string) ([]order.Recorded, error) {
	h, _, err := orderHistory(ctx, r.db.reader(ctx), id)
	return h, err
}

// appendEvents inserts evs as versions after+1, after+2, … of o and writes
// the events they are published as to the outbox. It runs inside a
// savepoint: a failed INSERT aborts a PostgreSQL transaction, and the
// transaction may be a consumer's, which must survive a lost race to retry
// (or to record that the order exists). A unique violation rolls back to the
// savepoint and returns errOrderVersionTaken.
func (r *Orders) appendEvents(ctx context.Context, tx pgx.Tx, o *order.Order, after int64, evs []order.Event) (err error) {
	if len(evs) == 0 {
		return nil
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return fmt.Errorf("savepoint before appending to order %s: %w", o.ID(), err)
	}
	defer func() {
		if err != nil {
			if rbErr := sp.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
				err = errors.Join(err, fmt.Errorf("roll back to savepoint: %w", rbErr))
			}
		}
	}()
	var published []events.Event
	for i, e := range evs {
		name, data, pub, err := storeOrderEvent(o, e)
		if err != nil {
			return err
		}
		version := after + int64(i) + 1
		// Stamped when inserted, not when the transaction began (now(), the
		// column's default): a writer that lost the race appends after the
		// winner committed, so its events must not look older than the
		// winner's, and an order's times never go back.
		_, err = sp.Exec(ctx, "INSERT INTO orders.events (order_id, version, name, data, correlation_id, occurred_at) VALUES ($1, $2, $3, $4, $5, clock_timestamp())",
			o.ID(), version, name, data, flowOf(ctx))
		if isUniqueViolation(err) {
			return errOrderVersionTaken
		}
		if err != nil {
			return fmt.Errorf("append %s as version %d of order %s: %w", name, version, o.ID(), err)
		}
		if pub != nil {
			published = append(published, pub)
		}
	}
	if err := publish(ctx, sp, r.outbox, published...); err != nil {
		return err
	}
	if err := sp.Commit(ctx); err != nil {
		return fmt.Errorf("release savepoint after appending to order %s: %w", o.ID(), err)
	}
	return nil
}

// loadOrder folds order id from its events and returns it with the flow
// (correlation ID) it was created in.
func loadOrder(ctx context.Context, q querier, id string) (*order.Order, string, error) {
	h, flow, err := orderHistory(ctx, q, id)
	if err != nil {
		return nil, "", err
	}
	o, err := order.Load(h)
	if err != nil {
		return nil, "", fmt.Errorf("fold order %s: %w", id, err)
	}
	return o, flow, nil
}

// orderHistory returns order id's events, oldest first, and the correlation
// ID its first event was stored with; ErrNotFound when it has none.
func orderHistory(ctx context.Context, q querier, id string) ([]order.Recorded, string, error) {
	rows, err := q.Query(ctx, "SELECT version, name, data, occurred_at, correlation_id FROM orders.events WHERE order_id = $1 ORDER BY version", id)
	if err != nil {
		return nil, "", fmt.Errorf("load order %s: %w", id, err)
	}
	var flow string
	h, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (order.Recorded, error) {
		var rec order.Recorded
		var name, corr string
		var data []byte
		if err := row.Scan(&rec.Version, &name, &data, &rec.OccurredAt, &corr); err != nil {
			return rec, err
		}
		if rec.Version == 1 {
			flow = corr
		}
		e, err := decodeOrderEvent(id, name, data)
		rec.Event = e
		return rec, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("load order %s: %w", id, err)
	}
	if len(h) == 0 {
		return nil, "", fmt.Errorf("%w: order %s", domain.ErrNotFound, id)
	}
	return h, flow, nil
}

// The data column holds each domain event's own fields under these shapes.
// The order ID is the row's order_id; the name is the wire name of the
// published event, so the log reads like what other services saw.
type (
	orderItemData struct {
		StoreID     string `json:"storeId"`
		StoreName   string `json:"storeName"`
		ProductID   string `json:"productId"`
		ProductName string `json:"productName"`
		Price       int64  `json:"price"`
		Quantity    int    `json:"quantity"`
	}
	orderCreatedData struct {
		CustomerID string          `json:"customerId"`
		PaymentID  string          `json:"paymentId"`
		Items      []orderItemData `json:"items"`
		Total      int64           `json:"total"`
	}
	orderApprovedData struct {
		ShoppingID string `json:"shoppingId"`
	}
	orderRejectedData struct {
		Reason string `json:"reason"`
	}
	orderShoppingCompletedData struct {
		ShoppingID string `json:"shoppingId"`
		InvoiceID  string `json:"invoiceId"`
	}
	orderReadiedData struct {
		InvoiceID string `json:"invoiceId"`
	}
	orderNoData struct{}
)

// storeOrderEvent returns how e, which o (already changed by e) just went
// through, is stored (name and data) and what other services are told: the
// fact plus what they need of the order, so they never have to ask. Only
// ShoppingCompleted is told to nobody (published is nil): it is the order's
// own memo until its approval publishes what it means.
func storeOrderEvent(o *order.Order, e order.Event) (string, []byte, events.Event, error) {
	var name string
	var stored any
	var published events.Event
	switch e := e.(type) {
	case order.Created:
		storedItems, items := make([]orderItemData, len(e.Items)), make([]events.Item, len(e.Items))
		for i, it := range e.Items {
			storedItems[i], items[i] = orderItemData(it), events.Item(it)
		}
		stored = orderCreatedData{CustomerID: e.CustomerID, PaymentID: e.PaymentID, Items: storedItems, Total: e.Total}
		published = events.OrderCreated{OrderID: e.ID, CustomerID: e.CustomerID, PaymentID: e.PaymentID, Items: items, Total: e.Total}
	case order.Approved:
		stored = orderApprovedData(e)
		published = events.OrderApproved{OrderID: o.ID(), CustomerID: o.CustomerID(), ShoppingID: e.ShoppingID}
	case order.Rejected:
		stored = orderRejectedData(e)
		published = events.OrderRejected{OrderID: o.ID(), CustomerID: o.CustomerID(), Reason: e.Reason}
	case order.ShoppingCompleted:
		name, stored = events.OrderShoppingCompletedName, orderShoppingCompletedData(e)
	case order.Readied:
		stored = orderReadiedData(e)
		published = events.OrderReadied{OrderID: o.ID(), CustomerID: o.CustomerID(), PaymentID: o.PaymentID(), InvoiceID: e.InvoiceID, Total: o.Total()}
	case order.Canceled:
		stored = orderNoData{}
		published = events.OrderCanceled{OrderID: o.ID(), CustomerID: o.CustomerID(), PaymentID: o.PaymentID(), ShoppingID: o.ShoppingID()}
	case order.Completed:
		stored = orderNoData{}
		published = events.OrderCompleted{OrderID: o.ID(), CustomerID: o.CustomerID(), InvoiceID: o.InvoiceID()}
	default:
		return "", nil, nil, fmt.Errorf("store order event: unknown type %T", e)
	}
	if published != nil {
		name = published.EventName()
	}
	data, err := json.Marshal(stored)
	if err != nil {
		return "", nil, nil, fmt.Errorf("encode %s: %w", name, err)
	}
	return name, data, published, nil
}

func decodeOrderEvent(orderID, name string, data []byte) (order.Event, error) {
	decode := func(v any) error {
		if err := json.Unmarshal(data, v); err != nil {
			return fmt.Errorf("decode stored %s: %w", name, err)
		}
		return nil
	}
	switch name {
	case events.OrderCreatedName:
		var c orderCreatedData
		if err := decode(&c); err != nil {
			return nil, err
		}
		items := make([]order.Item, len(c.Items))
		for i, it := range c.Items {
			items[i] = order.Item(it)
		}
		return order.Created{ID: orderID, CustomerID: c.CustomerID, PaymentID: c.PaymentID, Items: items, Total: c.Total}, nil
	case events.OrderApprovedName:
		var a orderApprovedData
		err := decode(&a)
		return order.Approved(a), err
	case events.OrderRejectedName:
		var r orderRejectedData
		err := decode(&r)
		return order.Rejected(r), err
	case events.OrderShoppingCompletedName:
		var c orderShoppingCompletedData
		err := decode(&c)
		return order.ShoppingCompleted(c), err
	case events.OrderReadiedName:
		var r orderReadiedData
		err := decode(&r)
		return order.Readied(r), err
	case events.OrderCanceledName:
		return order.Canceled{}, nil
	case events.OrderCompletedName:
		return order.Completed{}, nil
	}
	return nil, fmt.Errorf("stored order event has unknown name %q", name)
}
