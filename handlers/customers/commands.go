package customers

import (
	"context"

	"github.com/mallbots/mallbots/domain/customer"
	"github.com/mallbots/mallbots/events"
)

// RegisterCustomer signs up an enabled customer and returns its ID; an
// invalid name or SMS number is domain.ErrInvalid.
func (h *Handlers) RegisterCustomer(ctx context.Context, name, smsNumber string) (string, error) {
	c, err := customer.New(h.newID(), name, smsNumber)
	if err != nil {
		return "", err
	}
	return c.ID(), h.repo.Add(ctx, c, events.CustomerRegistered{
		CustomerID: c.ID(), Name: c.Name(), SmsNumber: c.SmsNumber(), Enabled: c.Enabled(), Version: c.Version(),
	})
}

// ChangeSmsNumber replaces customer id's SMS number; an invalid number is
// domain.ErrInvalid, an unknown customer domain.ErrNotFound.
func (h *Handlers) ChangeSmsNumber(ctx context.Context, id, smsNumber string) error {
	return h.repo.Update(ctx, id, func(c *customer.Customer) ([]events.Event, error) {
		if err := c.ChangeSmsNumber(smsNumber); err != nil {
			return nil, err
		}
		return []events.Event{events.CustomerSmsChanged{CustomerID: id, SmsNumber: c.SmsNumber(), Version: c.Version()}}, nil
	})
}

// EnableCustomer lets customer id shop again; enabling an enabled customer
// is domain.ErrConflict.
func (h *Handlers) EnableCustomer(ctx context.Context, id string) error {
	return h.repo.Update(ctx, id, func(c *customer.Customer) ([]events.Event, error) {
		if err := c.Enable(); err != nil {
			return nil, err
		}
		return []events.Event{events.CustomerEnabled{CustomerID: id, Version: c.Version()}}, nil
	})
}

// DisableCustomer stops customer id from shopping; disabling a disabled
// customer is domain.ErrConflict.
func (h *Handlers) DisableCustomer(ctx context.Context, id string) error {
	return h.repo.Update(ctx, id, func(c *customer.Customer) ([]events.Event, error) {
		if err := c.Disable(); err != nil {
			return nil, err
		}
		return []events.Event{events.CustomerDisabled{CustomerID: id, Version: c.Version()}}, nil
	})
}
