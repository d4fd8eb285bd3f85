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
	OrderID    string `json:"orderId" check:"id"`
	CustomerID string `json:"customerId" check:"id"`
}

// CreateShoppingList asks depot to plan a pending shopping list for the
// order's items, one stop per store. The success reply carries ShoppingID.
type CreateShoppingList struct {
	OrderID string `json:"orderId" check:"id"`
	Items   []Item `json:"items" check:"nonempty"`
}

// InitiateShopping asks depot to make the pending list available to bots.
type InitiateShopping struct {
	OrderID    string `json:"orderId" check:"id"`
	ShoppingID string `json:"shoppingId" check:"id"`
}

// CancelShoppingList asks depot to cancel the list (compensation). Canceling
// a canceled list succeeds.
type CancelShoppingList struct {
	OrderID    string `json:"orderId" check:"id"`
	ShoppingID string `json:"shoppingId" check:"id,optional"`
	Reason     string `json:"reason"`
}

// ConfirmPayment asks payments to use authorization PaymentID for the order.
// It fails when the payment is unknown, belongs to another customer, is
// already used or voided, or Amount (the order total, cents) differs from
// the authorized amount.
type ConfirmPayment struct {
	OrderID    string `json:"orderId" check:"id"`
	PaymentID  string `json:"paymentId" check:"id"`
	CustomerID string `json:"customerId" check:"id"`
	Amount     int64  `json:"amount" check:"min=0"`
}

// VoidPayment asks payments to release the order's confirmed payment
// (compensation). Voiding a voided payment succeeds.
type VoidPayment struct {
	OrderID   string `json:"orderId" check:"id"`
	PaymentID string `json:"paymentId" check:"id"`
	Reason    string `json:"reason"`
}

// ApproveOrder asks orders to approve the pending order.
type ApproveOrder struct {
	OrderID    string `json:"orderId" check:"id"`
	ShoppingID string `json:"shoppingId" check:"id"`
}

// RejectOrder asks orders to reject the pending order (compensation's last
// step), publishing OrderRejected with Reason.
type RejectOrder struct {
	OrderID string `json:"orderId" check:"id"`
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

// Validate checks each payload against its fields' check tags (see Payload).
func (e AuthorizeCustomer) Validate() error  { return validate(e) }
func (e CreateShoppingList) Validate() error { return validate(e) }
func (e InitiateShopping) Validate() error   { return validate(e) }
func (e CancelShoppingList) Validate() error { return validate(e) }
func (e ConfirmPayment) Validate() error     { return validate(e) }
func (e VoidPayment) Validate() error        { return validate(e) }
func (e ApproveOrder) Validate() error       { return validate(e) }
func (e RejectOrder) Validate() error        { return validate(e) }
