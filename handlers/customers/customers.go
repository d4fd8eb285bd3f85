// Package customers is the customers service: customers register at a kiosk,
// change the SMS number they are notified on, and staff enable or disable
// them. Every change is published as an event through the service's outbox.
// It also answers the create-order saga's AuthorizeCustomer command.
package customers

import (
	"context"

	"github.com/mallbots/mallbots/domain/customer"
	"github.com/mallbots/mallbots/events"
)

// Service is this service's name: its schema, queue prefix and log attribute.
const Service = "customers"

// Publishes lists the events this service publishes, and the saga reply it
// answers AuthorizeCustomer with.
var Publishes = []events.Event{
	events.CustomerRegistered{}, events.CustomerSmsChanged{}, events.CustomerEnabled{}, events.CustomerDisabled{},
	events.CreateOrderReply{},
}

// repository stores customers; writes publish their events in the same
// transaction (postgres.Customers). It keeps the UpdateFn contract
// (internal/contract.RunCustomers): an fn error saves and publishes
// nothing, an unknown ID is domain.ErrNotFound.
type repository interface {
	Add(ctx context.Context, c *customer.Customer, evs ...events.Event) error
	Update(ctx context.Context, id string, fn func(*customer.Customer) ([]events.Event, error)) error
	Get(ctx context.Context, id string) (*customer.Customer, error)
}

// publisher writes events that change no customer (the saga replies) to the
// service's outbox; inside a consumer it joins the transaction in ctx, so the
// reply commits with the inbox row (postgres.Publisher).
type publisher interface {
	Publish(ctx context.Context, evs ...events.Event) error
}

// Handlers holds the customers service's use cases, consumers and
// transports.
type Handlers struct {
	repo  repository
	pub   publisher
	newID func() string
}

// New returns the customers service over repo and pub; newID makes customer
// IDs.
func New(repo repository, pub publisher, newID func() string) *Handlers {
	return &Handlers{repo: repo, pub: pub, newID: newID}
}
