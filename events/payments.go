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
	PaymentID  string `json:"paymentId" check:"id"`
	CustomerID string `json:"customerId" check:"id"`
	Amount     int64  `json:"amount" check:"min=1"`
}

// PaymentConfirmed: the authorization was used for order OrderID, whose
// total matched Amount.
type PaymentConfirmed struct {
	PaymentID string `json:"paymentId" check:"id"`
	OrderID   string `json:"orderId" check:"id"`
	Amount    int64  `json:"amount" check:"min=1"`
}

// PaymentVoided: the authorization was released (saga compensation or order
// canceled); Reason says why.
type PaymentVoided struct {
	PaymentID string `json:"paymentId" check:"id"`
	OrderID   string `json:"orderId" check:"id"`
	Reason    string `json:"reason"`
}

// InvoiceCreated: the order is ready and its invoice awaits payment.
type InvoiceCreated struct {
	InvoiceID string `json:"invoiceId" check:"id"`
	OrderID   string `json:"orderId" check:"id"`
	PaymentID string `json:"paymentId" check:"id"`
	Amount    int64  `json:"amount" check:"min=1"`
}

// InvoicePaid: the customer paid the invoice at the depot.
type InvoicePaid struct {
	InvoiceID string `json:"invoiceId" check:"id"`
	OrderID   string `json:"orderId" check:"id"`
	Amount    int64  `json:"amount" check:"min=1"`
}

// InvoiceCanceled: the order was canceled, so the invoice will not be paid.
type InvoiceCanceled struct {
	InvoiceID string `json:"invoiceId" check:"id"`
	OrderID   string `json:"orderId" check:"id"`
}

func (PaymentAuthorized) EventName() string { return PaymentAuthorizedName }
func (PaymentConfirmed) EventName() string  { return PaymentConfirmedName }
func (PaymentVoided) EventName() string     { return PaymentVoidedName }
func (InvoiceCreated) EventName() string    { return InvoiceCreatedName }
func (InvoicePaid) EventName() string       { return InvoicePaidName }
func (InvoiceCanceled) EventName() string   { return InvoiceCanceledName }

// Validate checks each payload against its fields' check tags (see Payload).
func (e PaymentAuthorized) Validate() error { return validate(e) }
func (e PaymentConfirmed) Validate() error  { return validate(e) }
func (e PaymentVoided) Validate() error     { return validate(e) }
func (e InvoiceCreated) Validate() error    { return validate(e) }
func (e InvoicePaid) Validate() error       { return validate(e) }
func (e InvoiceCanceled) Validate() error   { return validate(e) }
