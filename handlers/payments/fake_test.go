package payments_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/contract"
	"github.com/mallbots/mallbots/internal/memrepo"
)

// fakeRepo is an in-memory stand-in for postgres.Payments and, through
// Publish, postgres.Publisher on the same outbox, over memrepo: it keeps
// copies of the payments and invoices and records, in order, every event
// published, an invoice's in the flow of its order. Like the real ones, a
// write whose fn fails saves and publishes nothing, and a no-op write changes
// nothing (contract.RunPayments). err, when set, fails every call
// as an infrastructure error would.
type fakeRepo struct {
	log      memrepo.Log
	payments *memrepo.Table[*payment.Payment]
	invoices *memrepo.Table[*payment.Invoice]
	err      error
}

func newFakeRepo() *fakeRepo {
	f := &fakeRepo{}
	f.log.Fail = func(memrepo.Op) error { return f.err }
	f.payments = memrepo.NewTable(&f.log, "payment", (*payment.Payment).ID, func(p *payment.Payment) *payment.Payment {
		return payment.Rehydrate(p.ID(), p.CustomerID(), p.Amount(), p.Status(), p.OrderID(), p.Version())
	})
	f.invoices = memrepo.NewTable(&f.log, "invoice", (*payment.Invoice).ID, func(i *payment.Invoice) *payment.Invoice {
		return payment.RehydrateInvoice(i.ID(), i.OrderID(), i.PaymentID(), i.Amount(), i.Status(), i.Version())
	}).ContinueFlows()
	return f
}

// opened returns f and what it has published, as the contract suites open
// an implementation.
func (f *fakeRepo) opened() (*fakeRepo, contract.Outbox) { return f, f.log.Outbox() }

var errBroken = errors.New("connection reset by peer")

func (f *fakeRepo) Add(ctx context.Context, p *payment.Payment, evs ...events.Event) error {
	return f.payments.Add(ctx, p, evs)
}

func (f *fakeRepo) Update(ctx context.Context, id string, fn func(*payment.Payment) ([]events.Event, error)) error {
	return f.payments.Update(ctx, id, fn)
}

func (f *fakeRepo) Get(_ context.Context, id string) (*payment.Payment, error) {
	return f.payments.Get(id)
}

// AddInvoice fails with payment.ErrInvoiceExists when an invoice has inv's
// ID or its order, as the real table's two unique keys do.
func (f *fakeRepo) AddInvoice(ctx context.Context, inv *payment.Invoice, evs ...events.Event) error {
	return f.invoices.Insert(ctx, inv, evs, func(other *payment.Invoice) error {
		if other.ID() == inv.ID() || other.OrderID() == inv.OrderID() {
			return fmt.Errorf("%w: invoice %s or another invoice for order %s", payment.ErrInvoiceExists, inv.ID(), inv.OrderID())
		}
		return nil
	})
}

func (f *fakeRepo) UpdateInvoice(ctx context.Context, id string, fn func(*payment.Invoice) ([]events.Event, error)) error {
	return f.invoices.Update(ctx, id, fn)
}

func (f *fakeRepo) GetInvoice(_ context.Context, id string) (*payment.Invoice, error) {
	return f.invoices.Get(id)
}

func (f *fakeRepo) InvoicesOfOrder(_ context.Context, orderID string) ([]*payment.Invoice, error) {
	return f.invoices.List(func(inv *payment.Invoice) bool { return inv.OrderID() == orderID })
}

// Publish is postgres.Publisher's part: events with no aggregate change.
func (f *fakeRepo) Publish(ctx context.Context, evs ...events.Event) error {
	return f.log.Publish(ctx, evs...)
}

// published returns a copy of every event published so far, in order.
func (f *fakeRepo) published() []events.Event { return f.log.Published() }

// payment returns the stored payment id, or nil.
func (f *fakeRepo) payment(id string) *payment.Payment {
	p, _ := f.payments.Stored(id)
	return p
}

// invoice returns the stored invoice id, or nil.
func (f *fakeRepo) invoice(id string) *payment.Invoice {
	inv, _ := f.invoices.Stored(id)
	return inv
}

// put stores p and inv (when not nil) as they are, publishing nothing.
func (f *fakeRepo) put(p *payment.Payment, invs ...*payment.Invoice) {
	if p != nil {
		f.payments.Put(p)
	}
	for _, inv := range invs {
		f.invoices.Put(inv)
	}
}

// sequentialIDs returns a newID func making predictable UUIDs
// 00000000-0000-4000-8000-000000000001, …002, ...
func sequentialIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }
}
