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
// order's new events and publish what they mean in the same transaction
// (joining the one in ctx); Update re-runs fn when a concurrent writer won.
// History lists the stored events oldest first, their times never going
// back (internal/contract.RunOrders).
type repository interface {
	Add(ctx context.Context, o *order.Order, evs []order.Event) error
	Update(ctx context.Context, id string, fn func(*order.Order) ([]order.Event, error)) error
	Get(ctx context.Context, id string) (*order.Order, error)
	History(ctx context.Context, id string) ([]order.Recorded, error)
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
