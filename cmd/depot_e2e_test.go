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
	"github.com/mallbots/mallbots/internal/testkit"
)

// depotAwait returns the next message on tap whose JSON body decodes into a
// T that match accepts, failing the test after 10s.
func depotAwait[T any](t *testing.T, tap <-chan amqp.Delivery, what string, match func(T) bool) T {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case d := <-tap:
			var v T
			if err := json.Unmarshal(d.Body, &v); err == nil && match(v) {
				return v
			}
		case <-deadline:
			t.Fatalf("no %s within 10s", what)
		}
	}
}

// depotReply waits for the depot's reply to command for order.
func depotReply(t *testing.T, tap <-chan amqp.Delivery, order, command string) events.CreateOrderReply {
	t.Helper()
	return depotAwait(t, tap, command+" reply for order "+order, func(r events.CreateOrderReply) bool {
		return r.OrderID == order && r.Command == command
	})
}

// depotPublished counts what the depot wrote to its outbox (the retained
// event log) on topic about order; for saga replies, only those answering
// command when command is not empty.
func depotPublished(s *system, topic, order, command string) int {
	s.t.Helper()
	return s.count(`SELECT count(*) FROM depot.watermill_outbox,
		LATERAL (SELECT convert_from(decode(payload->>'payload', 'base64'), 'UTF8')::jsonb AS body) e
		WHERE payload->>'destination_topic' = $1 AND e.body->>'orderId' = $2 AND ($3 = '' OR e.body->>'command' = $3)`,
		topic, order, command)
}

// depotHandled waits until the depot's handler recorded message id in its
// inbox: the message was handled and committed. Each handler takes its
// queue's messages one at a time, in order, so every message published to
// that queue before id has been handled (or poisoned) too.
func depotHandled(t *testing.T, s *system, handler, id string) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, handler+" handled message "+id, func() bool {
		return s.count("SELECT count(*) FROM depot.inbox WHERE handler = $1 AND message_id = $2", handler, id) == 1
	})
}

// depotCreateStore creates a store over HTTP and waits until the depot's
// cache holds it.
func depotCreateStore(t *testing.T, s *system, name, location string) string {
	t.Helper()
	id := s.mustCreate("/api/stores", fmt.Sprintf(`{"name":%q,"location":%q}`, name, location), nil)
	testkit.Eventually(t, 10*time.Second, "the depot caches store "+name, func() bool {
		return s.count("SELECT count(*) FROM depot.stores_cache WHERE id = $1 AND name = $2 AND location = $3", id, name, location) == 1
	})
	return id
}

// depotMust sends a request and fails unless it is answered with status.
func depotMust(t *testing.T, s *system, method, path, body string, status int) map[string]any {
	t.Helper()
	got, out, _ := s.do(method, path, body, nil)
	if got != status {
		t.Fatalf("%s %s = %d %v, want %d", method, path, got, out, status)
	}
	return out
}

func depotItem(storeID, name string, qty int) events.Item {
	return events.Item{StoreID: storeID, ProductID: uuid.NewString(), ProductName: name, Price: 100, Quantity: qty}
}

func TestDepotEndToEndShoppingTrip(t *testing.T) {
	s := startSystem(t, "stores", "depot")
	replies := s.tap(events.CreateOrderReplyName)
	completed := s.tap(events.ShoppingListCompletedName)
	parts := depotCreateStore(t, s, "Robo Parts", "Level 1")
	snacks := depotCreateStore(t, s, "Snacks", "Level 2")

	// CreateShoppingList, delivered twice, then sent again under a new ID
	// for the same order: one list, one ShoppingListCreated, and the reply
	// repeated only for the new message.
	order := uuid.NewString()
	create := events.CreateShoppingList{OrderID: order, Items: []events.Item{
		depotItem(parts, "Servo", 2), depotItem(snacks, "Chips", 1), depotItem(parts, "Gear", 5),
	}}
	first := s.publish(create, "")
	s.publish(create, first)
	again := s.publish(create, "")
	r := depotReply(t, replies, order, events.CreateShoppingListName)
	if !r.Success || r.ShoppingID == "" {
		t.Fatalf("CreateShoppingList reply = %+v, want success with the list's ID", r)
	}
	shoppingID := r.ShoppingID
	if r2 := depotReply(t, replies, order, events.CreateShoppingListName); !r2.Success || r2.ShoppingID != shoppingID {
		t.Errorf("reply to the repeated command = %+v, want success with %s", r2, shoppingID)
	}
	depotHandled(t, s, "depot.OnCreateShoppingList", again)
	if n := s.count("SELECT count(*) FROM depot.shopping_lists WHERE order_id = $1", order); n != 1 {
		t.Errorf("%d lists for the order, want 1", n)
	}
	if n := depotPublished(s, events.ShoppingListCreatedName, order, ""); n != 1 {
		t.Errorf("%d ShoppingListCreated, want 1", n)
	}
	if n := depotPublished(s, events.CreateOrderReplyName, order, events.CreateShoppingListName); n != 2 {
		t.Errorf("%d CreateShoppingList replies, want 2 (one per distinct message)", n)
	}

	out := depotMust(t, s, "GET", "/api/depot/shopping/"+shoppingID, "", 200)
	list := out["shoppingList"].(map[string]any)
	stops := list["stops"].([]any)
	if list["status"] != "pending" || len(stops) != 2 {
		t.Fatalf("list = %v, want pending with a stop per store", list)
	}
	if st := stops[0].(map[string]any); st["storeId"] != parts || st["storeName"] != "Robo Parts" || st["storeLocation"] != "Level 1" || len(st["items"].([]any)) != 2 {
		t.Errorf("first stop = %v, want Robo Parts on Level 1 with its 2 items", st)
	}

	// InitiateShopping, delivered twice and sent again: available once.
	initiate := events.InitiateShopping{OrderID: order, ShoppingID: shoppingID}
	id := s.publish(initiate, "")
	s.publish(initiate, id)
	again = s.publish(initiate, "")
	for range 2 {
		if r := depotReply(t, replies, order, events.InitiateShoppingName); !r.Success {
			t.Errorf("InitiateShopping reply = %+v, want success", r)
		}
	}
	depotHandled(t, s, "depot.OnInitiateShopping", again)
	if n := depotPublished(s, events.ShoppingListAvailableName, order, ""); n != 1 {
		t.Errorf("%d ShoppingListAvailable, want 1", n)
	}
	if n := depotPublished(s, events.CreateOrderReplyName, order, events.InitiateShoppingName); n != 2 {
		t.Errorf("%d InitiateShopping replies, want 2", n)
	}

	// A bot registers, claims the list, picks up each stop and completes it.
	bot := s.mustCreate("/api/depot/bots", `{"name":"R2"}`, nil)
	out = depotMust(t, s, "POST", "/api/depot/bots/"+bot+"/claim", "", 200)
	if l := out["shoppingList"].(map[string]any); l["id"] != shoppingID || l["status"] != "assigned" || l["botId"] != bot {
		t.Fatalf("claimed %v, want list %s assigned to bot %s", l, shoppingID, bot)
	}
	depotMust(t, s, "POST", "/api/depot/bots/"+bot+"/claim", "", 409)
	for _, store := range []string{parts, snacks} {
		depotMust(t, s, "PUT", "/api/depot/shopping/"+shoppingID+"/stops/"+store+"/pickup", "", 200)
	}
	depotMust(t, s, "PUT", "/api/depot/shopping/"+shoppingID+"/complete", "", 200)
	depotMust(t, s, "PUT", "/api/depot/shopping/"+shoppingID+"/complete", "", 200) // a repeated request
	done := depotAwait(t, completed, "ShoppingListCompleted", func(e events.ShoppingListCompleted) bool { return e.ShoppingID == shoppingID })
	if done.OrderID != order {
		t.Errorf("ShoppingListCompleted = %+v, want order %s", done, order)
	}
	if n := depotPublished(s, events.ShoppingListCompletedName, order, ""); n != 1 {
		t.Errorf("%d ShoppingListCompleted after completing twice, want 1", n)
	}
	out = depotMust(t, s, "GET", "/api/depot/bots/"+bot, "", 200)
	if b := out["bot"].(map[string]any); b["status"] != "idle" || b["shoppingId"] != "" {
		t.Errorf("bot after completing = %v, want idle", b)
	}
	depotMust(t, s, "POST", "/api/depot/shopping/"+shoppingID, "", 409) // a completed list stays completed
	depotMust(t, s, "POST", "/api/depot/bots/"+bot+"/claim", "", 404)

	// Bots racing for work over HTTP: each available list goes to one bot.
	var available []string
	for range 3 {
		o := uuid.NewString()
		s.publish(events.CreateShoppingList{OrderID: o, Items: []events.Item{depotItem(parts, "Servo", 1)}}, "")
		id := depotReply(t, replies, o, events.CreateShoppingListName).ShoppingID
		s.publish(events.InitiateShopping{OrderID: o, ShoppingID: id}, "")
		depotReply(t, replies, o, events.InitiateShoppingName)
		available = append(available, id)
	}
	var bots []string
	for i := range 6 {
		bots = append(bots, s.mustCreate("/api/depot/bots", fmt.Sprintf(`{"name":"racer %d"}`, i), nil))
	}
	type claimed struct {
		status int
		list   string
		err    error
	}
	results := make(chan claimed, len(bots))
	for _, b := range bots {
		// Not s.do: it fails the test, which only the test's goroutine may.
		go func() {
			resp, err := http.Post(s.base+"/api/depot/bots/"+b+"/claim", "", nil)
			if err != nil {
				results <- claimed{err: err}
				return
			}
			defer resp.Body.Close()
			var out struct {
				ShoppingList struct {
					ID string `json:"id"`
				} `json:"shoppingList"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&out)
			results <- claimed{status: resp.StatusCode, list: out.ShoppingList.ID}
		}()
	}
	got := map[string]int{}
	for range bots {
		c := <-results
		if c.err != nil {
			t.Fatalf("claim: %v", c.err)
		}
		got[fmt.Sprint(c.status)]++
		if c.status == 200 {
			got[c.list]++
		}
	}
	for _, id := range available {
		if got[id] != 1 {
			t.Errorf("list %s was claimed %d times, want once", id, got[id])
		}
	}
	if got["200"] != 3 || got["404"] != 3 {
		t.Errorf("claim answers %v, want three 200 and three 404", got)
	}

	// Bad input is a problem, never a 500.
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"PUT", "/api/depot/shopping/" + shoppingID + "/assign", `{"botId":"r2\u0000"}`, 422},
		{"PUT", "/api/depot/shopping/" + shoppingID + "/assign", `{"botId":""}`, 422},
		{"PUT", "/api/depot/shopping/" + shoppingID + "/assign", `{"botId":"r2"}`, 409}, // completed: not available
		{"GET", "/api/depot/bots/r2", "", 404},                                          // so r2 was not registered
		{"PUT", "/api/depot/shopping/" + uuid.NewString() + "/complete", "", 404},
		{"GET", "/api/depot/shopping/nope", "", 400},
		{"GET", "/api/depot/shopping?status=lost", "", 400},
		{"POST", "/api/depot/bots", `{"name":""}`, 422},
	} {
		status, out, hdr := s.do(tc.method, tc.path, tc.body, nil)
		if status != tc.want || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s %s = %d (%s) %v, want %d problem+json", tc.method, tc.path, status, hdr.Get("Content-Type"), out, tc.want)
		}
	}
}

func TestDepotEndToEndCancellations(t *testing.T) {
	s := startSystem(t, "stores", "depot")
	replies := s.tap(events.CreateOrderReplyName)
	store := depotCreateStore(t, s, "Robo Parts", "Level 1")
	newList := func() (order, shoppingID string) {
		order = uuid.NewString()
		s.publish(events.CreateShoppingList{OrderID: order, Items: []events.Item{depotItem(store, "Servo", 1)}}, "")
		r := depotReply(t, replies, order, events.CreateShoppingListName)
		if !r.Success {
			t.Fatalf("CreateShoppingList reply = %+v", r)
		}
		return order, r.ShoppingID
	}
	status := func(id string) string {
		out := depotMust(t, s, "GET", "/api/depot/shopping/"+id, "", 200)
		return out["shoppingList"].(map[string]any)["status"].(string)
	}

	t.Run("CancelShoppingList (saga compensation)", func(t *testing.T) {
		order, shoppingID := newList()
		cancel := events.CancelShoppingList{OrderID: order, ShoppingID: shoppingID, Reason: "payment declined"}
		id := s.publish(cancel, "")
		s.publish(cancel, id)
		again := s.publish(cancel, "")
		for range 2 {
			if r := depotReply(t, replies, order, events.CancelShoppingListName); !r.Success {
				t.Errorf("CancelShoppingList reply = %+v, want success", r)
			}
		}
		depotHandled(t, s, "depot.OnCancelShoppingList", again)
		if got := status(shoppingID); got != "canceled" {
			t.Errorf("list is %s, want canceled", got)
		}
		if n := depotPublished(s, events.ShoppingListCanceledName, order, ""); n != 1 {
			t.Errorf("%d ShoppingListCanceled, want 1", n)
		}
		if n := depotPublished(s, events.CreateOrderReplyName, order, events.CancelShoppingListName); n != 2 {
			t.Errorf("%d CancelShoppingList replies, want 2", n)
		}
		// InitiateShopping after compensation is refused with the reason.
		s.publish(events.InitiateShopping{OrderID: order, ShoppingID: shoppingID}, "")
		if r := depotReply(t, replies, order, events.InitiateShoppingName); r.Success || !strings.Contains(r.Reason, "canceled") {
			t.Errorf("InitiateShopping of a canceled list: reply %+v, want a failure saying it is canceled", r)
		}
	})

	t.Run("OrderCanceled frees the bot", func(t *testing.T) {
		order, shoppingID := newList()
		s.publish(events.InitiateShopping{OrderID: order, ShoppingID: shoppingID}, "")
		depotReply(t, replies, order, events.InitiateShoppingName)
		bot := s.mustCreate("/api/depot/bots", `{"name":"C3"}`, nil)
		depotMust(t, s, "PUT", "/api/depot/shopping/"+shoppingID+"/assign", `{"botId":"`+bot+`"}`, 200)

		canceled := events.OrderCanceled{OrderID: order, CustomerID: uuid.NewString(), PaymentID: uuid.NewString(), ShoppingID: shoppingID}
		id := s.publish(canceled, "")
		s.publish(canceled, id)
		again := s.publish(canceled, "")
		depotHandled(t, s, "depot.OnOrderCanceled", again)
		if got := status(shoppingID); got != "canceled" {
			t.Errorf("list is %s, want canceled", got)
		}
		if n := depotPublished(s, events.ShoppingListCanceledName, order, ""); n != 1 {
			t.Errorf("%d ShoppingListCanceled, want 1", n)
		}
		out := depotMust(t, s, "GET", "/api/depot/bots/"+bot, "", 200)
		if b := out["bot"].(map[string]any); b["status"] != "idle" {
			t.Errorf("bot = %v, want idle again", b)
		}
	})

	t.Run("OrderCanceled before the saga created a list", func(t *testing.T) {
		all := func() int { return s.count("SELECT count(*) FROM depot.watermill_outbox") }
		before := all()
		id := s.publish(events.OrderCanceled{OrderID: uuid.NewString(), CustomerID: uuid.NewString(), PaymentID: uuid.NewString()}, "")
		depotHandled(t, s, "depot.OnOrderCanceled", id)
		if after := all(); after != before {
			t.Errorf("the depot published %d events for an order it has no list of, want none", after-before)
		}
	})
}

func TestDepotEndToEndShoppingListWaitsForItsStore(t *testing.T) {
	s := startSystem(t, "depot")
	replies := s.tap(events.CreateOrderReplyName)
	conn, err := amqp.Dial(s.amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("retried until StoreCreated lands", func(t *testing.T) {
		store, order := uuid.NewString(), uuid.NewString()
		s.publish(events.CreateShoppingList{OrderID: order, Items: []events.Item{depotItem(store, "Pie", 1)}}, "")
		// The consumer has the command and, with the store unknown, fails
		// it; the router retries it with backoff.
		testkit.Eventually(t, 10*time.Second, "the command is taken off its queue", func() bool {
			q, err := ch.QueueDeclarePassive("depot.OnCreateShoppingList", true, false, false, false, nil)
			return err == nil && q.Messages == 0
		})
		if n := s.count("SELECT count(*) FROM depot.shopping_lists WHERE order_id = $1", order); n != 0 {
			t.Fatalf("a list was created before its store was known")
		}
		s.publish(events.StoreCreated{StoreID: store, Name: "Pies", Location: "Level 3", Version: 1}, "")
		r := depotReply(t, replies, order, events.CreateShoppingListName)
		if !r.Success {
			t.Fatalf("reply = %+v, want success once the store is known", r)
		}
		out := depotMust(t, s, "GET", "/api/depot/shopping/"+r.ShoppingID, "", 200)
		stop := out["shoppingList"].(map[string]any)["stops"].([]any)[0].(map[string]any)
		if stop["storeName"] != "Pies" || stop["storeLocation"] != "Level 3" {
			t.Errorf("stop = %v, want the store's cached name and location", stop)
		}
	})

	t.Run("poisoned with the reason when it never lands", func(t *testing.T) {
		store, order := uuid.NewString(), uuid.NewString()
		id := s.publish(events.CreateShoppingList{OrderID: order, Items: []events.Item{depotItem(store, "Pie", 1)}}, "")
		var d amqp.Delivery
		testkit.Eventually(t, 20*time.Second, "the command reaches depot.poison", func() bool {
			var ok bool
			d, ok, err = ch.Get(broker.PoisonName("depot"), true)
			if err != nil {
				t.Fatalf("get from depot.poison: %v", err)
			}
			return ok
		})
		str := func(k string) string { v, _ := d.Headers[k].(string); return v }
		if got := str(broker.MessageIDKey); got != id {
			t.Errorf("poisoned message %s, want %s", got, id)
		}
		if got := str(broker.HandlerPoisonedKey); got != "depot.OnCreateShoppingList" {
			t.Errorf("handler_poisoned = %q", got)
		}
		if r := str(broker.ReasonPoisonedKey); !strings.Contains(r, "store is not known to the depot yet: store "+store) {
			t.Errorf("reason_poisoned = %q, want it to name the unknown store", r)
		}
		if n := depotPublished(s, events.CreateOrderReplyName, order, ""); n != 0 {
			t.Errorf("%d replies to a poisoned command, want none", n)
		}
	})
}
