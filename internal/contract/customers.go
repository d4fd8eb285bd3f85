package contract

import (
	"fmt"
	"testing"

	"github.com/mallbots/mallbots/domain/customer"
	"github.com/mallbots/mallbots/events"
)

// CustomersRepository is handlers/customers' repository
// (postgres.Customers), each write publishing its events with it.
type CustomersRepository = UpdateFn[*customer.Customer]

// RunCustomers holds the customers repository to its contract: customers
// are UpdateFn aggregates (see runAggregate).
func RunCustomers[R CustomersRepository](t *testing.T, open func(*testing.T) (R, Outbox)) {
	runAggregate(t, aggregate[*customer.Customer]{
		kind: "customer",
		fresh: func(t *testing.T, id string) (*customer.Customer, events.Event) {
			c, err := customer.New(id, "Ada", "+1 555-123-4567")
			must(t, "customer.New", err)
			return c, events.CustomerRegistered{CustomerID: id, Name: c.Name(), SmsNumber: c.SmsNumber(), Enabled: c.Enabled(), Version: c.Version()}
		},
		change: func(c *customer.Customer) (events.Event, error) {
			err := c.ChangeSmsNumber(fmt.Sprintf("+1 555-000-%04d", c.Version()))
			return events.CustomerSmsChanged{CustomerID: c.ID(), SmsNumber: c.SmsNumber(), Version: c.Version()}, err
		},
		state: describe[customer.Customer], version: (*customer.Customer).Version,
	}, trio[*customer.Customer](open))
}
