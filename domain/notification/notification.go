// Package notification holds what the notifications service tells customers
// about their orders: one text message per step of an order (received,
// ready to pay, canceled, completed), worded here, and the rules that keep
// those messages in order and never doubled.
package notification

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/orderstatus"
)

// Kind says which step of an order a notification is about. A customer gets
// at most one notification of each kind per order. The zero Kind is invalid;
// the values come from this package.
type Kind struct {
	name   string
	status orderstatus.Status
}

// The kinds, each tied to the order status it announces.
var (
	// KindCreated: the order was received (OrderCreated).
	KindCreated = Kind{"created", orderstatus.Pending}
	// KindReady: the order is ready; pay at the depot (OrderReadied).
	KindReady = Kind{"ready", orderstatus.Ready}
	// KindCanceled: the order was canceled (OrderCanceled).
	KindCanceled = Kind{"canceled", orderstatus.Canceled}
	// KindCompleted: the order was paid and taken (OrderCompleted).
	KindCompleted = Kind{"completed", orderstatus.Completed}
)

// Kinds lists every kind.
var Kinds = []Kind{KindCreated, KindReady, KindCanceled, KindCompleted}

var (
	// ErrUnknownKind (kind domain.ErrInvalid): a name that is not a Kind.
	ErrUnknownKind = fmt.Errorf("%w: unknown notification kind", domain.ErrInvalid)
	// ErrIDRequired (kind domain.ErrInvalid): the notification ID is blank.
	ErrIDRequired = fmt.Errorf("%w: notification id is required", domain.ErrInvalid)
	// ErrOrderRequired (kind domain.ErrInvalid): the order ID is blank.
	ErrOrderRequired = fmt.Errorf("%w: notification order id is required", domain.ErrInvalid)
	// ErrNoSmsNumber (kind domain.ErrInvalid): the customer has no SMS
	// number to send to.
	ErrNoSmsNumber = fmt.Errorf("%w: customer has no sms number", domain.ErrInvalid)
	// ErrNegativeAmount (kind domain.ErrInvalid): an amount below zero.
	ErrNegativeAmount = fmt.Errorf("%w: notification amount is negative", domain.ErrInvalid)
)

// ParseKind returns the kind named name ("created", "ready", "canceled" or
// "completed"), or an error wrapping ErrUnknownKind.
func ParseKind(name string) (Kind, error) {
	for _, k := range Kinds {
		if k.name == name {
			return k, nil
		}
	}
	return Kind{}, fmt.Errorf("%w %q", ErrUnknownKind, name)
}

// String returns the kind's name, "" for the zero Kind.
func (k Kind) String() string { return k.name }

// Rank is the rank of the order status k announces (orderstatus.Status.Rank):
// stores keep the highest rank notified per order so that a late event for
// an earlier step is recognised as stale in one guarded statement.
func (k Kind) Rank() int { return k.status.Rank() }

// Supersedes reports whether a notification of kind k is news to a customer
// who was last told about step last. Only a later step is: a stale event (a
// late "ready, please pay" after "completed") must not reach the customer.
func (k Kind) Supersedes(last Kind) bool { return k.status.Supersedes(last.status) }

// Customer is who a notification goes to, as the notifications service last
// heard of them from the customers service's events.
type Customer struct {
	ID        string
	Name      string
	SmsNumber string
}

// Notification is one text message to a customer about one of their orders.
// The zero value is not valid; use the constructors (OrderReceived,
// OrderReady, OrderCanceled, OrderCompleted) or Rehydrate.
type Notification struct {
	id         string
	customerID string
	smsNumber  string
	orderID    string
	kind       Kind
	text       string
	sentAt     time.Time
}

// OrderReceived tells customer to that order orderID, worth total cents, was
// received. Like every constructor, it fails with an error of kind
// domain.ErrInvalid when id or orderID is blank (ErrIDRequired,
// ErrOrderRequired), the customer has no SMS number (ErrNoSmsNumber) or the
// amount is negative (ErrNegativeAmount).
func OrderReceived(id string, to Customer, orderID string, total int64) (Notification, error) {
	return build(id, to, orderID, KindCreated, total, fmt.Sprintf(
		"your order %s for %s has been received. We will text you when it is ready.", orderID, FormatAmount(total)))
}

// OrderReady tells customer to that order orderID is ready and that they
// pay amount cents at the depot to take it.
func OrderReady(id string, to Customer, orderID string, amount int64) (Notification, error) {
	return build(id, to, orderID, KindReady, amount, fmt.Sprintf(
		"your order %s is ready: please pay %s at the depot.", orderID, FormatAmount(amount)))
}

// OrderCanceled tells customer to that order orderID was canceled.
func OrderCanceled(id string, to Customer, orderID string) (Notification, error) {
	return build(id, to, orderID, KindCanceled, 0, fmt.Sprintf(
		"your order %s has been canceled. You will not be charged.", orderID))
}

// OrderCompleted thanks customer to for paying for and taking order orderID.
func OrderCompleted(id string, to Customer, orderID string) (Notification, error) {
	return build(id, to, orderID, KindCompleted, 0, fmt.Sprintf(
		"your order %s is complete. Thank you for shopping with MallBots!", orderID))
}

// build validates a notification of kind about amount cents and greets the
// customer by name before body.
func build(id string, to Customer, orderID string, kind Kind, amount int64, body string) (Notification, error) {
	switch {
	case strings.TrimSpace(id) == "":
		return Notification{}, ErrIDRequired
	case strings.TrimSpace(orderID) == "":
		return Notification{}, ErrOrderRequired
	case strings.TrimSpace(to.SmsNumber) == "":
		return Notification{}, fmt.Errorf("%w: customer %s", ErrNoSmsNumber, to.ID)
	case amount < 0:
		return Notification{}, fmt.Errorf("%w: %d cents", ErrNegativeAmount, amount)
	}
	greeting := "Hi"
	if name := strings.TrimSpace(to.Name); name != "" {
		greeting += " " + name
	}
	return Notification{
		id: id, customerID: to.ID, smsNumber: to.SmsNumber, orderID: orderID, kind: kind,
		text: greeting + ", " + body,
	}, nil
}

// Rehydrate rebuilds a notification from storage without validating it.
// Only repositories call it.
func Rehydrate(id, customerID, smsNumber, orderID string, kind Kind, text string, sentAt time.Time) Notification {
	return Notification{id: id, customerID: customerID, smsNumber: smsNumber, orderID: orderID, kind: kind, text: text, sentAt: sentAt}
}

// ID identifies the notification.
func (n Notification) ID() string { return n.id }

// CustomerID is the customer the notification goes to.
func (n Notification) CustomerID() string { return n.customerID }

// SmsNumber is the number it is sent to: the customer's number when it was
// sent.
func (n Notification) SmsNumber() string { return n.smsNumber }

// OrderID is the order it is about.
func (n Notification) OrderID() string { return n.orderID }

// Kind is the step of the order it announces.
func (n Notification) Kind() Kind { return n.kind }

// Text is the message the customer reads.
func (n Notification) Text() string { return n.text }

// SentAt is when it was sent; zero until a sender recorded it.
func (n Notification) SentAt() time.Time { return n.sentAt }

// FormatAmount writes cents as a decimal amount with two places, the way
// customers read prices: 1234 → "12.34", 5 → "0.05".
func FormatAmount(cents int64) string {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign = "-"
		u = -u
	}
	frac := u % 100
	return sign + strconv.FormatUint(u/100, 10) + "." + string([]byte{byte('0' + frac/10), byte('0' + frac%10)})
}
