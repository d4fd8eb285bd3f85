// Package baskets is the baskets service: customers fill a basket from
// several stores and check it out. Prices, product and store names, whether
// a customer may shop and what a payment authorization may still pay for
// come from the service's local caches of the stores' catalog, of the
// customers and of the payments, kept by consumers of those services' events
// (event-carried state transfer: baskets never calls another service).
// Every basket change is published as an event through the service's
// outbox.
package baskets

import (
	"context"

	"github.com/mallbots/mallbots/catalogcache"
	"github.com/mallbots/mallbots/domain/basket"
	"github.com/mallbots/mallbots/domain/catalog"
	"github.com/mallbots/mallbots/events"
)

// Service is this service's name: its schema, queue prefix and log attribute.
const Service = "baskets"

// Publishes lists the events this service publishes.
var Publishes = []events.Event{
	events.BasketStarted{}, events.BasketItemAdded{}, events.BasketItemRemoved{},
	events.BasketCanceled{}, events.BasketCheckedOut{},
}

// repository stores baskets; writes publish their events in the same
// transaction (postgres.Baskets), those of Update in the flow (correlation
// ID) the basket was started in. It keeps the UpdateFn contract
// (internal/contract.RunBaskets); an Update checking a basket out with a
// payment another basket was checked out with fails with
// basket.ErrPaymentUsed.
type repository interface {
	Add(ctx context.Context, b *basket.Basket, evs ...events.Event) error
	Update(ctx context.Context, id string, fn func(*basket.Basket) ([]events.Event, error)) error
	Get(ctx context.Context, id string) (*basket.Basket, error)
}

// cacheRepository keeps the baskets service's copies of other services' data
// (postgres.BasketsCache): the stores' catalog, the customers and the
// payments. Every write is idempotent and converges whatever order the
// events arrive in: an event older than what is stored changes nothing and
// succeeds. Writes join the transaction in ctx, which the consumer router
// opens with the inbox row.
type cacheRepository interface {
	catalogcache.Cache
	AddCustomer(ctx context.Context, id string, enabled bool, version int64) error
	SetCustomerEnabled(ctx context.Context, id string, enabled bool, version int64) error
	AddPayment(ctx context.Context, id, customerID string) error
	SetPaymentOrder(ctx context.Context, id, orderID string) error
	SetPaymentVoided(ctx context.Context, id, orderID string) error
}

// catalogReader reads the same caches for the use cases (postgres.BasketsCache
// again). Each returns an error wrapping domain.ErrNotFound for an entity
// the cache does not hold; Product also for a removed product
// (internal/contract.RunBasketsCache).
type catalogReader interface {
	Product(ctx context.Context, id string) (catalog.Product, error)
	Customer(ctx context.Context, id string) (catalog.Customer, error)
	Payment(ctx context.Context, id string) (catalog.Payment, error)
}

// Handlers holds the baskets service's use cases, consumers and transports.
type Handlers struct {
	// Consumers keeps the catalog cache: OnStoreCreated, OnProductAdded and
	// the other stores events, the same consumers the orders service runs.
	catalogcache.Consumers
	repo    repository
	cache   cacheRepository
	catalog catalogReader
	newID   func() string
}

// New returns the baskets service over its basket repository, its caches
// (written by the consumers, read by the use cases: usually one value for
// both) and newID, which makes basket IDs.
func New(repo repository, cache cacheRepository, catalog catalogReader, newID func() string) *Handlers {
	return &Handlers{Consumers: catalogcache.New(cache), repo: repo, cache: cache, catalog: catalog, newID: newID}
}
