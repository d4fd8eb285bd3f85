// Package saga holds the rules of the orchestrated create-order saga: which
// command follows which reply, and how a failure is compensated. It is a
// state machine over Steps; the command to send next is a function of the
// state alone (its Step and what earlier replies told it), so sending it is
// the caller's business and the machine stays free of any transport.
//
// Forward, each success moves on:
//
//	authorizeCustomer → createShoppingList → confirmPayment → initiateShopping → approveOrder → done (approved)
//
// A failure at any forward step keeps its reason and compensates in reverse,
// one step at a time, each waiting for its reply: cancelShoppingList (when
// the list was created), voidPayment (when the payment was confirmed), then
// rejectOrder → done (rejected).
//
// The customer may cancel the order while its saga runs (Cancel). The saga
// then sends no further forward step: it awaits the reply to the command in
// flight, then compensates what it did the same way, without rejectOrder
// (the order is canceled, which is as final), → done (canceled). Depot and
// payments release the canceled order's list and payment on their own too;
// the saga's compensations are idempotent beside theirs (a canceled list or
// a voided payment is left as it is) and catch what the saga did after they
// looked: a list created, or a payment confirmed, after they reacted.
package saga

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mallbots/mallbots/domain"
)

var (
	// ErrIncomplete (kind domain.ErrInvalid): a saga was started without
	// the order, customer or payment ID, without items, or with a negative
	// total.
	ErrIncomplete = fmt.Errorf("%w: create-order saga", domain.ErrInvalid)
	// ErrNoShoppingID (kind domain.ErrInvalid): a successful reply to
	// createShoppingList did not say which list was created.
	ErrNoShoppingID = fmt.Errorf("%w: the successful createShoppingList reply carries no shopping id", domain.ErrInvalid)
	// ErrExists (kind domain.ErrConflict): repositories return it when the
	// order already has a saga.
	ErrExists = fmt.Errorf("%w: create-order saga already exists", domain.ErrConflict)
)

// Item is one line of the order, carried from OrderCreated to the shopping
// list; the saga itself never looks inside.
type Item struct {
	StoreID     string
	StoreName   string
	ProductID   string
	ProductName string
	Price       int64
	Quantity    int
}

// Reply is the answer to the command of Step.
type Reply struct {
	Step    Step
	Success bool
	// Reason says why the command was refused (Success false).
	Reason string
	// ShoppingID is the list a successful createShoppingList created.
	ShoppingID string
}

// State is everything a saga holds, for repositories (Rehydrate, State)
// and for showing it to operators. A State holds its own copies of slices.
type State struct {
	OrderID    string
	CustomerID string
	PaymentID  string
	Items      []Item
	// Total is the order total in cents, the amount to confirm.
	Total int64
	Step  Step
	// Status is running while going forward, compensating after a failure,
	// then approved or rejected.
	Status Status
	// ShoppingID is the list createShoppingList created, or "".
	ShoppingID string
	// PaymentConfirmed records that confirmPayment succeeded, so the
	// payment must be voided when compensating.
	PaymentConfirmed bool
	// Reason is why the forward step failed, or "order canceled" ("" while
	// neither happened); the order is rejected with it.
	Reason string
	// OrderCanceled records that the order was canceled while the saga ran:
	// it goes no further forward and ends canceled, not rejected.
	OrderCanceled bool
	// CompensationFailures lists the compensations that replied with a
	// failure ("voidPayment: …"), for an operator to resolve.
	CompensationFailures []string
	// Version counts the replies the saga acted on, from 1 when started.
	Version int64
	// UpdatedAt is when the saga was last stored; repositories set it.
	UpdatedAt time.Time
}

// CreateOrder is one order's create-order saga. The zero value is not valid;
// use Start or Rehydrate.
type CreateOrder struct {
	st State
}

// Start begins the saga of order orderID, awaiting authorizeCustomer. It
// needs the order, customer and payment IDs, at least one item and a total
// of at least 0 (ErrIncomplete, kind domain.ErrInvalid).
func Start(orderID, customerID, paymentID string, items []Item, total int64) (*CreateOrder, error) {
	for _, f := range []struct{ name, value string }{{"order id", orderID}, {"customer id", customerID}, {"payment id", paymentID}} {
		if strings.TrimSpace(f.value) == "" {
			return nil, fmt.Errorf("%w: %s is required", ErrIncomplete, f.name)
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: order %s has no items", ErrIncomplete, orderID)
	}
	if total < 0 {
		return nil, fmt.Errorf("%w: order %s has a negative total %d", ErrIncomplete, orderID, total)
	}
	return &CreateOrder{st: State{
		OrderID: orderID, CustomerID: customerID, PaymentID: paymentID, Items: slices.Clone(items), Total: total,
		Step: StepAuthorizeCustomer, Status: StatusRunning, Version: 1,
	}}, nil
}

// StartCanceled returns the saga of order orderID when the order's
// OrderCanceled came before its OrderCreated: done and canceled, having
// sent nothing, so there is nothing to undo and the OrderCreated that
// follows finds a saga and starts none (ErrIncomplete without the order
// ID).
func StartCanceled(orderID, customerID, paymentID string) (*CreateOrder, error) {
	if strings.TrimSpace(orderID) == "" {
		return nil, fmt.Errorf("%w: order id is required", ErrIncomplete)
	}
	return &CreateOrder{st: State{
		OrderID: orderID, CustomerID: customerID, PaymentID: paymentID,
		Step: StepDone, Status: StatusCanceled, Reason: reasonCanceled, OrderCanceled: true, Version: 1,
	}}, nil
}

// reasonCanceled is a canceled saga's Reason, carried by its compensations.
const reasonCanceled = "order canceled"

// Rehydrate rebuilds a saga from storage without validating it. Only
// repositories call it.
func Rehydrate(st State) *CreateOrder {
	return &CreateOrder{st: clone(st)}
}

// State returns a copy of the saga's state.
func (s *CreateOrder) State() State { return clone(s.st) }

func clone(st State) State {
	st.Items = slices.Clone(st.Items)
	st.CompensationFailures = slices.Clone(st.CompensationFailures)
	return st
}

// OrderID returns the order the saga is for (the saga's ID).
func (s *CreateOrder) OrderID() string { return s.st.OrderID }

// Step returns the step whose reply the saga awaits, or StepDone.
func (s *CreateOrder) Step() Step { return s.st.Step }

// Status returns how the saga stands.
func (s *CreateOrder) Status() Status { return s.st.Status }

// Handle moves the saga on by reply r and reports whether it did. A reply
// to another step than the one awaited, or to a saga that is done, is a
// duplicate or stale reply: Handle returns false and changes nothing.
// Otherwise:
//
//   - a forward step's success moves to the next step (createShoppingList's
//     must carry the ShoppingID, else ErrNoShoppingID and nothing changes);
//     approveOrder's ends the saga approved;
//   - a forward step's failure records the reason, naming the step, and
//     starts compensating;
//   - after Cancel, a forward step's reply, success (what it created is
//     recorded) or failure, starts compensating instead of going on; only
//     approveOrder's success ends the saga at once: the order was approved
//     before it was canceled, so the cancel's own consumers found the list
//     and the payment in place and release them;
//   - a compensation's reply, success or failure, moves to the next
//     compensation; rejectOrder's ends the saga rejected. A failed
//     compensation is recorded in CompensationFailures and does not stop
//     the saga: compensations are idempotent and defined to succeed on
//     what is already undone (a canceled list, a voided payment), so a
//     refusal means the receiver cannot undo at all (a bot already finished
//     the list, say); asking again would get the same answer, and stopping
//     would leave the order pending and the later compensations undone. The
//     saga ends rejected and the failure waits for an operator.
func (s *CreateOrder) Handle(r Reply) (bool, error) {
	st := &s.st
	if st.Step == StepDone || r.Step != st.Step {
		return false, nil
	}
	reason := strings.TrimSpace(r.Reason)
	if reason == "" {
		reason = "no reason given"
	}
	switch {
	case st.Step.Compensating():
		if !r.Success {
			st.CompensationFailures = append(st.CompensationFailures, st.Step.String()+": "+reason)
		}
		st.Step = s.nextCompensation()
	case st.OrderCanceled:
		if r.Success {
			if err := s.recordSuccess(r); err != nil {
				return false, err
			}
		}
		if st.Step == StepApproveOrder && r.Success {
			st.Step = StepDone
		} else {
			st.Step = s.nextCompensation()
		}
	case !r.Success:
		st.Reason = st.Step.String() + " failed: " + reason
		st.Status = StatusCompensating
		st.Step = s.nextCompensation()
	default:
		if err := s.recordSuccess(r); err != nil {
			return false, err
		}
		switch st.Step {
		case StepAuthorizeCustomer:
			st.Step = StepCreateShoppingList
		case StepCreateShoppingList:
			st.Step = StepConfirmPayment
		case StepConfirmPayment:
			st.Step = StepInitiateShopping
		case StepInitiateShopping:
			st.Step = StepApproveOrder
		case StepApproveOrder:
			st.Step, st.Status = StepDone, StatusApproved
		}
	}
	if st.Step == StepDone && st.Status == StatusCompensating {
		st.Status = StatusRejected
		if st.OrderCanceled {
			st.Status = StatusCanceled
		}
	}
	st.Version++
	return true, nil
}

// recordSuccess records what a forward step's success created, for the
// compensations: the shopping list (its reply must name it, else
// ErrNoShoppingID and nothing changes) or the confirmed payment.
func (s *CreateOrder) recordSuccess(r Reply) error {
	switch s.st.Step {
	case StepCreateShoppingList:
		id := strings.TrimSpace(r.ShoppingID)
		if id == "" {
			return fmt.Errorf("%w (order %s)", ErrNoShoppingID, s.st.OrderID)
		}
		s.st.ShoppingID = id
	case StepConfirmPayment:
		s.st.PaymentConfirmed = true
	}
	return nil
}

// Cancel records that the order was canceled (OrderCanceled) and reports
// whether that changed the saga. It never sends anything itself: a command
// is always in flight, and its reply tells what to undo (see Handle).
//
//   - running: the saga stops going forward; it is compensating with the
//     reason "order canceled" once the awaited reply arrives;
//   - compensating after a failure: the compensations go on, and the saga
//     ends canceled without sending rejectOrder;
//   - rejected: rejectOrder found the order canceled already (and left it
//     so), so the saga's end is corrected to canceled;
//   - approved: nothing changes: the order was canceled after the saga's
//     work was done, and the cancel's own consumers release it;
//   - canceled already: nothing changes (a repeated OrderCanceled).
func (s *CreateOrder) Cancel() bool {
	st := &s.st
	if st.OrderCanceled || st.Status == StatusApproved {
		return false
	}
	switch st.Status {
	case StatusRunning:
		st.Status, st.Reason = StatusCompensating, reasonCanceled
	case StatusRejected:
		st.Status = StatusCanceled
	}
	st.OrderCanceled = true
	st.Version++
	return true
}

// nextCompensation returns the compensation that follows the current step
// (the first one when the current step is a forward step), skipping what
// there is nothing to undo for, or StepDone after rejectOrder.
func (s *CreateOrder) nextCompensation() Step {
	i := slices.Index(compensations, s.st.Step) + 1 // 0 from a forward step
	for ; i < len(compensations); i++ {
		switch c := compensations[i]; {
		case c == StepCancelShoppingList && s.st.ShoppingID == "":
			// No list was created: nothing to cancel.
		case c == StepVoidPayment && !s.st.PaymentConfirmed:
			// The payment was not confirmed: nothing to void.
		case c == StepRejectOrder && s.st.OrderCanceled:
			// The order is canceled: it cannot, and need not, be rejected.
		default:
			return c
		}
	}
	return StepDone
}
