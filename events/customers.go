package events

// Wire names of the events the customers service publishes.
const (
	CustomerRegisteredName = "customers.CustomerRegistered"
	CustomerSmsChangedName = "customers.CustomerSmsChanged"
	CustomerEnabledName    = "customers.CustomerEnabled"
	CustomerDisabledName   = "customers.CustomerDisabled"
)

// CustomerRegistered: a new customer signed up; new customers start enabled.
type CustomerRegistered struct {
	CustomerID string `json:"customerId" check:"id"`
	Name       string `json:"name" check:"text"`
	SmsNumber  string `json:"smsNumber" check:"text"`
	Enabled    bool   `json:"enabled"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version" check:"min=1"`
}

// CustomerSmsChanged: the customer's SMS number changed.
type CustomerSmsChanged struct {
	CustomerID string `json:"customerId" check:"id"`
	SmsNumber  string `json:"smsNumber" check:"text"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version" check:"min=1"`
}

// CustomerEnabled: the customer may shop again.
type CustomerEnabled struct {
	CustomerID string `json:"customerId" check:"id"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version" check:"min=1"`
}

// CustomerDisabled: the customer may no longer start baskets or place orders.
type CustomerDisabled struct {
	CustomerID string `json:"customerId" check:"id"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version" check:"min=1"`
}

func (CustomerRegistered) EventName() string { return CustomerRegisteredName }
func (CustomerSmsChanged) EventName() string { return CustomerSmsChangedName }
func (CustomerEnabled) EventName() string    { return CustomerEnabledName }
func (CustomerDisabled) EventName() string   { return CustomerDisabledName }

// Validate checks each payload against its fields' check tags (see Payload).
func (e CustomerRegistered) Validate() error { return validate(e) }
func (e CustomerSmsChanged) Validate() error { return validate(e) }
func (e CustomerEnabled) Validate() error    { return validate(e) }
func (e CustomerDisabled) Validate() error   { return validate(e) }
