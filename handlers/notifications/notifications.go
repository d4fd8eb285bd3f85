// Package notifications is the notifications service: it texts customers
// about their orders (received, ready to pay at the depot, canceled,
// completed) as the orders service's events arrive, and lists what it sent.
// It keeps its own copy of the customers' names and SMS numbers from the
// customers service's events (event-carried state transfer: it never calls
// another service) and publishes nothing.
package notifications

import (
	"context"

	"github.com/mallbots/mallbots/domain/notification"
	"github.com/mallbots/mallbots/events"
)

// Service is this service's name: its schema, queue prefix and log attribute.
const Service = "notifications"

// Publishes lists the events this service publishes: none.
var Publishes []events.Event

// Sender delivers a notification to its customer. It runs inside the
// consumer's transaction (the one that records the message in the inbox),
// so a sender that writes to the database commits or rolls back with it.
// It must be idempotent per order and kind: asked twice for the same step
// of the same order (under different notification IDs), it delivers once.
// The default, postgres.NotificationSender, records and logs.
type Sender interface {
	Send(ctx context.Context, n notification.Notification) error
}

// cache is the service's local data (postgres.NotificationsCache): the
// customers, version-guarded per field, and how far each order's customer
// has been told. Calls join the transaction in ctx
// (internal/contract.RunNotificationsCache).
type cache interface {
	// AddCustomer and SetCustomerSmsNumber keep the customers; an event
	// older than what is stored changes nothing. SetCustomerSmsNumber
	// fails with domain.ErrNotFound before the customer is cached.
	AddCustomer(ctx context.Context, id, name, smsNumber string, version int64) error
	SetCustomerSmsNumber(ctx context.Context, id, smsNumber string, version int64) error
	// Customer fails with domain.ErrNotFound while the customer is not
	// cached.
	Customer(ctx context.Context, id string) (notification.Customer, error)
	// StartOrder records a received order; false when it was known.
	StartOrder(ctx context.Context, orderID, customerID string) (bool, error)
	// AdvanceOrder moves an order's customer on to step kind; false when
	// they were told about it or a later step already, domain.ErrNotFound
	// while the order was not started.
	AdvanceOrder(ctx context.Context, orderID string, kind notification.Kind) (bool, error)
}

// history lists what was sent to a customer, newest first, each with when it
// was sent; a customer with none gets an empty list
// (postgres.NotificationSender; internal/contract.RunNotificationSender).
type history interface {
	List(ctx context.Context, customerID string) ([]notification.Notification, error)
}

// Handlers holds the notifications service's consumers and routes.
type Handlers struct {
	cache   cache
	sender  Sender
	history history
	newID   func() string
}

// New returns the notifications service: cache is its local data, sender
// delivers, history lists what was sent and newID makes notification IDs.
func New(cache cache, sender Sender, history history, newID func() string) *Handlers {
	return &Handlers{cache: cache, sender: sender, history: history, newID: newID}
}
