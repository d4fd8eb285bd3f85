package depot

import (
	"context"
	"errors"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/depot"
	"github.com/mallbots/mallbots/events"
)

// The consumers below are wrapped by the composition root with
// consumer.Of((*Handlers).On<Event>), which names the queue "depot.On<Event>"
// and runs each message in one transaction with its inbox row: the same
// message delivered twice does nothing the second time. Every write and
// publish here joins that transaction.
//
// The saga's commands are answered with exactly one CreateOrderReply per
// message, committed with the command's effects. A command the depot refuses
// for a business reason (a domain error of kind ErrInvalid, ErrNotFound or
// ErrConflict about the list) is answered Success false with the reason and
// acknowledged; any other error is returned, so the router retries it and
// never replies. A command repeated under a new message ID (the saga retried)
// changes nothing more and repeats the reply.

// OnStoreCreated caches the new store's name and location; a redelivery or a
// stale event changes nothing.
func (h *Handlers) OnStoreCreated(ctx context.Context, e events.StoreCreated) error {
	return h.stores.SetStore(ctx, e.StoreID, e.Name, e.Location, e.Version)
}

// OnStoreRebranded caches the store's new name. It may overtake
// StoreCreated; the store then counts as known only once StoreCreated brings
// its location.
func (h *Handlers) OnStoreRebranded(ctx context.Context, e events.StoreRebranded) error {
	return h.stores.SetStoreName(ctx, e.StoreID, e.Name, e.Version)
}

// OnCreateShoppingList plans a pending list for the order, one stop per
// store with the store's cached name and location, and publishes
// ShoppingListCreated and a success reply carrying the list's ID. An order
// has one list: when it has one already, the reply is repeated with that ID
// and nothing else happens. Items the depot cannot shop (none, a blank store
// or product, a quantity below one) are refused with a failure reply. A store
// not in the cache yet is an error wrapping domain.ErrNotFound: the router
// retries until its StoreCreated lands and poisons the command, with that
// reason, if it never does.
func (h *Handlers) OnCreateShoppingList(ctx context.Context, cmd events.CreateShoppingList) error {
	reply := events.CreateOrderReply{OrderID: cmd.OrderID, Command: events.CreateShoppingListName, Success: true}
	existing, err := h.repo.FindByOrder(ctx, cmd.OrderID)
	if err == nil {
		reply.ShoppingID = existing.ID()
		return h.pub.Publish(ctx, reply)
	}
	if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	l, err := h.planList(ctx, cmd)
	if errors.Is(err, domain.ErrInvalid) {
		return h.pub.Publish(ctx, refused(reply, err))
	}
	if err != nil {
		return err
	}
	reply.ShoppingID = l.ID()
	return h.repo.Add(ctx, l, events.ShoppingListCreated{ShoppingID: l.ID(), OrderID: l.OrderID(), Stops: len(l.Stops())}, reply)
}

// planList turns the command's items into a new pending list.
func (h *Handlers) planList(ctx context.Context, cmd events.CreateShoppingList) (*depot.ShoppingList, error) {
	lines := make([]depot.Line, len(cmd.Items))
	for i, it := range cmd.Items {
		lines[i] = depot.Line{StoreID: it.StoreID, ProductID: it.ProductID, ProductName: it.ProductName, Quantity: it.Quantity}
	}
	ids, err := depot.StoreIDs(lines)
	if err != nil {
		return nil, err
	}
	stores, err := h.stores.Stores(ctx, ids)
	if err != nil {
		return nil, err
	}
	stops, err := depot.Plan(lines, stores)
	if err != nil {
		return nil, err
	}
	return depot.New(h.newID(), cmd.OrderID, stops)
}

// OnInitiateShopping makes the order's pending list available to bots and
// publishes ShoppingListAvailable and a success reply. A list that is
// available already (or further on) gets the same reply and no event. A
// canceled list, an unknown one or one of another order is refused with a
// failure reply.
func (h *Handlers) OnInitiateShopping(ctx context.Context, cmd events.InitiateShopping) error {
	reply := events.CreateOrderReply{OrderID: cmd.OrderID, Command: events.InitiateShoppingName, Success: true}
	err := h.repo.Update(ctx, cmd.ShoppingID, func(l *depot.ShoppingList, _ *depot.Bot) ([]events.Event, error) {
		if err := l.CheckOrder(cmd.OrderID); err != nil {
			return nil, err
		}
		changed, err := l.MakeAvailable()
		if err != nil {
			return nil, err
		}
		if !changed {
			return []events.Event{reply}, nil
		}
		return []events.Event{events.ShoppingListAvailable{ShoppingID: l.ID(), OrderID: l.OrderID()}, reply}, nil
	})
	if isRefusal(err) {
		return h.pub.Publish(ctx, refused(reply, err))
	}
	return err
}

// OnCancelShoppingList cancels the order's list (compensation), freeing its
// bot if it has one, and publishes ShoppingListCanceled and a success reply.
// A canceled list, or none at all, gets the success reply and no event: there
// is nothing left to undo. A completed list, or one of another order, is
// refused with a failure reply. The list is the one ShoppingID names, or the
// order's when ShoppingID is empty.
func (h *Handlers) OnCancelShoppingList(ctx context.Context, cmd events.CancelShoppingList) error {
	reply := events.CreateOrderReply{OrderID: cmd.OrderID, Command: events.CancelShoppingListName, Success: true}
	id := cmd.ShoppingID
	if id == "" {
		l, err := h.repo.FindByOrder(ctx, cmd.OrderID)
		if errors.Is(err, domain.ErrNotFound) {
			return h.pub.Publish(ctx, reply)
		}
		if err != nil {
			return err
		}
		id = l.ID()
	}
	err := h.repo.Update(ctx, id, func(l *depot.ShoppingList, b *depot.Bot) ([]events.Event, error) {
		if err := l.CheckOrder(cmd.OrderID); err != nil {
			return nil, err
		}
		evs, err := cancelList(l, b)
		if err != nil {
			return nil, err
		}
		return append(evs, reply), nil
	})
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return h.pub.Publish(ctx, reply)
	case isRefusal(err):
		return h.pub.Publish(ctx, refused(reply, err))
	}
	return err
}

// OnOrderCanceled cancels the order's list, freeing its bot if it has one,
// and publishes ShoppingListCanceled. It does nothing when the order has no
// list (the saga had not created one) or the list is canceled already. A
// completed list stays completed: the goods are at the depot, and the order
// is beyond the depot's say; that is logged, not retried.
func (h *Handlers) OnOrderCanceled(ctx context.Context, e events.OrderCanceled) error {
	l, err := h.repo.FindByOrder(ctx, e.OrderID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	err = h.repo.Update(ctx, l.ID(), cancelList)
	if errors.Is(err, depot.ErrCompleted) {
		h.log.WarnContext(ctx, "order canceled after its shopping list was completed; the list stays completed",
			"service", Service, "order_id", e.OrderID, "shopping_id", l.ID(),
			"correlation_id", correlation.From(ctx).CorrelationID)
		return nil
	}
	return err
}

// isRefusal reports a business reason to refuse a saga command: a domain
// error of any kind. Other errors are infrastructure failures, retried.
func isRefusal(err error) bool {
	return errors.Is(err, domain.ErrInvalid) || errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrConflict)
}

// refused turns a success reply into a failure saying why.
func refused(reply events.CreateOrderReply, reason error) events.CreateOrderReply {
	reply.Success, reply.Reason, reply.ShoppingID = false, reason.Error(), ""
	return reply
}
