package saga

import (
	"context"
	"errors"
	"fmt"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/saga"
	"github.com/mallbots/mallbots/events"
)

// The consumers below drive the sagas. The composition root wraps each with
// consumer.Of((*Handlers).On<Event>), which names its queue "saga.On<Event>"
// and runs it in one transaction with the message's inbox row: the saga's
// new state, the command it sends and the inbox row commit together.

// OnOrderCreated starts the order's saga and sends AuthorizeCustomer. An
// order that has a saga already (OrderCreated came again under another
// message ID) changes nothing and sends nothing. An OrderCreated the saga
// cannot work with (no customer, payment or items) is domain.ErrInvalid.
func (h *Handlers) OnOrderCreated(ctx context.Context, e events.OrderCreated) error {
	items := make([]saga.Item, len(e.Items))
	for i, it := range e.Items {
		items[i] = saga.Item(it)
	}
	s, err := saga.Start(e.OrderID, e.CustomerID, e.PaymentID, items, e.Total)
	if err != nil {
		return err
	}
	err = h.repo.Add(ctx, s, command(s.State()))
	if errors.Is(err, saga.ErrExists) {
		h.logger.InfoContext(ctx, "order has a saga already; OrderCreated ignored", "order_id", e.OrderID)
		return nil
	}
	return err
}

// OnOrderCanceled tells the order's saga that the customer canceled the
// order: it sends no further forward step and, once the reply to the
// command in flight arrives, undoes what it did and ends canceled (see
// saga.CreateOrder.Cancel). It sends nothing itself. An order with no saga
// yet (its OrderCanceled overtook its OrderCreated) gets a saga that ended
// canceled, so that OrderCreated starts nothing. A repeated OrderCanceled,
// or one for a saga that approved the order, changes nothing.
func (h *Handlers) OnOrderCanceled(ctx context.Context, e events.OrderCanceled) error {
	after, changed, err := h.cancel(ctx, e.OrderID)
	if errors.Is(err, domain.ErrNotFound) {
		var s *saga.CreateOrder
		if s, err = saga.StartCanceled(e.OrderID, e.CustomerID, e.PaymentID); err != nil {
			return err
		}
		err = h.repo.Add(ctx, s)
		after, changed = s.State(), err == nil
		if errors.Is(err, saga.ErrExists) {
			// Its OrderCreated started the saga meanwhile: cancel that one.
			after, changed, err = h.cancel(ctx, e.OrderID)
		}
	}
	if err != nil {
		return err
	}
	log := h.logger.With("order_id", e.OrderID)
	switch {
	case !changed:
		log.InfoContext(ctx, "OrderCanceled changes nothing: the saga knew it already or approved the order before it", "status", after.Status.String())
	case after.Step == saga.StepDone:
		log.InfoContext(ctx, "order canceled; the saga has nothing left to do", "status", after.Status.String())
	default:
		log.InfoContext(ctx, "order canceled; the saga goes no further and undoes what it did once the reply it awaits arrives",
			"awaits", after.Step.String())
	}
	return nil
}

// cancel records the cancel in the order's saga and returns the saga's
// state and whether it changed.
func (h *Handlers) cancel(ctx context.Context, orderID string) (saga.State, bool, error) {
	var after saga.State
	var changed bool
	err := h.repo.Update(ctx, orderID, func(s *saga.CreateOrder) ([]events.Event, error) {
		changed = s.Cancel()
		after = s.State()
		return nil, nil
	})
	return after, changed, err
}

// stepOf maps each command's wire name to the step that sent it.
var stepOf = map[string]saga.Step{
	events.AuthorizeCustomerName:  saga.StepAuthorizeCustomer,
	events.CreateShoppingListName: saga.StepCreateShoppingList,
	events.ConfirmPaymentName:     saga.StepConfirmPayment,
	events.InitiateShoppingName:   saga.StepInitiateShopping,
	events.ApproveOrderName:       saga.StepApproveOrder,
	events.CancelShoppingListName: saga.StepCancelShoppingList,
	events.VoidPaymentName:        saga.StepVoidPayment,
	events.RejectOrderName:        saga.StepRejectOrder,
}

// OnCreateOrderReply moves the order's saga on by one reply and sends the
// next command, if any. A reply to another step than the one the saga
// awaits (a duplicate, or a stale answer) is acknowledged and changes
// nothing. A reply for an order with no saga is domain.ErrInvalid, poisoned
// at once: a saga is stored in the same transaction as its first command,
// so no reply can come before its saga, and waiting for one is in vain. A
// reply to an unknown command, or a successful CreateShoppingList reply
// without a shoppingId, is domain.ErrInvalid too.
func (h *Handlers) OnCreateOrderReply(ctx context.Context, r events.CreateOrderReply) error {
	step, ok := stepOf[r.Command]
	if !ok {
		return fmt.Errorf("%w: reply to unknown command %q for order %s", domain.ErrInvalid, r.Command, r.OrderID)
	}
	var moved bool
	var after saga.State
	err := h.repo.Update(ctx, r.OrderID, func(s *saga.CreateOrder) ([]events.Event, error) {
		var err error
		moved, err = s.Handle(saga.Reply{Step: step, Success: r.Success, Reason: r.Reason, ShoppingID: r.ShoppingID})
		if err != nil || !moved {
			return nil, err
		}
		after = s.State()
		if next := command(after); next != nil {
			return []events.Event{next}, nil
		}
		return nil, nil
	})
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("%w: reply to %s for order %s, which has no create-order saga (a saga is stored with its first command, so this reply can never apply): %v",
			domain.ErrInvalid, r.Command, r.OrderID, err)
	}
	if err != nil {
		return err
	}
	log := h.logger.With("order_id", r.OrderID, "command", r.Command)
	switch {
	case !moved:
		log.InfoContext(ctx, "reply ignored: the saga does not await it (duplicate or stale)")
		return nil
	case !r.Success && step.Compensating() && after.OrderCanceled:
		// The customer's cancel decided the order's fate, and the service
		// that refused reports what it keeps (depot: a list the bots
		// completed before the cancel reached it); nothing is left for an
		// operator that the order's own flow does not settle.
		log.WarnContext(ctx, "compensation refused after the order was canceled; the saga goes on", "reason", r.Reason)
	case !r.Success && step.Compensating():
		// See saga.CreateOrder.Handle for why the saga goes on.
		log.ErrorContext(ctx, "compensation failed; the saga goes on, an operator must resolve it", "reason", r.Reason)
	case after.OrderCanceled && !step.Compensating():
		log.InfoContext(ctx, "the order was canceled: the saga goes no further and undoes what it did", "success", r.Success, "reason", r.Reason)
	case !r.Success:
		log.InfoContext(ctx, "saga step failed; compensating", "reason", after.Reason)
	}
	if after.Step == saga.StepDone {
		log.InfoContext(ctx, "create-order saga ended", "status", after.Status.String())
	}
	return nil
}

// command returns the command the saga in state st sends for its step, or
// nil when it is done.
func command(st saga.State) events.Event {
	switch st.Step {
	case saga.StepAuthorizeCustomer:
		return events.AuthorizeCustomer{OrderID: st.OrderID, CustomerID: st.CustomerID}
	case saga.StepCreateShoppingList:
		items := make([]events.Item, len(st.Items))
		for i, it := range st.Items {
			items[i] = events.Item(it)
		}
		return events.CreateShoppingList{OrderID: st.OrderID, Items: items}
	case saga.StepConfirmPayment:
		return events.ConfirmPayment{OrderID: st.OrderID, PaymentID: st.PaymentID, CustomerID: st.CustomerID, Amount: st.Total}
	case saga.StepInitiateShopping:
		return events.InitiateShopping{OrderID: st.OrderID, ShoppingID: st.ShoppingID}
	case saga.StepApproveOrder:
		return events.ApproveOrder{OrderID: st.OrderID, ShoppingID: st.ShoppingID}
	case saga.StepCancelShoppingList:
		return events.CancelShoppingList{OrderID: st.OrderID, ShoppingID: st.ShoppingID, Reason: st.Reason}
	case saga.StepVoidPayment:
		return events.VoidPayment{OrderID: st.OrderID, PaymentID: st.PaymentID, Reason: st.Reason}
	case saga.StepRejectOrder:
		return events.RejectOrder{OrderID: st.OrderID, Reason: st.Reason}
	}
	return nil
}
