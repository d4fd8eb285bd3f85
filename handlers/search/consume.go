package search

import (
	"context"
	"strconv"
	"time"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain/ordersearch"
	"github.com/mallbots/mallbots/domain/orderstatus"
	"github.com/mallbots/mallbots/events"
)

// The consumers below keep the read model. Wrapped by
// consumer.Of((*Handlers).On<Event>), each runs in one transaction with the
// message's inbox row, so a duplicate delivery does nothing; a redelivery of
// the same event under another message ID finds the order inserted already, or
// at that status already, and changes nothing either.
//
// Each event type arrives through a queue of its own, so an order's events
// can arrive in any order. A status event for an order whose OrderCreated
// was not handled yet fails with an error wrapping domain.ErrNotFound, which
// the router retries until OrderCreated lands. A status never moves
// backward: a stale event (OrderReadied after OrderCompleted) is
// acknowledged and changes nothing (see orderstatus.Status.Supersedes).

// OnCustomerRegistered caches the customer's name and fills it into their
// orders already in the read model.
func (h *Handlers) OnCustomerRegistered(ctx context.Context, e events.CustomerRegistered) error {
	return h.repo.SetCustomerName(ctx, e.CustomerID, e.Name, e.Version)
}

// OnOrderCreated adds the pending order, dated by the event.
func (h *Handlers) OnOrderCreated(ctx context.Context, e events.OrderCreated) error {
	at := h.eventTime(ctx)
	items := make([]ordersearch.Item, len(e.Items))
	for i, it := range e.Items {
		items[i] = ordersearch.Item{StoreID: it.StoreID, StoreName: it.StoreName, ProductID: it.ProductID,
			ProductName: it.ProductName, Price: it.Price, Quantity: it.Quantity}
	}
	return h.repo.AddOrder(ctx, ordersearch.Order{ID: e.OrderID, CustomerID: e.CustomerID, Items: items,
		Total: e.Total, Status: orderstatus.Pending, CreatedAt: at, UpdatedAt: at})
}

// OnOrderApproved moves the order to approved.
func (h *Handlers) OnOrderApproved(ctx context.Context, e events.OrderApproved) error {
	return h.repo.SetStatus(ctx, e.OrderID, orderstatus.Approved, "", h.eventTime(ctx))
}

// OnOrderRejected moves the order to rejected, with the saga's reason.
func (h *Handlers) OnOrderRejected(ctx context.Context, e events.OrderRejected) error {
	return h.repo.SetStatus(ctx, e.OrderID, orderstatus.Rejected, e.Reason, h.eventTime(ctx))
}

// OnOrderReadied moves the order to ready.
func (h *Handlers) OnOrderReadied(ctx context.Context, e events.OrderReadied) error {
	return h.repo.SetStatus(ctx, e.OrderID, orderstatus.Ready, "", h.eventTime(ctx))
}

// OnOrderCanceled moves the order to canceled.
func (h *Handlers) OnOrderCanceled(ctx context.Context, e events.OrderCanceled) error {
	return h.repo.SetStatus(ctx, e.OrderID, orderstatus.Canceled, "", h.eventTime(ctx))
}

// OnOrderCompleted moves the order to completed.
func (h *Handlers) OnOrderCompleted(ctx context.Context, e events.OrderCompleted) error {
	return h.repo.SetStatus(ctx, e.OrderID, orderstatus.Completed, "", h.eventTime(ctx))
}

// eventTime returns when the event being handled was published. Its ID (the
// message UUID, which the router passes on as the causation ID) is a UUIDv7
// (DESIGN §3), whose first 48 bits count milliseconds since the Unix epoch.
// Dating orders by their events, not by the clock when they are handled,
// keeps the dates right when a message waited in a queue or the read model
// is rebuilt from the event log. An ID of another version falls back to the
// clock.
func (h *Handlers) eventTime(ctx context.Context) time.Time {
	id := correlation.From(ctx).CausationID
	if len(id) == 36 && id[8] == '-' && id[14] == '7' {
		if ms, err := strconv.ParseUint(id[0:8]+id[9:13], 16, 64); err == nil {
			return time.UnixMilli(int64(ms)).UTC()
		}
	}
	return h.now().UTC()
}
