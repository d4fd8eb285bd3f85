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
	CustomerID string `json:"customerId"`
	Name       string `json:"name"`
	SmsNumber  string `json:"smsNumber"`
	Enabled    bool   `json:"enabled"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version"`
}

// CustomerSmsChanged: the customer's SMS number changed.
type CustomerSmsChanged struct {
	CustomerID string `json:"customerId"`
	SmsNumber  string `json:"smsNumber"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version"`
}

// CustomerEnabled: the customer may shop again.
type CustomerEnabled struct {
	CustomerID string `json:"customerId"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version"`
}

// CustomerDisabled: the customer may no longer start baskets or place orders.
type CustomerDisabled struct {
	CustomerID string `json:"customerId"`
	// Version is the aggregate's version after this change.
	Version int64 `json:"version"`
}

func (CustomerRegistered) EventName() string { return CustomerRegisteredName }
func (CustomerSmsChanged) EventName() string { return CustomerSmsChangedName }
func (CustomerEnabled) EventName() string    { return CustomerEnabledName }
func (CustomerDisabled) EventName() string   { return CustomerDisabledName }

// Validate reports what CustomerRegistered is missing (see Payload).
func (e CustomerRegistered) Validate() error {
	var c check
	c.id("customerId", e.CustomerID)
	c.text("name", e.Name)
	c.text("smsNumber", e.SmsNumber)
	c.version(e.Version)
	return c.err(e)
}

// Validate reports what CustomerSmsChanged is missing (see Payload).
func (e CustomerSmsChanged) Validate() error {
	var c check
	c.id("customerId", e.CustomerID)
	c.text("smsNumber", e.SmsNumber)
	c.version(e.Version)
	return c.err(e)
}

// Validate reports what CustomerEnabled is missing (see Payload).
func (e CustomerEnabled) Validate() error {
	var c check
	c.id("customerId", e.CustomerID)
	c.version(e.Version)
	return c.err(e)
}

// Validate reports what CustomerDisabled is missing (see Payload).
func (e CustomerDisabled) Validate() error {
	var c check
	c.id("customerId", e.CustomerID)
	c.version(e.Version)
	return c.err(e)
}
