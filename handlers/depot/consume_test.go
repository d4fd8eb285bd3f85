package depot_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/depot"
	"github.com/mallbots/mallbots/events"
	handlers "github.com/mallbots/mallbots/handlers/depot"
)

var ctx = context.Background()

func TestStoreConsumersFillTheCache(t *testing.T) {
	w := newWorld()
	if err := w.h.OnStoreCreated(ctx, events.StoreCreated{StoreID: storeA, Name: "Waffles", Location: "Level 1", Version: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.h.OnStoreRebranded(ctx, events.StoreRebranded{StoreID: storeA, Name: "Crêpes", Version: 2}); err != nil {
		t.Fatal(err)
	}
	want := []call{{"SetStore", []any{storeA, "Waffles", "Level 1", int64(1)}}, {"SetStoreName", []any{storeA, "Crêpes", int64(2)}}}
	if !reflect.DeepEqual(w.cache.calls, want) {
		t.Errorf("cache writes = %v, want %v", w.cache.calls, want)
	}
	w.cache.err = errDatabaseDown
	if err := w.h.OnStoreCreated(ctx, events.StoreCreated{StoreID: storeA}); !errors.Is(err, errDatabaseDown) {
		t.Errorf("err = %v, want the cache's error back for a retry", err)
	}
}

func reply(command string, success bool, reason, shoppingID string) events.CreateOrderReply {
	return events.CreateOrderReply{OrderID: orderID, Command: command, Success: success, Reason: reason, ShoppingID: shoppingID}
}

// assertEvents checks the events published, comparing a failure reply's
// reason by the text it must contain.
func assertEvents(t *testing.T, got, want []events.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("published %d events %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		g, gok := got[i].(events.CreateOrderReply)
		w, wok := want[i].(events.CreateOrderReply)
		if gok && wok && !w.Success {
			if !strings.Contains(g.Reason, w.Reason) || w.Reason == "" {
				t.Errorf("event %d reason %q, want it to contain %q", i, g.Reason, w.Reason)
			}
			g.Reason, w.Reason = "", ""
			got[i], want[i] = g, w
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func createCommand(items ...events.Item) events.CreateShoppingList {
	return events.CreateShoppingList{OrderID: orderID, Items: items}
}

var (
	syrup = events.Item{StoreID: storeA, StoreName: "Waffles", ProductID: productX, ProductName: "Syrup", Price: 499, Quantity: 2}
	bolt  = events.Item{StoreID: storeB, StoreName: "Bolts", ProductID: productY, ProductName: "Bolt", Price: 25, Quantity: 10}
)

func TestOnCreateShoppingListPlansOneStopPerStore(t *testing.T) {
	w := newWorld()
	more := syrup
	more.Quantity = 1
	if err := w.h.OnCreateShoppingList(ctx, createCommand(syrup, bolt, more)); err != nil {
		t.Fatal(err)
	}
	const id = "00000000-0000-4000-8000-000000000001"
	assertEvents(t, w.repo.published(), []events.Event{
		events.ShoppingListCreated{ShoppingID: id, OrderID: orderID, Stops: 2},
		reply(events.CreateShoppingListName, true, "", id),
	})
	l := w.repo.list(id)
	if l == nil || l.Status() != depot.StatusPending || l.OrderID() != orderID {
		t.Fatalf("stored list = %+v, want a pending list of the order", l)
	}
	stops := l.Stops()
	if len(stops) != 2 || stops[0].Store() != waffles || stops[1].Store() != bolts {
		t.Fatalf("stops = %+v, want Waffles then Bolts with their cached names and locations", stops)
	}
	if items := stops[0].Items(); !reflect.DeepEqual(items, []depot.Item{{ProductID: productX, ProductName: "Syrup", Quantity: 3}}) {
		t.Errorf("Waffles items = %+v, want 3 Syrup", items)
	}

	// The saga asks again under a new message ID: the same reply, nothing else.
	if err := w.h.OnCreateShoppingList(ctx, createCommand(bolt)); err != nil {
		t.Fatal(err)
	}
	if got := w.repo.published(); len(got) != 3 || !reflect.DeepEqual(got[2], reply(events.CreateShoppingListName, true, "", id)) {
		t.Errorf("after a repeated command published %+v, want the first reply repeated", got)
	}
	if n := w.repo.count(); n != 1 {
		t.Errorf("%d lists, want 1 per order", n)
	}
}

func TestOnCreateShoppingListRefusesWhatCannotBeShopped(t *testing.T) {
	for _, tc := range []struct {
		name   string
		items  []events.Item
		reason string
	}{
		{"no items", nil, "at least one item"},
		{"zero quantity", []events.Item{{StoreID: storeA, ProductID: productX, Quantity: 0}}, "quantity must be greater than zero"},
		{"blank store", []events.Item{syrup, {ProductID: productY, Quantity: 1}}, "store id is required: item 2"},
		{"blank product", []events.Item{{StoreID: storeA, Quantity: 1}}, "product id is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			if err := w.h.OnCreateShoppingList(ctx, createCommand(tc.items...)); err != nil {
				t.Fatalf("err = %v, want a refusal reply instead", err)
			}
			assertEvents(t, w.repo.published(), []events.Event{reply(events.CreateShoppingListName, false, tc.reason, "")})
			if n := w.repo.count(); n != 0 {
				t.Errorf("%d lists stored, want none", n)
			}
		})
	}
}

func TestOnCreateShoppingListWaitsForUnknownStores(t *testing.T) {
	w := newWorld()
	unknown := events.Item{StoreID: storeNew, ProductID: productX, ProductName: "Pie", Quantity: 1}
	err := w.h.OnCreateShoppingList(ctx, createCommand(syrup, unknown))
	if !errors.Is(err, domain.ErrNotFound) || !strings.Contains(err.Error(), storeNew) {
		t.Fatalf("err = %v, want ErrNotFound naming store %s (retried until it is cached)", err, storeNew)
	}
	if got := w.repo.published(); len(got) != 0 || w.repo.count() != 0 {
		t.Fatalf("published %v and stored %d lists, want nothing", got, w.repo.count())
	}

	// StoreCreated lands; the retry succeeds.
	if err := w.cache.SetStore(ctx, storeNew, "Pies", "Level 3", 1); err != nil {
		t.Fatal(err)
	}
	if err := w.h.OnCreateShoppingList(ctx, createCommand(syrup, unknown)); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := w.repo.published(); len(got) != 2 {
		t.Errorf("published %+v, want ShoppingListCreated and the reply", got)
	}
}

func TestOnCreateShoppingListRetriesInfrastructureFailures(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sabotage func(*world)
	}{
		{"cache down", func(w *world) { w.cache.err = errDatabaseDown }},
		{"lookup by order fails", func(w *world) { w.repo.failNext = errDatabaseDown }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			tc.sabotage(w)
			if err := w.h.OnCreateShoppingList(ctx, createCommand(syrup)); !errors.Is(err, errDatabaseDown) {
				t.Errorf("err = %v, want the failure back for a retry", err)
			}
			if got := w.repo.published(); len(got) != 0 {
				t.Errorf("published %+v, want no reply for an infrastructure failure", got)
			}
		})
	}
}

// sagaCase is one saga command on a seeded list and what it must publish.
type sagaCase struct {
	name       string
	from       depot.Status // zero: no list
	picked     bool
	orderID    string // default orderID
	shoppingID string // default listID
	want       []events.Event
	wantStatus depot.Status // default from
}

func runSagaCases(t *testing.T, cases []sagaCase, consume func(w *world, tc sagaCase) error) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			if tc.from != (depot.Status{}) {
				w.seed(tc.from, tc.picked)
			}
			if tc.orderID == "" {
				tc.orderID = orderID
			}
			if tc.shoppingID == "" {
				tc.shoppingID = listID
			}
			if err := consume(w, tc); err != nil {
				t.Fatalf("err = %v, want it handled", err)
			}
			assertEvents(t, w.repo.published(), tc.want)
			want := tc.wantStatus
			if want == (depot.Status{}) {
				want = tc.from
			}
			if l := w.repo.list(listID); l != nil && l.Status() != want {
				t.Errorf("list is %s, want %s", l.Status(), want)
			}
		})
	}
}

func TestOnInitiateShopping(t *testing.T) {
	ok := reply(events.InitiateShoppingName, true, "", "")
	runSagaCases(t, []sagaCase{
		{name: "pending becomes available", from: depot.StatusPending, wantStatus: depot.StatusAvailable,
			want: []events.Event{events.ShoppingListAvailable{ShoppingID: listID, OrderID: orderID}, ok}},
		{name: "available again: same reply, no event", from: depot.StatusAvailable, want: []events.Event{ok}},
		{name: "a bot has it already", from: depot.StatusAssigned, want: []events.Event{ok}},
		{name: "canceled is refused", from: depot.StatusCanceled,
			want: []events.Event{reply(events.InitiateShoppingName, false, "shopping list is canceled", "")}},
		{name: "unknown list is refused",
			want: []events.Event{reply(events.InitiateShoppingName, false, "shopping list "+listID, "")}},
		{name: "another order's list is refused", from: depot.StatusPending, orderID: order2ID,
			want: []events.Event{events.CreateOrderReply{OrderID: order2ID, Command: events.InitiateShoppingName, Reason: "for another order"}}},
	}, func(w *world, tc sagaCase) error {
		return w.h.OnInitiateShopping(ctx, events.InitiateShopping{OrderID: tc.orderID, ShoppingID: tc.shoppingID})
	})
}

func TestOnCancelShoppingList(t *testing.T) {
	ok := reply(events.CancelShoppingListName, true, "", "")
	canceled := events.ShoppingListCanceled{ShoppingID: listID, OrderID: orderID}
	runSagaCases(t, []sagaCase{
		{name: "pending", from: depot.StatusPending, wantStatus: depot.StatusCanceled, want: []events.Event{canceled, ok}},
		{name: "available", from: depot.StatusAvailable, wantStatus: depot.StatusCanceled, want: []events.Event{canceled, ok}},
		{name: "assigned", from: depot.StatusAssigned, wantStatus: depot.StatusCanceled, want: []events.Event{canceled, ok}},
		{name: "canceled again: success, no event", from: depot.StatusCanceled, want: []events.Event{ok}},
		{name: "no such list: nothing to undo", want: []events.Event{ok}},
		{name: "found by order when the command has no list ID", from: depot.StatusPending, shoppingID: "-",
			wantStatus: depot.StatusCanceled, want: []events.Event{canceled, ok}},
		{name: "no list for the order and no list ID", shoppingID: "-", want: []events.Event{ok}},
		{name: "completed is refused", from: depot.StatusCompleted, picked: true,
			want: []events.Event{reply(events.CancelShoppingListName, false, "shopping list is completed", "")}},
		{name: "another order's list is refused", from: depot.StatusAvailable, orderID: order2ID,
			want: []events.Event{events.CreateOrderReply{OrderID: order2ID, Command: events.CancelShoppingListName, Reason: "for another order"}}},
	}, func(w *world, tc sagaCase) error {
		if tc.shoppingID == "-" {
			tc.shoppingID = ""
		}
		return w.h.OnCancelShoppingList(ctx, events.CancelShoppingList{OrderID: tc.orderID, ShoppingID: tc.shoppingID, Reason: "payment failed"})
	})
}

func TestOnCancelShoppingListFreesTheBot(t *testing.T) {
	w := newWorld()
	w.seed(depot.StatusAssigned, false)
	if err := w.h.OnCancelShoppingList(ctx, events.CancelShoppingList{OrderID: orderID, ShoppingID: listID}); err != nil {
		t.Fatal(err)
	}
	if b := w.repo.bot(botID); b.Status() != depot.BotIdle || b.ShoppingID() != "" {
		t.Errorf("bot = %s %q, want idle", b.Status(), b.ShoppingID())
	}
}

func TestSagaCommandsRetryInfrastructureFailures(t *testing.T) {
	for name, consume := range map[string]func(h *handlers.Handlers) error{
		"InitiateShopping": func(h *handlers.Handlers) error {
			return h.OnInitiateShopping(ctx, events.InitiateShopping{OrderID: orderID, ShoppingID: listID})
		},
		"CancelShoppingList": func(h *handlers.Handlers) error {
			return h.OnCancelShoppingList(ctx, events.CancelShoppingList{OrderID: orderID, ShoppingID: listID})
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld()
			w.seed(depot.StatusPending, false)
			w.repo.failNext = errDatabaseDown
			if err := consume(w.h); !errors.Is(err, errDatabaseDown) {
				t.Errorf("err = %v, want the failure back for a retry", err)
			}
			if got := w.repo.published(); len(got) != 0 {
				t.Errorf("published %+v, want no reply", got)
			}
		})
	}
}

func TestOnOrderCanceled(t *testing.T) {
	canceled := events.ShoppingListCanceled{ShoppingID: listID, OrderID: orderID}
	runSagaCases(t, []sagaCase{
		{name: "pending", from: depot.StatusPending, wantStatus: depot.StatusCanceled, want: []events.Event{canceled}},
		{name: "available", from: depot.StatusAvailable, wantStatus: depot.StatusCanceled, want: []events.Event{canceled}},
		{name: "assigned", from: depot.StatusAssigned, wantStatus: depot.StatusCanceled, want: []events.Event{canceled}},
		{name: "canceled already", from: depot.StatusCanceled, want: []events.Event{}},
		{name: "the saga had not created a list", want: []events.Event{}},
		{name: "completed stays completed", from: depot.StatusCompleted, picked: true, want: []events.Event{}},
	}, func(w *world, tc sagaCase) error {
		return w.h.OnOrderCanceled(ctx, events.OrderCanceled{OrderID: orderID, ShoppingID: listID})
	})
}

func TestOnOrderCanceledLogsACompletedList(t *testing.T) {
	w := newWorld()
	w.seed(depot.StatusCompleted, true)
	msgCtx := correlation.With(ctx, correlation.IDs{CorrelationID: "corr-7", CausationID: "msg-7"})
	if err := w.h.OnOrderCanceled(msgCtx, events.OrderCanceled{OrderID: orderID}); err != nil {
		t.Fatal(err)
	}
	log := w.log.String()
	for _, want := range []string{"order canceled after its shopping list was completed", "order_id=" + orderID, "correlation_id=corr-7", "service=depot"} {
		if !strings.Contains(log, want) {
			t.Errorf("log = %q, want it to contain %q", log, want)
		}
	}
	if got := w.repo.published(); len(got) != 0 {
		t.Errorf("published %+v, want nothing", got)
	}
	w.log.Reset()
	w.repo.failNext = errDatabaseDown
	if err := w.h.OnOrderCanceled(ctx, events.OrderCanceled{OrderID: orderID}); !errors.Is(err, errDatabaseDown) {
		t.Errorf("err = %v, want the failure back for a retry", err)
	}
}

func TestServiceIdentity(t *testing.T) {
	if handlers.Service != "depot" {
		t.Errorf("Service = %q", handlers.Service)
	}
	var names []string
	for _, e := range handlers.Publishes {
		names = append(names, e.EventName())
	}
	want := []string{events.ShoppingListCreatedName, events.ShoppingListAvailableName, events.ShoppingListAssignedName,
		events.ShoppingListCompletedName, events.ShoppingListCanceledName, events.CreateOrderReplyName}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("Publishes = %v, want %v", names, want)
	}
}
