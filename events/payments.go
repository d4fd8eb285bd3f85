package events

// Wire names of the events the payments service publishes.
const (
	PaymentAuthorizedName = "payments.PaymentAuthorized"
	PaymentConfirmedName  = "payments.PaymentConfirmed"
	PaymentVoidedName     = "payments.PaymentVoided"
	InvoiceCreatedName    = "payments.InvoiceCreated"
	InvoicePaidName       = "payments.InvoicePaid"
	InvoiceCanceledName   = "payments.InvoiceCanceled"
)

// PaymentAuthorized: the customer authorized a payment of up to Amount cents,
// to be named at checkout.
type PaymentAuthorized struct {
	PaymentID  string `json:"paymentId"`
	CustomerID string `json:"customerId"`
	Amount     int64  `json:"amount"`
}

// PaymentConfirmed: the authorization was used for order OrderID, whose
// total matched Amount.
type PaymentConfirmed struct {
	PaymentID string `json:"paymentId"`
	OrderID   string `json:"orderId"`
	Amount    int64  `json:"amount"`
}

// PaymentVoided: the authorization was released (saga compensation or order
// canceled); Reason says why.
type PaymentVoided struct {
	PaymentID string `json:"paymentId"`
	OrderID   string `json:"orderId"`
	Reason    string `json:"reason"`
}

// InvoiceCreated: the order is ready and its invoice awaits payment.
type InvoiceCreated struct {
	InvoiceID string `json:"invoiceId"`
	OrderID   string `json:"orderId"`
	PaymentID string `json:"paymentId"`
	Amount    int64  `json:"amount"`
}

// InvoicePaid: the customer paid the invoice at the depot.
type InvoicePaid struct {
	InvoiceID string `json:"invoiceId"`
	OrderID   string `json:"orderId"`
	Amount    int64  `json:"amount"`
}

// InvoiceCanceled: the order was canceled, so the invoice will not be paid.
type InvoiceCanceled struct {
	InvoiceID string `json:"invoiceId"`
	OrderID   string `json:"orderId"`
}

func (PaymentAuthorized) EventName() string { return PaymentAuthorizedName }
func (PaymentConfirmed) EventName() string  { return PaymentConfirmedName }
func (PaymentVoided) EventName() string     { return PaymentVoidedName }
func (InvoiceCreated) EventName() string    { return InvoiceCreatedName }
func (InvoicePaid) EventName() string       { return InvoicePaidName }
func (InvoiceCanceled) EventName() string   { return InvoiceCanceledName }

// Validate reports what PaymentAuthorized is missing (see Payload).
func (e PaymentAuthorized) Validate() error {
	var c check
	c.id("paymentId", e.PaymentID)
	c.id("customerId", e.CustomerID)
	c.atLeast("amount", e.Amount, 1)
	return c.err(e)
}

// Validate reports what PaymentConfirmed is missing (see Payload).
func (e PaymentConfirmed) Validate() error {
	var c check
	c.id("paymentId", e.PaymentID)
	c.id("orderId", e.OrderID)
	c.atLeast("amount", e.Amount, 1)
	return c.err(e)
}

// Validate reports what PaymentVoided is missing (see Payload).
func (e PaymentVoided) Validate() error {
	var c check
	c.id("paymentId", e.PaymentID)
	c.id("orderId", e.OrderID)
	c.optionalText("reason", e.Reason)
	return c.err(e)
}

// Validate reports what InvoiceCreated is missing (see Payload).
func (e InvoiceCreated) Validate() error {
	var c check
	c.id("invoiceId", e.InvoiceID)
	c.id("orderId", e.OrderID)
	c.id("paymentId", e.PaymentID)
	c.atLeast("amount", e.Amount, 1)
	return c.err(e)
}

// Validate reports what InvoicePaid is missing (see Payload).
func (e InvoicePaid) Validate() error {
	var c check
	c.id("invoiceId", e.InvoiceID)
	c.id("orderId", e.OrderID)
	c.atLeast("amount", e.Amount, 1)
	return c.err(e)
}

// Validate reports what InvoiceCanceled is missing (see Payload).
func (e InvoiceCanceled) Validate() error {
	var c check
	c.id("invoiceId", e.InvoiceID)
	c.id("orderId", e.OrderID)
	return c.err(e)
}
