// Package baskets is the baskets service: customers fill a basket from
// several stores and check it out. For now it holds only the service's local
// caches of the stores' catalog and of the customers, kept by consumers of
// those services' events (event-carried state transfer: baskets never calls
// another service); the basket aggregate and its routes come next.
package baskets

import (
	"context"

	"github.com/mallbots/mallbots/events"
)

// Service is this service's name: its schema, queue prefix and log attribute.
const Service = "baskets"

// Publishes lists the events this service publishes: none yet.
var Publishes []events.Event

// cacheRepository keeps the baskets service's copies of other services' data
// (postgres.BasketsCache). Every write is idempotent and version-guarded:
// an event older than what is stored changes nothing and succeeds. Writes
// join the transaction in ctx, which the consumer router opens with the
// inbox row.
type cacheRepository interface {
	SetStoreName(ctx context.Context, id, name string, version int64) error
	AddProduct(ctx context.Context, id, storeID, name string, price, version int64) error
	SetProductName(ctx context.Context, id, name string, version int64) error
	SetProductPrice(ctx context.Context, id string, price, version int64) error
	RemoveProduct(ctx context.Context, id, storeID string, version int64) error
	AddCustomer(ctx context.Context, id string, enabled bool, version int64) error
	SetCustomerEnabled(ctx context.Context, id string, enabled bool, version int64) error
}

// Handlers holds the baskets service's use cases, consumers and transports.
type Handlers struct {
	cache cacheRepository
}

// New returns the baskets service over its local caches.
func New(cache cacheRepository) *Handlers {
	return &Handlers{cache: cache}
}
