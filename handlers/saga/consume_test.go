package saga_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/saga"
	"github.com/mallbots/mallbots/events"
	sagas "github.com/mallbots/mallbots/handlers/saga"
)

const (
	orderID    = "0190a5e1-0000-7000-8000-000000000001"
	customerID = "0190a5e1-0000-7000-8000-000000000002"
	paymentID  = "0190a5e1-0000-7000-8000-000000000003"
	shoppingID = "0190a5e1-0000-7000-8000-000000000004"
)

var items = []events.Item{{StoreID: "0190a5e1-0000-7000-8000-0000000000a1", StoreName: "Robo Parts",
	ProductID: "0190a5e1-0000-7000-8000-0000000000b1", ProductName: "Servo", Price: 999, Quantity: 2}}

var orderCreated = events.OrderCreated{OrderID: orderID, CustomerID: customerID, PaymentID: paymentID, Items: items, Total: 1998}

func TestServiceIdentity(t *testing.T) {
	if sagas.Service != "saga" {
		t.Errorf("Service = %q", sagas.Service)
	}
	var got []string
	for _, e := range sagas.Publishes {
		got = append(got, e.EventName())
	}
	want := []string{events.AuthorizeCustomerName, events.CreateShoppingListName, events.ConfirmPaymentName, events.InitiateShoppingName,
		events.ApproveOrderName, events.CancelShoppingListName, events.VoidPaymentName, events.RejectOrderName}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Publishes = %v, want %v", got, want)
	}
}

func started(t *testing.T) *fixture {
	t.Helper()
	f := newFixture()
	if err := f.h.OnOrderCreated(context.Background(), orderCreated); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestOnOrderCreatedStartsOneSaga(t *testing.T) {
	f := started(t)
	if err := f.h.OnOrderCreated(context.Background(), orderCreated); err != nil {
		t.Fatalf("a repeated OrderCreated failed: %v", err)
	}
	want := []events.Event{events.AuthorizeCustomer{OrderID: orderID, CustomerID: customerID}}
	if got := f.repo.commands(); !reflect.DeepEqual(got, want) {
		t.Errorf("commands = %#v, want %#v", got, want)
	}
	if st := f.repo.state(orderID); st.Step != saga.StepAuthorizeCustomer || st.Status != saga.StatusRunning || st.Total != 1998 {
		t.Errorf("saga = %+v", st)
	}
	if f.repo.writes != 1 || !strings.Contains(f.log.String(), "OrderCreated ignored") {
		t.Errorf("%d writes, log %q; want one write and the ignored duplicate logged", f.repo.writes, f.log)
	}
}

func TestOnOrderCreatedWithoutItemsIsInvalid(t *testing.T) {
	f := newFixture()
	e := orderCreated
	e.Items = nil
	if err := f.h.OnOrderCreated(context.Background(), e); !errors.Is(err, saga.ErrIncomplete) || !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("err = %v, want ErrIncomplete (permanent)", err)
	}
	if len(f.repo.commands()) != 0 {
		t.Error("an invalid order started a saga")
	}
}

func ok(command string) events.CreateOrderReply {
	return events.CreateOrderReply{OrderID: orderID, Command: command, Success: true}
}

func fail(command, reason string) events.CreateOrderReply {
	return events.CreateOrderReply{OrderID: orderID, Command: command, Reason: reason}
}

var listCreated = events.CreateOrderReply{OrderID: orderID, Command: events.CreateShoppingListName, Success: true, ShoppingID: shoppingID}

// The commands of the forward path, in order.
var (
	authorize  = events.AuthorizeCustomer{OrderID: orderID, CustomerID: customerID}
	createList = events.CreateShoppingList{OrderID: orderID, Items: items}
	confirm    = events.ConfirmPayment{OrderID: orderID, PaymentID: paymentID, CustomerID: customerID, Amount: 1998}
	initiate   = events.InitiateShopping{OrderID: orderID, ShoppingID: shoppingID}
	approve    = events.ApproveOrder{OrderID: orderID, ShoppingID: shoppingID}
)

// TestSagaPaths answers the commands of a saga as the test says and checks
// every command it sends, compensations included, and where it ends.
func TestSagaPaths(t *testing.T) {
	cancelList := func(reason string) events.Event {
		return events.CancelShoppingList{OrderID: orderID, ShoppingID: shoppingID, Reason: reason}
	}
	void := func(reason string) events.Event {
		return events.VoidPayment{OrderID: orderID, PaymentID: paymentID, Reason: reason}
	}
	reject := func(reason string) events.Event { return events.RejectOrder{OrderID: orderID, Reason: reason} }
	tests := []struct {
		name       string
		replies    []events.CreateOrderReply
		want       []events.Event // after AuthorizeCustomer
		wantStatus saga.Status
	}{
		{"approved", []events.CreateOrderReply{ok(events.AuthorizeCustomerName), listCreated, ok(events.ConfirmPaymentName),
			ok(events.InitiateShoppingName), ok(events.ApproveOrderName)},
			[]events.Event{createList, confirm, initiate, approve}, saga.StatusApproved},
		{"customer refused: reject only", []events.CreateOrderReply{fail(events.AuthorizeCustomerName, "customer is disabled"),
			ok(events.RejectOrderName)},
			[]events.Event{reject("authorizeCustomer failed: customer is disabled")}, saga.StatusRejected},
		{"list refused: reject only", []events.CreateOrderReply{ok(events.AuthorizeCustomerName), fail(events.CreateShoppingListName, "no stores"),
			ok(events.RejectOrderName)},
			[]events.Event{createList, reject("createShoppingList failed: no stores")}, saga.StatusRejected},
		{"payment refused: cancel the list, no void, reject", []events.CreateOrderReply{ok(events.AuthorizeCustomerName), listCreated,
			fail(events.ConfirmPaymentName, "amount differs"), ok(events.CancelShoppingListName), ok(events.RejectOrderName)},
			[]events.Event{createList, confirm, cancelList("confirmPayment failed: amount differs"), reject("confirmPayment failed: amount differs")},
			saga.StatusRejected},
		{"shopping not initiated: cancel, void, reject", []events.CreateOrderReply{ok(events.AuthorizeCustomerName), listCreated,
			ok(events.ConfirmPaymentName), fail(events.InitiateShoppingName, "list canceled"), ok(events.CancelShoppingListName),
			ok(events.VoidPaymentName), ok(events.RejectOrderName)},
			[]events.Event{createList, confirm, initiate, cancelList("initiateShopping failed: list canceled"),
				void("initiateShopping failed: list canceled"), reject("initiateShopping failed: list canceled")}, saga.StatusRejected},
		{"order not approvable: cancel, void, reject", []events.CreateOrderReply{ok(events.AuthorizeCustomerName), listCreated,
			ok(events.ConfirmPaymentName), ok(events.InitiateShoppingName), fail(events.ApproveOrderName, "order is canceled"),
			ok(events.CancelShoppingListName), ok(events.VoidPaymentName), fail(events.RejectOrderName, "order is canceled")},
			[]events.Event{createList, confirm, initiate, approve, cancelList("approveOrder failed: order is canceled"),
				void("approveOrder failed: order is canceled"), reject("approveOrder failed: order is canceled")}, saga.StatusRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := started(t)
			for _, r := range tt.replies {
				if err := f.h.OnCreateOrderReply(context.Background(), r); err != nil {
					t.Fatalf("reply %+v: %v", r, err)
				}
			}
			want := append([]events.Event{authorize}, tt.want...)
			if got := f.repo.commands(); !reflect.DeepEqual(got, want) {
				t.Errorf("commands:\n got %#v\nwant %#v", got, want)
			}
			if st := f.repo.state(orderID); st.Step != saga.StepDone || st.Status != tt.wantStatus {
				t.Errorf("saga ended at %s %s, want done %s", st.Step, st.Status, tt.wantStatus)
			}
			if !strings.Contains(f.log.String(), "create-order saga ended") {
				t.Errorf("log = %q, want the end logged", f.log)
			}
		})
	}
}

func TestFailedCompensationIsLoggedAndTheSagaGoesOn(t *testing.T) {
	f := started(t)
	for _, r := range []events.CreateOrderReply{ok(events.AuthorizeCustomerName), listCreated,
		fail(events.ConfirmPaymentName, "voided"), fail(events.CancelShoppingListName, "list already completed")} {
		if err := f.h.OnCreateOrderReply(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	cmds := f.repo.commands()
	if last := cmds[len(cmds)-1]; last != (events.RejectOrder{OrderID: orderID, Reason: "confirmPayment failed: voided"}) {
		t.Errorf("last command = %#v, want RejectOrder", last)
	}
	if !strings.Contains(f.log.String(), "compensation failed") || !strings.Contains(f.log.String(), "list already completed") {
		t.Errorf("log = %q, want the failed compensation with its reason", f.log)
	}
	if got := f.repo.state(orderID).CompensationFailures; !reflect.DeepEqual(got, []string{"cancelShoppingList: list already completed"}) {
		t.Errorf("compensation failures = %q", got)
	}
}

func TestDuplicateAndStaleRepliesSendNothing(t *testing.T) {
	f := started(t)
	ctx := context.Background()
	for _, r := range []events.CreateOrderReply{ok(events.AuthorizeCustomerName), listCreated} {
		if err := f.h.OnCreateOrderReply(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	sent, writes := len(f.repo.commands()), f.repo.writes
	for _, r := range []events.CreateOrderReply{
		ok(events.AuthorizeCustomerName), // duplicate
		listCreated,                      // duplicate
		ok(events.ApproveOrderName),      // not awaited
		fail(events.VoidPaymentName, "x"),
	} {
		if err := f.h.OnCreateOrderReply(ctx, r); err != nil {
			t.Fatalf("reply %+v: %v", r, err)
		}
	}
	if got := f.repo.commands()[sent:]; len(got) != 0 || f.repo.writes != writes {
		t.Errorf("stale replies sent %#v and wrote %d times", got, f.repo.writes-writes)
	}
	if st := f.repo.state(orderID); st.Step != saga.StepConfirmPayment {
		t.Errorf("saga at %s, want confirmPayment", st.Step)
	}
	if !strings.Contains(f.log.String(), "reply ignored") {
		t.Errorf("log = %q, want ignored replies noted", f.log)
	}
}

func TestRepliesThatCannotBeHandled(t *testing.T) {
	tests := []struct {
		name  string
		reply events.CreateOrderReply
		want  error
	}{
		// Permanent, not not-found: no reply can come before its saga.
		{"no saga (can never apply)", events.CreateOrderReply{OrderID: shoppingID, Command: events.AuthorizeCustomerName, Success: true}, domain.ErrInvalid},
		{"unknown command", events.CreateOrderReply{OrderID: orderID, Command: "depot.Shop", Success: true}, domain.ErrInvalid},
		{"list created without an id", events.CreateOrderReply{OrderID: orderID, Command: events.CreateShoppingListName, Success: true}, saga.ErrNoShoppingID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := started(t)
			if err := f.h.OnCreateOrderReply(context.Background(), ok(events.AuthorizeCustomerName)); err != nil {
				t.Fatal(err)
			}
			sent := len(f.repo.commands())
			if err := f.h.OnCreateOrderReply(context.Background(), tt.reply); !errors.Is(err, tt.want) || errors.Is(err, domain.ErrNotFound) {
				t.Errorf("err = %v, want %v (and not %v, which would make it wait)", err, tt.want, domain.ErrNotFound)
			}
			if got := f.repo.commands()[sent:]; len(got) != 0 {
				t.Errorf("sent %#v", got)
			}
			if st := f.repo.state(orderID); st.Step != saga.StepCreateShoppingList {
				t.Errorf("saga moved to %s", st.Step)
			}
		})
	}
}

var orderCanceled = events.OrderCanceled{OrderID: orderID, CustomerID: customerID, PaymentID: paymentID}

// TestOnOrderCanceledAtEachStep cancels the order at every step of its
// saga, before and after the reply in flight: once the saga knows, it sends
// no forward step, undoes what it did with "order canceled" and never
// rejects the canceled order. Every OrderCanceled is delivered twice (as
// under two message IDs); the second changes and sends nothing.
func TestOnOrderCanceledAtEachStep(t *testing.T) {
	const why = "order canceled"
	cancelList := events.CancelShoppingList{OrderID: orderID, ShoppingID: shoppingID, Reason: why}
	void := events.VoidPayment{OrderID: orderID, PaymentID: paymentID, Reason: why}
	type input = func(*testing.T, *fixture)
	answer := func(r events.CreateOrderReply) input {
		return func(t *testing.T, f *fixture) {
			t.Helper()
			if err := f.h.OnCreateOrderReply(context.Background(), r); err != nil {
				t.Fatalf("reply %+v: %v", r, err)
			}
		}
	}
	cancel := func(t *testing.T, f *fixture) {
		t.Helper()
		for i := range 2 {
			sent, writes := len(f.repo.commands()), f.repo.writes
			if err := f.h.OnOrderCanceled(context.Background(), orderCanceled); err != nil {
				t.Fatalf("OrderCanceled #%d: %v", i+1, err)
			}
			if got := f.repo.commands()[sent:]; len(got) != 0 {
				t.Errorf("OrderCanceled #%d sent %#v; the reply in flight must come first", i+1, got)
			}
			if i == 1 && f.repo.writes != writes {
				t.Error("a repeated OrderCanceled changed the saga")
			}
		}
	}
	var (
		authorized = answer(ok(events.AuthorizeCustomerName))
		created    = answer(listCreated)
		confirmed  = answer(ok(events.ConfirmPaymentName))
		initiated  = answer(ok(events.InitiateShoppingName))
		approved   = answer(ok(events.ApproveOrderName))
		listUndone = answer(ok(events.CancelShoppingListName))
		voided     = answer(ok(events.VoidPaymentName))
	)
	tests := []struct {
		name       string
		inputs     []input
		want       []events.Event // after AuthorizeCustomer
		wantStatus saga.Status
	}{
		{"authorizeCustomer: cancel, then authorized", []input{cancel, authorized}, nil, saga.StatusCanceled},
		{"authorizeCustomer: cancel, then refused", []input{cancel, answer(fail(events.AuthorizeCustomerName, "disabled"))}, nil, saga.StatusCanceled},
		{"authorizeCustomer: authorized, then cancel", []input{authorized, cancel, created, listUndone},
			[]events.Event{createList, cancelList}, saga.StatusCanceled},
		{"createShoppingList: cancel, then created", []input{authorized, cancel, created, listUndone},
			[]events.Event{createList, cancelList}, saga.StatusCanceled},
		{"createShoppingList: created, then cancel", []input{authorized, created, cancel, confirmed, listUndone, voided},
			[]events.Event{createList, confirm, cancelList, void}, saga.StatusCanceled},
		{"confirmPayment: cancel, then confirmed", []input{authorized, created, cancel, confirmed, listUndone, voided},
			[]events.Event{createList, confirm, cancelList, void}, saga.StatusCanceled},
		{"confirmPayment: cancel, then refused", []input{authorized, created, cancel, answer(fail(events.ConfirmPaymentName, "voided")), listUndone},
			[]events.Event{createList, confirm, cancelList}, saga.StatusCanceled},
		{"initiateShopping: cancel, then initiated", []input{authorized, created, confirmed, cancel, initiated, listUndone, voided},
			[]events.Event{createList, confirm, initiate, cancelList, void}, saga.StatusCanceled},
		{"initiateShopping: cancel, then refused (the depot canceled the list)",
			[]input{authorized, created, confirmed, cancel, answer(fail(events.InitiateShoppingName, "list canceled")), listUndone, voided},
			[]events.Event{createList, confirm, initiate, cancelList, void}, saga.StatusCanceled},
		{"initiateShopping: initiated, then cancel", []input{authorized, created, confirmed, initiated, cancel,
			answer(fail(events.ApproveOrderName, "order is canceled")), listUndone, voided},
			[]events.Event{createList, confirm, initiate, approve, cancelList, void}, saga.StatusCanceled},
		{"approveOrder: cancel, then refused", []input{authorized, created, confirmed, initiated, cancel,
			answer(fail(events.ApproveOrderName, "order is canceled")), listUndone, voided},
			[]events.Event{createList, confirm, initiate, approve, cancelList, void}, saga.StatusCanceled},
		{"approveOrder: cancel, then approved (the approval came first at orders)", []input{authorized, created, confirmed, initiated, cancel, approved},
			[]events.Event{createList, confirm, initiate, approve}, saga.StatusCanceled},
		{"approveOrder: approved, then cancel", []input{authorized, created, confirmed, initiated, approved, cancel},
			[]events.Event{createList, confirm, initiate, approve}, saga.StatusApproved},
		{"compensating a failure: cancel before rejectOrder is sent",
			[]input{authorized, created, answer(fail(events.ConfirmPaymentName, "amount differs")), cancel, listUndone},
			[]events.Event{createList, confirm, events.CancelShoppingList{OrderID: orderID, ShoppingID: shoppingID, Reason: "confirmPayment failed: amount differs"}},
			saga.StatusCanceled},
		{"compensating a failure: rejectOrder found the order canceled",
			[]input{answer(fail(events.AuthorizeCustomerName, "disabled")), answer(ok(events.RejectOrderName)), cancel},
			[]events.Event{events.RejectOrder{OrderID: orderID, Reason: "authorizeCustomer failed: disabled"}}, saga.StatusCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := started(t)
			for _, in := range tt.inputs {
				in(t, f)
			}
			want := append([]events.Event{authorize}, tt.want...)
			if got := f.repo.commands(); !reflect.DeepEqual(got, want) {
				t.Errorf("commands:\n got %#v\nwant %#v", got, want)
			}
			if st := f.repo.state(orderID); st.Step != saga.StepDone || st.Status != tt.wantStatus || len(st.CompensationFailures) != 0 {
				t.Errorf("saga ended at %s %s (failures %q), want done %s with none", st.Step, st.Status, st.CompensationFailures, tt.wantStatus)
			}
			if strings.Contains(f.log.String(), "level=ERROR") || strings.Contains(f.log.String(), "operator") {
				t.Errorf("log = %q, want no error and no call for an operator", f.log)
			}
		})
	}
}

func TestOnOrderCanceledBeforeOrderCreated(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	for range 2 {
		if err := f.h.OnOrderCanceled(ctx, orderCanceled); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.h.OnOrderCreated(ctx, orderCreated); err != nil {
		t.Fatal(err)
	}
	if got := f.repo.commands(); len(got) != 0 {
		t.Errorf("commands = %#v, want none: the order was canceled before its saga started", got)
	}
	if st := f.repo.state(orderID); st.Step != saga.StepDone || st.Status != saga.StatusCanceled || !st.OrderCanceled || st.Version != 1 {
		t.Errorf("saga = %+v, want done and canceled, written once", st)
	}
	if !strings.Contains(f.log.String(), "OrderCreated ignored") {
		t.Errorf("log = %q, want the ignored OrderCreated noted", f.log)
	}
}

func TestOnOrderCanceledRacingOrderCreated(t *testing.T) {
	f := newFixture()
	racer, err := saga.Start(orderID, customerID, paymentID, []saga.Item{saga.Item(items[0])}, 1998)
	if err != nil {
		t.Fatal(err)
	}
	f.repo.racer = racer
	if err := f.h.OnOrderCanceled(context.Background(), orderCanceled); err != nil {
		t.Fatal(err)
	}
	if st := f.repo.state(orderID); st.Step != saga.StepAuthorizeCustomer || st.Status != saga.StatusCompensating || !st.OrderCanceled {
		t.Errorf("saga = %+v, want the started saga canceled, still awaiting authorizeCustomer", st)
	}
}

func TestFailedCompensationCallsForAnOperatorUnlessTheOrderWasCanceled(t *testing.T) {
	for _, canceled := range []bool{false, true} {
		f := started(t)
		ctx := context.Background()
		for _, r := range []events.CreateOrderReply{ok(events.AuthorizeCustomerName), listCreated} {
			if err := f.h.OnCreateOrderReply(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if canceled {
			if err := f.h.OnOrderCanceled(ctx, orderCanceled); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range []events.CreateOrderReply{fail(events.ConfirmPaymentName, "voided"), fail(events.CancelShoppingListName, "list is completed")} {
			if err := f.h.OnCreateOrderReply(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		log := f.log.String()
		if operator := strings.Contains(log, "level=ERROR") && strings.Contains(log, "an operator must resolve it"); operator == canceled {
			t.Errorf("canceled %t: log = %q, want an ERROR calling for an operator only when the order was not canceled", canceled, log)
		}
		if canceled && !strings.Contains(log, "level=WARN msg=\"compensation refused after the order was canceled") {
			t.Errorf("log = %q, want the refusal warned about", log)
		}
		if got := f.repo.state(orderID).CompensationFailures; !reflect.DeepEqual(got, []string{"cancelShoppingList: list is completed"}) {
			t.Errorf("canceled %t: compensation failures = %q", canceled, got)
		}
	}
}
