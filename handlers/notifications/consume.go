package notifications

import (
	"context"
	"fmt"

	"github.com/mallbots/mallbots/domain/notification"
	"github.com/mallbots/mallbots/events"
)

// The consumers below run, wrapped by consumer.Of((*Handlers).On<Event>), in
// one transaction with the message's inbox row, so a duplicate delivery of
// one message does nothing. A redelivery of the same event under another
// message ID is caught by the order's progress (StartOrder, AdvanceOrder)
// and, behind it, by the sender's one-per-order-and-kind rule.
//
// Events reach this service through one queue per event type, so they can
// arrive in any order. An order's later steps wait (fail with an error
// wrapping domain.ErrNotFound, which the router retries) until its
// OrderCreated was handled, and OrderCreated waits until its customer's
// CustomerRegistered was: the customer is always told about their order in
// order. A step that arrives after a later one (OrderReadied after
// OrderCompleted) is stale and tells the customer nothing: "please pay"
// after they paid would be wrong.

// OnCustomerRegistered caches the customer's name and SMS number.
func (h *Handlers) OnCustomerRegistered(ctx context.Context, e events.CustomerRegistered) error {
	return h.cache.AddCustomer(ctx, e.CustomerID, e.Name, e.SmsNumber, e.Version)
}

// OnCustomerSmsChanged caches the customer's new SMS number; ErrNotFound
// (retried) while the customer is not cached yet.
func (h *Handlers) OnCustomerSmsChanged(ctx context.Context, e events.CustomerSmsChanged) error {
	return h.cache.SetCustomerSmsNumber(ctx, e.CustomerID, e.SmsNumber, e.Version)
}

// OnOrderCreated tells the customer their order was received, with its
// total; ErrNotFound (retried) while the customer is not cached yet.
func (h *Handlers) OnOrderCreated(ctx context.Context, e events.OrderCreated) error {
	return h.notify(ctx, e.OrderID, e.CustomerID, notification.KindCreated,
		func(to notification.Customer) (notification.Notification, error) {
			return notification.OrderReceived(h.newID(), to, e.OrderID, e.Total)
		})
}

// OnOrderReadied tells the customer to pay the event's total at the depot;
// ErrNotFound (retried) while the order's OrderCreated was not handled.
func (h *Handlers) OnOrderReadied(ctx context.Context, e events.OrderReadied) error {
	return h.notify(ctx, e.OrderID, e.CustomerID, notification.KindReady,
		func(to notification.Customer) (notification.Notification, error) {
			return notification.OrderReady(h.newID(), to, e.OrderID, e.Total)
		})
}

// OnOrderCanceled tells the customer their order was canceled; ErrNotFound
// (retried) while the order's OrderCreated was not handled.
func (h *Handlers) OnOrderCanceled(ctx context.Context, e events.OrderCanceled) error {
	return h.notify(ctx, e.OrderID, e.CustomerID, notification.KindCanceled,
		func(to notification.Customer) (notification.Notification, error) {
			return notification.OrderCanceled(h.newID(), to, e.OrderID)
		})
}

// OnOrderCompleted thanks the customer for their completed order;
// ErrNotFound (retried) while the order's OrderCreated was not handled.
func (h *Handlers) OnOrderCompleted(ctx context.Context, e events.OrderCompleted) error {
	return h.notify(ctx, e.OrderID, e.CustomerID, notification.KindCompleted,
		func(to notification.Customer) (notification.Notification, error) {
			return notification.OrderCompleted(h.newID(), to, e.OrderID)
		})
}

// notify tells cached customer customerID about step kind of order orderID,
// with the notification build words for them, when that step is news.
//
// The customer is looked up before anything is written, so the common wait
// (an order overtaking its customer's registration) fails before any
// effect. Any later failure rolls the consumer's transaction back, the
// order's progress included, so the retry starts afresh.
func (h *Handlers) notify(ctx context.Context, orderID, customerID string, kind notification.Kind,
	build func(notification.Customer) (notification.Notification, error)) error {
	to, err := h.cache.Customer(ctx, customerID)
	if err != nil {
		return err
	}
	var news bool
	if kind == notification.KindCreated {
		news, err = h.cache.StartOrder(ctx, orderID, customerID)
	} else {
		news, err = h.cache.AdvanceOrder(ctx, orderID, kind)
	}
	if err != nil || !news {
		return err
	}
	n, err := build(to)
	if err != nil {
		return err
	}
	if err := h.sender.Send(ctx, n); err != nil {
		return fmt.Errorf("send %s notification of order %s: %w", kind, orderID, err)
	}
	return nil
}
