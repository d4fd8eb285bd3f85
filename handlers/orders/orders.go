// Package orders is the orders service: customers' orders, event sourced.
// An order is created from a checked-out basket (or over HTTP, priced from
// the service's own copy of the stores' catalog, kept by consumers of the
// stores events), approved or rejected by the create-order saga's commands,
// readied when the bots finish its shopping list, completed when its
// invoice is paid, and may be canceled until it is ready. Every change is
// published as an event through the service's outbox; the saga's commands
// are answered with a saga.CreateOrderReply in the same transaction.
package orders

import (
	"context"
	"log/slog"

	"github.com/mallbots/mallbots/catalogcache"
	"github.com/mallbots/mallbots/domain/catalog"
	"github.com/mallbots/mallbots/domain/order"
	"github.com/mallbots/mallbots/events"
)

// Service is this service's name: its schema, queue prefix and log attribute.
const Service = "orders"

// Publishes lists the events this service publishes: the six order events and
// the replies to the saga's ApproveOrder and RejectOrder.
var Publishes = []events.Event{
	events.OrderCreated{}, events.OrderApproved{}, events.OrderRejected{}, events.OrderReadied{},
	events.OrderCanceled{}, events.OrderCompleted{}, events.CreateOrderReply{},
}

// repository is the orders event store (postgres.Orders): writes append the
// order's new events and publish what they mean (Published) in the same
// transaction (joining the one in ctx); Update re-runs fn when a concurrent
// writer won. History lists the stored events oldest first, their times never
// going back (internal/contract.RunOrders).
type repository interface {
	Add(ctx context.Context, o *order.Order, evs []order.Event) error
	Update(ctx context.Context, id string, fn func(*order.Order) ([]order.Event, error)) error
	Get(ctx context.Context, id string) (*order.Order, error)
	History(ctx context.Context, id string) ([]order.Recorded, error)
}

// Published returns the event other services are told when order o went
// through e: the fact plus what they need of the order, so that they never
// have to ask. o is the order after the command that recorded e, every event
// of it applied. It is nil for order.ShoppingCompleted, the order's own memo
// until its approval publishes what it means, and for any event not listed
// here. The orders event store is given it and writes what it returns to
// the outbox in the transaction that stores e.
func Published(o *order.Order, e order.Event) events.Event {
	switch e := e.(type) {
	case order.Created:
		items := make([]events.Item, len(e.Items))
		for i, it := range e.Items {
			items[i] = events.Item(it)
		}
		return events.OrderCreated{OrderID: e.ID, CustomerID: e.CustomerID, PaymentID: e.PaymentID, Items: items, Total: e.Total}
	case order.Approved:
		return events.OrderApproved{OrderID: o.ID(), CustomerID: o.CustomerID(), ShoppingID: e.ShoppingID}
	case order.Rejected:
		return events.OrderRejected{OrderID: o.ID(), CustomerID: o.CustomerID(), Reason: e.Reason}
	case order.Readied:
		return events.OrderReadied{OrderID: o.ID(), CustomerID: o.CustomerID(), PaymentID: o.PaymentID(), InvoiceID: e.InvoiceID, Total: o.Total()}
	case order.Canceled:
		return events.OrderCanceled{OrderID: o.ID(), CustomerID: o.CustomerID(), PaymentID: o.PaymentID(), ShoppingID: o.ShoppingID()}
	case order.Completed:
		return events.OrderCompleted{OrderID: o.ID(), CustomerID: o.CustomerID(), InvoiceID: o.InvoiceID()}
	}
	return nil
}

// publisher writes events that change no order (the saga's replies) to the
// outbox, in the transaction in ctx (postgres.Publisher).
type publisher interface {
	Publish(ctx context.Context, evs ...events.Event) error
}

// catalogCache is the orders service's copy of the stores' catalog
// (postgres.CatalogCache in schema orders): the catalog consumers write it
// (idempotent, version-guarded, joining the transaction in ctx) and
// CreateOrder reads it. Products returns the products among ids that are
// cached and not removed, by ID.
type catalogCache interface {
	catalogcache.Cache
	Products(ctx context.Context, ids []string) (map[string]catalog.Product, error)
}

// Handlers holds the orders service's use cases, consumers and transports.
type Handlers struct {
	// Consumers keeps the catalog cache: OnStoreCreated, OnProductAdded and
	// the other stores events, the same consumers the baskets service runs.
	catalogcache.Consumers
	repo    repository
	catalog catalogCache
	replies publisher
	newID   func() string
	logger  *slog.Logger
}

// New returns the orders service over repo and its catalog cache,
// publishing saga replies with replies; newID makes order and invoice IDs.
// It logs what consumers ignore to logger (slog.Default() when nil).
func New(repo repository, catalog catalogCache, replies publisher, newID func() string, logger *slog.Logger) *Handlers {
	if logger == nil {
		logger = slog.Default()
	}
	return &Handlers{Consumers: catalogcache.New(catalog), repo: repo, catalog: catalog, replies: replies, newID: newID,
		logger: logger.With("service", Service)}
}
