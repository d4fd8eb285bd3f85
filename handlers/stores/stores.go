// Package stores is the stores service: staff manage stores, their products
// and their participation in bot shopping. Every change is published as an
// event through the service's outbox.
package stores

import (
	"context"

	"github.com/mallbots/mallbots/domain/store"
	"github.com/mallbots/mallbots/events"
)

// Service is this service's name: its schema, queue prefix and log attribute.
const Service = "stores"

// Publishes lists the events this service publishes.
var Publishes = []events.Event{
	events.StoreCreated{}, events.StoreRebranded{}, events.StoreParticipationEnabled{},
	events.StoreParticipationDisabled{}, events.ProductAdded{}, events.ProductRebranded{},
	events.ProductPriceIncreased{}, events.ProductPriceDecreased{}, events.ProductRemoved{},
}

// repository stores stores and products; writes publish their events in
// the same transaction (postgres.Stores). Add and Update are the UpdateFn
// contract (internal/contract.RunStores): an fn error saves and publishes
// nothing, an unknown ID is domain.ErrNotFound, a taken ID an error of no
// domain kind. AddProduct of a product whose store does not exist is
// domain.ErrNotFound; RemoveProduct deletes the product if fn agrees; List
// and Catalog sort by name, then ID.
type repository interface {
	Add(ctx context.Context, s *store.Store, evs ...events.Event) error
	Update(ctx context.Context, id string, fn func(*store.Store) ([]events.Event, error)) error
	Get(ctx context.Context, id string) (*store.Store, error)
	List(ctx context.Context, participatingOnly bool) ([]*store.Store, error)
	AddProduct(ctx context.Context, p *store.Product, evs ...events.Event) error
	UpdateProduct(ctx context.Context, id string, fn func(*store.Product) ([]events.Event, error)) error
	RemoveProduct(ctx context.Context, id string, fn func(*store.Product) ([]events.Event, error)) error
	GetProduct(ctx context.Context, id string) (*store.Product, error)
	Catalog(ctx context.Context, storeID string) ([]*store.Product, error)
}

// Handlers holds the stores service's use cases and transports.
type Handlers struct {
	repo  repository
	newID func() string
}

// New returns the stores service over repo; newID makes entity IDs.
func New(repo repository, newID func() string) *Handlers {
	return &Handlers{repo: repo, newID: newID}
}
