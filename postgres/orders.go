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
// key (order_id, version) lets only one writer append a version: optimistic
// concurrency, no row locks. What other services are told of each event is
// the orders service's to say (the published func it is given); the store
// writes it to the outbox with the event.
type Orders struct {
	db        *DB
	outbox    Outbox
	published func(*order.Order, order.Event) events.Event
}

// NewOrders returns the orders event store. published returns the event
// other services are told when an order went through an event, nil for
// none (handlers/orders.Published); it is given the order after the
// command, every event of it applied.
func NewOrders(db *DB, outbox Outbox, published func(*order.Order, order.Event) events.Event) *Orders {
	return &Orders{db: db, outbox: outbox, published: published}
}

// Add stores the events of a new order (order.New returns both) and
// publishes what they mean, in one transaction (joining the one in ctx).
// When the order's ID is taken the error wraps order.ErrExists; the
// transaction in ctx stays usable.
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
	o, _, err := loadOrder(ctx, r.db.conn(ctx), id)
	return o, err
}

// History returns order id's stored events, oldest first, or ErrNotFound.
func (r *Orders) History(ctx context.Context, id string) ([]order.Recorded, error) {
	h, _, err := orderHistory(ctx, r.db.conn(ctx), id)
	return h, err
}

// appendEvents inserts evs as versions after+1, after+2, … of o and writes
// what other services are told of them to the outbox. It returns
// errOrderVersionTaken, having written nothing, when a concurrent writer
// appended version after+1 first.
//
// No savepoint is needed for that: the INSERT of after+1 claims the version
// with ON CONFLICT DO NOTHING, which waits for a concurrent writer of it
// and, once that writer committed, inserts nothing, without the error that
// would abort the transaction (a consumer's, holding its inbox row, which
// must live on for the retry). Once after+1 is ours, no one can append
// after it until we commit (versions are dense, and loading at after+1
// needs our row committed), so the later versions cannot be taken.
func (r *Orders) appendEvents(ctx context.Context, tx pgx.Tx, o *order.Order, after int64, evs []order.Event) error {
	var published []events.Event
	for i, e := range evs {
		name, data, err := storeOrderEvent(e)
		if err != nil {
			return err
		}
		version := after + int64(i) + 1
		// Stamped when inserted, not when the transaction began (now(), the
		// column's default): a writer that lost the race appends after the
		// winner committed, so its events must not look older than the
		// winner's, and an order's times never go back.
		tag, err := tx.Exec(ctx, `INSERT INTO orders.events (order_id, version, name, data, correlation_id, occurred_at)
			VALUES ($1, $2, $3, $4, $5, clock_timestamp())
			ON CONFLICT (order_id, version) DO NOTHING`,
			o.ID(), version, name, data, flowOf(ctx))
		switch {
		case err != nil:
			return fmt.Errorf("append %s as version %d of order %s: %w", name, version, o.ID(), err)
		case tag.RowsAffected() == 0 && i == 0:
			return errOrderVersionTaken
		case tag.RowsAffected() == 0:
			return fmt.Errorf("append %s as version %d of order %s: taken by another writer after this one claimed version %d",
				name, version, o.ID(), after+1)
		}
		if pub := r.published(o, e); pub != nil {
			published = append(published, pub)
		}
	}
	return publish(ctx, tx, r.outbox, published...)
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

// storeOrderEvent returns how e is stored: its name, the wire name of the
// event it is published as (OrderShoppingCompleted, which is published to
// no one, has a name of its own), and its data.
func storeOrderEvent(e order.Event) (string, []byte, error) {
	var name string
	var stored any
	switch e := e.(type) {
	case order.Created:
		items := make([]orderItemData, len(e.Items))
		for i, it := range e.Items {
			items[i] = orderItemData(it)
		}
		name, stored = events.OrderCreatedName, orderCreatedData{CustomerID: e.CustomerID, PaymentID: e.PaymentID, Items: items, Total: e.Total}
	case order.Approved:
		name, stored = events.OrderApprovedName, orderApprovedData(e)
	case order.Rejected:
		name, stored = events.OrderRejectedName, orderRejectedData(e)
	case order.ShoppingCompleted:
		name, stored = events.OrderShoppingCompletedName, orderShoppingCompletedData(e)
	case order.Readied:
		name, stored = events.OrderReadiedName, orderReadiedData(e)
	case order.Canceled:
		name, stored = events.OrderCanceledName, orderNoData{}
	case order.Completed:
		name, stored = events.OrderCompletedName, orderNoData{}
	default:
		return "", nil, fmt.Errorf("store order event: unknown type %T", e)
	}
	data, err := json.Marshal(stored)
	if err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", name, err)
	}
	return name, data, nil
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
