// Package order holds the rules for customers' orders. An order is event
// sourced: its state is the left fold of the events that happened to it
// (Load), and its commands (Approve, Reject, Ready, Complete, Cancel) check
// the current state, then return the new events and apply them. Storing the
// events, and publishing what they mean to other services, is the
// repository's job.
//
// The saga makes an order's shopping list available to bots before it
// approves the order, and the two news reach the order through different
// queues, so a bot may finish the list before the approval lands, however
// late that is. The order takes both in either order: a completed list is
// recorded on a pending order (ShoppingCompleted), and approving it readies
// it at once.
package order

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mallbots/mallbots/domain"
)

var (
	// ErrInvalidID (kind domain.ErrInvalid): the order's ID is not a UUID.
	ErrInvalidID = fmt.Errorf("%w: order id is not a UUID", domain.ErrInvalid)
	// ErrInvalidCustomerID (kind domain.ErrInvalid): the customer ID is not
	// a UUID.
	ErrInvalidCustomerID = fmt.Errorf("%w: order customer id is not a UUID", domain.ErrInvalid)
	// ErrInvalidPaymentID (kind domain.ErrInvalid): the payment ID is not a
	// UUID.
	ErrInvalidPaymentID = fmt.Errorf("%w: order payment id is not a UUID", domain.ErrInvalid)
	// ErrNoItems (kind domain.ErrInvalid): the order has no items.
	ErrNoItems = fmt.Errorf("%w: order has no items", domain.ErrInvalid)
	// ErrInvalidItem (kind domain.ErrInvalid): an item breaks a rule; the
	// error names the item (1-based) and the rule.
	ErrInvalidItem = fmt.Errorf("%w: order item", domain.ErrInvalid)
	// ErrShoppingIDRequired (kind domain.ErrInvalid): an approval or a
	// completed shopping list names no list.
	ErrShoppingIDRequired = fmt.Errorf("%w: order shopping id is required", domain.ErrInvalid)
	// ErrInvoiceIDRequired (kind domain.ErrInvalid): readying or completing
	// names no invoice.
	ErrInvoiceIDRequired = fmt.Errorf("%w: order invoice id is required", domain.ErrInvalid)
	// ErrNotAsInCatalog (kind domain.ErrInvalid): an order line names a
	// product with another store, name or price than the catalog's: the
	// client showed its customer something the mall does not sell. The error
	// names the item, the product or store, and both values.
	ErrNotAsInCatalog = fmt.Errorf("%w: order item differs from the catalog", domain.ErrInvalid)
	// ErrStoreUnknown (kind domain.ErrInvalid): the product's store has not
	// reached the orders service yet, so the item would have no store name.
	ErrStoreUnknown = fmt.Errorf("%w: order item's store must be known to orders", domain.ErrInvalid)

	// ErrNotPending (kind domain.ErrConflict): only a pending order can be
	// approved or rejected.
	ErrNotPending = fmt.Errorf("%w: order is not pending", domain.ErrConflict)
	// ErrNotApproved (kind domain.ErrConflict): only an approved (or a
	// pending) order can become ready.
	ErrNotApproved = fmt.Errorf("%w: order is not approved", domain.ErrConflict)
	// ErrNotReady (kind domain.ErrConflict): only a ready order can be
	// completed.
	ErrNotReady = fmt.Errorf("%w: order is not ready", domain.ErrConflict)
	// ErrNotCancelable (kind domain.ErrConflict): only a pending or approved
	// order whose shopping is not done can be canceled.
	ErrNotCancelable = fmt.Errorf("%w: order can no longer be canceled", domain.ErrConflict)
	// ErrOtherShoppingList (kind domain.ErrConflict): the order was approved
	// with, or its shopping done on, another shopping list than the one
	// named.
	ErrOtherShoppingList = fmt.Errorf("%w: order has another shopping list", domain.ErrConflict)
	// ErrOtherInvoice (kind domain.ErrConflict): the invoice named is not
	// the order's.
	ErrOtherInvoice = fmt.Errorf("%w: invoice is not the order's", domain.ErrConflict)

	// ErrExists (kind domain.ErrConflict): repositories return it when an
	// order with the new order's ID already exists.
	ErrExists = fmt.Errorf("%w: order already exists", domain.ErrConflict)
	// ErrConcurrentChange (kind domain.ErrConflict): repositories return it
	// when other writers kept appending to the order while a command ran,
	// however often it was retried.
	ErrConcurrentChange = fmt.Errorf("%w: order was changed concurrently", domain.ErrConflict)
)

// Item is one line of an order: Quantity units of one product of one store,
// with the names and the unit Price (cents) the customer saw at checkout.
type Item struct {
	StoreID     string
	StoreName   string
	ProductID   string
	ProductName string
	Price       int64
	Quantity    int
}

// Order is a customer's order, rebuilt from its events. The zero value is
// not a valid order; use New or Load.
type Order struct {
	id         string
	customerID string
	paymentID  string
	shoppingID string
	invoiceID  string
	items      []Item
	total      int64
	status     Status
	reason     string
	// shopped is what a ShoppingCompleted recorded while the order was
	// pending: the list the bots completed and the invoice the approval
	// readies the order with.
	shopped   ShoppingCompleted
	version   int64
	createdAt time.Time
	updatedAt time.Time
}

// New decides that an order is created: pending, for customerID, paid with
// payment authorization paymentID. It returns the order and its one event, a
// Created. The ID is chosen by the caller. Every ID must be a UUID (stored
// lowercase; ErrInvalidID, ErrInvalidCustomerID, ErrInvalidPaymentID, and
// ErrInvalidItem for an item's store and product IDs); there must be at
// least one item (ErrNoItems), each with a quantity of at least 1 and a
// price of at least 0 (ErrInvalidItem). Names are trimmed. The total is the
// sum of price × quantity; a total that does not fit in cents is
// ErrInvalidItem. Every error is of kind domain.ErrInvalid.
func New(id, customerID, paymentID string, items []Item) (*Order, []Event, error) {
	var err error
	if id, err = parseID(id, ErrInvalidID); err != nil {
		return nil, nil, err
	}
	if customerID, err = parseID(customerID, ErrInvalidCustomerID); err != nil {
		return nil, nil, err
	}
	if paymentID, err = parseID(paymentID, ErrInvalidPaymentID); err != nil {
		return nil, nil, err
	}
	if len(items) == 0 {
		return nil, nil, ErrNoItems
	}
	created := Created{ID: id, CustomerID: customerID, PaymentID: paymentID, Items: make([]Item, len(items))}
	for i, it := range items {
		if it, err = checkItem(i+1, it); err != nil {
			return nil, nil, err
		}
		if it.Price > 0 && int64(it.Quantity) > (math.MaxInt64-created.Total)/it.Price {
			return nil, nil, fmt.Errorf("%w %d: the order total does not fit in cents", ErrInvalidItem, i+1)
		}
		created.Items[i] = it
		created.Total += it.Price * int64(it.Quantity)
	}
	o := &Order{}
	return o, o.record(created), nil
}

func checkItem(n int, it Item) (Item, error) {
	var err error
	if it.StoreID, err = parseID(it.StoreID, fmt.Errorf("%w %d: store id is not a UUID", ErrInvalidItem, n)); err != nil {
		return Item{}, err
	}
	if it.ProductID, err = parseID(it.ProductID, fmt.Errorf("%w %d: product id is not a UUID", ErrInvalidItem, n)); err != nil {
		return Item{}, err
	}
	if it.Quantity < 1 {
		return Item{}, fmt.Errorf("%w %d: quantity %d is less than 1", ErrInvalidItem, n, it.Quantity)
	}
	if it.Price < 0 {
		return Item{}, fmt.Errorf("%w %d: price %d is negative", ErrInvalidItem, n, it.Price)
	}
	it.StoreName, it.ProductName = strings.TrimSpace(it.StoreName), strings.TrimSpace(it.ProductName)
	return it, nil
}

// parseID returns s, trimmed and lowercased, when it is an ID
// (domain.ParseID), and otherwise fail wrapped with s so normalised.
func parseID(s string, fail error) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if _, ok := domain.ParseID(s); !ok {
		return "", fmt.Errorf("%w: %q", fail, s)
	}
	return s, nil
}

// Load folds an order's stored history, oldest first, into the order. The
// history must start with Created at version 1 and have no gaps; anything
// else means the store is corrupt, and Load says where.
func Load(history []Recorded) (*Order, error) {
	if len(history) == 0 {
		return nil, errors.New("order history is empty")
	}
	o := &Order{}
	for i, r := range history {
		if want := int64(i + 1); r.Version != want {
			return nil, fmt.Errorf("order %s history: event %d has version %d, want %d", o.id, i+1, r.Version, want)
		}
		if _, created := r.Event.(Created); created != (i == 0) {
			return nil, fmt.Errorf("order %s history: version %d is %T; only version 1 is Created", o.id, r.Version, r.Event)
		}
		o.apply(r.Event)
		if i == 0 {
			o.createdAt = r.OccurredAt
		}
		o.updatedAt = r.OccurredAt
	}
	return o, nil
}

// record applies e and returns it as the command's only event.
func (o *Order) record(e Event) []Event {
	o.apply(e)
	return []Event{e}
}

// apply changes the order by one event. Events are facts that a command
// already checked, so apply checks nothing.
func (o *Order) apply(e Event) {
	switch e := e.(type) {
	case Created:
		o.id, o.customerID, o.paymentID = e.ID, e.CustomerID, e.PaymentID
		o.items, o.total = slices.Clone(e.Items), e.Total
		o.status = StatusPending
	case Approved:
		o.status, o.shoppingID = StatusApproved, e.ShoppingID
	case Rejected:
		o.status, o.reason = StatusRejected, e.Reason
	case ShoppingCompleted:
		o.shopped = e
	case Readied:
		o.status, o.invoiceID = StatusReady, e.InvoiceID
	case Canceled:
		o.status = StatusCanceled
	case Completed:
		o.status = StatusCompleted
	}
	o.version++
}

// Approve approves a pending order, to be shopped for with shopping list
// shoppingID, and returns its Approved event. When the bots completed that
// list already (ShoppingCompleted), the order is readied at once with the
// invoice recorded then: the events are Approved, then Readied. Approving an
// order that was approved with the same list already (it may be ready or
// completed by now) succeeds with no event, so a redelivered approval is
// harmless. Errors: ErrShoppingIDRequired; ErrOtherShoppingList when it was
// approved with, or its shopping done on, another list; ErrNotPending when
// it was rejected or canceled.
func (o *Order) Approve(shoppingID string) ([]Event, error) {
	shoppingID = strings.TrimSpace(shoppingID)
	if shoppingID == "" {
		return nil, ErrShoppingIDRequired
	}
	switch o.status {
	case StatusPending:
		if o.shopped.ShoppingID == "" {
			return o.record(Approved{ShoppingID: shoppingID}), nil
		}
		if shoppingID != o.shopped.ShoppingID {
			return nil, o.otherList(o.shopped.ShoppingID, shoppingID)
		}
		approved := o.record(Approved{ShoppingID: shoppingID})
		return append(approved, o.record(Readied{InvoiceID: o.shopped.InvoiceID})...), nil
	case StatusApproved, StatusReady, StatusCompleted:
		if shoppingID != o.shoppingID {
			return nil, o.otherList(o.shoppingID, shoppingID)
		}
		return nil, nil
	default:
		return nil, o.refuse(ErrNotPending)
	}
}

// Reject rejects a pending order for reason (trimmed) and returns its
// Rejected event. Rejecting a rejected order succeeds with no event (the
// first reason stays), and so does rejecting a canceled one: the saga
// rejects an order to stop it going ahead, and a canceled order is stopped
// for good (its OrderCanceled told every service). An approved, ready or
// completed order is ErrNotPending.
func (o *Order) Reject(reason string) ([]Event, error) {
	switch o.status {
	case StatusPending:
		return o.record(Rejected{Reason: strings.TrimSpace(reason)}), nil
	case StatusRejected, StatusCanceled:
		return nil, nil
	default:
		return nil, o.refuse(ErrNotPending)
	}
}

// Ready records that the bots completed the order's shopping list
// shoppingID, so that the customer can pay invoice invoiceID:
//
//   - an approved order becomes ready: the event is Readied;
//   - a pending order, whose approval has not been processed yet, records
//     it: the event is ShoppingCompleted, the order stays pending (no
//     longer cancelable: the goods are at the depot) and Approve readies it;
//   - a ready or completed order, or a pending one that recorded this list
//     already, succeeds with no event (the first invoice stays), so a
//     repeated completion is harmless.
//
// Errors: ErrShoppingIDRequired, ErrInvoiceIDRequired; ErrOtherShoppingList
// when the order was approved with, or its shopping done on, another list;
// ErrNotApproved when it was rejected or canceled.
func (o *Order) Ready(shoppingID, invoiceID string) ([]Event, error) {
	shoppingID, invoiceID = strings.TrimSpace(shoppingID), strings.TrimSpace(invoiceID)
	if shoppingID == "" {
		return nil, ErrShoppingIDRequired
	}
	if invoiceID == "" {
		return nil, ErrInvoiceIDRequired
	}
	switch o.status {
	case StatusPending:
		switch o.shopped.ShoppingID {
		case "":
			return o.record(ShoppingCompleted{ShoppingID: shoppingID, InvoiceID: invoiceID}), nil
		case shoppingID:
			return nil, nil
		}
		return nil, o.otherList(o.shopped.ShoppingID, shoppingID)
	case StatusApproved, StatusReady, StatusCompleted:
		if shoppingID != o.shoppingID {
			return nil, o.otherList(o.shoppingID, shoppingID)
		}
		if o.status != StatusApproved {
			return nil, nil
		}
		return o.record(Readied{InvoiceID: invoiceID}), nil
	default:
		return nil, o.refuse(ErrNotApproved)
	}
}

// Complete completes a ready order once its invoice invoiceID is paid and
// returns its Completed event. Completing a completed order succeeds with no
// event. Errors: ErrInvoiceIDRequired; ErrOtherInvoice when invoiceID is not
// the order's invoice; ErrNotReady when the order is not ready.
func (o *Order) Complete(invoiceID string) ([]Event, error) {
	invoiceID = strings.TrimSpace(invoiceID)
	if invoiceID == "" {
		return nil, ErrInvoiceIDRequired
	}
	switch o.status {
	case StatusReady, StatusCompleted:
		if invoiceID != o.invoiceID {
			return nil, fmt.Errorf("%w: the order's invoice is %s, not %s", ErrOtherInvoice, o.invoiceID, invoiceID)
		}
		if o.status == StatusCompleted {
			return nil, nil
		}
		return o.record(Completed{}), nil
	default:
		return nil, o.refuse(ErrNotReady)
	}
}

// Cancel cancels a pending or approved order ("until it is ready") and
// returns its Canceled event. Canceling a canceled order succeeds with no
// event, so a repeated DELETE is harmless. A rejected, ready or completed
// order is ErrNotCancelable, and so is a pending order whose shopping is
// done (ShoppingCompleted): it is as good as ready, waiting only for its
// approval.
func (o *Order) Cancel() ([]Event, error) {
	switch o.status {
	case StatusPending, StatusApproved:
		if o.shopped.ShoppingID != "" {
			return nil, fmt.Errorf("%w: order %s is pending, but its shopping list %s was completed", ErrNotCancelable, o.id, o.shopped.ShoppingID)
		}
		return o.record(Canceled{}), nil
	case StatusCanceled:
		return nil, nil
	default:
		return nil, o.refuse(ErrNotCancelable)
	}
}

// refuse wraps a transition's sentinel with the status that forbids it.
func (o *Order) refuse(sentinel error) error {
	return fmt.Errorf("%w: order %s is %s", sentinel, o.id, o.status)
}

// otherList is ErrOtherShoppingList for a command naming list named when
// the order's list is own.
func (o *Order) otherList(own, named string) error {
	return fmt.Errorf("%w: order %s has %s, not %s", ErrOtherShoppingList, o.id, own, named)
}

// ID returns the order's ID (for orders created from a basket, the basket's).
func (o *Order) ID() string { return o.id }

// CustomerID returns the ID of the customer who placed the order.
func (o *Order) CustomerID() string { return o.customerID }

// PaymentID returns the payment authorization that pays for the order.
func (o *Order) PaymentID() string { return o.paymentID }

// ShoppingID returns the shopping list the order was approved with, or ""
// before approval.
func (o *Order) ShoppingID() string { return o.shoppingID }

// InvoiceID returns the invoice the customer pays, or "" until the order is
// ready.
func (o *Order) InvoiceID() string { return o.invoiceID }

// Items returns a copy of the order's items.
func (o *Order) Items() []Item { return slices.Clone(o.items) }

// Total returns the sum of price × quantity over the items, in cents.
func (o *Order) Total() int64 { return o.total }

// Status returns where the order stands.
func (o *Order) Status() Status { return o.status }

// Reason returns why the order was rejected, or "".
func (o *Order) Reason() string { return o.reason }

// Version returns how many events the order has: 1 when created, one more
// per event a command returned. The repository appends a command's events
// after the version the order had when it was loaded.
func (o *Order) Version() int64 { return o.version }

// CreatedAt returns when the order's first event was stored; zero for an
// order that New returned and that was not loaded since.
func (o *Order) CreatedAt() time.Time { return o.createdAt }

// UpdatedAt returns when the order's last stored event was stored; events
// a command just returned do not change it until they are stored and the
// order is loaded again.
func (o *Order) UpdatedAt() time.Time { return o.updatedAt }
