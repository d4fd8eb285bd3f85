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

// OrderCreated: a pending order exists; the create-order saga starts on it.
// Total is the sum of price × quantity over the items, in cents.
type OrderCreated struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	PaymentID  string `json:"paymentId"`
	Items      []Item `json:"items"`
	Total      int64  `json:"total"`
}

// OrderApproved: the saga authorized the customer, confirmed the payment and
// made the shopping list available to bots.
type OrderApproved struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	ShoppingID string `json:"shoppingId"`
}

// OrderRejected: the saga could not approve the order; Reason says which
// step failed and why. Every earlier step has been compensated.
type OrderRejected struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Reason     string `json:"reason"`
}

// OrderReadied: the bots collected every item; the customer can pay the
// invoice InvoiceID (which payments creates with that ID) for Total cents
// at the depot.
type OrderReadied struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	PaymentID  string `json:"paymentId"`
	InvoiceID  string `json:"invoiceId"`
	Total      int64  `json:"total"`
}

// OrderCanceled: the customer canceled the order before it was ready.
// ShoppingID is empty when the saga had not created a list yet.
type OrderCanceled struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	PaymentID  string `json:"paymentId"`
	ShoppingID string `json:"shoppingId"`
}

// OrderCompleted: the customer paid the invoice and took the goods.
type OrderCompleted struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	InvoiceID  string `json:"invoiceId"`
}

func (OrderCreated) EventName() string   { return OrderCreatedName }
func (OrderApproved) EventName() string  { return OrderApprovedName }
func (OrderRejected) EventName() string  { return OrderRejectedName }
func (OrderReadied) EventName() string   { return OrderReadiedName }
func (OrderCanceled) EventName() string  { return OrderCanceledName }
func (OrderCompleted) EventName() string { return OrderCompletedName }

// Validate reports what OrderCreated is missing (see Payload): it needs at
// least one item.
func (e OrderCreated) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.id("customerId", e.CustomerID)
	c.id("paymentId", e.PaymentID)
	c.items("items", e.Items)
	c.atLeast("total", e.Total, 0)
	return c.err(e)
}

// Validate reports what OrderApproved is missing (see Payload).
func (e OrderApproved) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.id("customerId", e.CustomerID)
	c.id("shoppingId", e.ShoppingID)
	return c.err(e)
}

// Validate reports what OrderRejected is missing (see Payload).
func (e OrderRejected) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.id("customerId", e.CustomerID)
	c.optionalText("reason", e.Reason)
	return c.err(e)
}

// Validate reports what OrderReadied is missing (see Payload).
func (e OrderReadied) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.id("customerId", e.CustomerID)
	c.id("paymentId", e.PaymentID)
	c.id("invoiceId", e.InvoiceID)
	c.atLeast("total", e.Total, 0)
	return c.err(e)
}

// Validate reports what OrderCanceled is missing (see Payload); shoppingId
// may be empty.
func (e OrderCanceled) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.id("customerId", e.CustomerID)
	c.id("paymentId", e.PaymentID)
	c.optionalID("shoppingId", e.ShoppingID)
	return c.err(e)
}

// Validate reports what OrderCompleted is missing (see Payload).
func (e OrderCompleted) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.id("customerId", e.CustomerID)
	c.id("invoiceId", e.InvoiceID)
	return c.err(e)
}
