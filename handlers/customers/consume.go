package customers

import (
	"context"
	"errors"
	"fmt"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/events"
)

// OnAuthorizeCustomer answers the create-order saga's AuthorizeCustomer
// command with exactly one CreateOrderReply for the order: a success when
// the customer is registered and enabled, otherwise a failure whose Reason
// says "customer X is disabled" or "customer X is not registered". It
// changes no customer. The customer ID is a UUID in any case (the payload
// was validated when it was decoded); one that is not is domain.ErrInvalid,
// unreplied.
//
// The composition root wraps it with
// consumer.Of((*Handlers).OnAuthorizeCustomer) (queue
// "customers.OnAuthorizeCustomer"), which runs it in one transaction with the
// message's inbox row; the reply joins that transaction, so a redelivered
// command is dropped by the inbox and never answered twice. An error reading
// the customer is returned unreplied, to be retried: infrastructure failures
// are never business answers.
func (h *Handlers) OnAuthorizeCustomer(ctx context.Context, cmd events.AuthorizeCustomer) error {
	reason, err := h.authorize(ctx, cmd.CustomerID)
	if err != nil {
		return fmt.Errorf("authorize customer %s for order %s: %w", cmd.CustomerID, cmd.OrderID, err)
	}
	return h.pub.Publish(ctx, events.CreateOrderReply{
		OrderID: cmd.OrderID, Command: events.AuthorizeCustomerName, Success: reason == "", Reason: reason,
	})
}

// authorize returns why customer id may not place an order, or "" when they
// may.
func (h *Handlers) authorize(ctx context.Context, id string) (string, error) {
	canonical, ok := domain.ParseID(id)
	if !ok {
		return "", fmt.Errorf("%w: customer id %.40q is not a UUID", domain.ErrInvalid, id)
	}
	c, err := h.repo.Get(ctx, canonical)
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Sprintf("customer %s is not registered", id), nil
	}
	if err != nil {
		return "", err
	}
	if c.Authorize() != nil {
		return fmt.Sprintf("customer %s is disabled", c.ID()), nil
	}
	return "", nil
}
