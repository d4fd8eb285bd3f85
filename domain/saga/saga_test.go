package saga_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/saga"
	"github.com/mallbots/mallbots/internal/domaintest"
)

const (
	orderID    = "o-1"
	customerID = "c-1"
	paymentID  = "p-1"
	shoppingID = "s-1"
)

var items = []saga.Item{{StoreID: "st-1", StoreName: "Robo Parts", ProductID: "pr-1", ProductName: "Servo", Price: 999, Quantity: 2}}

func start(t *testing.T) *saga.CreateOrder {
	t.Helper()
	s, err := saga.Start(orderID, customerID, paymentID, items, 1998)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ok(step saga.Step) saga.Reply { return saga.Reply{Step: step, Success: true} }

func fail(step saga.Step, reason string) saga.Reply {
	return saga.Reply{Step: step, Reason: reason}
}

var listCreated = saga.Reply{Step: saga.StepCreateShoppingList, Success: true, ShoppingID: shoppingID}

func TestStart(t *testing.T) {
	s := start(t)
	want := saga.State{OrderID: orderID, CustomerID: customerID, PaymentID: paymentID, Items: items, Total: 1998,
		Step: saga.StepAuthorizeCustomer, Status: saga.StatusRunning, Version: 1}
	if got := s.State(); !reflect.DeepEqual(got, want) {
		t.Errorf("state = %+v, want %+v", got, want)
	}
	if s.OrderID() != orderID || s.Step() != saga.StepAuthorizeCustomer || s.Status() != saga.StatusRunning {
		t.Errorf("accessors = %s %s %s", s.OrderID(), s.Step(), s.Status())
	}
}

func TestStartRefusesAnIncompleteOrder(t *testing.T) {
	tests := []struct {
		name                 string
		order, customer, pay string
		items                []saga.Item
		total                int64
		want                 string
	}{
		{"no order id", " ", customerID, paymentID, items, 1, "order id is required"},
		{"no customer id", orderID, "", paymentID, items, 1, "customer id is required"},
		{"no payment id", orderID, customerID, "", items, 1, "payment id is required"},
		{"no items", orderID, customerID, paymentID, nil, 1, "order o-1 has no items"},
		{"negative total", orderID, customerID, paymentID, items, -1, "negative total -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := saga.Start(tt.order, tt.customer, tt.pay, tt.items, tt.total)
			domaintest.AssertErr(t, err, saga.ErrIncomplete, domain.ErrInvalid)
			if s != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start = %v, %v; want no saga and an error containing %q", s, err, tt.want)
			}
		})
	}
}

// move is a reply and the step the saga must move to on it.
type move struct {
	reply saga.Reply
	next  saga.Step
}

// play hands s each move's reply, which it must act on and move to the
// move's step, running or compensating until the last.
func play(t *testing.T, s *saga.CreateOrder, moves []move) {
	t.Helper()
	for i, m := range moves {
		moved, err := s.Handle(m.reply)
		if err != nil || !moved {
			t.Fatalf("move %d (%+v): moved %t, err %v; want it acted on", i, m.reply, moved, err)
		}
		if s.Step() != m.next {
			t.Fatalf("move %d (%+v): step %s, want %s", i, m.reply, s.Step(), m.next)
		}
		if final := i == len(moves)-1; !final && s.Status() != saga.StatusRunning && s.Status() != saga.StatusCompensating {
			t.Fatalf("move %d: status %s before the end", i, s.Status())
		}
	}
}

// TestStepMachine drives a saga through every path: each reply must be
// acted on and lead to the given step; the saga must end as described.
func TestStepMachine(t *testing.T) {
	tests := []struct {
		name       string
		moves      []move
		wantStatus saga.Status
		wantReason string
		wantFailed []string
		wantState  func(saga.State) bool
	}{
		{name: "happy path", moves: []move{
			{ok(saga.StepAuthorizeCustomer), saga.StepCreateShoppingList},
			{listCreated, saga.StepConfirmPayment},
			{ok(saga.StepConfirmPayment), saga.StepInitiateShopping},
			{ok(saga.StepInitiateShopping), saga.StepApproveOrder},
			{ok(saga.StepApproveOrder), saga.StepDone},
		}, wantStatus: saga.StatusApproved,
			wantState: func(st saga.State) bool { return st.ShoppingID == shoppingID && st.PaymentConfirmed }},
		{name: "customer not authorized: only reject", moves: []move{
			{fail(saga.StepAuthorizeCustomer, "customer is disabled"), saga.StepRejectOrder},
			{ok(saga.StepRejectOrder), saga.StepDone},
		}, wantStatus: saga.StatusRejected, wantReason: "authorizeCustomer failed: customer is disabled"},
		{name: "no shopping list: only reject", moves: []move{
			{ok(saga.StepAuthorizeCustomer), saga.StepCreateShoppingList},
			{fail(saga.StepCreateShoppingList, "store closed"), saga.StepRejectOrder},
			{ok(saga.StepRejectOrder), saga.StepDone},
		}, wantStatus: saga.StatusRejected, wantReason: "createShoppingList failed: store closed"},
		{name: "payment refused: cancel the list, no void, reject", moves: []move{
			{ok(saga.StepAuthorizeCustomer), saga.StepCreateShoppingList},
			{listCreated, saga.StepConfirmPayment},
			{fail(saga.StepConfirmPayment, "amount differs"), saga.StepCancelShoppingList},
			{ok(saga.StepCancelShoppingList), saga.StepRejectOrder},
			{ok(saga.StepRejectOrder), saga.StepDone},
		}, wantStatus: saga.StatusRejected, wantReason: "confirmPayment failed: amount differs",
			wantState: func(st saga.State) bool { return st.ShoppingID == shoppingID && !st.PaymentConfirmed }},
		{name: "shopping not initiated: cancel, void, reject", moves: []move{
			{ok(saga.StepAuthorizeCustomer), saga.StepCreateShoppingList},
			{listCreated, saga.StepConfirmPayment},
			{ok(saga.StepConfirmPayment), saga.StepInitiateShopping},
			{fail(saga.StepInitiateShopping, "list canceled"), saga.StepCancelShoppingList},
			{ok(saga.StepCancelShoppingList), saga.StepVoidPayment},
			{ok(saga.StepVoidPayment), saga.StepRejectOrder},
			{ok(saga.StepRejectOrder), saga.StepDone},
		}, wantStatus: saga.StatusRejected, wantReason: "initiateShopping failed: list canceled"},
		{name: "order not approvable: cancel, void, reject", moves: []move{
			{ok(saga.StepAuthorizeCustomer), saga.StepCreateShoppingList},
			{listCreated, saga.StepConfirmPayment},
			{ok(saga.StepConfirmPayment), saga.StepInitiateShopping},
			{ok(saga.StepInitiateShopping), saga.StepApproveOrder},
			{fail(saga.StepApproveOrder, "order is canceled"), saga.StepCancelShoppingList},
			{ok(saga.StepCancelShoppingList), saga.StepVoidPayment},
			{ok(saga.StepVoidPayment), saga.StepRejectOrder},
			{fail(saga.StepRejectOrder, "order is canceled"), saga.StepDone},
		}, wantStatus: saga.StatusRejected, wantReason: "approveOrder failed: order is canceled",
			wantFailed: []string{"rejectOrder: order is canceled"}},
		{name: "failed compensations are recorded and the saga goes on", moves: []move{
			{ok(saga.StepAuthorizeCustomer), saga.StepCreateShoppingList},
			{listCreated, saga.StepConfirmPayment},
			{ok(saga.StepConfirmPayment), saga.StepInitiateShopping},
			{fail(saga.StepInitiateShopping, ""), saga.StepCancelShoppingList},
			{fail(saga.StepCancelShoppingList, "list already completed"), saga.StepVoidPayment},
			{fail(saga.StepVoidPayment, " "), saga.StepRejectOrder},
			{ok(saga.StepRejectOrder), saga.StepDone},
		}, wantStatus: saga.StatusRejected, wantReason: "initiateShopping failed: no reason given",
			wantFailed: []string{"cancelShoppingList: list already completed", "voidPayment: no reason given"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t)
			play(t, s, tt.moves)
			st := s.State()
			if st.Status != tt.wantStatus || st.Reason != tt.wantReason || !reflect.DeepEqual(st.CompensationFailures, tt.wantFailed) {
				t.Errorf("end: status %s reason %q failures %q; want %s %q %q", st.Status, st.Reason, st.CompensationFailures,
					tt.wantStatus, tt.wantReason, tt.wantFailed)
			}
			if want := int64(1 + len(tt.moves)); st.Version != want {
				t.Errorf("version = %d, want %d (one per reply acted on)", st.Version, want)
			}
			if tt.wantState != nil && !tt.wantState(st) {
				t.Errorf("end state = %+v", st)
			}
		})
	}
}

func TestCompensatingStatusWhileUndoing(t *testing.T) {
	s := start(t)
	mustHandle(t, s, fail(saga.StepAuthorizeCustomer, "disabled"))
	if s.Status() != saga.StatusCompensating {
		t.Errorf("status = %s, want compensating while awaiting rejectOrder", s.Status())
	}
}

func mustHandle(t *testing.T, s *saga.CreateOrder, replies ...saga.Reply) {
	t.Helper()
	for _, r := range replies {
		if moved, err := s.Handle(r); err != nil || !moved {
			t.Fatalf("Handle(%+v) = %t, %v", r, moved, err)
		}
	}
}

// TestStaleRepliesChangeNothing answers every step but the awaited one, at
// every point of a saga, including after it ended.
func TestStaleRepliesChangeNothing(t *testing.T) {
	all := []saga.Step{saga.StepAuthorizeCustomer, saga.StepCreateShoppingList, saga.StepConfirmPayment, saga.StepInitiateShopping,
		saga.StepApproveOrder, saga.StepCancelShoppingList, saga.StepVoidPayment, saga.StepRejectOrder, saga.StepDone}
	// at returns a saga that handled before, was canceled when cancel is
	// set, then handled after.
	at := func(before []saga.Reply, cancel bool, after ...saga.Reply) func(*testing.T) *saga.CreateOrder {
		return func(t *testing.T) *saga.CreateOrder {
			s := start(t)
			mustHandle(t, s, before...)
			if cancel && !s.Cancel() {
				t.Fatal("Cancel changed nothing")
			}
			mustHandle(t, s, after...)
			return s
		}
	}
	authorized := ok(saga.StepAuthorizeCustomer)
	points := map[string]func(*testing.T) *saga.CreateOrder{
		"started":      at(nil, false),
		"confirming":   at([]saga.Reply{authorized, listCreated}, false),
		"compensating": at([]saga.Reply{authorized, listCreated, fail(saga.StepConfirmPayment, "x")}, false),
		"approved": at([]saga.Reply{authorized, listCreated, ok(saga.StepConfirmPayment), ok(saga.StepInitiateShopping),
			ok(saga.StepApproveOrder)}, false),
		"rejected":                          at([]saga.Reply{fail(saga.StepAuthorizeCustomer, "x"), ok(saga.StepRejectOrder)}, false),
		"canceled, awaiting confirmPayment": at([]saga.Reply{authorized, listCreated}, true),
		"canceled, undoing the list":        at([]saga.Reply{authorized, listCreated}, true, ok(saga.StepConfirmPayment)),
		"canceled, done":                    at([]saga.Reply{authorized}, true, fail(saga.StepCreateShoppingList, "x")),
		"canceled before it started": func(t *testing.T) *saga.CreateOrder {
			s, err := saga.StartCanceled(orderID, customerID, paymentID)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for name, point := range points {
		t.Run(name, func(t *testing.T) {
			s := point(t)
			before := s.State()
			for _, step := range all {
				if step == before.Step && step != saga.StepDone {
					continue
				}
				for _, success := range []bool{true, false} {
					moved, err := s.Handle(saga.Reply{Step: step, Success: success, ShoppingID: "other"})
					if moved || err != nil {
						t.Errorf("reply to %s (success %t) while at %s: moved %t, err %v; want ignored", step, success, before.Step, moved, err)
					}
				}
			}
			if after := s.State(); !reflect.DeepEqual(after, before) {
				t.Errorf("stale replies changed the saga from %+v to %+v", before, after)
			}
		})
	}
}

// TestCancelAtEachStep cancels the order at every point of a saga, then
// answers what is in flight: the saga must go no further forward, undo
// exactly what it did (never rejecting the canceled order) and end as
// described; a second Cancel changes nothing.
func TestCancelAtEachStep(t *testing.T) {
	var (
		authorized  = ok(saga.StepAuthorizeCustomer)
		confirmed   = ok(saga.StepConfirmPayment)
		initiated   = ok(saga.StepInitiateShopping)
		listDone    = move{ok(saga.StepCancelShoppingList), saga.StepVoidPayment}
		listDoneEnd = move{ok(saga.StepCancelShoppingList), saga.StepDone}
		voided      = move{ok(saga.StepVoidPayment), saga.StepDone}
		allForward  = []saga.Reply{authorized, listCreated, confirmed, initiated}
	)
	tests := []struct {
		name        string
		before      []saga.Reply // handled before the cancel
		wantChanged bool
		after       []move // replies after the cancel, and the step each leads to
		wantStatus  saga.Status
		wantReason  string
		wantFailed  []string
	}{
		{name: "awaiting authorizeCustomer, authorized", wantChanged: true,
			after: []move{{authorized, saga.StepDone}}, wantStatus: saga.StatusCanceled, wantReason: "order canceled"},
		{name: "awaiting authorizeCustomer, refused", wantChanged: true,
			after: []move{{fail(saga.StepAuthorizeCustomer, "disabled"), saga.StepDone}}, wantStatus: saga.StatusCanceled, wantReason: "order canceled"},
		{name: "awaiting createShoppingList, created", before: []saga.Reply{authorized}, wantChanged: true,
			after:      []move{{listCreated, saga.StepCancelShoppingList}, listDoneEnd},
			wantStatus: saga.StatusCanceled, wantReason: "order canceled"},
		{name: "awaiting createShoppingList, refused", before: []saga.Reply{authorized}, wantChanged: true,
			after: []move{{fail(saga.StepCreateShoppingList, "no stores"), saga.StepDone}}, wantStatus: saga.StatusCanceled, wantReason: "order canceled"},
		{name: "awaiting confirmPayment, confirmed", before: []saga.Reply{authorized, listCreated}, wantChanged: true,
			after:      []move{{confirmed, saga.StepCancelShoppingList}, listDone, voided},
			wantStatus: saga.StatusCanceled, wantReason: "order canceled"},
		{name: "awaiting confirmPayment, refused", before: []saga.Reply{authorized, listCreated}, wantChanged: true,
			after:      []move{{fail(saga.StepConfirmPayment, "voided"), saga.StepCancelShoppingList}, listDoneEnd},
			wantStatus: saga.StatusCanceled, wantReason: "order canceled"},
		{name: "awaiting initiateShopping, initiated", before: allForward[:3], wantChanged: true,
			after:      []move{{initiated, saga.StepCancelShoppingList}, listDone, voided},
			wantStatus: saga.StatusCanceled, wantReason: "order canceled"},
		{name: "awaiting initiateShopping, refused: the depot canceled the list first", before: allForward[:3], wantChanged: true,
			after:      []move{{fail(saga.StepInitiateShopping, "list canceled"), saga.StepCancelShoppingList}, listDone, voided},
			wantStatus: saga.StatusCanceled, wantReason: "order canceled"},
		{name: "awaiting approveOrder, refused", before: allForward, wantChanged: true,
			after:      []move{{fail(saga.StepApproveOrder, "order is canceled"), saga.StepCancelShoppingList}, listDone, voided},
			wantStatus: saga.StatusCanceled, wantReason: "order canceled"},
		{name: "awaiting approveOrder, approved before the cancel: the cancel's consumers release it", before: allForward, wantChanged: true,
			after: []move{{ok(saga.StepApproveOrder), saga.StepDone}}, wantStatus: saga.StatusCanceled, wantReason: "order canceled"},
		{name: "a refused compensation is recorded", before: allForward, wantChanged: true,
			after: []move{{fail(saga.StepApproveOrder, "order is canceled"), saga.StepCancelShoppingList},
				{fail(saga.StepCancelShoppingList, "list is completed"), saga.StepVoidPayment}, voided},
			wantStatus: saga.StatusCanceled, wantReason: "order canceled", wantFailed: []string{"cancelShoppingList: list is completed"}},
		{name: "compensating a failure: no rejectOrder", before: []saga.Reply{authorized, listCreated, fail(saga.StepConfirmPayment, "amount differs")},
			wantChanged: true, after: []move{listDoneEnd},
			wantStatus: saga.StatusCanceled, wantReason: "confirmPayment failed: amount differs"},
		{name: "awaiting rejectOrder: the order stays canceled", before: []saga.Reply{fail(saga.StepAuthorizeCustomer, "disabled")},
			wantChanged: true, after: []move{{ok(saga.StepRejectOrder), saga.StepDone}},
			wantStatus: saga.StatusCanceled, wantReason: "authorizeCustomer failed: disabled"},
		{name: "rejected: rejectOrder found it canceled", before: []saga.Reply{fail(saga.StepAuthorizeCustomer, "disabled"), ok(saga.StepRejectOrder)},
			wantChanged: true, wantStatus: saga.StatusCanceled, wantReason: "authorizeCustomer failed: disabled"},
		{name: "approved: canceled after the saga's work", before: append(slices.Clone(allForward), ok(saga.StepApproveOrder)),
			wantStatus: saga.StatusApproved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t)
			mustHandle(t, s, tt.before...)
			awaited := s.Step()
			if changed := s.Cancel(); changed != tt.wantChanged {
				t.Fatalf("Cancel() = %t, want %t", changed, tt.wantChanged)
			}
			if s.Step() != awaited {
				t.Fatalf("Cancel moved the saga from %s to %s; the reply in flight must come first", awaited, s.Step())
			}
			once := s.State()
			if s.Cancel() || !reflect.DeepEqual(s.State(), once) {
				t.Errorf("a second Cancel changed the saga from %+v to %+v", once, s.State())
			}
			play(t, s, tt.after)
			st := s.State()
			if st.Step != saga.StepDone || st.Status != tt.wantStatus || st.Reason != tt.wantReason || !reflect.DeepEqual(st.CompensationFailures, tt.wantFailed) {
				t.Errorf("end: %s %s reason %q failures %q; want done %s %q %q", st.Step, st.Status, st.Reason, st.CompensationFailures,
					tt.wantStatus, tt.wantReason, tt.wantFailed)
			}
			if st.OrderCanceled != tt.wantChanged {
				t.Errorf("OrderCanceled = %t, want %t", st.OrderCanceled, tt.wantChanged)
			}
			changes := 0
			if tt.wantChanged {
				changes = 1
			}
			if want := int64(1 + len(tt.before) + changes + len(tt.after)); st.Version != want {
				t.Errorf("version = %d, want %d (one per reply acted on and one for the cancel)", st.Version, want)
			}
		})
	}
}

func TestStartCanceled(t *testing.T) {
	s, err := saga.StartCanceled(orderID, customerID, paymentID)
	if err != nil {
		t.Fatal(err)
	}
	want := saga.State{OrderID: orderID, CustomerID: customerID, PaymentID: paymentID, Step: saga.StepDone, Status: saga.StatusCanceled,
		Reason: "order canceled", OrderCanceled: true, Version: 1}
	if got := s.State(); !reflect.DeepEqual(got, want) {
		t.Errorf("state = %+v, want %+v", got, want)
	}
	if s.Cancel() {
		t.Error("Cancel changed a saga canceled before it started")
	}
	for _, r := range []saga.Reply{ok(saga.StepAuthorizeCustomer), fail(saga.StepRejectOrder, "x")} {
		if moved, err := s.Handle(r); moved || err != nil {
			t.Errorf("Handle(%+v) = %t, %v; want it ignored", r, moved, err)
		}
	}
	if _, err := saga.StartCanceled(" ", customerID, paymentID); err == nil {
		t.Error("StartCanceled without an order id succeeded")
	} else {
		domaintest.AssertErr(t, err, saga.ErrIncomplete, domain.ErrInvalid)
	}
}

func TestListCreatedWithoutAnIDIsInvalid(t *testing.T) {
	for _, canceled := range []bool{false, true} {
		s := start(t)
		mustHandle(t, s, ok(saga.StepAuthorizeCustomer))
		if canceled {
			s.Cancel() // the list is still recorded, to be canceled
		}
		before := s.State()
		moved, err := s.Handle(ok(saga.StepCreateShoppingList))
		domaintest.AssertErr(t, err, saga.ErrNoShoppingID, domain.ErrInvalid)
		if moved || !reflect.DeepEqual(s.State(), before) {
			t.Errorf("canceled %t: an invalid reply moved the saga: %t, %+v", canceled, moved, s.State())
		}
	}
}

func TestRehydrateAndStateCopy(t *testing.T) {
	st := saga.State{OrderID: orderID, CustomerID: customerID, PaymentID: paymentID, Items: items, Total: 1998,
		Step: saga.StepVoidPayment, Status: saga.StatusCompensating, ShoppingID: shoppingID, PaymentConfirmed: true,
		Reason: "approveOrder failed: x", CompensationFailures: []string{"cancelShoppingList: y"}, Version: 7,
		UpdatedAt: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	s := saga.Rehydrate(st)
	if got := s.State(); !reflect.DeepEqual(got, st) {
		t.Fatalf("State() = %+v, want %+v", got, st)
	}
	st.Items[0].Quantity = 99
	got := s.State()
	got.CompensationFailures[0] = "changed"
	if s.State().Items[0].Quantity != 2 || s.State().CompensationFailures[0] != "cancelShoppingList: y" {
		t.Error("the saga shares slices with its callers")
	}
	st.Items[0].Quantity = 2
	mustHandle(t, s, ok(saga.StepVoidPayment))
	if s.Step() != saga.StepRejectOrder {
		t.Errorf("rehydrated saga moved to %s, want rejectOrder", s.Step())
	}
}

func TestParseStepAndStatus(t *testing.T) {
	for _, st := range []saga.Step{saga.StepAuthorizeCustomer, saga.StepCreateShoppingList, saga.StepConfirmPayment, saga.StepInitiateShopping,
		saga.StepApproveOrder, saga.StepCancelShoppingList, saga.StepVoidPayment, saga.StepRejectOrder, saga.StepDone} {
		got, err := saga.ParseStep(st.String())
		if err != nil || got != st {
			t.Errorf("ParseStep(%q) = %v, %v", st, got, err)
		}
		wantComp := st == saga.StepCancelShoppingList || st == saga.StepVoidPayment || st == saga.StepRejectOrder
		if st.Compensating() != wantComp {
			t.Errorf("%s.Compensating() = %t, want %t", st, st.Compensating(), wantComp)
		}
	}
	for _, st := range []saga.Status{saga.StatusRunning, saga.StatusCompensating, saga.StatusApproved, saga.StatusRejected, saga.StatusCanceled} {
		got, err := saga.ParseStatus(st.String())
		if err != nil || got != st {
			t.Errorf("ParseStatus(%q) = %v, %v", st, got, err)
		}
	}
	_, err := saga.ParseStep("shop")
	domaintest.AssertErr(t, err, saga.ErrUnknownStep, domain.ErrInvalid)
	_, err = saga.ParseStatus("")
	domaintest.AssertErr(t, err, saga.ErrUnknownStatus, domain.ErrInvalid)
}
