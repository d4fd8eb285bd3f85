package orders_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/order"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/orders"
)

const (
	basketID   = "0190a5e1-0000-7000-8000-0000000000b0"
	customerID = "0190a5e1-0000-7000-8000-0000000000c0"
	paymentID  = "0190a5e1-0000-7000-8000-0000000000d0"
	storeID    = "0190a5e1-0000-7000-8000-0000000000e0"
	productID  = "0190a5e1-0000-7000-8000-0000000000f0"
	shoppingID = "0190a5e1-0000-7000-8000-0000000000a0"
	// firstID is the first ID sequentialIDs makes: the invoice of the first
	// readied order in these tests.
	firstID = "00000000-0000-4000-8000-000000000001"
)

var checkedOut = events.BasketCheckedOut{BasketID: basketID, CustomerID: customerID, PaymentID: paymentID,
	Items: []events.Item{{StoreID: storeID, StoreName: "Robo Parts", ProductID: productID, ProductName: "Servo", Price: 999, Quantity: 2}}}

var created = order.Created{ID: basketID, CustomerID: customerID, PaymentID: paymentID, Total: 1998,
	Items: []order.Item{{StoreID: storeID, StoreName: "Robo Parts", ProductID: productID, ProductName: "Servo", Price: 999, Quantity: 2}}}

func TestServiceIdentity(t *testing.T) {
	if orders.Service != "orders" {
		t.Errorf("Service = %q", orders.Service)
	}
	var got []string
	for _, e := range orders.Publishes {
		got = append(got, e.EventName())
	}
	want := []string{events.OrderCreatedName, events.OrderApprovedName, events.OrderRejectedName, events.OrderReadiedName,
		events.OrderCanceledName, events.OrderCompletedName, events.CreateOrderReplyName}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Publishes = %v, want %v", got, want)
	}
}

// to drives a fresh order (from checkedOut) to status through the
// consumers and returns the fixture.
func to(t *testing.T, status string) *fixture {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	steps := map[string][]func() error{
		"pending":   nil,
		"shopped":   {f.listCompleted},
		"approved":  {f.approve},
		"ready":     {f.approve, f.listCompleted},
		"completed": {f.approve, f.listCompleted, f.invoicePaid},
		"rejected":  {f.reject},
		"canceled":  {func() error { return f.h.CancelOrder(ctx, basketID) }},
	}
	if err := f.h.OnBasketCheckedOut(ctx, checkedOut); err != nil {
		t.Fatal(err)
	}
	for _, step := range steps[status] {
		if err := step(); err != nil {
			t.Fatalf("drive order to %s: %v", status, err)
		}
	}
	f.replies.log.Forget()
	return f
}

func (f *fixture) approve() error {
	return f.h.OnApproveOrder(context.Background(), events.ApproveOrder{OrderID: basketID, ShoppingID: shoppingID})
}

func (f *fixture) reject() error {
	return f.h.OnRejectOrder(context.Background(), events.RejectOrder{OrderID: basketID, Reason: "confirmPayment failed: amount differs"})
}

func (f *fixture) listCompleted() error {
	return f.h.OnShoppingListCompleted(context.Background(), events.ShoppingListCompleted{ShoppingID: shoppingID, OrderID: basketID})
}

func (f *fixture) invoicePaid() error {
	return f.h.OnInvoicePaid(context.Background(), events.InvoicePaid{InvoiceID: firstID, OrderID: basketID, Amount: 1998})
}

func (f *fixture) status(t *testing.T) string {
	t.Helper()
	o, err := f.store.Get(context.Background(), basketID)
	if err != nil {
		t.Fatal(err)
	}
	return o.Status().String()
}

func TestOnBasketCheckedOutCreatesTheOrderOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.h.OnBasketCheckedOut(ctx, checkedOut); err != nil {
		t.Fatal(err)
	}
	// The same checkout again, as under another message ID.
	if err := f.h.OnBasketCheckedOut(ctx, checkedOut); err != nil {
		t.Fatalf("a repeated checkout failed: %v", err)
	}
	if got := f.store.events(); !reflect.DeepEqual(got, []order.Event{created}) {
		t.Errorf("events = %#v, want one Created with the basket's ID", got)
	}
	if !strings.Contains(f.log.String(), "basket already became an order") {
		t.Errorf("log = %q, want the ignored checkout noted", f.log)
	}
}

func TestOnBasketCheckedOutRejectsAnInvalidBasketForGood(t *testing.T) {
	f := newFixture(t)
	bad := checkedOut
	bad.Items = nil
	err := f.h.OnBasketCheckedOut(context.Background(), bad)
	if !errors.Is(err, order.ErrNoItems) || !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), basketID) {
		t.Errorf("err = %v, want ErrNoItems naming the basket (permanent)", err)
	}
	if len(f.store.events()) != 0 {
		t.Error("an invalid basket made an order")
	}
}

func reply(command string, success bool, reason string) events.CreateOrderReply {
	return events.CreateOrderReply{OrderID: basketID, Command: command, Success: success, Reason: reason}
}

func TestSagaCommands(t *testing.T) {
	tests := []struct {
		name       string
		from       string
		run        func(*fixture) error
		wantEvent  order.Event // nil: none
		wantReply  events.CreateOrderReply
		wantReason string // part of a failure reply's reason
		wantStatus string
	}{
		{name: "approve a pending order", from: "pending", run: (*fixture).approve,
			wantEvent: order.Approved{ShoppingID: shoppingID}, wantReply: reply(events.ApproveOrderName, true, ""), wantStatus: "approved"},
		{name: "approve again: same success, no event", from: "approved", run: (*fixture).approve,
			wantReply: reply(events.ApproveOrderName, true, ""), wantStatus: "approved"},
		{name: "approve a ready order again: success", from: "ready", run: (*fixture).approve,
			wantReply: reply(events.ApproveOrderName, true, ""), wantStatus: "ready"},
		{name: "approve a canceled order: failure", from: "canceled", run: (*fixture).approve,
			wantReply: reply(events.ApproveOrderName, false, ""), wantReason: "order is not pending: order " + basketID + " is canceled", wantStatus: "canceled"},
		{name: "approve a rejected order: failure", from: "rejected", run: (*fixture).approve,
			wantReply: reply(events.ApproveOrderName, false, ""), wantReason: "is rejected", wantStatus: "rejected"},
		{name: "approve with another list: failure", from: "approved", run: func(f *fixture) error {
			return f.h.OnApproveOrder(context.Background(), events.ApproveOrder{OrderID: basketID, ShoppingID: firstID})
		}, wantReply: reply(events.ApproveOrderName, false, ""), wantReason: "another shopping list", wantStatus: "approved"},
		{name: "reject a pending order", from: "pending", run: (*fixture).reject,
			wantEvent: order.Rejected{Reason: "confirmPayment failed: amount differs"}, wantReply: reply(events.RejectOrderName, true, ""), wantStatus: "rejected"},
		{name: "reject again: same success, no event", from: "rejected", run: (*fixture).reject,
			wantReply: reply(events.RejectOrderName, true, ""), wantStatus: "rejected"},
		{name: "reject a canceled order: success, no event, still canceled", from: "canceled", run: (*fixture).reject,
			wantReply: reply(events.RejectOrderName, true, ""), wantStatus: "canceled"},
		{name: "approve an order shopped with another list: failure", from: "shopped", run: func(f *fixture) error {
			return f.h.OnApproveOrder(context.Background(), events.ApproveOrder{OrderID: basketID, ShoppingID: firstID})
		}, wantReply: reply(events.ApproveOrderName, false, ""), wantReason: "another shopping list", wantStatus: "pending"},
		{name: "reject an approved order: failure", from: "approved", run: (*fixture).reject,
			wantReply: reply(events.RejectOrderName, false, ""), wantReason: "is approved", wantStatus: "approved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := to(t, tt.from)
			before := len(f.store.events())
			if err := tt.run(f); err != nil {
				t.Fatalf("a refused command must be answered, not fail: %v", err)
			}
			var want []order.Event
			if tt.wantEvent != nil {
				want = []order.Event{tt.wantEvent}
			}
			if got := f.store.events()[before:]; !reflect.DeepEqual(got, want) && (len(got) != 0 || len(want) != 0) {
				t.Errorf("events = %#v, want %#v", got, want)
			}
			sent := f.replies.all()
			if len(sent) != 1 {
				t.Fatalf("replies = %#v, want exactly one", sent)
			}
			got := sent[0].(events.CreateOrderReply)
			if !strings.Contains(got.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", got.Reason, tt.wantReason)
			}
			if tt.wantReply.Success && got.Reason != "" || !tt.wantReply.Success && got.Reason == "" {
				t.Errorf("reason = %q for success %t", got.Reason, got.Success)
			}
			got.Reason = ""
			if got != tt.wantReply {
				t.Errorf("reply = %+v, want %+v", got, tt.wantReply)
			}
			if s := f.status(t); s != tt.wantStatus {
				t.Errorf("status = %s, want %s", s, tt.wantStatus)
			}
		})
	}
}

// An order is stored before the OrderCreated that starts its saga, so a
// command for an order that does not exist can never apply: waiting for it
// is in vain, and it is poisoned at once, unanswered.
func TestSagaCommandsForAnUnknownOrderArePoisonedUnanswered(t *testing.T) {
	for name, send := range map[string]func(*fixture) error{
		"ApproveOrder": (*fixture).approve,
		"RejectOrder":  (*fixture).reject,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			err := send(f)
			if !domain.IsPermanent(err) || domain.MustWait(err) || !strings.Contains(err.Error(), "does not exist") {
				t.Errorf("err = %v, want a permanent error saying the order does not exist", err)
			}
			if sent := f.replies.all(); len(sent) != 0 {
				t.Errorf("replies = %v, want none", sent)
			}
		})
	}
}

func TestConsumersRetryWhenOtherWritersKeepWinning(t *testing.T) {
	// The store gives up with ErrConcurrentChange, a conflict (409 over
	// HTTP); a consumer must turn it into a transient error and answer
	// nothing yet, so that the router retries the message.
	for _, tc := range []struct {
		name string
		run  func(*fixture) error
	}{
		{"OnApproveOrder", (*fixture).approve},
		{"OnRejectOrder", (*fixture).reject},
		{"OnShoppingListCompleted", (*fixture).listCompleted},
		{"OnInvoicePaid", (*fixture).invoicePaid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := to(t, "pending")
			f.store.concurrentChanges = 1
			err := tc.run(f)
			if err == nil || errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "changed concurrently") {
				t.Errorf("err = %v, want a transient error (no kind) that says why", err)
			}
			if sent := f.replies.all(); len(sent) != 0 {
				t.Errorf("replies = %v, want none before the retry", sent)
			}
		})
	}
}

func TestOnShoppingListCompleted(t *testing.T) {
	tests := []struct {
		from       string
		wantEvent  order.Event
		wantStatus string
		wantLog    string
	}{
		{from: "pending", wantEvent: order.ShoppingCompleted{ShoppingID: shoppingID, InvoiceID: firstID}, wantStatus: "pending",
			wantLog: "becomes ready once approved"},
		{from: "shopped", wantStatus: "pending"},
		{from: "approved", wantEvent: order.Readied{InvoiceID: firstID}, wantStatus: "ready"},
		{from: "ready", wantStatus: "ready"},
		{from: "completed", wantStatus: "completed"},
		{from: "canceled", wantStatus: "canceled", wantLog: "status=canceled"},
		{from: "rejected", wantStatus: "rejected", wantLog: "status=rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			f := to(t, tt.from)
			before := len(f.store.events())
			if err := f.listCompleted(); err != nil {
				t.Fatal(err)
			}
			got := f.store.events()[before:]
			if tt.wantEvent == nil && len(got) != 0 || tt.wantEvent != nil && !reflect.DeepEqual(got, []order.Event{tt.wantEvent}) {
				t.Errorf("events = %#v, want %v", got, tt.wantEvent)
			}
			if s := f.status(t); s != tt.wantStatus {
				t.Errorf("status = %s, want %s", s, tt.wantStatus)
			}
			if tt.wantLog != "" && !strings.Contains(f.log.String(), tt.wantLog) {
				t.Errorf("log = %q, want a line with %q", f.log, tt.wantLog)
			}
		})
	}
}

func TestOnShoppingListCompletedOfAnotherListIsAConflict(t *testing.T) {
	for _, from := range []string{"shopped", "approved", "ready"} {
		t.Run(from, func(t *testing.T) {
			f := to(t, from)
			before := len(f.store.events())
			err := f.h.OnShoppingListCompleted(context.Background(), events.ShoppingListCompleted{ShoppingID: firstID, OrderID: basketID})
			if !errors.Is(err, order.ErrOtherShoppingList) || !errors.Is(err, domain.ErrConflict) {
				t.Errorf("err = %v, want ErrOtherShoppingList (permanent)", err)
			}
			if len(f.store.events()) != before {
				t.Error("the order changed")
			}
		})
	}
}

// TestShoppingListCompletedAndApprovalInEitherOrder: whichever of
// ShoppingListCompleted and ApproveOrder comes first, and however often
// each comes (under new message IDs; the inbox drops a redelivery of the
// same one), the order ends ready once, with the first invoice, every
// approval is answered with a success, and the invoice completes it.
func TestShoppingListCompletedAndApprovalInEitherOrder(t *testing.T) {
	approve, listCompleted := (*fixture).approve, (*fixture).listCompleted
	approved, readied := order.Approved{ShoppingID: shoppingID}, order.Readied{InvoiceID: firstID}
	tests := []struct {
		name  string
		steps []func(*fixture) error
		want  []order.Event
	}{
		{"approval first", []func(*fixture) error{approve, listCompleted, approve, listCompleted},
			[]order.Event{approved, readied}},
		{"list completed first", []func(*fixture) error{listCompleted, listCompleted, approve, listCompleted, approve},
			[]order.Event{order.ShoppingCompleted{ShoppingID: shoppingID, InvoiceID: firstID}, approved, readied}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := to(t, "pending")
			for i, step := range tt.steps {
				if err := step(f); err != nil {
					t.Fatalf("step %d: %v", i+1, err)
				}
			}
			if got := f.store.events()[1:]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events after Created = %#v, want %#v", got, tt.want)
			}
			for _, r := range f.replies.all() {
				if r != reply(events.ApproveOrderName, true, "") {
					t.Errorf("reply = %+v, want every approval a success", r)
				}
			}
			if err := f.invoicePaid(); err != nil {
				t.Fatal(err)
			}
			if s := f.status(t); s != "completed" {
				t.Errorf("status = %s, want completed", s)
			}
		})
	}
}

func TestAnOrderShoppedWhilePendingCannotBeCanceled(t *testing.T) {
	f := to(t, "shopped")
	err := f.h.CancelOrder(context.Background(), basketID)
	if !errors.Is(err, order.ErrNotCancelable) || !errors.Is(err, domain.ErrConflict) {
		t.Errorf("err = %v, want ErrNotCancelable (a 409)", err)
	}
	if s := f.status(t); s != "pending" {
		t.Errorf("status = %s, want still pending", s)
	}
}

func TestOnInvoicePaid(t *testing.T) {
	tests := []struct {
		from       string
		invoiceID  string
		wantEvent  order.Event
		wantErr    error
		wantStatus string
	}{
		{from: "ready", invoiceID: firstID, wantEvent: order.Completed{}, wantStatus: "completed"},
		{from: "completed", invoiceID: firstID, wantStatus: "completed"},
		{from: "ready", invoiceID: shoppingID, wantErr: order.ErrOtherInvoice, wantStatus: "ready"},
		{from: "approved", invoiceID: firstID, wantErr: order.ErrNotReady, wantStatus: "approved"},
	}
	for _, tt := range tests {
		t.Run(tt.from+" "+tt.invoiceID, func(t *testing.T) {
			f := to(t, tt.from)
			before := len(f.store.events())
			err := f.h.OnInvoicePaid(context.Background(), events.InvoicePaid{InvoiceID: tt.invoiceID, OrderID: basketID, Amount: 1998})
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || !errors.Is(err, domain.ErrConflict)) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			got := f.store.events()[before:]
			if tt.wantEvent == nil && len(got) != 0 || tt.wantEvent != nil && !reflect.DeepEqual(got, []order.Event{tt.wantEvent}) {
				t.Errorf("events = %#v, want %v", got, tt.wantEvent)
			}
			if s := f.status(t); s != tt.wantStatus {
				t.Errorf("status = %s, want %s", s, tt.wantStatus)
			}
		})
	}
}
