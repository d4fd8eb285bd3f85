package order

// Status is where an order stands. Its field is unexported, so other
// packages cannot forge one: a Status is one of the six below (or the zero
// Status, which no order has). The commands allow exactly these moves:
//
//	pending  → approved (Approve), rejected (Reject), canceled (Cancel)
//	approved → ready (Ready), canceled (Cancel)
//	ready    → completed (Complete)
//
// rejected, completed and canceled are final. Ready on a pending order (its
// shopping list was completed before its approval was processed) records
// that and leaves it pending, no longer cancelable; Approve then moves it
// to approved and straight on to ready.
type Status struct{ name string }

// The statuses of an order.
var (
	// StatusPending: created; the create-order saga is at work on it.
	StatusPending = Status{"pending"}
	// StatusApproved: the saga approved it; bots may shop for it.
	StatusApproved = Status{"approved"}
	// StatusRejected: the saga could not approve it (final).
	StatusRejected = Status{"rejected"}
	// StatusReady: the bots brought every item to the depot; the invoice
	// awaits payment.
	StatusReady = Status{"ready"}
	// StatusCompleted: the customer paid and took the goods (final).
	StatusCompleted = Status{"completed"}
	// StatusCanceled: the customer canceled it before it was ready (final).
	StatusCanceled = Status{"canceled"}
)

// String returns the status's name as the API shows it ("pending").
func (s Status) String() string { return s.name }
