package orders

import (
	"context"

	"github.com/mallbots/mallbots/domain/order"
)

// CreateOrder places a pending order for customerID, paid with payment
// authorization paymentID, and returns its new ID; OrderCreated starts the
// create-order saga. Invalid input (see order.New) is domain.ErrInvalid.
func (h *Handlers) CreateOrder(ctx context.Context, customerID, paymentID string, items []order.Item) (string, error) {
	o, evs, err := order.New(h.newID(), customerID, paymentID, items)
	if err != nil {
		return "", err
	}
	return o.ID(), h.repo.Add(ctx, o, evs)
}

// CancelOrder cancels order id, which must be pending or approved; canceling
// a canceled order succeeds and publishes nothing. A rejected, ready or
// completed order is domain.ErrConflict (order.ErrNotCancelable), as is an
// order that other writers kept changing (order.ErrConcurrentChange); an
// unknown order is domain.ErrNotFound.
func (h *Handlers) CancelOrder(ctx context.Context, id string) error {
	return h.repo.Update(ctx, id, func(o *order.Order) ([]order.Event, error) {
		return o.Cancel()
	})
}
