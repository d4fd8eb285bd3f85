package events

// The create-order saga's commands. A command's wire name is owned by the
// service that carries it out ("depot.CreateShoppingList"), so the Exchanges
// tab shows who receives it. Every command carries the order it is for (the
// saga's ID) and is answered with one CreateOrderReply, published through the
// receiver's outbox in the same transaction as the command's effects.
// Receivers are idempotent: a redelivered command changes nothing more and
// repeats its reply.
const (
	AuthorizeCustomerName  = "customers.AuthorizeCustomer"
	CreateShoppingListName = "depot.CreateShoppingList"
	InitiateShoppingName   = "depot.InitiateShopping"
	CancelShoppingListName = "depot.CancelShoppingList"
	ConfirmPaymentName     = "payments.ConfirmPayment"
	VoidPaymentName        = "payments.VoidPayment"
	ApproveOrderName       = "orders.ApproveOrder"
	RejectOrderName        = "orders.RejectOrder"
)

// AuthorizeCustomer asks customers whether CustomerID may place an order:
// known and enabled.
type AuthorizeCustomer struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
}

// CreateShoppingList asks depot to plan a pending shopping list for the
// order's items, one stop per store. The success reply carries ShoppingID.
type CreateShoppingList struct {
	OrderID string `json:"orderId"`
	Items   []Item `json:"items"`
}

// InitiateShopping asks depot to make the pending list available to bots.
type InitiateShopping struct {
	OrderID    string `json:"orderId"`
	ShoppingID string `json:"shoppingId"`
}

// CancelShoppingList asks depot to cancel the list (compensation). Canceling
// a canceled list succeeds.
type CancelShoppingList struct {
	OrderID    string `json:"orderId"`
	ShoppingID string `json:"shoppingId"`
	Reason     string `json:"reason"`
}

// ConfirmPayment asks payments to use authorization PaymentID for the order.
// It fails when the payment is unknown, belongs to another customer, is
// already used or voided, or Amount (the order total, cents) differs from
// the authorized amount.
type ConfirmPayment struct {
	OrderID    string `json:"orderId"`
	PaymentID  string `json:"paymentId"`
	CustomerID string `json:"customerId"`
	Amount     int64  `json:"amount"`
}

// VoidPayment asks payments to release the order's confirmed payment
// (compensation). Voiding a voided payment succeeds.
type VoidPayment struct {
	OrderID   string `json:"orderId"`
	PaymentID string `json:"paymentId"`
	Reason    string `json:"reason"`
}

// ApproveOrder asks orders to approve the pending order.
type ApproveOrder struct {
	OrderID    string `json:"orderId"`
	ShoppingID string `json:"shoppingId"`
}

// RejectOrder asks orders to reject the pending order (compensation's last
// step), publishing OrderRejected with Reason.
type RejectOrder struct {
	OrderID string `json:"orderId"`
	Reason  string `json:"reason"`
}

func (AuthorizeCustomer) EventName() string  { return AuthorizeCustomerName }
func (CreateShoppingList) EventName() string { return CreateShoppingListName }
func (InitiateShopping) EventName() string   { return InitiateShoppingName }
func (CancelShoppingList) EventName() string { return CancelShoppingListName }
func (ConfirmPayment) EventName() string     { return ConfirmPaymentName }
func (VoidPayment) EventName() string        { return VoidPaymentName }
func (ApproveOrder) EventName() string       { return ApproveOrderName }
func (RejectOrder) EventName() string        { return RejectOrderName }

// Validate reports what AuthorizeCustomer is missing (see Payload).
func (e AuthorizeCustomer) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.id("customerId", e.CustomerID)
	return c.err(e)
}

// Validate reports what CreateShoppingList is missing (see Payload): it
// needs at least one item.
func (e CreateShoppingList) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.items("items", e.Items)
	return c.err(e)
}

// Validate reports what InitiateShopping is missing (see Payload).
func (e InitiateShopping) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.id("shoppingId", e.ShoppingID)
	return c.err(e)
}

// Validate reports what CancelShoppingList is missing (see Payload);
// shoppingId may be empty (the order's list is meant) and so may the reason.
func (e CancelShoppingList) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.optionalID("shoppingId", e.ShoppingID)
	c.optionalText("reason", e.Reason)
	return c.err(e)
}

// Validate reports what ConfirmPayment is missing (see Payload). An amount
// that differs from the authorized one is the receiver's business (a failure
// reply), not a malformed command.
func (e ConfirmPayment) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.id("paymentId", e.PaymentID)
	c.id("customerId", e.CustomerID)
	c.atLeast("amount", e.Amount, 0)
	return c.err(e)
}

// Validate reports what VoidPayment is missing (see Payload).
func (e VoidPayment) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.id("paymentId", e.PaymentID)
	c.optionalText("reason", e.Reason)
	return c.err(e)
}

// Validate reports what ApproveOrder is missing (see Payload).
func (e ApproveOrder) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.id("shoppingId", e.ShoppingID)
	return c.err(e)
}

// Validate reports what RejectOrder is missing (see Payload).
func (e RejectOrder) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.optionalText("reason", e.Reason)
	return c.err(e)
}
