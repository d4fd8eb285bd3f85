package payments

import (
	"context"

	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/events"
)

// AuthorizePayment records customer customerID's authorization of amount
// cents and returns the payment's ID, to be named at checkout. A customer ID
// that is not a UUID or an amount that is not positive is domain.ErrInvalid.
// The customer is not looked up: payments knows customers only by the ID
// the saga later checks against.
func (h *Handlers) AuthorizePayment(ctx context.Context, customerID string, amount int64) (string, error) {
	p, err := payment.New(h.newID(), customerID, amount)
	if err != nil {
		return "", err
	}
	return p.ID(), h.repo.Add(ctx, p, events.PaymentAuthorized{PaymentID: p.ID(), CustomerID: p.CustomerID(), Amount: p.Amount()})
}

// PayInvoice records that the customer paid invoice id at the depot and
// publishes InvoicePaid, on which orders completes the order. amount, when
// not nil, is what the customer handed over and must equal the invoice's
// amount; nil pays the invoice's amount. Errors: domain.ErrNotFound for an
// unknown invoice; domain.ErrConflict when it is already paid, canceled, or
// amount differs.
func (h *Handlers) PayInvoice(ctx context.Context, id string, amount *int64) error {
	return h.repo.UpdateInvoice(ctx, id, func(inv *payment.Invoice) ([]events.Event, error) {
		paid := inv.Amount()
		if amount != nil {
			paid = *amount
		}
		if err := inv.Pay(paid); err != nil {
			return nil, err
		}
		return []events.Event{events.InvoicePaid{InvoiceID: inv.ID(), OrderID: inv.OrderID(), Amount: inv.Amount()}}, nil
	})
}
