package contract

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/events"
)

// PaymentsRepository is handlers/payments' repository (postgres.Payments):
// payments and invoices, each write publishing its events with it.
type PaymentsRepository interface {
	UpdateFn[*payment.Payment]
	AddInvoice(ctx context.Context, inv *payment.Invoice, evs ...events.Event) error
	UpdateInvoice(ctx context.Context, id string, fn func(*payment.Invoice) ([]events.Event, error)) error
	GetInvoice(ctx context.Context, id string) (*payment.Invoice, error)
	InvoicesOfOrder(ctx context.Context, orderID string) ([]*payment.Invoice, error)
}

// theOrder is the order the payment subtests confirm payments for.
const theOrder = "00000000-0000-4000-8000-0000000000d1"

// RunPayments holds the payments repository to its contract: payments and
// invoices are UpdateFn aggregates (see runAggregate), invoices born in
// their order's flow, which their later events continue; an order has one
// invoice, however many are added at once: the others fail with
// payment.ErrInvoiceExists (kind domain.ErrConflict) and publish nothing;
// InvoicesOfOrder lists the order's invoices, none for another order.
func RunPayments[R PaymentsRepository](t *testing.T, open func(*testing.T) (R, Outbox)) {
	runAggregate(t, aggregate[*payment.Payment]{
		kind: "payment",
		fresh: func(t *testing.T, id string) (*payment.Payment, events.Event) {
			p, err := payment.New(id, newID(), 1050)
			must(t, "payment.New", err)
			return p, events.PaymentAuthorized{PaymentID: id, CustomerID: p.CustomerID(), Amount: p.Amount()}
		},
		// A payment is confirmed for an order, then voided.
		change: func(p *payment.Payment) (events.Event, error) {
			if p.Status() == payment.StatusAuthorized {
				_, err := p.Confirm(theOrder, p.CustomerID(), p.Amount())
				return events.PaymentConfirmed{PaymentID: p.ID(), OrderID: theOrder, Amount: p.Amount()}, err
			}
			_, err := p.Void(theOrder)
			return events.PaymentVoided{PaymentID: p.ID(), OrderID: theOrder, Reason: "order canceled"}, err
		},
		changes: 2,
		state:   describe[payment.Payment], version: (*payment.Payment).Version,
	}, trio[*payment.Payment](open))

	runAggregate(t, aggregate[*payment.Invoice]{
		kind: "invoice",
		fresh: func(t *testing.T, id string) (*payment.Invoice, events.Event) {
			inv, err := payment.NewInvoice(id, newID(), newID(), 2500)
			must(t, "payment.NewInvoice", err)
			return inv, events.InvoiceCreated{InvoiceID: id, OrderID: inv.OrderID(), PaymentID: inv.PaymentID(), Amount: inv.Amount()}
		},
		change: func(inv *payment.Invoice) (events.Event, error) {
			return events.InvoicePaid{InvoiceID: inv.ID(), OrderID: inv.OrderID(), Amount: inv.Amount()}, inv.Pay(inv.Amount())
		},
		changes: 1,
		state:   describe[payment.Invoice], version: (*payment.Invoice).Version,
		taken: payment.ErrInvoiceExists, takenKind: domain.ErrConflict, inFlow: true,
	}, func(t *testing.T) methods[*payment.Invoice] {
		repo, out := open(t)
		return methods[*payment.Invoice]{add: repo.AddInvoice, update: repo.UpdateInvoice, get: repo.GetInvoice, out: out}
	})

	t.Run("an order has one invoice", func(t *testing.T) {
		repo, out := open(t)
		const n = 4
		errs := make([]error, n)
		invs := make([]*payment.Invoice, n)
		var wg sync.WaitGroup
		for i := range n {
			inv, err := payment.NewInvoice(newID(), theOrder, newID(), 2500)
			must(t, "new invoice", err)
			invs[i] = inv
			wg.Go(func() {
				errs[i] = repo.AddInvoice(Flow("order"), inv, events.InvoiceCreated{InvoiceID: inv.ID(), OrderID: theOrder,
					PaymentID: inv.PaymentID(), Amount: inv.Amount()})
			})
		}
		wg.Wait()
		var stored *payment.Invoice
		for i, err := range errs {
			switch {
			case err == nil && stored != nil:
				t.Fatalf("invoices %s and %s were both stored for one order", stored.ID(), invs[i].ID())
			case err == nil:
				stored = invs[i]
			default:
				if !errors.Is(err, payment.ErrInvoiceExists) {
					t.Errorf("error %v, want payment.ErrInvoiceExists", err)
				}
				assertKind(t, err, domain.ErrConflict)
			}
		}
		if stored == nil {
			t.Fatal("no invoice was stored")
		}
		list, err := repo.InvoicesOfOrder(context.Background(), theOrder)
		must(t, "invoices of the order", err)
		if len(list) != 1 || describe(list[0]) != describe(stored) {
			t.Errorf("InvoicesOfOrder = %v, want only %s", list, describe(stored))
		}
		if list, err := repo.InvoicesOfOrder(context.Background(), newID()); err != nil || len(list) != 0 {
			t.Errorf("InvoicesOfOrder(another order) = %v, %v; want none", list, err)
		}
		assertPublished(t, out, Event("order", events.InvoiceCreated{InvoiceID: stored.ID(), OrderID: theOrder,
			PaymentID: stored.PaymentID(), Amount: stored.Amount()}))
	})
}
