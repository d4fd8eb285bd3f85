package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/events"
)

// The consumers below are wrapped by the composition root with
// consumer.Of((*Handlers).On<Event>), which names each queue
// "payments.On<Event>" and runs each message in one transaction with its
// inbox row: a redelivery of the same message is dropped before it gets
// here, and whatever a consumer writes (repo and pub join that transaction)
// commits or vanishes with it. Each consumer is also idempotent on its own,
// because the same command or event can come again as a new message.
//
// Saga commands always get exactly one reply per message: business refusals
// are failure replies, not errors, so the saga can compensate; only
// infrastructure errors are returned (and retried, never replied).
//
// OnOrderReadied and OnOrderCanceled lock the order's payment before they
// touch its invoice, so the two serialise on it whatever order they run in.

// OnConfirmPayment carries out the saga's ConfirmPayment: it confirms the
// payment for the order and publishes PaymentConfirmed and a success reply.
// Confirming again for the same order changes nothing and repeats the
// success reply. An unknown payment, one that is voided, used by another
// order, authorized by another customer or for another amount is refused
// with a failure reply whose Reason is the rule's error text, e.g.
// "conflict: amount mismatch: order total 12.00 does not match the
// authorized 10.00" or "not found: payment <id>".
func (h *Handlers) OnConfirmPayment(ctx context.Context, c events.ConfirmPayment) error {
	reply := events.CreateOrderReply{OrderID: c.OrderID, Command: events.ConfirmPaymentName, Success: true}
	err := h.repo.Update(ctx, c.PaymentID, func(p *payment.Payment) ([]events.Event, error) {
		changed, err := p.Confirm(c.OrderID, c.CustomerID, c.Amount)
		if err != nil {
			return nil, err
		}
		if !changed {
			return []events.Event{reply}, nil
		}
		return []events.Event{events.PaymentConfirmed{PaymentID: p.ID(), OrderID: c.OrderID, Amount: p.Amount()}, reply}, nil
	})
	if isRefusal(err) {
		return h.pub.Publish(ctx, failed(reply, err))
	}
	return err
}

// OnVoidPayment carries out the saga's VoidPayment (compensation): it voids
// the payment confirmed for the order, publishing PaymentVoided with the
// command's reason, and replies success. When there is nothing to release
// for this order (the payment is already voided, unused, confirmed for
// another order, or unknown) it changes nothing and still replies success,
// so compensation always moves on; another order's payment is never voided.
func (h *Handlers) OnVoidPayment(ctx context.Context, c events.VoidPayment) error {
	reply := events.CreateOrderReply{OrderID: c.OrderID, Command: events.VoidPaymentName, Success: true}
	err := h.repo.Update(ctx, c.PaymentID, func(p *payment.Payment) ([]events.Event, error) {
		changed, err := p.Void(c.OrderID)
		if err != nil {
			return nil, err
		}
		if !changed {
			return []events.Event{reply}, nil
		}
		return []events.Event{events.PaymentVoided{PaymentID: p.ID(), OrderID: c.OrderID, Reason: c.Reason}, reply}, nil
	})
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return h.pub.Publish(ctx, reply)
	case isRefusal(err):
		return h.pub.Publish(ctx, failed(reply, err))
	}
	return err
}

// OnOrderReadied creates the ready order's pending invoice, with the ID and
// total the event carries, and publishes InvoiceCreated. An invoice that
// already exists with that ID for that order makes it a duplicate: nothing
// new happens. Another invoice for the order, or that ID used for another
// order, is domain.ErrConflict, and invalid IDs or a total that is not
// positive are domain.ErrInvalid (both poison the message).
//
// Orders never readies a canceled order, but if OrderCanceled was handled
// first (the order's payment was voided for it), the invoice is created
// already canceled (InvoiceCreated, then InvoiceCanceled) so it can never be
// paid, and a warning is logged; nothing is retried.
func (h *Handlers) OnOrderReadied(ctx context.Context, e events.OrderReadied) error {
	inv, err := payment.NewInvoice(e.InvoiceID, e.OrderID, e.PaymentID, e.Total)
	if err != nil {
		return fmt.Errorf("invoice for order %s: %w", e.OrderID, err)
	}
	var canceled bool
	err = h.repo.Update(ctx, e.PaymentID, func(p *payment.Payment) ([]events.Event, error) {
		canceled = p.VoidedFor(e.OrderID)
		return nil, nil
	})
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	evs := []events.Event{events.InvoiceCreated{InvoiceID: inv.ID(), OrderID: inv.OrderID(), PaymentID: inv.PaymentID(), Amount: inv.Amount()}}
	if canceled {
		slog.WarnContext(ctx, "order readied after it was canceled; its invoice is created canceled",
			"service", Service, "order_id", e.OrderID, "invoice_id", e.InvoiceID, "payment_id", e.PaymentID)
		if _, err := inv.Cancel(); err != nil {
			return err
		}
		evs = append(evs, events.InvoiceCanceled{InvoiceID: inv.ID(), OrderID: inv.OrderID()})
	}
	err = h.repo.AddInvoice(ctx, inv, evs...)
	if !errors.Is(err, payment.ErrInvoiceExists) {
		return err
	}
	existing, getErr := h.repo.GetInvoice(ctx, inv.ID())
	switch {
	case getErr == nil && existing.OrderID() == inv.OrderID():
		return nil // a repeated OrderReadied
	case getErr == nil:
		return fmt.Errorf("%w: invoice %s is for order %s, not %s", payment.ErrInvoiceExists, inv.ID(), existing.OrderID(), inv.OrderID())
	case errors.Is(getErr, domain.ErrNotFound):
		return fmt.Errorf("%w: order %s already has an invoice other than %s", payment.ErrInvoiceExists, inv.OrderID(), inv.ID())
	}
	return getErr
}

// OnOrderCanceled releases what the canceled order held: it voids the
// payment if it is confirmed for this order (PaymentVoided, reason "order
// canceled") and cancels the order's pending invoice if there is one
// (InvoiceCanceled). Whatever is already released is left as it is, so a
// repeat changes nothing; an unknown payment is logged and skipped. A paid
// invoice cannot be canceled: the error (domain.ErrConflict) poisons the
// message, and, the transaction being one, the payment stays confirmed too,
// for a person to sort out.
func (h *Handlers) OnOrderCanceled(ctx context.Context, e events.OrderCanceled) error {
	err := h.repo.Update(ctx, e.PaymentID, func(p *payment.Payment) ([]events.Event, error) {
		changed, err := p.Void(e.OrderID)
		if err != nil || !changed {
			return nil, err
		}
		return []events.Event{events.PaymentVoided{PaymentID: p.ID(), OrderID: e.OrderID, Reason: "order canceled"}}, nil
	})
	if errors.Is(err, domain.ErrNotFound) {
		slog.WarnContext(ctx, "canceled order's payment is unknown; nothing to void",
			"service", Service, "order_id", e.OrderID, "payment_id", e.PaymentID)
	} else if err != nil {
		return err
	}
	invs, err := h.repo.InvoicesOfOrder(ctx, e.OrderID)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		err := h.repo.UpdateInvoice(ctx, inv.ID(), func(inv *payment.Invoice) ([]events.Event, error) {
			changed, err := inv.Cancel()
			if err != nil || !changed {
				return nil, err
			}
			return []events.Event{events.InvoiceCanceled{InvoiceID: inv.ID(), OrderID: inv.OrderID()}}, nil
		})
		if err != nil {
			return fmt.Errorf("cancel invoice of canceled order %s: %w", e.OrderID, err)
		}
	}
	return nil
}

// isRefusal reports whether err is a business refusal (a domain error kind)
// rather than an infrastructure failure.
func isRefusal(err error) bool {
	return errors.Is(err, domain.ErrInvalid) || errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrConflict)
}

// failed turns a success reply into the failure reply for refusal err.
func failed(reply events.CreateOrderReply, err error) events.CreateOrderReply {
	reply.Success, reply.Reason = false, err.Error()
	return reply
}
