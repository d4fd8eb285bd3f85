package cmd

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
)

// searchOrder returns order id as GET /api/search/orders/{id} shows it, nil
// while it is not there.
func (s *system) searchOrder(id string) map[string]any {
	s.t.Helper()
	status, out, _ := s.do(http.MethodGet, "/api/search/orders/"+id, "", nil)
	if status == http.StatusNotFound {
		return nil
	}
	order, _ := out["order"].(map[string]any)
	if status != http.StatusOK || order == nil {
		s.t.Fatalf("GET search order %s = %d %v", id, status, out)
	}
	return order
}

// waitStatus waits until the search read model shows order id in status.
func (s *system) waitStatus(id, status string) map[string]any {
	s.t.Helper()
	var order map[string]any
	testkit.Eventually(s.t, 10*time.Second, "order "+id+" is "+status+" in search", func() bool {
		order = s.searchOrder(id)
		return order != nil && order["status"] == status
	})
	return order
}

// searchIDs posts body to the search route and returns the orders' IDs and
// the next cursor.
func (s *system) searchIDs(body string) ([]string, string) {
	s.t.Helper()
	status, out, _ := s.do(http.MethodPost, "/api/search/orders", body, nil)
	if status != http.StatusOK {
		s.t.Fatalf("search %s = %d %v", body, status, out)
	}
	var ids []string
	orders, _ := out["orders"].([]any)
	for _, o := range orders {
		ids = append(ids, o.(map[string]any)["orderId"].(string))
	}
	next, _ := out["next"].(string)
	return ids, next
}

func TestSearchEndToEnd(t *testing.T) {
	s := startSystem(t, "customers", "search")
	ada := s.mustCreate("/api/customers", `{"name":"Ada","smsNumber":"+1 555 123 4567"}`, nil)
	storeID, productID := uuid.NewString(), uuid.NewString()
	created := func(orderID, customerID string, total int64) events.OrderCreated {
		return events.OrderCreated{OrderID: orderID, CustomerID: customerID, PaymentID: uuid.NewString(), Total: total,
			Items: []events.Item{{StoreID: storeID, StoreName: "Waffles", ProductID: productID, ProductName: "Syrup", Price: total, Quantity: 1}}}
	}

	// Order A walks the happy path; OrderCreated comes three times (twice
	// under one message ID, once under another) and is one row.
	orderA := uuid.NewString()
	id := s.publish(created(orderA, ada, 1234), "")
	s.publish(created(orderA, ada, 1234), id)
	s.publish(created(orderA, ada, 1234), "")
	testkit.Eventually(t, 10*time.Second, "order A shows its customer's name", func() bool {
		o := s.searchOrder(orderA)
		return o != nil && o["customerName"] == "Ada"
	})
	order := s.waitStatus(orderA, "pending")
	if order["total"] != 12.34 || order["customerId"] != ada {
		t.Errorf("order A = %v, want total 12.34 for Ada", order)
	}
	items, _ := order["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["productName"] != "Syrup" || items[0].(map[string]any)["storeId"] != storeID {
		t.Errorf("order A items = %v", items)
	}
	s.publish(events.OrderApproved{OrderID: orderA, CustomerID: ada, ShoppingID: uuid.NewString()}, "")
	s.waitStatus(orderA, "approved")
	s.publish(events.OrderReadied{OrderID: orderA, CustomerID: ada, PaymentID: uuid.NewString(), InvoiceID: uuid.NewString(), Total: 1234}, "")
	s.waitStatus(orderA, "ready")
	s.publish(events.OrderCompleted{OrderID: orderA, CustomerID: ada, InvoiceID: uuid.NewString()}, "")
	final := s.waitStatus(orderA, "completed")
	if final["createdAt"] == final["updatedAt"] {
		t.Errorf("order A updatedAt %v did not move on from createdAt", final["updatedAt"])
	}

	// Order B: OrderCompleted is handled before OrderReadied, which then
	// changes nothing.
	orderB := uuid.NewString()
	s.publish(created(orderB, ada, 500), "")
	s.waitStatus(orderB, "pending")
	s.publish(events.OrderCompleted{OrderID: orderB, CustomerID: ada, InvoiceID: uuid.NewString()}, "")
	s.waitStatus(orderB, "completed")
	late := s.publish(events.OrderReadied{OrderID: orderB, CustomerID: ada, PaymentID: uuid.NewString(), InvoiceID: uuid.NewString(), Total: 500}, "")
	testkit.Eventually(t, 10*time.Second, "the late OrderReadied is handled", func() bool {
		return s.handled("search", "search.OnOrderReadied", late)
	})
	if got := s.searchOrder(orderB)["status"]; got != "completed" {
		t.Errorf("order B is %v after a late OrderReadied, want completed", got)
	}

	// Order C: OrderApproved before OrderCreated waits for it, and its
	// customer registers only afterwards: the name is filled in then.
	bob, orderC := uuid.NewString(), uuid.NewString()
	s.publish(events.OrderApproved{OrderID: orderC, CustomerID: bob, ShoppingID: uuid.NewString()}, "")
	s.waitTaken("search.OnOrderApproved")
	if s.searchOrder(orderC) != nil {
		t.Fatal("order C exists before its OrderCreated")
	}
	s.publish(created(orderC, bob, 9900), "")
	if o := s.waitStatus(orderC, "approved"); o["customerName"] != "" {
		t.Errorf("order C has customer name %v before the customer registered", o["customerName"])
	}
	s.publish(events.CustomerRegistered{CustomerID: bob, Name: "Bob", SmsNumber: "5550001111", Enabled: true, Version: 1}, "")
	testkit.Eventually(t, 10*time.Second, "order C gets its customer's name", func() bool {
		return s.searchOrder(orderC)["customerName"] == "Bob"
	})

	// Order D is rejected, with the saga's reason.
	orderD := uuid.NewString()
	s.publish(created(orderD, ada, 700), "")
	s.waitStatus(orderD, "pending")
	s.publish(events.OrderRejected{OrderID: orderD, CustomerID: ada, Reason: "payment declined"}, "")
	if o := s.waitStatus(orderD, "rejected"); o["reason"] != "payment declined" {
		t.Errorf("order D reason = %v", o["reason"])
	}

	if n := s.count("SELECT count(*) FROM search.orders"); n != 4 {
		t.Errorf("%d orders in the read model, want 4 (duplicates are one row)", n)
	}

	// Search: Ada's orders newest first, two per page.
	filter := func(next string) string {
		b, _ := json.Marshal(map[string]any{"filters": map[string]any{"customerId": ada}, "limit": 2, "next": next})
		return string(b)
	}
	page1, next := s.searchIDs(filter(""))
	page2, last := s.searchIDs(filter(next))
	if got, want := append(page1, page2...), []string{orderD, orderB, orderA}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || next == "" || last != "" {
		t.Errorf("pages %v + %v (next %q, then %q), want %v over two pages", page1, page2, next, last, want)
	}
	ids, _ := s.searchIDs(`{"filters":{"status":"completed","storeIds":["` + storeID + `"],"minTotal":10}}`)
	if len(ids) != 1 || ids[0] != orderA {
		t.Errorf("completed orders of at least 10.00 = %v, want order A", ids)
	}
	if status, out, _ := s.do(http.MethodPost, "/api/search/orders", `{"filters":{"status":"lost"}}`, nil); status != http.StatusUnprocessableEntity {
		t.Errorf("bad status filter = %d %v, want 422", status, out)
	}
}
