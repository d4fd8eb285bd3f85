package payment

import (
	"fmt"

	"github.com/mallbots/mallbots/domain"
)

var (
	// ErrInvoicePaid (kind domain.ErrConflict): a paid invoice was to be paid
	// again or canceled.
	ErrInvoicePaid = fmt.Errorf("%w: invoice is already paid", domain.ErrConflict)
	// ErrInvoiceCanceled (kind domain.ErrConflict): a canceled invoice was to
	// be paid.
	ErrInvoiceCanceled = fmt.Errorf("%w: invoice is canceled", domain.ErrConflict)
	// ErrInvoiceExists (kind domain.ErrConflict): an invoice was to be stored
	// with the ID of an existing one, or for an order that already has one.
	ErrInvoiceExists = fmt.Errorf("%w: invoice already exists", domain.ErrConflict)
)

// InvoiceStatus is where an invoice is in its life: pending → paid, or
// pending → canceled. Only the Invoice* values exist; the zero
// InvoiceStatus is not one of them.
type InvoiceStatus struct{ name string }

// The invoice statuses.
var (
	// InvoicePending: the order is ready and the invoice awaits payment.
	InvoicePending = InvoiceStatus{"pending"}
	// InvoicePaid: the customer paid at the depot.
	InvoicePaid = InvoiceStatus{"paid"}
	// InvoiceCanceled: the order was canceled; the invoice will not be paid.
	InvoiceCanceled = InvoiceStatus{"canceled"}
)

// String returns the status as stored and shown in the API ("pending").
func (s InvoiceStatus) String() string { return s.name }

// ParseInvoiceStatus returns the InvoiceStatus named s, or an error of kind
// domain.ErrInvalid for any other text.
func ParseInvoiceStatus(s string) (InvoiceStatus, error) {
	for _, st := range []InvoiceStatus{InvoicePending, InvoicePaid, InvoiceCanceled} {
		if st.name == s {
			return st, nil
		}
	}
	return InvoiceStatus{}, fmt.Errorf("%w: unknown invoice status %q", domain.ErrInvalid, s)
}

// Invoice is what the customer pays at the depot for a ready order: Amount
// cents, the order's total, against the payment the order was placed with.
// An order has at most one invoice. The zero value is not a valid invoice;
// use NewInvoice or RehydrateInvoice.
type Invoice struct {
	id        string
	orderID   string
	paymentID string
	amount    int64
	status    InvoiceStatus
	version   int64
}

// NewInvoice returns a pending invoice of amount cents (greater than zero,
// ErrAmountNotPositive) for order orderID, paid against payment paymentID.
// All three IDs must be UUIDs (ErrInvalidID); the id is the one the orders
// service chose and announced in OrderReadied. Every error is of kind
// domain.ErrInvalid.
func NewInvoice(id, orderID, paymentID string, amount int64) (*Invoice, error) {
	for _, c := range []struct{ what, id string }{{"invoice", id}, {"order", orderID}, {"payment", paymentID}} {
		if err := checkID(c.what, c.id); err != nil {
			return nil, err
		}
	}
	if amount <= 0 {
		return nil, fmt.Errorf("%w: invoice amount %s", ErrAmountNotPositive, domain.FormatCents(amount))
	}
	return &Invoice{id: id, orderID: orderID, paymentID: paymentID, amount: amount, status: InvoicePending, version: 1}, nil
}

// RehydrateInvoice rebuilds an invoice from storage without validating it.
// Only repositories call it; everyone else uses NewInvoice.
func RehydrateInvoice(id, orderID, paymentID string, amount int64, status InvoiceStatus, version int64) *Invoice {
	return &Invoice{id: id, orderID: orderID, paymentID: paymentID, amount: amount, status: status, version: version}
}

// ID returns the invoice's ID.
func (i *Invoice) ID() string { return i.id }

// OrderID returns the ID of the order the invoice is for.
func (i *Invoice) OrderID() string { return i.orderID }

// PaymentID returns the ID of the payment the order was placed with.
func (i *Invoice) PaymentID() string { return i.paymentID }

// Amount returns the amount due in cents.
func (i *Invoice) Amount() int64 { return i.amount }

// Status returns where the invoice is in its life.
func (i *Invoice) Status() InvoiceStatus { return i.status }

// Version counts the invoice's accepted changes: 1 when created, one more
// per change of status.
func (i *Invoice) Version() int64 { return i.version }

// Pay records that the customer paid amount cents, which must be the
// invoice's amount (ErrAmountMismatch). A paid invoice cannot be paid again
// (ErrInvoicePaid) nor a canceled one paid (ErrInvoiceCanceled). Every error
// is of kind domain.ErrConflict and changes nothing.
func (i *Invoice) Pay(amount int64) error {
	switch {
	case i.status == InvoicePaid:
		return fmt.Errorf("%w: invoice %s", ErrInvoicePaid, i.id)
	case i.status == InvoiceCanceled:
		return fmt.Errorf("%w: invoice %s", ErrInvoiceCanceled, i.id)
	case amount != i.amount:
		return fmt.Errorf("%w: paid %s, invoice %s is for %s", ErrAmountMismatch, domain.FormatCents(amount), i.id, domain.FormatCents(i.amount))
	}
	i.status = InvoicePaid
	i.version++
	return nil
}

// Cancel cancels a pending invoice and reports whether that changed it;
// canceling a canceled invoice changes nothing and succeeds. A paid invoice
// cannot be canceled (ErrInvoicePaid, kind domain.ErrConflict): the money
// was taken, and only a person can sort out an order canceled after that.
func (i *Invoice) Cancel() (bool, error) {
	switch i.status {
	case InvoiceCanceled:
		return false, nil
	case InvoicePaid:
		return false, fmt.Errorf("%w: invoice %s cannot be canceled", ErrInvoicePaid, i.id)
	}
	i.status = InvoiceCanceled
	i.version++
	return true, nil
}
