package payments_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/payments"
)

// paymentIn returns a payment of 10.00 by customerID in status; a confirmed
// or voided one is for order.
func paymentIn(status payment.Status, order string) *payment.Payment {
	if status == payment.StatusAuthorized {
		order = ""
	}
	return payment.Rehydrate(paymentID, customerID, 1000, status, order, 2)
}

func invoiceIn(id, order string, status payment.InvoiceStatus) *payment.Invoice {
	return payment.RehydrateInvoice(id, order, paymentID, 1000, status, 1)
}

// consumerCase feeds one consumer one message against a prepared store.
type consumerCase struct {
	name     string
	payment  *payment.Payment // stored before the run when not nil
	invoices []*payment.Invoice
	broken   bool // every repository call fails
	run      func(context.Context, *payments.Handlers) error
	wantErr  error // sentinel or kind; nil for success
	wantKind error
	want     []events.Event
	// wantReason, when set, replaces the failure reply's Reason in want
	// before comparing and must be contained in the actual Reason.
	wantReason string
	// wantPayment and wantInvoice describe the stored state afterwards:
	// "confirmed for <order>", "voided for <order>", "authorized", "pending",
	// "paid", "canceled"; "" means unchanged.
	wantPayment string
	wantInvoice map[string]string
}

func confirm(order, customer string, amount int64, pay string) func(context.Context, *payments.Handlers) error {
	return func(ctx context.Context, h *payments.Handlers) error {
		return h.OnConfirmPayment(ctx, events.ConfirmPayment{OrderID: order, PaymentID: pay, CustomerID: customer, Amount: amount})
	}
}

func void(order, pay string) func(context.Context, *payments.Handlers) error {
	return func(ctx context.Context, h *payments.Handlers) error {
		return h.OnVoidPayment(ctx, events.VoidPayment{OrderID: order, PaymentID: pay, Reason: "shopping list failed"})
	}
}

func readied(inv, order, pay string, total int64) func(context.Context, *payments.Handlers) error {
	return func(ctx context.Context, h *payments.Handlers) error {
		return h.OnOrderReadied(ctx, events.OrderReadied{OrderID: order, CustomerID: customerID, PaymentID: pay, InvoiceID: inv, Total: total})
	}
}

func canceled(order, pay string) func(context.Context, *payments.Handlers) error {
	return func(ctx context.Context, h *payments.Handlers) error {
		return h.OnOrderCanceled(ctx, events.OrderCanceled{OrderID: order, CustomerID: customerID, PaymentID: pay})
	}
}

func ok(cmd, order string) events.CreateOrderReply {
	return events.CreateOrderReply{OrderID: order, Command: cmd, Success: true}
}

func refused(cmd, order string) events.CreateOrderReply {
	return events.CreateOrderReply{OrderID: order, Command: cmd}
}

func runConsumerCases(t *testing.T, tests []consumerCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, repo := newService()
			repo.put(tt.payment, tt.invoices...)
			if tt.broken {
				repo.err = errBroken
			}

			err := tt.run(context.Background(), h)
			assertErr(t, err, tt.wantErr, tt.wantKind)

			got := repo.published()
			want := tt.want
			if tt.wantReason != "" && len(got) == len(want) {
				want = append([]events.Event(nil), want...)
				last := len(got) - 1
				r, isReply := got[last].(events.CreateOrderReply)
				if !isReply || !strings.Contains(r.Reason, tt.wantReason) {
					t.Errorf("reply = %#v, want a Reason containing %q", got[last], tt.wantReason)
				}
				w := want[last].(events.CreateOrderReply)
				w.Reason = r.Reason
				want[last] = w
			}
			assertEvents(t, got, want...)

			if tt.payment != nil {
				assertPayment(t, repo.payment(tt.payment.ID()), tt.payment, tt.wantPayment)
			}
			for _, inv := range tt.invoices {
				assertInvoice(t, repo.invoice(inv.ID()), inv, tt.wantInvoice[inv.ID()])
			}
		})
	}
}

func assertPayment(t *testing.T, got, before *payment.Payment, want string) {
	t.Helper()
	if want == "" {
		if *got != *before {
			t.Errorf("payment changed: %s for %q v%d, want it unchanged", got.Status(), got.OrderID(), got.Version())
		}
		return
	}
	status, order, _ := strings.Cut(want, " for ")
	if got.Status().String() != status || got.OrderID() != order || got.Version() != before.Version()+1 {
		t.Errorf("payment = %s for %q v%d, want %s v%d", got.Status(), got.OrderID(), got.Version(), want, before.Version()+1)
	}
}

func assertInvoice(t *testing.T, got, before *payment.Invoice, want string) {
	t.Helper()
	if want == "" {
		if *got != *before {
			t.Errorf("invoice %s changed to %s v%d, want it unchanged", got.ID(), got.Status(), got.Version())
		}
		return
	}
	if got.Status().String() != want {
		t.Errorf("invoice %s is %s, want %s", got.ID(), got.Status(), want)
	}
}

func TestOnConfirmPayment(t *testing.T) {
	cmd := events.ConfirmPaymentName
	runConsumerCases(t, []consumerCase{
		{name: "matching authorization", payment: paymentIn(payment.StatusAuthorized, ""),
			run:         confirm(orderID, customerID, 1000, paymentID),
			want:        []events.Event{events.PaymentConfirmed{PaymentID: paymentID, OrderID: orderID, Amount: 1000}, ok(cmd, orderID)},
			wantPayment: "confirmed for " + orderID},
		{name: "again for the same order repeats the reply only", payment: paymentIn(payment.StatusConfirmed, orderID),
			run: confirm(orderID, customerID, 1000, paymentID), want: []events.Event{ok(cmd, orderID)}},
		{name: "amount differs", payment: paymentIn(payment.StatusAuthorized, ""),
			run: confirm(orderID, customerID, 1200, paymentID), want: []events.Event{refused(cmd, orderID)},
			wantReason: "order total 12.00 does not match the authorized 10.00"},
		{name: "used by another order", payment: paymentIn(payment.StatusConfirmed, otherOrder),
			run: confirm(orderID, customerID, 1000, paymentID), want: []events.Event{refused(cmd, orderID)},
			wantReason: "payment is already used"},
		{name: "another customer", payment: paymentIn(payment.StatusAuthorized, ""),
			run: confirm(orderID, otherCust, 1000, paymentID), want: []events.Event{refused(cmd, orderID)},
			wantReason: "payment belongs to another customer"},
		{name: "voided", payment: paymentIn(payment.StatusVoided, orderID),
			run: confirm(orderID, customerID, 1000, paymentID), want: []events.Event{refused(cmd, orderID)},
			wantReason: "payment is voided"},
		{name: "unknown payment", payment: paymentIn(payment.StatusAuthorized, ""),
			run: confirm(orderID, customerID, 1000, unknownID), want: []events.Event{refused(cmd, orderID)},
			wantReason: "not found: payment " + unknownID},
		{name: "malformed order id", payment: paymentIn(payment.StatusAuthorized, ""),
			run: confirm("order-1", customerID, 1000, paymentID), want: []events.Event{refused(cmd, "order-1")},
			wantReason: `order id "order-1" must be a UUID`},
		{name: "storage fails: error, no reply", payment: paymentIn(payment.StatusAuthorized, ""), broken: true,
			run: confirm(orderID, customerID, 1000, paymentID), wantErr: errBroken, wantKind: errBroken},
	})
}

func TestOnVoidPayment(t *testing.T) {
	cmd := events.VoidPaymentName
	runConsumerCases(t, []consumerCase{
		{name: "confirmed for this order", payment: paymentIn(payment.StatusConfirmed, orderID),
			run:         void(orderID, paymentID),
			want:        []events.Event{events.PaymentVoided{PaymentID: paymentID, OrderID: orderID, Reason: "shopping list failed"}, ok(cmd, orderID)},
			wantPayment: "voided for " + orderID},
		{name: "voided again", payment: paymentIn(payment.StatusVoided, orderID),
			run: void(orderID, paymentID), want: []events.Event{ok(cmd, orderID)}},
		{name: "another order's payment is left alone", payment: paymentIn(payment.StatusConfirmed, otherOrder),
			run: void(orderID, paymentID), want: []events.Event{ok(cmd, orderID)}},
		{name: "unused authorization is left alone", payment: paymentIn(payment.StatusAuthorized, ""),
			run: void(orderID, paymentID), want: []events.Event{ok(cmd, orderID)}},
		{name: "unknown payment: nothing to release", payment: paymentIn(payment.StatusConfirmed, orderID),
			run: void(orderID, unknownID), want: []events.Event{ok(cmd, orderID)}},
		{name: "malformed order id", payment: paymentIn(payment.StatusConfirmed, orderID),
			run: void("", paymentID), want: []events.Event{refused(cmd, "")}, wantReason: `order id "" must be a UUID`},
		{name: "storage fails: error, no reply", payment: paymentIn(payment.StatusConfirmed, orderID), broken: true,
			run: void(orderID, paymentID), wantErr: errBroken, wantKind: errBroken},
	})
}

func TestOnOrderReadied(t *testing.T) {
	created := events.InvoiceCreated{InvoiceID: invoiceID, OrderID: orderID, PaymentID: paymentID, Amount: 1000}
	tests := []consumerCase{
		{name: "creates the pending invoice", payment: paymentIn(payment.StatusConfirmed, orderID),
			run: readied(invoiceID, orderID, paymentID, 1000), want: []events.Event{created}},
		{name: "payment unknown here: invoice still created", payment: nil,
			run: readied(invoiceID, orderID, paymentID, 1000), want: []events.Event{created}},
		{name: "repeated: nothing new", payment: paymentIn(payment.StatusConfirmed, orderID),
			invoices: []*payment.Invoice{invoiceIn(invoiceID, orderID, payment.InvoicePending)},
			run:      readied(invoiceID, orderID, paymentID, 1000)},
		{name: "repeated after payment: nothing new", payment: paymentIn(payment.StatusConfirmed, orderID),
			invoices: []*payment.Invoice{invoiceIn(invoiceID, orderID, payment.InvoicePaid)},
			run:      readied(invoiceID, orderID, paymentID, 1000)},
		{name: "order canceled first: invoice created canceled", payment: paymentIn(payment.StatusVoided, orderID),
			run:  readied(invoiceID, orderID, paymentID, 1000),
			want: []events.Event{created, events.InvoiceCanceled{InvoiceID: invoiceID, OrderID: orderID}}},
		{name: "invoice id used for another order", payment: paymentIn(payment.StatusConfirmed, orderID),
			invoices: []*payment.Invoice{invoiceIn(invoiceID, otherOrder, payment.InvoicePending)},
			run:      readied(invoiceID, orderID, paymentID, 1000), wantErr: payment.ErrInvoiceExists, wantKind: domain.ErrConflict},
		{name: "order already has another invoice", payment: paymentIn(payment.StatusConfirmed, orderID),
			invoices: []*payment.Invoice{invoiceIn(otherInv, orderID, payment.InvoicePending)},
			run:      readied(invoiceID, orderID, paymentID, 1000), wantErr: payment.ErrInvoiceExists, wantKind: domain.ErrConflict},
		{name: "zero total", payment: paymentIn(payment.StatusConfirmed, orderID),
			run: readied(invoiceID, orderID, paymentID, 0), wantErr: payment.ErrAmountNotPositive, wantKind: domain.ErrInvalid},
		{name: "malformed invoice id", payment: paymentIn(payment.StatusConfirmed, orderID),
			run: readied("inv-1", orderID, paymentID, 1000), wantErr: payment.ErrInvalidID, wantKind: domain.ErrInvalid},
		{name: "storage fails", payment: paymentIn(payment.StatusConfirmed, orderID), broken: true,
			run: readied(invoiceID, orderID, paymentID, 1000), wantErr: errBroken, wantKind: errBroken},
	}
	runConsumerCases(t, tests)

	// The stored invoice, checked once for the two creating cases.
	for _, tc := range []struct {
		payment *payment.Payment
		want    payment.InvoiceStatus
	}{
		{paymentIn(payment.StatusConfirmed, orderID), payment.InvoicePending},
		{paymentIn(payment.StatusVoided, orderID), payment.InvoiceCanceled},
	} {
		h, repo := newService()
		repo.put(tc.payment)
		if err := readied(invoiceID, orderID, paymentID, 1000)(context.Background(), h); err != nil {
			t.Fatal(err)
		}
		inv := repo.invoice(invoiceID)
		if inv == nil || inv.OrderID() != orderID || inv.PaymentID() != paymentID || inv.Amount() != 1000 || inv.Status() != tc.want {
			t.Errorf("with a %s payment the stored invoice is %+v, want %s", tc.payment.Status(), inv, tc.want)
		}
		if p := repo.payment(paymentID); *p != *tc.payment {
			t.Errorf("OnOrderReadied changed the payment to %s v%d", p.Status(), p.Version())
		}
	}
}

func TestOnOrderCanceled(t *testing.T) {
	voided := events.PaymentVoided{PaymentID: paymentID, OrderID: orderID, Reason: "order canceled"}
	invCanceled := events.InvoiceCanceled{InvoiceID: invoiceID, OrderID: orderID}
	runConsumerCases(t, []consumerCase{
		{name: "confirmed payment, no invoice yet", payment: paymentIn(payment.StatusConfirmed, orderID),
			run: canceled(orderID, paymentID), want: []events.Event{voided}, wantPayment: "voided for " + orderID},
		{name: "confirmed payment and pending invoice", payment: paymentIn(payment.StatusConfirmed, orderID),
			invoices: []*payment.Invoice{invoiceIn(invoiceID, orderID, payment.InvoicePending)},
			run:      canceled(orderID, paymentID), want: []events.Event{voided, invCanceled},
			wantPayment: "voided for " + orderID, wantInvoice: map[string]string{invoiceID: "canceled"}},
		{name: "repeated: nothing new", payment: paymentIn(payment.StatusVoided, orderID),
			invoices: []*payment.Invoice{invoiceIn(invoiceID, orderID, payment.InvoiceCanceled)},
			run:      canceled(orderID, paymentID)},
		{name: "unused authorization is left alone", payment: paymentIn(payment.StatusAuthorized, ""),
			run: canceled(orderID, paymentID)},
		{name: "another order's payment is left alone", payment: paymentIn(payment.StatusConfirmed, otherOrder),
			invoices: []*payment.Invoice{invoiceIn(otherInv, otherOrder, payment.InvoicePending)},
			run:      canceled(orderID, paymentID)},
		{name: "unknown payment: invoice still canceled", payment: nil,
			invoices: []*payment.Invoice{invoiceIn(invoiceID, orderID, payment.InvoicePending)},
			run:      canceled(orderID, paymentID), want: []events.Event{invCanceled},
			wantInvoice: map[string]string{invoiceID: "canceled"}},
		{name: "no payment id: invoice still canceled", payment: nil,
			invoices: []*payment.Invoice{invoiceIn(invoiceID, orderID, payment.InvoicePending)},
			run:      canceled(orderID, ""), want: []events.Event{invCanceled},
			wantInvoice: map[string]string{invoiceID: "canceled"}},
		{name: "paid invoice is a conflict", payment: nil,
			invoices: []*payment.Invoice{invoiceIn(invoiceID, orderID, payment.InvoicePaid)},
			run:      canceled(orderID, paymentID), wantErr: payment.ErrInvoicePaid, wantKind: domain.ErrConflict},
		{name: "malformed order id", payment: paymentIn(payment.StatusConfirmed, orderID),
			run: canceled("o", paymentID), wantErr: payment.ErrInvalidID, wantKind: domain.ErrInvalid},
		{name: "storage fails", payment: paymentIn(payment.StatusConfirmed, orderID), broken: true,
			run: canceled(orderID, paymentID), wantErr: errBroken, wantKind: errBroken},
	})
}

func TestOrderCanceledBeforeReadiedLeavesNothingPayable(t *testing.T) {
	ctx := context.Background()
	h, repo := newService()
	repo.put(paymentIn(payment.StatusConfirmed, orderID))
	if err := canceled(orderID, paymentID)(ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := readied(invoiceID, orderID, paymentID, 1000)(ctx, h); err != nil {
		t.Fatalf("OnOrderReadied after OnOrderCanceled: %v, want success (never retried)", err)
	}
	assertErr(t, h.PayInvoice(ctx, invoiceID, nil), payment.ErrInvoiceCanceled, domain.ErrConflict)
	assertEvents(t, repo.published(),
		events.PaymentVoided{PaymentID: paymentID, OrderID: orderID, Reason: "order canceled"},
		events.InvoiceCreated{InvoiceID: invoiceID, OrderID: orderID, PaymentID: paymentID, Amount: 1000},
		events.InvoiceCanceled{InvoiceID: invoiceID, OrderID: orderID},
	)
}
