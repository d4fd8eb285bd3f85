package orders_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/internal/testkit"
)

// newAPI returns the orders routes behind the production mux wrapper.
func newAPI(f *fixture) http.Handler {
	mux := httpapi.NewMux()
	f.h.Routes(mux)
	return mux
}

const createBody = `{"customerId": "` + customerID + `", "paymentId": "` + paymentID + `", "items": [
	{"storeId": "` + storeID + `", "storeName": "Robo Parts", "productId": "` + productID + `", "productName": "Servo", "price": 9.99, "quantity": 2}]}`

const itemJSONText = `{"storeId": "` + storeID + `", "storeName": "Robo Parts", "productId": "` + productID + `", "productName": "Servo", "price": 9.99, "quantity": 2}`

func TestHTTPCreateGetCancelOrder(t *testing.T) {
	f := newFixture(t)
	api := newAPI(f)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPost, "/api/ordering", createBody), http.StatusCreated, `{"id": "`+firstID+`"}`)
	path := "/api/ordering/" + firstID
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, path, ""), http.StatusOK, `{"order": {
		"id": "`+firstID+`", "customerId": "`+customerID+`", "paymentId": "`+paymentID+`", "shoppingId": "", "invoiceId": "",
		"items": [`+itemJSONText+`], "total": 19.98, "status": "pending",
		"createdAt": "2025-03-01T10:01:00Z", "updatedAt": "2025-03-01T10:01:00Z"}}`)

	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodDelete, path, ""), http.StatusOK, `{}`)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodDelete, path, ""), http.StatusOK, `{}`) // canceling twice is harmless
	rec := testkit.Request(t, api, http.MethodGet, path, "")
	var out struct {
		Order struct{ Status, UpdatedAt string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Order.Status != "canceled" || out.Order.UpdatedAt != "2025-03-01T10:02:00Z" {
		t.Errorf("after cancel: %s (%v)", rec.Body, err)
	}
	if n := len(f.store.events()); n != 2 {
		t.Errorf("%d events stored, want created and one canceled", n)
	}
}

func TestHTTPCreateOrderTakesPriceAndNamesFromTheCatalog(t *testing.T) {
	for name, item := range map[string]string{
		"price and names left out": `{"storeId": "` + storeID + `", "productId": "` + productID + `", "quantity": 2}`,
		"price null, names blank":  `{"storeId": "` + storeID + `", "storeName": "", "productId": "` + productID + `", "productName": " ", "price": null, "quantity": 2}`,
	} {
		t.Run(name, func(t *testing.T) {
			api := newAPI(newFixture(t))
			body := `{"customerId": "` + customerID + `", "paymentId": "` + paymentID + `", "items": [` + item + `]}`
			testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPost, "/api/ordering", body), http.StatusCreated, `{"id": "`+firstID+`"}`)
			rec := testkit.Request(t, api, http.MethodGet, "/api/ordering/"+firstID, "")
			var out struct {
				Order struct {
					Items []map[string]any
					Total float64
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Order.Total != 19.98 || len(out.Order.Items) != 1 {
				t.Fatalf("order = %s (%v), want one item and total 19.98", rec.Body, err)
			}
			want := map[string]any{"storeId": storeID, "storeName": "Robo Parts", "productId": productID, "productName": "Servo", "price": 9.99, "quantity": 2.0}
			if got := out.Order.Items[0]; !reflect.DeepEqual(got, want) {
				t.Errorf("item = %v, want %v", got, want)
			}
		})
	}
}

func TestHTTPRejectedOrderShowsItsReasonAndHistory(t *testing.T) {
	f := to(t, "rejected")
	api := newAPI(f)
	rec := testkit.Request(t, api, http.MethodGet, "/api/ordering/"+basketID, "")
	var out struct {
		Order map[string]any
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Order["status"] != "rejected" || out.Order["reason"] != "confirmPayment failed: amount differs" {
		t.Errorf("rejected order = %s (%v)", rec.Body, err)
	}
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, "/api/ordering/"+basketID+"/history", ""), http.StatusOK, `{"events": [
		{"version": 1, "name": "orders.OrderCreated", "occurredAt": "2025-03-01T10:01:00Z",
		 "data": {"customerId": "`+customerID+`", "paymentId": "`+paymentID+`", "items": [`+itemJSONText+`], "total": 19.98}},
		{"version": 2, "name": "orders.OrderRejected", "occurredAt": "2025-03-01T10:02:00Z",
		 "data": {"reason": "confirmPayment failed: amount differs"}}]}`)
}

func TestHTTPHistoryOfACompletedOrder(t *testing.T) {
	f := to(t, "completed")
	api := newAPI(f)
	rec := testkit.Request(t, api, http.MethodGet, "/api/ordering/"+basketID+"/history", "")
	var out struct {
		Events []struct {
			Version int64
			Name    string
			Data    map[string]any
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("history = %d %s (%v)", rec.Code, rec.Body, err)
	}
	want := []string{"orders.OrderCreated", "orders.OrderApproved", "orders.OrderReadied", "orders.OrderCompleted"}
	if len(out.Events) != len(want) {
		t.Fatalf("history = %s, want %v", rec.Body, want)
	}
	for i, e := range out.Events {
		if e.Name != want[i] || e.Version != int64(i+1) {
			t.Errorf("event %d = %s v%d, want %s v%d", i, e.Name, e.Version, want[i], i+1)
		}
	}
	if out.Events[1].Data["shoppingId"] != shoppingID || out.Events[2].Data["invoiceId"] != firstID || len(out.Events[3].Data) != 0 {
		t.Errorf("event data = %v %v %v", out.Events[1].Data, out.Events[2].Data, out.Events[3].Data)
	}
	rec = testkit.Request(t, api, http.MethodGet, "/api/ordering/"+basketID, "")
	if !strings.Contains(rec.Body.String(), `"shoppingId":"`+shoppingID+`"`) || !strings.Contains(rec.Body.String(), `"invoiceId":"`+firstID+`"`) ||
		!strings.Contains(rec.Body.String(), `"status":"completed"`) {
		t.Errorf("completed order = %s", rec.Body)
	}
}

func TestHTTPOrderShoppedBeforeItsApproval(t *testing.T) {
	f := to(t, "shopped")
	if err := f.approve(); err != nil {
		t.Fatal(err)
	}
	api := newAPI(f)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, "/api/ordering/"+basketID+"/history", ""), http.StatusOK, `{"events": [
		{"version": 1, "name": "orders.OrderCreated", "occurredAt": "2025-03-01T10:01:00Z",
		 "data": {"customerId": "`+customerID+`", "paymentId": "`+paymentID+`", "items": [`+itemJSONText+`], "total": 19.98}},
		{"version": 2, "name": "orders.OrderShoppingCompleted", "occurredAt": "2025-03-01T10:02:00Z",
		 "data": {"shoppingId": "`+shoppingID+`", "invoiceId": "`+firstID+`"}},
		{"version": 3, "name": "orders.OrderApproved", "occurredAt": "2025-03-01T10:03:00Z", "data": {"shoppingId": "`+shoppingID+`"}},
		{"version": 4, "name": "orders.OrderReadied", "occurredAt": "2025-03-01T10:04:00Z", "data": {"invoiceId": "`+firstID+`"}}]}`)
}

func TestHTTPCancelAnOrderShoppedWhilePendingIsAConflict(t *testing.T) {
	rec := testkit.Request(t, newAPI(to(t, "shopped")), http.MethodDelete, "/api/ordering/"+basketID, "")
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "its shopping list "+shoppingID+" was completed") {
		t.Errorf("cancel = %d %s, want 409 saying the list was completed", rec.Code, rec.Body)
	}
}

func TestHTTPErrors(t *testing.T) {
	const unknown = "00000000-0000-4000-8000-999999999999"
	body := func(customer, items string) string {
		return `{"customerId": "` + customer + `", "paymentId": "` + paymentID + `", "items": ` + items + `}`
	}
	item := func(price, quantity string) string {
		return `[{"storeId": "` + storeID + `", "productId": "` + productID + `", "price": ` + price + `, "quantity": ` + quantity + `}]`
	}
	tests := []struct {
		name         string
		from         string
		method, path string
		body         string
		status       int
		detail       string
	}{
		{"customer not a uuid", "", http.MethodPost, "/api/ordering", body("ada", item("9.99", "1")),
			http.StatusUnprocessableEntity, `order customer id is not a UUID: "ada"`},
		{"no items", "", http.MethodPost, "/api/ordering", body(customerID, "[]"),
			http.StatusUnprocessableEntity, "order has no items"},
		{"items missing", "", http.MethodPost, "/api/ordering", `{"customerId": "` + customerID + `", "paymentId": "` + paymentID + `"}`,
			http.StatusUnprocessableEntity, "order has no items"},
		{"zero quantity", "", http.MethodPost, "/api/ordering", body(customerID, item("9.99", "0")),
			http.StatusUnprocessableEntity, "order item 1: quantity 0 is less than 1"},
		{"a price of its own", "", http.MethodPost, "/api/ordering", body(customerID, item("0.01", "1")),
			http.StatusUnprocessableEntity, "order item differs from the catalog: item 1: product " + productID + " costs 9.99, not 0.01"},
		{"negative price", "", http.MethodPost, "/api/ordering", body(customerID, item("-0.01", "1")),
			http.StatusUnprocessableEntity, "costs 9.99, not -0.01"},
		{"unknown product", "", http.MethodPost, "/api/ordering",
			body(customerID, `[{"storeId": "`+storeID+`", "productId": "`+unknown+`", "quantity": 1}]`),
			http.StatusUnprocessableEntity, "item 1: product " + unknown + " is not on sale (not known to orders yet, or removed from its store)"},
		{"store missing", "", http.MethodPost, "/api/ordering", body(customerID, `[{"productId": "`+productID+`", "quantity": 1}]`),
			http.StatusUnprocessableEntity, `order item 1: store id is not a UUID: ""`},
		{"price not a number", "", http.MethodPost, "/api/ordering", body(customerID, item(`"cheap"`, "1")),
			http.StatusBadRequest, `field "items.price" must be a decimal number such as 9.99`},
		{"price with three decimals", "", http.MethodPost, "/api/ordering", body(customerID, item("1.999", "1")),
			http.StatusUnprocessableEntity, "more than two decimal places"},
		{"unknown field", "", http.MethodPost, "/api/ordering", `{"customerId": "x", "coupon": "FREE"}`,
			http.StatusBadRequest, `unknown field "coupon"`},
		{"malformed JSON", "", http.MethodPost, "/api/ordering", `{"customerId": `,
			http.StatusBadRequest, "malformed JSON"},
		{"get unknown", "", http.MethodGet, "/api/ordering/" + unknown, "", http.StatusNotFound, "order " + unknown},
		{"history of unknown", "", http.MethodGet, "/api/ordering/" + unknown + "/history", "", http.StatusNotFound, "order " + unknown},
		{"cancel unknown", "", http.MethodDelete, "/api/ordering/" + unknown, "", http.StatusNotFound, "order " + unknown},
		{"malformed id", "", http.MethodGet, "/api/ordering/42", "", http.StatusBadRequest, "path parameter id must be a UUID"},
		{"cancel after ready", "ready", http.MethodDelete, "/api/ordering/" + basketID, "",
			http.StatusConflict, "order can no longer be canceled: order " + basketID + " is ready"},
		{"cancel completed", "completed", http.MethodDelete, "/api/ordering/" + basketID, "",
			http.StatusConflict, "is completed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.from != "" {
				f = to(t, tt.from)
			}
			before := len(f.store.events())
			testkit.AssertProblem(t, testkit.Request(t, newAPI(f), tt.method, tt.path, tt.body), tt.status, tt.detail)
			if extra := f.store.events()[before:]; len(extra) != 0 {
				t.Errorf("failed request stored %#v", extra)
			}
		})
	}
}

func TestHTTPCancelWhenOtherWritersKeepWinningIsAConflict(t *testing.T) {
	f := to(t, "pending")
	f.store.concurrentChanges = 1
	testkit.AssertProblem(t, testkit.Request(t, newAPI(f), http.MethodDelete, "/api/ordering/"+basketID, ""), http.StatusConflict, "changed concurrently")
	if err := f.h.CancelOrder(context.Background(), basketID); err != nil {
		t.Errorf("the next cancel failed: %v", err)
	}
}
