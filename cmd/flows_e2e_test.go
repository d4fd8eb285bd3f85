package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/client"
	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/internal/testkit"
)

// mall is a test's hold on a running system through its real HTTP API.
type mall struct {
	t   *testing.T
	s   *system
	api *client.Client
	cat client.Catalog
}

func newMall(t *testing.T, s *system) *mall {
	t.Helper()
	api := client.New(s.base)
	cat, err := client.Setup(context.Background(), api, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	return &mall{t: t, s: s, api: api, cat: cat}
}

// order is one order placed by a test, with the correlation ID its
// customer's requests carried.
type order struct {
	id, customerID, paymentID, corr string
	total                           client.Money
}

// placeOrder registers a new customer (so flows do not share one) and has
// them check out two units of each store's first product, paying with an
// authorization of the basket total plus overpay. It returns before the
// saga ran.
func (m *mall) placeOrder(overpay client.Money) order {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o := order{corr: correlation.NewID()}
	c := m.api.WithCorrelation(o.corr)
	var err error
	if o.customerID, err = c.RegisterCustomer(ctx, "Grace Hopper", "+15555550123"); err != nil {
		m.t.Fatal(err)
	}
	cat := m.cat
	cat.CustomerID = o.customerID
	placed, err := client.PlaceOrder(ctx, c, cat, 2, overpay)
	if err != nil {
		m.t.Fatal(err)
	}
	o.id, o.paymentID, o.total = placed.OrderID, placed.PaymentID, placed.Total
	return o
}

// await polls the order until it has status.
func (m *mall) await(id, status string) client.Order {
	m.t.Helper()
	var o client.Order
	testkit.Eventually(m.t, 30*time.Second, fmt.Sprintf("order %s becomes %s", id, status), func() bool {
		o, _ = m.api.GetOrder(context.Background(), id)
		return o.Status == status
	})
	return o
}

// get reads path and returns the entity under key.
func (m *mall) get(path, key string) map[string]any {
	m.t.Helper()
	status, out, _ := m.s.do(http.MethodGet, path, "", nil)
	if status != http.StatusOK {
		m.t.Fatalf("GET %s = %d %v", path, status, out)
	}
	v, _ := out[key].(map[string]any)
	if v == nil {
		m.t.Fatalf("GET %s has no %q: %v", path, key, out)
	}
	return v
}

// eventually polls path until the entity under key has field == want.
func (m *mall) eventually(path, key, field string, want any) map[string]any {
	m.t.Helper()
	var got map[string]any
	testkit.Eventually(m.t, 30*time.Second, fmt.Sprintf("%s %s.%s = %v", path, key, field, want), func() bool {
		status, out, _ := m.s.do(http.MethodGet, path, "", nil)
		got, _ = out[key].(map[string]any)
		return status == http.StatusOK && got != nil && got[field] == want
	})
	return got
}

// shop has a fresh bot (with no correlation header: the depot continues
// the order's own) claim the order's list, pick up each stop and complete it.
func (m *mall) shop(shoppingID string) {
	m.t.Helper()
	ctx := context.Background()
	bot, err := m.api.RegisterBot(ctx, "Robo-test")
	if err != nil {
		m.t.Fatal(err)
	}
	if err := m.api.Do(ctx, http.MethodPut, "/api/depot/shopping/"+shoppingID+"/assign", map[string]any{"botId": bot}, nil); err != nil {
		m.t.Fatal(err)
	}
	list := m.get("/api/depot/shopping/"+shoppingID, "shoppingList")
	stops, _ := list["stops"].([]any)
	if len(stops) != len(m.cat.Stores) {
		m.t.Fatalf("shopping list has %d stops, want one per store (%d): %v", len(stops), len(m.cat.Stores), list)
	}
	for _, st := range stops {
		storeID, _ := st.(map[string]any)["storeId"].(string)
		if err := m.api.PickUp(ctx, shoppingID, storeID); err != nil {
			m.t.Fatal(err)
		}
	}
	if err := m.api.CompleteShoppingList(ctx, shoppingID); err != nil {
		m.t.Fatal(err)
	}
}

// notificationKinds lists the kinds of the customer's notifications about
// the order, sorted.
func (m *mall) notificationKinds(customerID, orderID string) []string {
	_, out, _ := m.s.do(http.MethodGet, "/api/notifications?customerId="+customerID, "", nil)
	var kinds []string
	list, _ := out["notifications"].([]any)
	for _, n := range list {
		n, _ := n.(map[string]any)
		if n["orderId"] == orderID {
			kinds = append(kinds, fmt.Sprint(n["kind"]))
		}
	}
	slices.Sort(kinds)
	return kinds
}

// awaitNotifications polls until the order's notifications are exactly want.
func (m *mall) awaitNotifications(customerID, orderID string, want ...string) {
	m.t.Helper()
	slices.Sort(want)
	testkit.Eventually(m.t, 30*time.Second, fmt.Sprintf("notifications %v", want), func() bool {
		return slices.Equal(m.notificationKinds(customerID, orderID), want)
	})
}

// history returns the names of the order's stored events.
func (m *mall) history(id string) []string {
	_, out, _ := m.s.do(http.MethodGet, "/api/ordering/"+id+"/history", "", nil)
	var names []string
	evs, _ := out["events"].([]any)
	for _, e := range evs {
		names = append(names, fmt.Sprint(e.(map[string]any)["name"]))
	}
	return names
}

// flowCorrelations returns the correlation IDs of every event in every
// service's outbox whose payload mentions one of ids.
func (m *mall) flowCorrelations(ids ...string) map[string]int {
	m.t.Helper()
	out := map[string]int{}
	for _, svc := range []string{"stores", "customers", "baskets", "orders", "saga", "payments", "depot"} {
		rows, err := m.s.db.Pool.Query(context.Background(), "SELECT payload::text FROM "+svc+".watermill_outbox")
		if err != nil {
			m.t.Fatal(err)
		}
		for rows.Next() {
			var raw string
			if err := rows.Scan(&raw); err != nil {
				m.t.Fatal(err)
			}
			var env struct {
				Payload  []byte            `json:"payload"`
				Metadata map[string]string `json:"metadata"`
			}
			if err := json.Unmarshal([]byte(raw), &env); err != nil {
				m.t.Fatal(err)
			}
			for _, id := range ids {
				if id != "" && strings.Contains(string(env.Payload), id) {
					out[env.Metadata["correlation_id"]]++
					break
				}
			}
		}
		rows.Close()
	}
	return out
}

func TestOrderFlowsEndToEnd(t *testing.T) {
	s := startSystem(t)
	m := newMall(t, s)

	t.Run("happy path to completed", func(t *testing.T) {
		m.t = t
		o := m.placeOrder(0)
		approved := m.await(o.id, "approved")
		if approved.ShoppingID == "" {
			t.Fatalf("approved order has no shoppingId: %+v", approved)
		}
		m.eventually("/api/depot/shopping/"+approved.ShoppingID, "shoppingList", "status", "available")
		m.shop(approved.ShoppingID)
		ready := m.await(o.id, "ready")
		if ready.InvoiceID == "" {
			t.Fatalf("ready order has no invoiceId: %+v", ready)
		}
		m.eventually("/api/payments/invoices/"+ready.InvoiceID, "invoice", "status", "pending")
		if err := m.api.PayInvoice(context.Background(), ready.InvoiceID); err != nil {
			t.Fatal(err)
		}
		done := m.await(o.id, "completed")
		if done.Total != o.total {
			t.Errorf("order total %s, basket total %s", done.Total, o.total)
		}

		if got := m.history(o.id); !slices.Equal(got, []string{"orders.OrderCreated", "orders.OrderApproved", "orders.OrderReadied", "orders.OrderCompleted"}) {
			t.Errorf("history = %v", got)
		}
		if b := m.get("/api/baskets/"+o.id, "basket"); b["status"] != "checked_out" {
			t.Errorf("basket = %v, want checked_out", b)
		}
		if p := m.get("/api/payments/"+o.paymentID, "payment"); p["status"] != "confirmed" || p["orderId"] != o.id {
			t.Errorf("payment = %v, want confirmed for the order", p)
		}
		if inv := m.get("/api/payments/invoices/"+ready.InvoiceID, "invoice"); inv["status"] != "paid" {
			t.Errorf("invoice = %v, want paid", inv)
		}
		if l := m.get("/api/depot/shopping/"+approved.ShoppingID, "shoppingList"); l["status"] != "completed" {
			t.Errorf("shopping list = %v, want completed", l)
		}
		m.awaitNotifications(o.customerID, o.id, "created", "ready", "completed")
		row := m.eventually("/api/search/orders/"+o.id, "order", "status", "completed")
		if row["customerName"] != "Grace Hopper" {
			t.Errorf("search row = %v, want the customer's name", row)
		}

		corrs := m.flowCorrelations(o.id, o.paymentID, approved.ShoppingID, ready.InvoiceID)
		if len(corrs) != 1 || corrs[o.corr] < 15 {
			t.Errorf("events of one order's life carry correlation IDs %v, want only %s (on at least 15 events)", corrs, o.corr)
		}
	})

	t.Run("disabled customer is rejected", func(t *testing.T) {
		m.t = t
		ctx := context.Background()
		o := order{corr: correlation.NewID()}
		c := m.api.WithCorrelation(o.corr)
		o.customerID, _ = c.RegisterCustomer(ctx, "Disabled Dan", "+15555550124")
		paymentID, err := c.AuthorizePayment(ctx, o.customerID, 450)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Do(ctx, http.MethodPut, "/api/customers/"+o.customerID+"/disable", nil, nil); err != nil {
			t.Fatal(err)
		}
		st := m.cat.Stores[0]
		var out struct{ ID string }
		// The book's full item; orders checks it against its catalog cache,
		// which hears of the products a moment after they are added.
		testkit.Eventually(t, 10*time.Second, "orders knows the product", func() bool {
			err = c.Do(ctx, http.MethodPost, "/api/ordering", map[string]any{
				"customerId": o.customerID, "paymentId": paymentID,
				"items": []map[string]any{{"storeId": st.ID, "storeName": st.Name, "productId": st.Products[0].ID,
					"productName": st.Products[0].Name, "price": st.Products[0].Price, "quantity": 1}},
			}, &out)
			return client.StatusOf(err) != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), "not known to orders yet")
		})
		if err != nil {
			t.Fatal(err)
		}
		rejected := m.await(out.ID, "rejected")
		if !strings.Contains(rejected.Reason, "disabled") {
			t.Errorf("rejection reason %q does not say the customer is disabled", rejected.Reason)
		}
		if n := s.count("SELECT count(*) FROM depot.shopping_lists WHERE order_id = $1 AND status <> 'canceled'", out.ID); n != 0 {
			t.Errorf("%d shopping lists of the rejected order are not canceled", n)
		}
		if p := m.get("/api/payments/"+paymentID, "payment"); p["status"] != "authorized" {
			t.Errorf("payment of a rejected order = %v, want still authorized (never confirmed)", p)
		}
		m.eventually("/api/search/orders/"+out.ID, "order", "status", "rejected")
	})

	t.Run("wrong payment amount is compensated", func(t *testing.T) {
		m.t = t
		o := m.placeOrder(-100)
		rejected := m.await(o.id, "rejected")
		if !strings.Contains(rejected.Reason, "amount") {
			t.Errorf("rejection reason %q does not name the amount", rejected.Reason)
		}
		if rejected.ShoppingID != "" {
			m.eventually("/api/depot/shopping/"+rejected.ShoppingID, "shoppingList", "status", "canceled")
		}
		if n := s.count("SELECT count(*) FROM depot.shopping_lists WHERE order_id = $1 AND status <> 'canceled'", o.id); n != 0 {
			t.Errorf("%d shopping lists of the rejected order are left open", n)
		}
		if p := m.get("/api/payments/"+o.paymentID, "payment"); p["status"] != "authorized" {
			t.Errorf("mismatched payment = %v, want still authorized", p)
		}
		m.eventually("/api/sagas/"+o.id, "saga", "status", "rejected")
	})

	t.Run("cancel before ready", func(t *testing.T) {
		m.t = t
		o := m.placeOrder(0)
		approved := m.await(o.id, "approved")
		status, body, _ := s.do(http.MethodDelete, "/api/ordering/"+o.id, "", nil)
		if status != http.StatusOK {
			t.Fatalf("cancel an approved order = %d %v", status, body)
		}
		m.await(o.id, "canceled")
		m.eventually("/api/depot/shopping/"+approved.ShoppingID, "shoppingList", "status", "canceled")
		m.eventually("/api/payments/"+o.paymentID, "payment", "status", "voided")
		m.awaitNotifications(o.customerID, o.id, "created", "canceled")
		m.eventually("/api/search/orders/"+o.id, "order", "status", "canceled")
		// The cancel request carried no correlation ID: the order continues
		// its own flow, and so do the list and the payment it undoes.
		if corrs := m.flowCorrelations(o.id, o.paymentID, approved.ShoppingID); len(corrs) != 1 || corrs[o.corr] == 0 {
			t.Errorf("events of a canceled order's life carry correlation IDs %v, want only %s", corrs, o.corr)
		}
	})

	t.Run("cancel after ready is a conflict", func(t *testing.T) {
		m.t = t
		o := m.placeOrder(0)
		approved := m.await(o.id, "approved")
		m.eventually("/api/depot/shopping/"+approved.ShoppingID, "shoppingList", "status", "available")
		m.shop(approved.ShoppingID)
		m.await(o.id, "ready")
		status, body, _ := s.do(http.MethodDelete, "/api/ordering/"+o.id, "", nil)
		if status != http.StatusConflict {
			t.Errorf("cancel a ready order = %d %v, want 409", status, body)
		}
		if got := m.await(o.id, "ready"); got.Status != "ready" {
			t.Errorf("order after a refused cancel = %+v", got)
		}
	})
}

// TestOrderFlowAcrossProcesses runs the services split over processes
// sharing one database and broker: orders and the saga in one, the rest in
// another, and a second process of every other service competing for the
// same queues. Each order still completes once.
func TestOrderFlowAcrossProcesses(t *testing.T) {
	first := startSystem(t, "orders", "saga")
	rest := []string{"stores", "customers", "baskets", "payments", "depot", "notifications", "search"}
	second := startProcess(t, first.db, first.cfg.DatabaseURL, first.amqpURL, nil, rest...)
	startProcess(t, first.db, first.cfg.DatabaseURL, first.amqpURL, nil, rest...)

	// The kiosk talks to the second process; orders answers from the first.
	m := newMall(t, second)
	orders := &mall{t: t, s: first, api: client.New(first.base), cat: m.cat}
	var placed []order
	for range 3 {
		placed = append(placed, m.placeOrder(0))
	}
	for _, o := range placed {
		approved := orders.await(o.id, "approved")
		m.shop(approved.ShoppingID)
		ready := orders.await(o.id, "ready")
		m.eventually("/api/payments/invoices/"+ready.InvoiceID, "invoice", "status", "pending")
		if err := m.api.PayInvoice(context.Background(), ready.InvoiceID); err != nil {
			t.Fatal(err)
		}
		orders.await(o.id, "completed")
		if got := orders.history(o.id); len(got) != 4 {
			t.Errorf("order %s history = %v, want each step once", o.id, got)
		}
		m.awaitNotifications(o.customerID, o.id, "created", "ready", "completed")
	}
	if n := first.count("SELECT count(*) FROM payments.invoices"); n != len(placed) {
		t.Errorf("invoices = %d, want one per order (%d)", n, len(placed))
	}
}
