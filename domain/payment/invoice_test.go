package payment_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/internal/domaintest"
)

func describeInvoice(i *payment.Invoice) string {
	return fmt.Sprintf("{%s order=%s payment=%s %d %s v%d}", i.ID(), i.OrderID(), i.PaymentID(), i.Amount(), i.Status(), i.Version())
}

func TestNewInvoice(t *testing.T) {
	tests := []struct {
		name               string
		id, order, payment string
		amount             int64
		wantErr            error
		wantDetail         string
	}{
		{name: "valid", id: invoiceID, order: orderID, payment: paymentID, amount: 1000},
		{name: "malformed invoice id", id: "i1", order: orderID, payment: paymentID, amount: 1000,
			wantErr: payment.ErrInvalidID, wantDetail: `invoice id "i1" must be a UUID`},
		{name: "blank order id", id: invoiceID, order: "", payment: paymentID, amount: 1000,
			wantErr: payment.ErrInvalidID, wantDetail: `order id "" must be a UUID`},
		{name: "malformed payment id", id: invoiceID, order: orderID, payment: "p", amount: 1000,
			wantErr: payment.ErrInvalidID, wantDetail: `payment id "p" must be a UUID`},
		{name: "zero amount", id: invoiceID, order: orderID, payment: paymentID, amount: 0,
			wantErr: payment.ErrAmountNotPositive, wantDetail: "invoice amount 0.00"},
		{name: "negative amount", id: invoiceID, order: orderID, payment: paymentID, amount: -1,
			wantErr: payment.ErrAmountNotPositive, wantDetail: "invoice amount -0.01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := payment.NewInvoice(tt.id, tt.order, tt.payment, tt.amount)
			domaintest.AssertErr(t, err, tt.wantErr, kindOf(tt.wantErr))
			if tt.wantErr != nil {
				if inv != nil {
					t.Errorf("got invoice %s with error, want nil", describeInvoice(inv))
				}
				if !strings.Contains(err.Error(), tt.wantDetail) {
					t.Errorf("error %q does not contain %q", err, tt.wantDetail)
				}
				return
			}
			if inv.ID() != tt.id || inv.OrderID() != tt.order || inv.PaymentID() != tt.payment || inv.Amount() != tt.amount ||
				inv.Status() != payment.InvoicePending || inv.Version() != 1 {
				t.Errorf("invoice = %s, want pending v1 with the given fields", describeInvoice(inv))
			}
		})
	}
}

func invoiceIn(status payment.InvoiceStatus) *payment.Invoice {
	return payment.RehydrateInvoice(invoiceID, orderID, paymentID, 1000, status, 3)
}

func TestPay(t *testing.T) {
	tests := []struct {
		name       string
		from       payment.InvoiceStatus
		amount     int64
		wantErr    error
		wantDetail string
	}{
		{name: "pending, exact amount", from: payment.InvoicePending, amount: 1000},
		{name: "pending, other amount", from: payment.InvoicePending, amount: 900,
			wantErr: payment.ErrAmountMismatch, wantDetail: "paid 9.00, invoice " + invoiceID + " is for 10.00"},
		{name: "paid twice", from: payment.InvoicePaid, amount: 1000,
			wantErr: payment.ErrInvoicePaid, wantDetail: "invoice is already paid: invoice " + invoiceID},
		{name: "canceled", from: payment.InvoiceCanceled, amount: 1000,
			wantErr: payment.ErrInvoiceCanceled, wantDetail: "invoice is canceled: invoice " + invoiceID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := invoiceIn(tt.from)
			before := *inv
			err := inv.Pay(tt.amount)
			domaintest.AssertErr(t, err, tt.wantErr, kindOf(tt.wantErr))
			if tt.wantErr != nil {
				if !strings.Contains(err.Error(), tt.wantDetail) {
					t.Errorf("error %q does not contain %q", err, tt.wantDetail)
				}
				if *inv != before {
					t.Errorf("failed Pay changed the invoice from %s to %s", describeInvoice(&before), describeInvoice(inv))
				}
				return
			}
			if inv.Status() != payment.InvoicePaid || inv.Version() != 4 {
				t.Errorf("invoice = %s, want paid at v4", describeInvoice(inv))
			}
		})
	}
}

func TestCancelInvoice(t *testing.T) {
	tests := []struct {
		name        string
		from        payment.InvoiceStatus
		wantChanged bool
		wantErr     error
	}{
		{name: "pending", from: payment.InvoicePending, wantChanged: true},
		{name: "canceled again is a no-op", from: payment.InvoiceCanceled},
		{name: "paid", from: payment.InvoicePaid, wantErr: payment.ErrInvoicePaid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := invoiceIn(tt.from)
			before := *inv
			changed, err := inv.Cancel()
			domaintest.AssertErr(t, err, tt.wantErr, kindOf(tt.wantErr))
			if changed != tt.wantChanged {
				t.Errorf("changed = %t, want %t", changed, tt.wantChanged)
			}
			if !tt.wantChanged {
				if *inv != before {
					t.Errorf("invoice changed from %s to %s", describeInvoice(&before), describeInvoice(inv))
				}
				return
			}
			if inv.Status() != payment.InvoiceCanceled || inv.Version() != 4 {
				t.Errorf("invoice = %s, want canceled at v4", describeInvoice(inv))
			}
		})
	}
}

func TestParseInvoiceStatus(t *testing.T) {
	for _, s := range []payment.InvoiceStatus{payment.InvoicePending, payment.InvoicePaid, payment.InvoiceCanceled} {
		got, err := payment.ParseInvoiceStatus(s.String())
		if err != nil || got != s {
			t.Errorf("ParseInvoiceStatus(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "Pending", "authorized"} {
		_, err := payment.ParseInvoiceStatus(s)
		domaintest.AssertErr(t, err, domain.ErrInvalid, domain.ErrInvalid)
	}
}

func TestRehydrateInvoice(t *testing.T) {
	inv := payment.RehydrateInvoice(invoiceID, orderID, paymentID, 4321, payment.InvoicePaid, 2)
	if inv.ID() != invoiceID || inv.OrderID() != orderID || inv.PaymentID() != paymentID || inv.Amount() != 4321 ||
		inv.Status() != payment.InvoicePaid || inv.Version() != 2 {
		t.Errorf("rehydrated invoice = %s", describeInvoice(inv))
	}
}
