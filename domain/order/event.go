package order

import "time"

// Event is one thing that happened to an order: Created, Approved, Rejected,
// ShoppingCompleted, Readied, Canceled or Completed. Only this package's
// types are Events. They
// record the decision and nothing the order already knows; what other
// services are told (with the customer, payment and totals filled in) is the
// repository's mapping to the published events.
type Event interface{ orderEvent() }

// Created: a pending order exists with these items; Total is the sum of
// price × quantity, in cents.
type Created struct {
	ID         string
	CustomerID string
	PaymentID  string
	Items      []Item
	Total      int64
}

// Approved: the create-order saga approved the order; bots shop for it with
// shopping list ShoppingID.
type Approved struct{ ShoppingID string }

// Rejected: the create-order saga could not approve the order, for Reason.
type Rejected struct{ Reason string }

// ShoppingCompleted: the bots brought every item of shopping list
// ShoppingID while the order was still pending (the saga makes the list
// available before it approves the order, and its approval may come late).
// The order becomes ready, to pay invoice InvoiceID, as soon as it is
// approved with that list.
type ShoppingCompleted struct {
	ShoppingID string
	InvoiceID  string
}

// Readied: the bots brought every item; the customer pays invoice InvoiceID.
type Readied struct{ InvoiceID string }

// Canceled: the customer canceled the order before it was ready.
type Canceled struct{}

// Completed: the customer paid the invoice and took the goods.
type Completed struct{}

func (Created) orderEvent()           {}
func (Approved) orderEvent()          {}
func (Rejected) orderEvent()          {}
func (ShoppingCompleted) orderEvent() {}
func (Readied) orderEvent()           {}
func (Canceled) orderEvent()          {}
func (Completed) orderEvent()         {}

// Recorded is an event as stored: its place in the order's history (1 for
// Created, then one more per event) and when it was stored.
type Recorded struct {
	Version    int64
	OccurredAt time.Time
	Event      Event
}
