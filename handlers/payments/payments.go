// Package payments is the payments service: customers authorize a payment
// before checkout, the create-order saga confirms it for the order (or voids
// it again), and once the order is ready the customer pays its invoice at the
// depot. Every change is published as an event through the service's outbox.
package payments

import (
	"context"

	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/events"
)

// Service is this service's name: its schema, queue prefix and log attribute.
const Service = "payments"

// Publishes lists the events this service publishes, the saga reply to its
// commands included.
var Publishes = []events.Event{
	events.PaymentAuthorized{}, events.PaymentConfirmed{}, events.PaymentVoided{},
	events.InvoiceCreated{}, events.InvoicePaid{}, events.InvoiceCanceled{},
	events.CreateOrderReply{},
}

// repository stores payments and invoices; writes publish their events in
// the same transaction, and join the transaction in ctx when there is one
// (postgres.Payments). Both keep the UpdateFn contract
// (internal/contract.RunPayments); an invoice's events continue the flow
// of the order it was created for, and AddInvoice of a taken ID or for an
// order that has an invoice fails with payment.ErrInvoiceExists.
type repository interface {
	Add(ctx context.Context, p *payment.Payment, evs ...events.Event) error
	Update(ctx context.Context, id string, fn func(*payment.Payment) ([]events.Event, error)) error
	Get(ctx context.Context, id string) (*payment.Payment, error)
	AddInvoice(ctx context.Context, inv *payment.Invoice, evs ...events.Event) error
	UpdateInvoice(ctx context.Context, id string, fn func(*payment.Invoice) ([]events.Event, error)) error
	GetInvoice(ctx context.Context, id string) (*payment.Invoice, error)
	InvoicesOfOrder(ctx context.Context, orderID string) ([]*payment.Invoice, error)
}

// publisher writes events to the service's outbox without changing an
// aggregate, joining the transaction in ctx (postgres.Publisher): a saga
// command's reply when there is no payment to update.
type publisher interface {
	Publish(ctx context.Context, evs ...events.Event) error
}

// Handlers holds the payments service's use cases, consumers and transports.
type Handlers struct {
	repo  repository
	pub   publisher
	newID func() string
}

// New returns the payments service over repo and pub (the same service's
// outbox); newID makes payment IDs.
func New(repo repository, pub publisher, newID func() string) *Handlers {
	return &Handlers{repo: repo, pub: pub, newID: newID}
}
