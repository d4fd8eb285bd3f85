package orders

import (
	"context"
	"errors"
	"fmt"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/order"
	"github.com/mallbots/mallbots/events"
)

// The consumers below react to other services' events and to the saga's
// commands. The composition root wraps each with
// consumer.Of((*Handlers).On<Event>), which names its queue "orders.On<Event>"
// and runs it in one transaction with the message's inbox row, so a redelivery
// of the same message does nothing. Each is also idempotent across different
// messages that mean the same thing (a basket checked out twice, a command
// sent again). Errors wrapping domain.ErrInvalid or domain.ErrConflict are
// permanent (poisoned at once), domain.ErrNotFound waits for the data to
// arrive (domain.IsPermanent, domain.MustWait); anything else is retried with
// backoff, then poisoned with its reason.
//
// The consumers that keep the catalog cache CreateOrder prices from
// (OnStoreCreated, OnProductAdded, …) are the embedded
// catalogcache.Consumers, the same ones baskets runs.

// OnBasketCheckedOut creates the order of a checked-out basket, with the
// basket's ID as the order's, and publishes OrderCreated. An order with that
// ID existing already means this checkout was handled (the event came again
// under another message ID): nothing happens. An event that cannot make a
// valid order is domain.ErrInvalid.
func (h *Handlers) OnBasketCheckedOut(ctx context.Context, e events.BasketCheckedOut) error {
	items := make([]order.Item, len(e.Items))
	for i, it := range e.Items {
		items[i] = order.Item(it)
	}
	o, evs, err := order.New(e.BasketID, e.CustomerID, e.PaymentID, items)
	if err != nil {
		return fmt.Errorf("create order from basket %s: %w", e.BasketID, err)
	}
	err = h.repo.Add(ctx, o, evs)
	if errors.Is(err, order.ErrExists) {
		h.logger.InfoContext(ctx, "basket already became an order; checkout ignored", "order_id", o.ID())
		return nil
	}
	return retryable(err)
}

// OnApproveOrder carries out the saga's ApproveOrder: the pending order is
// approved with the shopping list and OrderApproved published; when the bots
// completed that list already, the order is readied at once and
// OrderReadied published after it. The reply is a success, also when the
// order was approved with that list already (the command came again: no new
// event). When the order cannot be approved (it was canceled or rejected
// meanwhile, or shopped with another list) the reply is a failure with the
// reason, and the saga compensates.
func (h *Handlers) OnApproveOrder(ctx context.Context, c events.ApproveOrder) error {
	return h.answer(ctx, events.ApproveOrderName, c.OrderID, func(o *order.Order) ([]order.Event, error) {
		return o.Approve(c.ShoppingID)
	})
}

// OnRejectOrder carries out the saga's RejectOrder, its last compensation:
// the pending order is rejected with the reason and OrderRejected published.
// The reply is a success, also when the order is rejected already or was
// canceled by the customer meanwhile (it stays canceled: nothing goes
// ahead either way); a failure when it was approved, which the saga records
// for an operator.
func (h *Handlers) OnRejectOrder(ctx context.Context, c events.RejectOrder) error {
	return h.answer(ctx, events.RejectOrderName, c.OrderID, func(o *order.Order) ([]order.Event, error) {
		return o.Reject(c.Reason)
	})
}

// answer runs a saga command's decision on order id and publishes the
// CreateOrderReply to it, in the consumer's transaction. A refusal by the
// order's rules is the saga's business, not an error: it is answered with a
// failure reply and changes nothing. A command for an order that does not
// exist is domain.ErrInvalid, unanswered and poisoned at once: orders
// stores an order before the OrderCreated that starts its saga, so no
// command can come before its order, and waiting for one is in vain.
func (h *Handlers) answer(ctx context.Context, command, id string, decide func(*order.Order) ([]order.Event, error)) error {
	var refused error
	err := h.repo.Update(ctx, id, func(o *order.Order) ([]order.Event, error) {
		// Update may run this more than once; only the last run counts.
		evs, err := decide(o)
		refused = err
		if err != nil {
			return nil, nil
		}
		return evs, nil
	})
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("%w: %s for order %s, which does not exist (an order is stored before the OrderCreated that starts its saga, so this command can never apply): %v",
			domain.ErrInvalid, command, id, err)
	}
	if err != nil {
		return retryable(err)
	}
	reply := events.CreateOrderReply{OrderID: id, Command: command, Success: refused == nil}
	if refused != nil {
		reply.Reason = refused.Error()
		h.logger.InfoContext(ctx, "saga command refused", "order_id", id, "command", command, "reason", reply.Reason)
	}
	return h.replies.Publish(ctx, reply)
}

// OnShoppingListCompleted readies the order whose shopping list the bots
// completed: it gets a new invoice ID, which payments creates the invoice
// with, and OrderReadied is published. A pending order, whose approval has
// not been processed yet (the saga makes the list available before it
// approves the order, and the saga may be down for as long as it likes),
// records the completion with that invoice ID and publishes nothing yet;
// its approval readies it at once (see order.Order.Ready). Either way the
// event is acknowledged, whatever order the two arrive in. A ready or
// completed order stays as it is. A canceled or rejected order has nothing
// to ready: the event is acknowledged and logged. A list that is not the
// order's is domain.ErrConflict.
func (h *Handlers) OnShoppingListCompleted(ctx context.Context, e events.ShoppingListCompleted) error {
	ignored := "" // the status of an order that will not be readied
	early := false
	err := h.repo.Update(ctx, e.OrderID, func(o *order.Order) ([]order.Event, error) {
		ignored, early = "", false
		switch o.Status() {
		case order.StatusCanceled, order.StatusRejected:
			ignored = o.Status().String()
			return nil, nil
		}
		evs, err := o.Ready(e.ShoppingID, h.newID())
		if len(evs) > 0 {
			_, early = evs[0].(order.ShoppingCompleted)
		}
		return evs, err
	})
	if err != nil {
		return retryable(err)
	}
	switch {
	case ignored != "":
		h.logger.InfoContext(ctx, "shopping list completed for an order that will not be readied; ignored",
			"order_id", e.OrderID, "shopping_id", e.ShoppingID, "status", ignored)
	case early:
		h.logger.InfoContext(ctx, "shopping list completed before the order's approval; it becomes ready once approved",
			"order_id", e.OrderID, "shopping_id", e.ShoppingID)
	}
	return nil
}

// OnInvoicePaid completes the ready order whose invoice was paid and
// publishes OrderCompleted; a completed order stays as it is. An invoice
// that is not the order's, or an order that is not ready, is
// domain.ErrConflict.
func (h *Handlers) OnInvoicePaid(ctx context.Context, e events.InvoicePaid) error {
	return retryable(h.repo.Update(ctx, e.OrderID, func(o *order.Order) ([]order.Event, error) {
		return o.Complete(e.InvoiceID)
	}))
}

// retryable keeps err as it is, except that losing every race to append to
// an order (order.ErrConcurrentChange, kind domain.ErrConflict, a 409 over
// HTTP) loses its kind here: for a consumer it is transient, and the router
// retries the message instead of poisoning it.
func retryable(err error) error {
	if errors.Is(err, order.ErrConcurrentChange) {
		return fmt.Errorf("retry later: %v", err)
	}
	return err
}
