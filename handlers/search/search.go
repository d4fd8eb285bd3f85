// Package search is the search service: a denormalised read model of the
// orders (with their customer's name, items, total and latest status), kept
// by consumers of the orders and customers services' events, and the routes
// that search it with filters and keyset paging. It publishes nothing and
// calls no other service.
package search

import (
	"context"
	"time"

	"github.com/mallbots/mallbots/domain/ordersearch"
	"github.com/mallbots/mallbots/domain/orderstatus"
	"github.com/mallbots/mallbots/events"
)

// Service is this service's name: its schema, queue prefix and log attribute.
const Service = "search"

// Publishes lists the events this service publishes: none.
var Publishes []events.Event

// repository is the read model (postgres.Search). Writes are idempotent and
// order-independent, and join the transaction in ctx, which the consumer
// router opens with the inbox row.
type repository interface {
	// SetCustomerName caches a customer's name, version-guarded, and writes
	// it into their orders.
	SetCustomerName(ctx context.Context, id, name string, version int64) error
	// AddOrder inserts a new order; one already there is left alone.
	AddOrder(ctx context.Context, o ordersearch.Order) error
	// SetStatus moves an order to a status of higher rank (a stale status
	// changes nothing); domain.ErrNotFound while the order is not there.
	SetStatus(ctx context.Context, id string, status orderstatus.Status, reason string, at time.Time) error
	// Order returns one order, or domain.ErrNotFound.
	Order(ctx context.Context, id string) (ordersearch.Order, error)
	// Search returns one page of matching orders, newest first (creation
	// time, then ID), after q.Cursor; Next is set when more match
	// (internal/contract.RunSearch).
	Search(ctx context.Context, q ordersearch.Query) (ordersearch.Page, error)
}

// Handlers holds the search service's consumers and routes.
type Handlers struct {
	repo repository
	now  func() time.Time
}

// New returns the search service over its read model; now is the clock used
// only for events whose ID carries no time (see eventTime).
func New(repo repository, now func() time.Time) *Handlers {
	return &Handlers{repo: repo, now: now}
}
