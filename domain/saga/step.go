package saga

import (
	"fmt"
	"slices"

	"github.com/mallbots/mallbots/domain"
)

// Step is the command a create-order saga has sent and awaits the reply to,
// or StepDone. Its field is unexported, so other packages cannot forge one:
// a Step is one of those below (or the zero Step, which no saga has).
type Step struct{ name string }

// The steps, forward first, then the compensations in the order they run.
var (
	StepAuthorizeCustomer  = Step{"authorizeCustomer"}
	StepCreateShoppingList = Step{"createShoppingList"}
	StepConfirmPayment     = Step{"confirmPayment"}
	StepInitiateShopping   = Step{"initiateShopping"}
	StepApproveOrder       = Step{"approveOrder"}
	StepCancelShoppingList = Step{"cancelShoppingList"}
	StepVoidPayment        = Step{"voidPayment"}
	StepRejectOrder        = Step{"rejectOrder"}
	// StepDone: the saga ended, approved or rejected; it awaits nothing.
	StepDone = Step{"done"}
)

var (
	steps         = []Step{StepAuthorizeCustomer, StepCreateShoppingList, StepConfirmPayment, StepInitiateShopping, StepApproveOrder, StepCancelShoppingList, StepVoidPayment, StepRejectOrder, StepDone}
	compensations = []Step{StepCancelShoppingList, StepVoidPayment, StepRejectOrder}
)

// ErrUnknownStep (kind domain.ErrInvalid): ParseStep got a name that is not
// a step.
var ErrUnknownStep = fmt.Errorf("%w: unknown create-order saga step", domain.ErrInvalid)

// ParseStep returns the step named s ("confirmPayment", …), or
// ErrUnknownStep. Repositories use it to load what String stored.
func ParseStep(s string) (Step, error) {
	for _, st := range steps {
		if st.name == s {
			return st, nil
		}
	}
	return Step{}, fmt.Errorf("%w %q", ErrUnknownStep, s)
}

// String returns the step's name ("confirmPayment").
func (s Step) String() string { return s.name }

// Compensating reports whether the step undoes an earlier one (cancel the
// shopping list, void the payment, reject the order).
func (s Step) Compensating() bool { return slices.Contains(compensations, s) }

// Status is how a create-order saga stands. Like Step, it cannot be forged.
type Status struct{ name string }

// The statuses of a create-order saga.
var (
	// StatusRunning: going forward, step by step.
	StatusRunning = Status{"running"}
	// StatusCompensating: a step failed, or the order was canceled; undoing
	// the earlier ones (once the reply to the step in flight is in).
	StatusCompensating = Status{"compensating"}
	// StatusApproved: every step succeeded; the order is approved (final).
	StatusApproved = Status{"approved"}
	// StatusRejected: a step failed, the earlier ones were undone and the
	// order rejected (final).
	StatusRejected = Status{"rejected"}
	// StatusCanceled: the order was canceled before the saga approved it;
	// what the saga had done is undone (final).
	StatusCanceled = Status{"canceled"}
)

var statuses = []Status{StatusRunning, StatusCompensating, StatusApproved, StatusRejected, StatusCanceled}

// ErrUnknownStatus (kind domain.ErrInvalid): ParseStatus got a name that is
// not a status.
var ErrUnknownStatus = fmt.Errorf("%w: unknown create-order saga status", domain.ErrInvalid)

// ParseStatus returns the status named s ("running", …), or
// ErrUnknownStatus. Repositories use it to load what String stored.
func ParseStatus(s string) (Status, error) {
	for _, st := range statuses {
		if st.name == s {
			return st, nil
		}
	}
	return Status{}, fmt.Errorf("%w %q", ErrUnknownStatus, s)
}

// String returns the status's name ("running").
func (s Status) String() string { return s.name }
