package contract

import (
	"context"
	"fmt"
	"testing"

	"github.com/mallbots/mallbots/domain/customer"
	"github.com/mallbots/mallbots/events"
)

// CustomersRepository is handlers/customers' repository
// (postgres.Customers), each write publishing its events with it.
type CustomersRepository interface {
	Add(ctx context.Context, c *customer.Customer, evs ...events.Event) error
	Update(ctx context.Context, id string, fn func(*customer.Customer) ([]events.Event, error)) error
	Get(ctx context.Context, id string) (*customer.Customer, error)
}

// Customers is one fresh, empty CustomersRepository and what it has
// published.
type Customers struct {
	Repo   CustomersRepository
	Outbox Outbox
}

// RunCustomers holds the customers repository to its contract: customers
// are UpdateFn aggregates (see runAggregate).
func RunCustomers(t *testing.T, open func(t *testing.T) Customers) {
	runAggregate(t, aggregate[*customer.Customer]{
		kind: "customer",
		fresh: func(id string) (*customer.Customer, events.Event) {
			c, err := customer.New(id, "Ada", "+1 555-123-4567")
			if err != nil {
				panic(err)
			}
			return c, events.CustomerRegistered{CustomerID: id, Name: c.Name(), SmsNumber: c.SmsNumber(), Enabled: c.Enabled(), Version: c.Version()}
		},
		change: func(c *customer.Customer) (events.Event, error) {
			err := c.ChangeSmsNumber(fmt.Sprintf("+1 555-000-%04d", c.Version()))
			return events.CustomerSmsChanged{CustomerID: c.ID(), SmsNumber: c.SmsNumber(), Version: c.Version()}, err
		},
		state: describe[customer.Customer], version: (*customer.Customer).Version,
	}, func(t *testing.T) methods[*customer.Customer] {
		c := open(t)
		return methods[*customer.Customer]{add: c.Repo.Add, update: c.Repo.Update, get: c.Repo.Get, out: c.Outbox}
	})
}
