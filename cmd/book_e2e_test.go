package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
)

// bookStep is one HTTP request of the book's client ("Event-Driven
// Architecture in Golang", chapter 12: the REST gateway of each module's
// api.annotations.yaml and the go-swagger clients generated from it),
// written as that client sends it. A {name} in the path or body is a value an
// earlier step saved.
type bookStep struct {
	op           string // the book's operationId
	method, path string
	body         string // the JSON body, as the book's client sends it
	// save maps a name to a dotted path into the answer ("order.shoppingId")
	// whose value later steps use as {name}.
	save map[string]string
	// retryOn is the status the step is repeated on until it succeeds: the
	// mall is eventually consistent, and the book's client has to wait for
	// it like any other (baskets answer 422 until the store, product,
	// customer and payment events reach their cache; orders 404 until BasketCheckedOut
	// has created the order; payments 404 until OrderReadied has created the
	// invoice).
	retryOn int
	// until, on a GET of the order, repeats the step until the order has
	// this status: the saga, the depot and payments act on their own time.
	until string
}

// bookFlow is the book's whole order sequence, in the book's order and with
// its routes, methods and bodies: staff set up two stores, a customer shops
// and checks out, a bot the client calls "bot-1" shops the order (assign,
// then complete: the book's bots report no stops), and the customer pays.
// Bodies of routes whose only field is in the path are "{}", as the
// gateway's `body: "*"` makes the book's client send them. Creates answer
// {"id": …}; the order, whose ID is the basket's, says where the list and the
// invoice are (shoppingId, invoiceId).
var bookFlow = []bookStep{
	{op: "createStore", method: "POST", path: "/api/stores",
		body: `{"name":"Waffle World","location":"Level 1"}`, save: map[string]string{"store1": "id"}},
	{op: "addProduct", method: "POST", path: "/api/stores/{store1}/products",
		body: `{"name":"Maple syrup","description":"Grade A","sku":"SYR-1","price":7.25}`, save: map[string]string{"syrup": "id"}},
	{op: "enableParticipation", method: "PUT", path: "/api/stores/{store1}/participating", body: `{}`},
	{op: "createStore", method: "POST", path: "/api/stores",
		body: `{"name":"Bolt & Nut Tea","location":"Level 2"}`, save: map[string]string{"store2": "id"}},
	{op: "addProduct", method: "POST", path: "/api/stores/{store2}/products",
		body: `{"name":"Green tea","description":"Hot","sku":"TEA-1","price":3}`, save: map[string]string{"tea": "id"}},
	{op: "enableParticipation", method: "PUT", path: "/api/stores/{store2}/participating", body: `{}`},
	{op: "registerCustomer", method: "POST", path: "/api/customers",
		body: `{"name":"Ada Lovelace","smsNumber":"+15555550100"}`, save: map[string]string{"customer": "id"}},
	{op: "startBasket", method: "POST", path: "/api/baskets",
		body: `{"customerId":"{customer}"}`, save: map[string]string{"basket": "id"}, retryOn: http.StatusUnprocessableEntity},
	{op: "addItem", method: "PUT", path: "/api/baskets/{basket}/addItem",
		body: `{"productId":"{syrup}","quantity":2}`, retryOn: http.StatusUnprocessableEntity},
	{op: "addItem", method: "PUT", path: "/api/baskets/{basket}/addItem",
		body: `{"productId":"{tea}","quantity":1}`, retryOn: http.StatusUnprocessableEntity},
	{op: "authorizePayment", method: "POST", path: "/api/payments",
		body: `{"customerId":"{customer}","amount":17.5}`, save: map[string]string{"payment": "id"}},
	{op: "checkoutBasket", method: "PUT", path: "/api/baskets/{basket}/checkout", body: `{"paymentId":"{payment}"}`,
		retryOn: http.StatusUnprocessableEntity},
	{op: "getOrder", method: "GET", path: "/api/ordering/{basket}", until: "approved",
		save: map[string]string{"shopping": "order.shoppingId"}, retryOn: http.StatusNotFound},
	{op: "assignShoppingList", method: "PUT", path: "/api/depot/shopping/{shopping}/assign", body: `{"botId":"bot-1"}`},
	{op: "completeShoppingList", method: "PUT", path: "/api/depot/shopping/{shopping}/complete", body: `{}`},
	{op: "getOrder", method: "GET", path: "/api/ordering/{basket}", until: "ready",
		save: map[string]string{"invoice": "order.invoiceId"}},
	{op: "payInvoice", method: "PUT", path: "/api/payments/invoices/{invoice}/pay", body: `{}`, retryOn: http.StatusNotFound},
	{op: "getOrder", method: "GET", path: "/api/ordering/{basket}", until: "completed"},
}

var bookPlaceholder = regexp.MustCompile(`\{(\w+)\}`)

// TestBookClientFinishesAnOrder runs the book's client sequence verbatim
// against the real serve and follows the order to completed; then checks
// what the depot made of the book's bot.
func TestBookClientFinishesAnOrder(t *testing.T) {
	s := startSystem(t)
	saved := map[string]string{}
	fill := func(text string) string {
		return bookPlaceholder.ReplaceAllStringFunc(text, func(m string) string {
			name := m[1 : len(m)-1]
			v, ok := saved[name]
			if !ok {
				t.Fatalf("%s is used before a step saved it", m)
			}
			return v
		})
	}
	for i, st := range bookFlow {
		path, body := fill(st.path), fill(st.body)
		var status int
		var out map[string]any
		var raw string
		testkit.Eventually(t, 30*time.Second, fmt.Sprintf("step %d %s: %s %s %s answered", i+1, st.op, st.method, path, body), func() bool {
			status, out, raw = bookRequest(t, s.base, st.method, path, body)
			switch {
			case status == st.retryOn && st.retryOn != 0:
				return false
			case status/100 != 2:
				t.Fatalf("step %d %s: %s %s %s = %d %s", i+1, st.op, st.method, path, body, status, raw)
			}
			return st.until == "" || bookField(out, "order.status") == st.until
		})
		for name, field := range st.save {
			v := bookField(out, field)
			if v == "" {
				t.Fatalf("step %d %s: the answer has no %s: %s", i+1, st.op, field, raw)
			}
			saved[name] = v
		}
	}

	// What the depot made of the book's bot: registered on first use under
	// its external ID, found by it, idle again, and the list completed with
	// every stop picked up for it.
	status, out, raw := bookRequest(t, s.base, "GET", "/api/depot/bots/bot-1", "")
	bot, _ := out["bot"].(map[string]any)
	if status != http.StatusOK || bot["externalId"] != "bot-1" || bot["status"] != "idle" || bot["shoppingId"] != "" {
		t.Fatalf("GET /api/depot/bots/bot-1 = %d %s, want the idle bot with external ID bot-1", status, raw)
	}
	_, out, raw = bookRequest(t, s.base, "GET", "/api/depot/shopping/"+saved["shopping"], "")
	list, _ := out["shoppingList"].(map[string]any)
	stops, _ := list["stops"].([]any)
	if list["status"] != "completed" || list["botId"] != bot["id"] || len(stops) != 2 {
		t.Fatalf("shopping list = %s, want completed by bot %v with two stops", raw, bot["id"])
	}
	for _, st := range stops {
		if st.(map[string]any)["pickedUp"] != true {
			t.Errorf("stop %v not picked up", st)
		}
	}
	// The book's client may repeat a complete it got no answer to: it
	// succeeds, and the order is readied once.
	if status, _, raw := bookRequest(t, s.base, "PUT", "/api/depot/shopping/"+saved["shopping"]+"/complete", "{}"); status != http.StatusOK {
		t.Errorf("completing the list again = %d %s, want 200", status, raw)
	}
	if n := depotPublished(s, events.ShoppingListCompletedName, saved["basket"], ""); n != 1 {
		t.Errorf("%d ShoppingListCompleted for the order, want 1", n)
	}
}

// bookRequest sends one request with the headers the book's go-swagger
// client sends and returns the status, the decoded JSON answer and its text.
func bookRequest(t *testing.T, base, method, path, body string) (int, map[string]any, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(text, &out)
	return resp.StatusCode, out, string(text)
}

// bookField returns the string at a dotted path ("order.shoppingId") of a
// decoded answer, "" when there is none.
func bookField(v map[string]any, path string) string {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		v, _ = v[k].(map[string]any)
	}
	s, _ := v[keys[len(keys)-1]].(string)
	return s
}
