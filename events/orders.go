package events

// Wire names of the events the orders service publishes.
const (
	OrderCreatedName   = "orders.OrderCreated"
	OrderApprovedName  = "orders.OrderApproved"
	OrderRejectedName  = "orders.OrderRejected"
	OrderReadiedName   = "orders.OrderReadied"
	OrderCanceledName  = "orders.OrderCanceled"
	OrderCompletedName = "orders.OrderCompleted"
)

// OrderShoppingCompletedName names the order event that records, in the
// order's history (GET /api/ordering/{id}/history), that the bots completed
// its shopping list before its approval was processed. It is never
// published: the approval then publishes OrderApproved and OrderReadied.
const OrderShoppingCompletedName = "orders.OrderShoppingCompleted"

// OrderCreated: a pending order exists; the create-order saga starts on it.
// Total is the sum of price × quantity over the items, in cents.
type OrderCreated struct {
	OrderID    string `json:"orderId" check:"id"`
	CustomerID string `json:"customerId" check:"id"`
	PaymentID  string `json:"paymentId" check:"id"`
	Items      []Item `json:"items" check:"nonempty"`
	Total      int64  `json:"total" check:"min=0"`
}

// OrderApproved: the saga authorized the customer, confirmed the payment and
// made the shopping list available to bots.
type OrderApproved struct {
	OrderID    string `json:"orderId" check:"id"`
	CustomerID string `json:"customerId" check:"id"`
	ShoppingID string `json:"shoppingId" check:"id"`
}

// OrderRejected: the saga could not approve the order; Reason says which
// step failed and why. Every earlier step has been compensated.
type OrderRejected struct {
	OrderID    string `json:"orderId" check:"id"`
	CustomerID string `json:"customerId" check:"id"`
	Reason     string `json:"reason"`
}

// OrderReadied: the bots collected every item; the customer can pay the
// invoice InvoiceID (which payments creates with that ID) for Total cents
// at the depot.
type OrderReadied struct {
	OrderID    string `json:"orderId" check:"id"`
	CustomerID string `json:"customerId" check:"id"`
	PaymentID  string `json:"paymentId" check:"id"`
	InvoiceID  string `json:"invoiceId" check:"id"`
	Total      int64  `json:"total" check:"min=0"`
}

// OrderCanceled: the customer canceled the order before it was ready.
// ShoppingID is empty when the saga had not created a list yet.
type OrderCanceled struct {
	OrderID    string `json:"orderId" check:"id"`
	CustomerID string `json:"customerId" check:"id"`
	PaymentID  string `json:"paymentId" check:"id"`
	ShoppingID string `json:"shoppingId" check:"id,optional"`
}

// OrderCompleted: the customer paid the invoice and took the goods.
type OrderCompleted struct {
	OrderID    string `json:"orderId" check:"id"`
	CustomerID string `json:"customerId" check:"id"`
	InvoiceID  string `json:"invoiceId" check:"id"`
}

func (OrderCreated) EventName() string   { return OrderCreatedName }
func (OrderApproved) EventName() string  { return OrderApprovedName }
func (OrderRejected) EventName() string  { return OrderRejectedName }
func (OrderReadied) EventName() string   { return OrderReadiedName }
func (OrderCanceled) EventName() string  { return OrderCanceledName }
func (OrderCompleted) EventName() string { return OrderCompletedName }

// Validate checks each payload against its fields' check tags (see Payload).
func (e OrderCreated) Validate() error   { return validate(e) }
func (e OrderApproved) Validate() error  { return validate(e) }
func (e OrderRejected) Validate() error  { return validate(e) }
func (e OrderReadied) Validate() error   { return validate(e) }
func (e OrderCanceled) Validate() error  { return validate(e) }
func (e OrderCompleted) Validate() error { return validate(e) }
