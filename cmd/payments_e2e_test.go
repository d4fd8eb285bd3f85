package cmd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/payments"
	"github.com/mallbots/mallbots/internal/testkit"
)

// paymentsAwait reads deliveries of a tap until one decodes to a T that
// match accepts, and returns it; others are skipped. It fails the test after
// 15 s.
func paymentsAwait[T any](t *testing.T, deliveries <-chan amqp.Delivery, what string, match func(T) bool) T {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case d := <-deliveries:
			var v T
			if err := json.Unmarshal(d.Body, &v); err != nil {
				t.Fatalf("%s: undecodable delivery %s: %v", what, d.Body, err)
			}
			if match(v) {
				return v
			}
		case <-timeout:
			t.Fatalf("no %s within 15s", what)
		}
	}
}

// paymentsAwaitReply waits for the saga reply to command for order.
func paymentsAwaitReply(t *testing.T, replies <-chan amqp.Delivery, command, order string) events.CreateOrderReply {
	t.Helper()
	return paymentsAwait(t, replies, command+" reply for order "+order, func(r events.CreateOrderReply) bool {
		return r.OrderID == order && r.Command == command
	})
}

// paymentsOutboxCount counts the events on topic about order that payments
// wrote to its outbox, i.e. published.
func paymentsOutboxCount(s *system, topic, order string) int {
	s.t.Helper()
	return s.count(`SELECT count(*) FROM payments.watermill_outbox
		WHERE payload->>'destination_topic' = $1
		AND convert_from(decode(payload->>'payload', 'base64'), 'UTF8')::json->>'orderId' = $2`, topic, order)
}

// paymentsGet returns the entity a GET answers with, under its wrapper key.
func paymentsGet(s *system, path, wrapper string) map[string]any {
	s.t.Helper()
	status, out, _ := s.do(http.MethodGet, path, "", nil)
	entity, _ := out[wrapper].(map[string]any)
	if status != http.StatusOK || entity == nil {
		s.t.Fatalf("GET %s = %d %v, want 200 {%q: …}", path, status, out, wrapper)
	}
	return entity
}

// paymentsQueue returns how many messages queue holds, ready or not.
func paymentsQueue(s *system, ch *amqp.Channel, queue string) int {
	s.t.Helper()
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		s.t.Fatalf("inspect queue %s: %v", queue, err)
	}
	return q.Messages
}

func paymentsChannel(s *system) *amqp.Channel {
	s.t.Helper()
	conn, err := amqp.Dial(s.amqpURL)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		s.t.Fatal(err)
	}
	return ch
}

func TestPaymentsSagaCommandsEndToEnd(t *testing.T) {
	s := startSystem(t, payments.Service)
	replies := s.tap(events.CreateOrderReplyName)
	voided := s.tap(events.PaymentVoidedName)
	customer, unknown := uuid.NewString(), uuid.NewString()
	authorize := func() string {
		return s.mustCreate("/api/payments", fmt.Sprintf(`{"customerId": %q, "amount": 10.00}`, customer), nil)
	}

	pay, order := authorize(), uuid.NewString()
	if p := paymentsGet(s, "/api/payments/"+pay, "payment"); p["status"] != "authorized" || p["amount"] != 10.0 || p["customerId"] != customer {
		t.Fatalf("authorized payment = %v", p)
	}
	confirm := events.ConfirmPayment{OrderID: order, PaymentID: pay, CustomerID: customer, Amount: 1000}
	id := s.publish(confirm, "")
	if r := paymentsAwaitReply(t, replies, events.ConfirmPaymentName, order); !r.Success || r.Reason != "" {
		t.Fatalf("reply = %+v, want success", r)
	}
	if p := paymentsGet(s, "/api/payments/"+pay, "payment"); p["status"] != "confirmed" || p["orderId"] != order {
		t.Fatalf("confirmed payment = %v", p)
	}

	// A redelivery (same message ID) is dropped by the inbox; the same
	// command resent as a new message repeats its success reply and confirms
	// nothing more. The resend is handled after the redelivery (one queue,
	// in order), so once its reply is out the counts are final.
	s.publish(confirm, id)
	s.publish(confirm, "")
	if r := paymentsAwaitReply(t, replies, events.ConfirmPaymentName, order); !r.Success {
		t.Fatalf("reply to the resent command = %+v, want success", r)
	}
	if n := paymentsOutboxCount(s, events.PaymentConfirmedName, order); n != 1 {
		t.Errorf("published %d PaymentConfirmed, want 1", n)
	}
	if n := paymentsOutboxCount(s, events.CreateOrderReplyName, order); n != 2 {
		t.Errorf("published %d replies, want 2 (the command and its resend, none for the redelivery)", n)
	}

	pay2 := authorize()
	for _, tc := range []struct {
		name   string
		cmd    events.ConfirmPayment
		reason string
	}{
		{"wrong amount", events.ConfirmPayment{PaymentID: pay2, CustomerID: customer, Amount: 1200},
			"order total 12.00 does not match the authorized 10.00"},
		{"used by another order", events.ConfirmPayment{PaymentID: pay, CustomerID: customer, Amount: 1000},
			"payment is already used: payment " + pay + " is confirmed for order " + order},
		{"another customer", events.ConfirmPayment{PaymentID: pay2, CustomerID: unknown, Amount: 1000},
			"payment belongs to another customer"},
		{"unknown payment", events.ConfirmPayment{PaymentID: unknown, CustomerID: customer, Amount: 1000},
			"not found: payment " + unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cmd.OrderID = uuid.NewString()
			s.publish(tc.cmd, "")
			r := paymentsAwaitReply(t, replies, events.ConfirmPaymentName, tc.cmd.OrderID)
			if r.Success || !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("reply = %+v, want a failure whose reason contains %q", r, tc.reason)
			}
		})
	}
	// A malformed payment ID makes a malformed command, which no saga
	// sends: it is poisoned at once, unanswered.
	malformed := events.ConfirmPayment{OrderID: uuid.NewString(), PaymentID: "pay-1", CustomerID: customer, Amount: 1000}
	malformedID := s.publish(malformed, "")
	if d := s.poisoned("payments", 20*time.Second); d.MessageId != malformedID ||
		!strings.Contains(fmt.Sprint(d.Headers[broker.ReasonPoisonedKey]), `paymentId "pay-1" is not a UUID`) {
		t.Errorf("poisoned %s because %v; want %s, for its malformed payment ID", d.MessageId, d.Headers[broker.ReasonPoisonedKey], malformedID)
	}
	if n := paymentsOutboxCount(s, events.CreateOrderReplyName, malformed.OrderID); n != 0 {
		t.Errorf("%d replies to a malformed command, want none", n)
	}
	if p := paymentsGet(s, "/api/payments/"+pay2, "payment"); p["status"] != "authorized" || p["orderId"] != nil {
		t.Errorf("refused payment = %v, want it still authorized and unused", p)
	}
	if p := paymentsGet(s, "/api/payments/"+pay, "payment"); p["status"] != "confirmed" || p["orderId"] != order {
		t.Errorf("payment = %v, want it still confirmed for %s", p, order)
	}

	// Compensation: VoidPayment releases the order's payment.
	void := events.VoidPayment{OrderID: order, PaymentID: pay, Reason: "no bot available"}
	vid := s.publish(void, "")
	if r := paymentsAwaitReply(t, replies, events.VoidPaymentName, order); !r.Success {
		t.Fatalf("void reply = %+v, want success", r)
	}
	want := events.PaymentVoided{PaymentID: pay, OrderID: order, Reason: "no bot available"}
	paymentsAwait(t, voided, "PaymentVoided", func(e events.PaymentVoided) bool { return e == want })
	if p := paymentsGet(s, "/api/payments/"+pay, "payment"); p["status"] != "voided" || p["orderId"] != order {
		t.Errorf("voided payment = %v", p)
	}

	// Voiding an unknown payment releases nothing and succeeds, so the saga's
	// compensation moves on instead of retrying. It follows the redelivered
	// VoidPayment on the same queue, so its reply settles that one too.
	s.publish(void, vid)
	other := uuid.NewString()
	s.publish(events.VoidPayment{OrderID: other, PaymentID: unknown, Reason: "x"}, "")
	if r := paymentsAwaitReply(t, replies, events.VoidPaymentName, other); !r.Success {
		t.Errorf("void of an unknown payment: reply = %+v, want success", r)
	}
	if n := paymentsOutboxCount(s, events.PaymentVoidedName, order); n != 1 {
		t.Errorf("published %d PaymentVoided for the order, want 1", n)
	}
	if n := paymentsOutboxCount(s, events.PaymentVoidedName, other); n != 0 {
		t.Errorf("voiding an unknown payment published %d PaymentVoided, want 0", n)
	}

	// A voided payment cannot be used again.
	s.publish(confirm, "")
	if r := paymentsAwaitReply(t, replies, events.ConfirmPaymentName, order); r.Success || !strings.Contains(r.Reason, "payment is voided") {
		t.Errorf("confirming a voided payment: reply = %+v, want a failure", r)
	}

	ch := paymentsChannel(s)
	if n := paymentsQueue(s, ch, broker.PoisonName(payments.Service)); n != 0 {
		t.Errorf("payments.poison holds %d messages, want 0: refusals are replies, not failures", n)
	}
}

func TestPaymentsInvoicesEndToEnd(t *testing.T) {
	s := startSystem(t, payments.Service)
	replies := s.tap(events.CreateOrderReplyName)
	created := s.tap(events.InvoiceCreatedName)
	paid := s.tap(events.InvoicePaidName)
	invoiceCanceled := s.tap(events.InvoiceCanceledName)
	voided := s.tap(events.PaymentVoidedName)
	customer := uuid.NewString()

	// confirmedPayment authorizes 10.00 over HTTP and has the saga's command
	// confirm it for a new order.
	confirmedPayment := func() (pay, order string) {
		pay = s.mustCreate("/api/payments", fmt.Sprintf(`{"customerId": %q, "amount": 10.00}`, customer), nil)
		order = uuid.NewString()
		s.publish(events.ConfirmPayment{OrderID: order, PaymentID: pay, CustomerID: customer, Amount: 1000}, "")
		if r := paymentsAwaitReply(t, replies, events.ConfirmPaymentName, order); !r.Success {
			t.Fatalf("confirm: %+v", r)
		}
		return pay, order
	}
	readied := func(pay, order, invoice string) events.OrderReadied {
		return events.OrderReadied{OrderID: order, CustomerID: customer, PaymentID: pay, InvoiceID: invoice, Total: 1000}
	}
	awaitCreated := func(invoice string) {
		t.Helper()
		paymentsAwait(t, created, "InvoiceCreated "+invoice, func(e events.InvoiceCreated) bool { return e.InvoiceID == invoice })
	}

	// OrderReadied creates the invoice once, however often it comes: a
	// redelivery and a republish with a new ID change nothing. The next
	// OrderReadied on the same queue settles both before the counts.
	payA, orderA := confirmedPayment()
	invA := uuid.NewString()
	rid := s.publish(readied(payA, orderA, invA), "")
	got := paymentsAwait(t, created, "InvoiceCreated", func(e events.InvoiceCreated) bool { return e.OrderID == orderA })
	if want := (events.InvoiceCreated{InvoiceID: invA, OrderID: orderA, PaymentID: payA, Amount: 1000}); got != want {
		t.Errorf("InvoiceCreated = %+v, want %+v", got, want)
	}
	s.publish(readied(payA, orderA, invA), rid)
	s.publish(readied(payA, orderA, invA), "")
	payB, orderB := confirmedPayment()
	invB := uuid.NewString()
	s.publish(readied(payB, orderB, invB), "")
	awaitCreated(invB)
	if n := s.count("SELECT count(*) FROM payments.invoices WHERE order_id = $1", orderA); n != 1 {
		t.Errorf("%d invoices for the order, want 1", n)
	}
	if n := paymentsOutboxCount(s, events.InvoiceCreatedName, orderA); n != 1 {
		t.Errorf("published %d InvoiceCreated for the order, want 1", n)
	}
	status, out, _ := s.do(http.MethodGet, "/api/payments/invoices?orderId="+orderA, "", nil)
	list, _ := out["invoices"].([]any)
	if status != http.StatusOK || len(list) != 1 {
		t.Fatalf("invoices of the order = %d %v, want one", status, out)
	}
	if inv := list[0].(map[string]any); inv["id"] != invA || inv["status"] != "pending" || inv["amount"] != 10.0 || inv["paymentId"] != payA {
		t.Errorf("invoice = %v", inv)
	}

	// The customer pays at the depot.
	if status, out, _ := s.do(http.MethodPut, "/api/payments/invoices/"+invA+"/pay", `{"amount": 10.00}`, nil); status != http.StatusOK {
		t.Fatalf("pay = %d %v", status, out)
	}
	wantPaid := events.InvoicePaid{InvoiceID: invA, OrderID: orderA, Amount: 1000}
	paymentsAwait(t, paid, "InvoicePaid", func(e events.InvoicePaid) bool { return e == wantPaid })
	if inv := paymentsGet(s, "/api/payments/invoices/"+invA, "invoice"); inv["status"] != "paid" {
		t.Errorf("invoice after payment = %v", inv)
	}
	if status, out, _ := s.do(http.MethodPut, "/api/payments/invoices/"+invA+"/pay", "", nil); status != http.StatusConflict {
		t.Errorf("paying twice = %d %v, want 409", status, out)
	}

	// OrderCanceled voids the order's payment and cancels its invoice. The
	// cancellation of an order whose payment is unknown here goes first on
	// the same queue: it is logged and skipped, not retried.
	orderUnknown := uuid.NewString()
	s.publish(events.OrderCanceled{OrderID: orderUnknown, CustomerID: customer, PaymentID: uuid.NewString()}, "")
	cancelB := events.OrderCanceled{OrderID: orderB, CustomerID: customer, PaymentID: payB}
	cid := s.publish(cancelB, "")
	wantVoided := events.PaymentVoided{PaymentID: payB, OrderID: orderB, Reason: "order canceled"}
	paymentsAwait(t, voided, "PaymentVoided", func(e events.PaymentVoided) bool { return e == wantVoided })
	wantCanceled := events.InvoiceCanceled{InvoiceID: invB, OrderID: orderB}
	paymentsAwait(t, invoiceCanceled, "InvoiceCanceled", func(e events.InvoiceCanceled) bool { return e == wantCanceled })
	if p := paymentsGet(s, "/api/payments/"+payB, "payment"); p["status"] != "voided" {
		t.Errorf("payment of the canceled order = %v", p)
	}
	if inv := paymentsGet(s, "/api/payments/invoices/"+invB, "invoice"); inv["status"] != "canceled" {
		t.Errorf("invoice of the canceled order = %v", inv)
	}

	// A redelivery and a republish of OrderCanceled change nothing more; the
	// next OrderCanceled on the queue (order C's, below) settles both.
	s.publish(cancelB, cid)
	s.publish(cancelB, "")

	// OrderCanceled before OrderReadied (orders never does this, but the
	// queues are separate): the invoice is created canceled, so it cannot be
	// paid, and nothing is retried.
	payC, orderC := confirmedPayment()
	invC := uuid.NewString()
	s.publish(events.OrderCanceled{OrderID: orderC, CustomerID: customer, PaymentID: payC}, "")
	paymentsAwait(t, voided, "PaymentVoided", func(e events.PaymentVoided) bool { return e.OrderID == orderC })
	for _, topic := range []string{events.PaymentVoidedName, events.InvoiceCanceledName} {
		if n := paymentsOutboxCount(s, topic, orderB); n != 1 {
			t.Errorf("published %d %s for the canceled order, want 1", n, topic)
		}
	}
	s.publish(readied(payC, orderC, invC), "")
	awaitCreated(invC)
	paymentsAwait(t, invoiceCanceled, "InvoiceCanceled", func(e events.InvoiceCanceled) bool { return e.InvoiceID == invC })
	if status, out, _ := s.do(http.MethodPut, "/api/payments/invoices/"+invC+"/pay", "", nil); status != http.StatusConflict {
		t.Errorf("paying the invoice of a canceled order = %d %v, want 409", status, out)
	}

	// Canceling an order whose invoice is paid is refused: the message is
	// poisoned with the reason for a person to look at, and nothing changes.
	ch := paymentsChannel(s)
	poison := broker.PoisonName(payments.Service)
	s.publish(events.OrderCanceled{OrderID: orderA, CustomerID: customer, PaymentID: payA}, "")
	var d amqp.Delivery
	testkit.Eventually(t, 15*time.Second, "the OrderCanceled of a paid order reaches "+poison, func() bool {
		var ok bool
		var err error
		d, ok, err = ch.Get(poison, true)
		if err != nil {
			t.Fatalf("get from %s: %v", poison, err)
		}
		return ok
	})
	if reason, _ := d.Headers[broker.ReasonPoisonedKey].(string); !strings.Contains(reason, "invoice is already paid") {
		t.Errorf("poison reason = %q, want it to say the invoice is paid", reason)
	}
	if handler, _ := d.Headers[broker.HandlerPoisonedKey].(string); handler != "payments.OnOrderCanceled" {
		t.Errorf("poisoned by %q, want payments.OnOrderCanceled", handler)
	}
	if p := paymentsGet(s, "/api/payments/"+payA, "payment"); p["status"] != "confirmed" {
		t.Errorf("payment of the paid order = %v, want it still confirmed", p)
	}
	if n := paymentsOutboxCount(s, events.PaymentVoidedName, orderUnknown); n != 0 {
		t.Errorf("canceling an order with an unknown payment published %d PaymentVoided", n)
	}
	if n := paymentsQueue(s, ch, poison); n != 0 {
		t.Errorf("%s holds %d more messages, want 0", poison, n)
	}
}
