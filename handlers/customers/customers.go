// Package customers is the customers service: customers register at a kiosk,
// change the SMS number they are notified on, and staff enable or disable
// them. Every change is published as an event through the service's outbox.
package customers

import (
	"context"

	"github.com/mallbots/mallbots/domain/customer"
	"github.com/mallbots/mallbots/events"
)

// Service is this service's name: its schema, queue prefix and log attribute.
const Service = "customers"

// Publishes lists the events this service publishes.
var Publishes = []events.Event{
	events.CustomerRegistered{}, events.CustomerSmsChanged{}, events.CustomerEnabled{}, events.CustomerDisabled{},
}

// repository stores customers; writes publish their events in the same
// transaction (postgres.Customers).
type repository interface {
	Add(ctx context.Context, c *customer.Customer, evs ...events.Event) error
	Update(ctx context.Context, id string, fn func(*customer.Customer) ([]events.Event, error)) error
	Get(ctx context.Context, id string) (*customer.Customer, error)
}

// Handlers holds the customers service's use cases and transports.
type Handlers struct {
	repo  repository
	newID func() string
}

// New returns the customers service over repo; newID makes customer IDs.
func New(repo repository, newID func() string) *Handlers {
	return &Handlers{repo: repo, newID: newID}
}
