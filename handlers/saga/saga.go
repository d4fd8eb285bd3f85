// Package saga is the saga service: the orchestrated create-order saga. An
// OrderCreated starts one saga per order, which sends its commands to
// customers, depot, payments and orders one at a time and moves on with
// each CreateOrderReply; a failure is compensated in reverse, and so is
// the saga's work when an OrderCanceled says the customer canceled the
// order meanwhile (see domain/saga). The saga's state is stored after every
// step, in the same transaction as the message's inbox row and the next
// command's outbox row, so a crash between steps loses nothing and repeats
// nothing.
package saga

import (
	"context"
	"log/slog"

	"github.com/mallbots/mallbots/domain/saga"
	"github.com/mallbots/mallbots/events"
)

// Service is this service's name: its schema, queue prefix and log attribute.
const Service = "saga"

// Publishes lists the commands this service sends, one per step.
var Publishes = []events.Event{
	events.AuthorizeCustomer{}, events.CreateShoppingList{}, events.ConfirmPayment{}, events.InitiateShopping{},
	events.ApproveOrder{}, events.CancelShoppingList{}, events.VoidPayment{}, events.RejectOrder{},
}

// repository stores the sagas; writes publish the commands they are given in
// the same transaction, joining the one in ctx (postgres.Sagas). Update
// holds a lock on the saga while fn runs and rewrites it only when fn moved
// it on. Add of a second saga for an order fails with saga.ErrExists
// (internal/contract.RunSagas).
type repository interface {
	Add(ctx context.Context, s *saga.CreateOrder, evs ...events.Event) error
	Update(ctx context.Context, orderID string, fn func(*saga.CreateOrder) ([]events.Event, error)) error
	Get(ctx context.Context, orderID string) (*saga.CreateOrder, error)
}

// Handlers holds the saga service's consumers and transports.
type Handlers struct {
	repo   repository
	logger *slog.Logger
}

// New returns the saga service over repo. It logs how sagas move (ignored
// replies, failures, cancels, ends) to logger (slog.Default() when nil); a
// compensation that failed while no cancel settles the order is an ERROR
// line: an operator must resolve it.
func New(repo repository, logger *slog.Logger) *Handlers {
	if logger == nil {
		logger = slog.Default()
	}
	return &Handlers{repo: repo, logger: logger.With("service", Service)}
}
