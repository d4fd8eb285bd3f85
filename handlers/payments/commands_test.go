package payments_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/payments"
)

const (
	firstID    = "00000000-0000-4000-8000-000000000001"
	paymentID  = "0190a0b0-0000-7000-8000-000000000001"
	customerID = "0190a0b0-0000-7000-8000-0000000000c1"
	otherCust  = "0190a0b0-0000-7000-8000-0000000000c2"
	orderID    = "0190a0b0-0000-7000-8000-0000000000a1"
	otherOrder = "0190a0b0-0000-7000-8000-0000000000a2"
	invoiceID  = "0190a0b0-0000-7000-8000-0000000000e1"
	otherInv   = "0190a0b0-0000-7000-8000-0000000000e2"
	unknownID  = "0190a0b0-0000-7000-8000-999999999999"
)

func newService() (*payments.Handlers, *fakeRepo) {
	repo := newFakeRepo()
	return payments.New(repo, repo, sequentialIDs()), repo
}

func assertEvents(t *testing.T, got []events.Event, want ...events.Event) {
	t.Helper()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("published events:\n got %#v\nwant %#v", got, want)
	}
}

// assertErr fails unless err is nil when want is nil, or else matches want
// (a sentinel or a kind) and kind.
func assertErr(t *testing.T, err, want, kind error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, want) || !errors.Is(err, kind) {
		t.Fatalf("err = %v, want %v (kind %v)", err, want, kind)
	}
}

func TestServiceIdentity(t *testing.T) {
	want := []string{
		events.PaymentAuthorizedName, events.PaymentConfirmedName, events.PaymentVoidedName,
		events.InvoiceCreatedName, events.InvoicePaidName, events.InvoiceCanceledName, events.CreateOrderReplyName,
	}
	var got []string
	for _, e := range payments.Publishes {
		got = append(got, e.EventName())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Publishes = %v, want %v", got, want)
	}
	if payments.Service != "payments" {
		t.Errorf("Service = %q", payments.Service)
	}
}

func TestAuthorizePayment(t *testing.T) {
	h, repo := newService()
	id, err := h.AuthorizePayment(context.Background(), customerID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if id != firstID {
		t.Errorf("id = %q, want %q", id, firstID)
	}
	p := repo.payment(id)
	if p == nil || p.CustomerID() != customerID || p.Amount() != 1000 || p.Status() != payment.StatusAuthorized || p.Version() != 1 {
		t.Fatalf("stored payment = %+v", p)
	}
	assertEvents(t, repo.published(), events.PaymentAuthorized{PaymentID: id, CustomerID: customerID, Amount: 1000})
}

func TestAuthorizePaymentFailures(t *testing.T) {
	tests := []struct {
		name     string
		customer string
		amount   int64
		broken   bool
		want     error
		kind     error
	}{
		{name: "zero amount", customer: customerID, amount: 0, want: payment.ErrAmountNotPositive, kind: domain.ErrInvalid},
		{name: "negative amount", customer: customerID, amount: -1, want: payment.ErrAmountNotPositive, kind: domain.ErrInvalid},
		{name: "malformed customer", customer: "ada", amount: 1000, want: payment.ErrInvalidID, kind: domain.ErrInvalid},
		{name: "storage fails", customer: customerID, amount: 1000, broken: true, want: errBroken, kind: errBroken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, repo := newService()
			if tt.broken {
				repo.err = errBroken
			}
			_, err := h.AuthorizePayment(context.Background(), tt.customer, tt.amount)
			assertErr(t, err, tt.want, tt.kind)
			if repo.payment(firstID) != nil {
				t.Error("a failed authorization was stored")
			}
			assertEvents(t, repo.published())
		})
	}
}

func ptr(n int64) *int64 { return &n }

func TestPayInvoice(t *testing.T) {
	tests := []struct {
		name   string
		status payment.InvoiceStatus
		id     string
		amount *int64
		want   error
		kind   error
	}{
		{name: "pending, no amount given", status: payment.InvoicePending, id: invoiceID},
		{name: "pending, exact amount", status: payment.InvoicePending, id: invoiceID, amount: ptr(1000)},
		{name: "pending, other amount", status: payment.InvoicePending, id: invoiceID, amount: ptr(999),
			want: payment.ErrAmountMismatch, kind: domain.ErrConflict},
		{name: "paid again", status: payment.InvoicePaid, id: invoiceID, want: payment.ErrInvoicePaid, kind: domain.ErrConflict},
		{name: "canceled", status: payment.InvoiceCanceled, id: invoiceID, want: payment.ErrInvoiceCanceled, kind: domain.ErrConflict},
		{name: "unknown", status: payment.InvoicePending, id: unknownID, want: domain.ErrNotFound, kind: domain.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, repo := newService()
			repo.put(nil, payment.RehydrateInvoice(invoiceID, orderID, paymentID, 1000, tt.status, 2))

			err := h.PayInvoice(context.Background(), tt.id, tt.amount)
			assertErr(t, err, tt.want, tt.kind)
			inv := repo.invoice(invoiceID)
			if tt.want != nil {
				if inv.Status() != tt.status || inv.Version() != 2 {
					t.Errorf("failed payment changed the invoice to %s v%d", inv.Status(), inv.Version())
				}
				assertEvents(t, repo.published())
				return
			}
			if inv.Status() != payment.InvoicePaid || inv.Version() != 3 {
				t.Errorf("invoice is %s v%d, want paid v3", inv.Status(), inv.Version())
			}
			assertEvents(t, repo.published(), events.InvoicePaid{InvoiceID: invoiceID, OrderID: orderID, Amount: 1000})
		})
	}
}
