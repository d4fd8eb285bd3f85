package cmd

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
)

// patientRetries lets a message be retried for long enough that a test can
// deliver what it waits for before it is poisoned.
func patientRetries(cfg *config.Config) {
	cfg.Retry.MaxRetries, cfg.Retry.MaxElapsedTime = 100, 30*time.Second
}

// orderTap reads one tap and hands out its messages by order: messages of
// other orders are kept for later calls.
type orderTap struct {
	t     *testing.T
	topic string
	ch    <-chan amqp.Delivery
	kept  []amqp.Delivery
}

func (s *system) tapByOrder(topic string) *orderTap {
	return &orderTap{t: s.t, topic: topic, ch: s.tap(topic)}
}

func orderIDOf(d amqp.Delivery) string {
	var body struct {
		OrderID string `json:"orderId"`
	}
	_ = json.Unmarshal(d.Body, &body)
	return body.OrderID
}

// next returns the next message about orderID, failing the test after 10s.
func (tp *orderTap) next(orderID string) amqp.Delivery {
	tp.t.Helper()
	for i, d := range tp.kept {
		if orderIDOf(d) == orderID {
			tp.kept = append(tp.kept[:i], tp.kept[i+1:]...)
			return d
		}
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case d := <-tp.ch:
			if orderIDOf(d) == orderID {
				return d
			}
			tp.kept = append(tp.kept, d)
		case <-timeout:
			tp.t.Fatalf("no %s for order %s within 10s", tp.topic, orderID)
		}
	}
}

// decodeNext decodes the next message about orderID into a T.
func decodeNext[T any](tp *orderTap, orderID string) T {
	tp.t.Helper()
	var v T
	d := tp.next(orderID)
	if err := json.Unmarshal(d.Body, &v); err != nil {
		tp.t.Fatalf("decode %s: %v; %s", tp.topic, err, d.Body)
	}
	return v
}

// orderOutboxCount counts service's outbox rows to topic about orderID.
func (s *system) orderOutboxCount(service, topic, orderID string) int {
	s.t.Helper()
	return s.count(`SELECT count(*) FROM `+service+`.watermill_outbox
		WHERE payload->>'destination_topic' = $1
		AND convert_from(decode(payload->>'payload', 'base64'), 'UTF8')::jsonb->>'orderId' = $2`, topic, orderID)
}

// handled waits until handler recorded message id in service's inbox: its
// queue has then handled every message published to it before id.
func (s *system) awaitInbox(service, handler, id string) {
	s.t.Helper()
	testkit.Eventually(s.t, 10*time.Second, handler+" handled message "+id, func() bool {
		return s.count("SELECT count(*) FROM "+service+".inbox WHERE handler = $1 AND message_id = $2", handler, id) == 1
	})
}

// taken waits until queue has no message ready: the one just published to
// it is in its consumer's hands.
func (s *system) awaitTaken(queue string) {
	s.t.Helper()
	conn, err := amqp.Dial(s.amqpURL)
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		s.t.Fatal(err)
	}
	defer ch.Close()
	testkit.Eventually(s.t, 10*time.Second, "the consumer of "+queue+" took its message", func() bool {
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		return err == nil && q.Messages == 0 && q.Consumers > 0
	})
}

// getOrder returns GET /api/ordering/{id}'s order.
func (s *system) getOrder(id string) map[string]any {
	s.t.Helper()
	return s.getEntity("/api/ordering/"+id, "order")
}

func (s *system) awaitOrderStatus(id, status string) map[string]any {
	s.t.Helper()
	var o map[string]any
	testkit.Eventually(s.t, 10*time.Second, "order "+id+" is "+status, func() bool {
		o = s.getOrder(id)
		return o["status"] == status
	})
	return o
}

// orderCreated is a valid OrderCreated of customerID for total cents, one
// item of a store and product of its own.
func orderCreated(orderID, customerID string, total int64) events.OrderCreated {
	return events.OrderCreated{OrderID: orderID, CustomerID: customerID, PaymentID: uuid.NewString(), Total: total,
		Items: []events.Item{{StoreID: uuid.NewString(), StoreName: "Waffles", ProductID: uuid.NewString(), ProductName: "Syrup", Price: total, Quantity: 1}}}
}

func checkedOutBasket(basketID string) events.BasketCheckedOut {
	return events.BasketCheckedOut{BasketID: basketID, CustomerID: uuid.NewString(), PaymentID: uuid.NewString(), Items: []events.Item{
		{StoreID: uuid.NewString(), StoreName: "Robo Parts", ProductID: uuid.NewString(), ProductName: "Servo", Price: 999, Quantity: 2},
		{StoreID: uuid.NewString(), StoreName: "Bolts", ProductID: uuid.NewString(), ProductName: "M3 bolt", Price: 5, Quantity: 10},
	}}
}

func TestOrdersEndToEnd(t *testing.T) {
	s := startSystemWith(t, patientRetries, "orders")
	var (
		created   = s.tapByOrder(events.OrderCreatedName)
		approved  = s.tapByOrder(events.OrderApprovedName)
		rejected  = s.tapByOrder(events.OrderRejectedName)
		readied   = s.tapByOrder(events.OrderReadiedName)
		completed = s.tapByOrder(events.OrderCompletedName)
		replies   = s.tapByOrder(events.CreateOrderReplyName)
	)
	place := func() events.BasketCheckedOut {
		e := checkedOutBasket(uuid.NewString())
		s.publish(e, "")
		if got := decodeNext[events.OrderCreated](created, e.BasketID); got.Total != 2048 || len(got.Items) != 2 || got.CustomerID != e.CustomerID {
			t.Fatalf("OrderCreated = %+v", got)
		}
		return e
	}

	t.Run("a checked-out basket becomes one order, however often it comes", func(t *testing.T) {
		e := checkedOutBasket(uuid.NewString())
		id := s.publish(e, "")
		got := decodeNext[events.OrderCreated](created, e.BasketID)
		if got.OrderID != e.BasketID || got.PaymentID != e.PaymentID || got.Total != 2048 || got.Items[1] != e.Items[1] {
			t.Errorf("OrderCreated = %+v, want the basket's order", got)
		}
		s.publish(e, id)          // redelivered
		again := s.publish(e, "") // the same checkout under another message ID
		s.awaitInbox("orders", "orders.OnBasketCheckedOut", again)
		if n := s.count("SELECT count(*) FROM orders.events WHERE order_id = $1", e.BasketID); n != 1 {
			t.Errorf("%d events stored, want the one OrderCreated", n)
		}
		if n := s.orderOutboxCount("orders", events.OrderCreatedName, e.BasketID); n != 1 {
			t.Errorf("%d OrderCreated published, want 1", n)
		}
		if o := s.getOrder(e.BasketID); o["status"] != "pending" || o["total"] != 20.48 {
			t.Errorf("order = %v", o)
		}
	})

	t.Run("POST /api/ordering places an order at the price the stores events say", func(t *testing.T) {
		e := checkedOutBasket("")
		it := e.Items[0]
		s.publish(events.StoreCreated{StoreID: it.StoreID, Name: it.StoreName, Location: "Level 1", Version: 1}, "")
		s.publish(events.ProductAdded{ProductID: it.ProductID, StoreID: it.StoreID, Name: it.ProductName, Price: 1099, Version: 1}, "")
		s.publish(events.ProductPriceDecreased{ProductID: it.ProductID, StoreID: it.StoreID, Delta: 100, Price: it.Price, Version: 2}, "")
		line := map[string]any{"storeId": it.StoreID, "storeName": "Robo Parts", "productId": it.ProductID, "productName": "Servo", "price": 9.99, "quantity": 2}
		testkit.Eventually(t, 10*time.Second, "orders has the new price", func() bool {
			return s.count("SELECT count(*) FROM orders.products_cache WHERE id = $1 AND price = $2", it.ProductID, it.Price) == 1
		})
		status, out := s.postOrder(e.CustomerID, e.PaymentID, line)
		if status != http.StatusCreated {
			t.Fatalf("POST /api/ordering = %d %v, want 201", status, out)
		}
		id, _ := out["id"].(string)
		if got := decodeNext[events.OrderCreated](created, id); got.Total != 1998 || got.CustomerID != e.CustomerID || got.Items[0] != it {
			t.Errorf("OrderCreated = %+v", got)
		}
	})

	t.Run("ApproveOrder: one approval, a success reply per command", func(t *testing.T) {
		e := place()
		shoppingID := uuid.NewString()
		cmd := events.ApproveOrder{OrderID: e.BasketID, ShoppingID: shoppingID}
		id := s.publish(cmd, "")
		if got := decodeNext[events.CreateOrderReply](replies, e.BasketID); got != (events.CreateOrderReply{OrderID: e.BasketID, Command: events.ApproveOrderName, Success: true}) {
			t.Errorf("reply = %+v", got)
		}
		if got := decodeNext[events.OrderApproved](approved, e.BasketID); got != (events.OrderApproved{OrderID: e.BasketID, CustomerID: e.CustomerID, ShoppingID: shoppingID}) {
			t.Errorf("OrderApproved = %+v", got)
		}
		s.publish(cmd, id)          // redelivered: nothing at all
		again := s.publish(cmd, "") // sent again: the same success, no new event
		s.awaitInbox("orders", "orders.OnApproveOrder", again)
		if got := decodeNext[events.CreateOrderReply](replies, e.BasketID); !got.Success {
			t.Errorf("second reply = %+v, want a success", got)
		}
		if n := s.orderOutboxCount("orders", events.CreateOrderReplyName, e.BasketID); n != 2 {
			t.Errorf("%d replies published, want 2 (one per command message)", n)
		}
		if n := s.orderOutboxCount("orders", events.OrderApprovedName, e.BasketID); n != 1 {
			t.Errorf("%d OrderApproved published, want 1", n)
		}
	})

	t.Run("RejectOrder rejects with the reason", func(t *testing.T) {
		e := place()
		s.publish(events.RejectOrder{OrderID: e.BasketID, Reason: "confirmPayment failed: amount differs"}, "")
		if got := decodeNext[events.CreateOrderReply](replies, e.BasketID); got != (events.CreateOrderReply{OrderID: e.BasketID, Command: events.RejectOrderName, Success: true}) {
			t.Errorf("reply = %+v", got)
		}
		if got := decodeNext[events.OrderRejected](rejected, e.BasketID); got.Reason != "confirmPayment failed: amount differs" || got.CustomerID != e.CustomerID {
			t.Errorf("OrderRejected = %+v", got)
		}
		if o := s.getOrder(e.BasketID); o["status"] != "rejected" || o["reason"] != "confirmPayment failed: amount differs" {
			t.Errorf("order = %v", o)
		}
	})

	t.Run("approving a canceled order is a failure reply", func(t *testing.T) {
		e := place()
		if status, out, _ := s.do(http.MethodDelete, "/api/ordering/"+e.BasketID, "", nil); status != http.StatusOK {
			t.Fatalf("cancel = %d %v", status, out)
		}
		s.publish(events.ApproveOrder{OrderID: e.BasketID, ShoppingID: uuid.NewString()}, "")
		got := decodeNext[events.CreateOrderReply](replies, e.BasketID)
		if got.Success || got.Command != events.ApproveOrderName || got.Reason == "" {
			t.Errorf("reply = %+v, want a failure with the reason", got)
		}
		if o := s.getOrder(e.BasketID); o["status"] != "canceled" {
			t.Errorf("order = %v", o)
		}
	})

	// An order is stored before the OrderCreated that starts its saga, so
	// no saga command can come before its order: one that does can never
	// apply, and waiting for the order is in vain.
	t.Run("ApproveOrder before its order is poisoned at once, unanswered, and the order is as if it never came", func(t *testing.T) {
		e := checkedOutBasket(uuid.NewString())
		early := s.publish(events.ApproveOrder{OrderID: e.BasketID, ShoppingID: uuid.NewString()}, "")
		poisoned := s.poisoned("orders", 20*time.Second)
		reason, _ := poisoned.Headers[broker.ReasonPoisonedKey].(string)
		if poisoned.MessageId != early || !strings.Contains(reason, "orders.ApproveOrder for order "+e.BasketID+", which does not exist") {
			t.Errorf("poisoned message %s with reason %q, want %s with a reason saying the order does not exist", poisoned.MessageId, reason, early)
		}
		if _, ok := poisoned.Headers[broker.DeliveryCountKey]; ok {
			t.Errorf("poisoned on delivery %v, not the first", poisoned.Headers[broker.DeliveryCountKey])
		}
		checkout := s.publish(e, "")
		s.awaitInbox("orders", "orders.OnBasketCheckedOut", checkout)
		if o := s.getOrder(e.BasketID); o["status"] != "pending" {
			t.Errorf("order = %v, want pending", o)
		}
		if n := s.orderOutboxCount("orders", events.CreateOrderReplyName, e.BasketID); n != 0 {
			t.Errorf("%d replies published, want none", n)
		}
	})

	t.Run("a list completed before the approval is recorded; the approval readies the order; then paid, completed", func(t *testing.T) {
		e := place()
		shoppingID := uuid.NewString()
		listCompleted := events.ShoppingListCompleted{ShoppingID: shoppingID, OrderID: e.BasketID}
		listDone := s.publish(listCompleted, "")
		s.awaitInbox("orders", "orders.OnShoppingListCompleted", listDone)
		s.publish(listCompleted, listDone)      // redelivered: nothing at all
		another := s.publish(listCompleted, "") // the same completion under another message ID: nothing new
		s.awaitInbox("orders", "orders.OnShoppingListCompleted", another)
		if o := s.getOrder(e.BasketID); o["status"] != "pending" || o["invoiceId"] != "" {
			t.Fatalf("order = %v, want still pending, with no invoice yet", o)
		}
		if n := s.count("SELECT count(*) FROM orders.events WHERE order_id = $1", e.BasketID); n != 2 {
			t.Errorf("%d events stored, want OrderCreated and one OrderShoppingCompleted", n)
		}
		if status, out, _ := s.do(http.MethodDelete, "/api/ordering/"+e.BasketID, "", nil); status != http.StatusConflict {
			t.Errorf("cancel an order whose shopping is done = %d %v, want 409", status, out)
		}

		s.publish(events.ApproveOrder{OrderID: e.BasketID, ShoppingID: shoppingID}, "")
		if got := decodeNext[events.CreateOrderReply](replies, e.BasketID); got != (events.CreateOrderReply{OrderID: e.BasketID, Command: events.ApproveOrderName, Success: true}) {
			t.Errorf("reply = %+v", got)
		}
		o := s.awaitOrderStatus(e.BasketID, "ready")
		invoiceID, _ := o["invoiceId"].(string)
		if got := decodeNext[events.OrderApproved](approved, e.BasketID); got.ShoppingID != shoppingID {
			t.Errorf("OrderApproved = %+v", got)
		}
		if got := decodeNext[events.OrderReadied](readied, e.BasketID); got.InvoiceID != invoiceID || invoiceID == "" || got.Total != 2048 || got.PaymentID != e.PaymentID {
			t.Errorf("OrderReadied = %+v, order invoice %q", got, invoiceID)
		}
		late := s.publish(listCompleted, "") // a late copy changes nothing
		s.awaitInbox("orders", "orders.OnShoppingListCompleted", late)
		for _, topic := range []string{events.OrderApprovedName, events.OrderReadiedName} {
			if n := s.orderOutboxCount("orders", topic, e.BasketID); n != 1 {
				t.Errorf("%d %s published, want 1", n, topic)
			}
		}

		if status, out, _ := s.do(http.MethodDelete, "/api/ordering/"+e.BasketID, "", nil); status != http.StatusConflict {
			t.Errorf("cancel a ready order = %d %v, want 409", status, out)
		}

		paid := events.InvoicePaid{InvoiceID: invoiceID, OrderID: e.BasketID, Amount: 2048}
		s.publish(paid, "")
		if got := decodeNext[events.OrderCompleted](completed, e.BasketID); got != (events.OrderCompleted{OrderID: e.BasketID, CustomerID: e.CustomerID, InvoiceID: invoiceID}) {
			t.Errorf("OrderCompleted = %+v", got)
		}
		again := s.publish(paid, "")
		s.awaitInbox("orders", "orders.OnInvoicePaid", again)
		if n := s.orderOutboxCount("orders", events.OrderCompletedName, e.BasketID); n != 1 {
			t.Errorf("%d OrderCompleted published, want 1", n)
		}
		s.awaitOrderStatus(e.BasketID, "completed")

		status, out, _ := s.do(http.MethodGet, "/api/ordering/"+e.BasketID+"/history", "", nil)
		evs, _ := out["events"].([]any)
		var names []string
		for _, ev := range evs {
			names = append(names, ev.(map[string]any)["name"].(string))
		}
		want := []string{events.OrderCreatedName, events.OrderShoppingCompletedName, events.OrderApprovedName, events.OrderReadiedName,
			events.OrderCompletedName}
		if status != http.StatusOK || len(names) != len(want) {
			t.Fatalf("history = %d %v, want %v", status, out, want)
		}
		for i := range want {
			if names[i] != want[i] {
				t.Errorf("history = %v, want %v", names, want)
				break
			}
		}
	})
}

// postOrder posts an order of items paid with paymentID and returns the
// answer; while the orders catalog cache has not heard of a product yet
// (a 422 saying so) it tries again, for up to 10s.
func (s *system) postOrder(customerID, paymentID string, items ...map[string]any) (int, map[string]any) {
	s.t.Helper()
	body := mustJSON(s.t, map[string]any{"customerId": customerID, "paymentId": paymentID, "items": items})
	var (
		status int
		out    map[string]any
	)
	testkit.Eventually(s.t, 10*time.Second, "orders knows the catalog", func() bool {
		status, out, _ = s.do(http.MethodPost, "/api/ordering", body, nil)
		detail, _ := out["detail"].(string)
		return status != http.StatusUnprocessableEntity || !strings.Contains(detail, "not known to orders yet")
	})
	return status, out
}

// TestOrderingPricesComeFromTheCatalog is issue 9's "a client chooses its
// own prices": POST /api/ordering prices and names every item from the
// orders service's copy of the catalog. A client may leave price and names
// out; what it sends must be what the catalog says, and a product or store
// the catalog does not sell is refused, naming it.
func TestOrderingPricesComeFromTheCatalog(t *testing.T) {
	s := startSystem(t)
	storeID := s.openStore("Robo Parts")
	servo := s.mustCreate("/api/stores/"+storeID+"/products", `{"name":"Servo","description":"d","sku":"S-1","price":9.99}`, nil)
	gone := s.mustCreate("/api/stores/"+storeID+"/products", `{"name":"Gone","description":"d","sku":"G-1","price":1}`, nil)
	if status, out, _ := s.do(http.MethodDelete, "/api/stores/products/"+gone, "", nil); status != http.StatusOK {
		t.Fatalf("remove product = %d %v", status, out)
	}
	customerID := s.mustCreate("/api/customers", `{"name":"Ada","smsNumber":"+1 555 123 4567"}`, nil)
	// pay takes the system of the subtest that calls it, to fail that one.
	pay := func(s *system, amount string) string {
		return s.mustCreate("/api/payments", `{"customerId":"`+customerID+`","amount":`+amount+`}`, nil)
	}
	item := func(fields map[string]any) map[string]any {
		it := map[string]any{"storeId": storeID, "productId": servo, "quantity": 1}
		for k, v := range fields {
			it[k] = v
		}
		return it
	}
	// place orders it, paid with a payment of amount, and returns the
	// order's ID; anything but a 201 fails the subtest of s.
	place := func(s *system, amount string, it map[string]any) string {
		s.t.Helper()
		status, out := s.postOrder(customerID, pay(s, amount), it)
		id, _ := out["id"].(string)
		if status != http.StatusCreated || id == "" {
			s.t.Fatalf("POST /api/ordering = %d %v, want 201", status, out)
		}
		return id
	}

	t.Run("price and names left out come from the catalog; the order is approved", func(t *testing.T) {
		s := s.in(t)
		o := s.awaitOrderStatus(place(s, "9.99", item(nil)), "approved")
		items, _ := o["items"].([]any)
		if o["total"] != 9.99 || len(items) != 1 {
			t.Fatalf("order = %v, want one item and total 9.99", o)
		}
		got, _ := items[0].(map[string]any)
		want := map[string]any{"storeId": storeID, "storeName": "Robo Parts", "productId": servo, "productName": "Servo", "price": 9.99, "quantity": 1.0}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("item %s = %v, want %v", k, got[k], v)
			}
		}
	})

	for _, tc := range []struct {
		name, payment string
		item          map[string]any
		total         float64
	}{
		{"a null price is a price left out", "19.98", item(map[string]any{"price": nil, "quantity": 2}), 19.98},
		{"the book's full item, as the catalog says it, is accepted", "9.99",
			item(map[string]any{"storeName": "Robo Parts", "productName": "Servo", "price": 9.99}), 9.99},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s.in(t)
			if o := s.getOrder(place(s, tc.payment, tc.item)); o["total"] != tc.total {
				t.Errorf("order = %v, want total %v at the catalog's price", o, tc.total)
			}
		})
	}

	t.Run("a payment of less than the catalog's total gets the order rejected", func(t *testing.T) {
		s := s.in(t)
		o := s.awaitOrderStatus(place(s, "0.01", item(nil)), "rejected")
		if o["total"] != 9.99 || !strings.Contains(o["reason"].(string), "amount mismatch") {
			t.Errorf("order = %v, want total 9.99 rejected for the amount", o)
		}
	})

	unknownProduct, unknownStore := uuid.NewString(), uuid.NewString()
	for _, tc := range []struct {
		name   string
		item   map[string]any
		detail []string
	}{
		{"a price of its own", item(map[string]any{"price": 0.01}), []string{"product " + servo, "costs 9.99, not 0.01"}},
		{"a stale product name", item(map[string]any{"productName": "Old servo"}), []string{"product " + servo, `is called "Servo", not "Old servo"`}},
		{"a stale store name", item(map[string]any{"storeName": "Robo Bits"}), []string{"store " + storeID, `is called "Robo Parts", not "Robo Bits"`}},
		{"another store", item(map[string]any{"storeId": unknownStore}), []string{"product " + servo, "store " + unknownStore}},
		{"an unknown product", item(map[string]any{"productId": unknownProduct}), []string{"product " + unknownProduct, "not on sale"}},
		{"a removed product", item(map[string]any{"productId": gone}), []string{"product " + gone, "not on sale"}},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			s := s.in(t)
			paymentID := pay(s, "0.01")
			before := s.count("SELECT count(*) FROM orders.events")
			status, out, hdr := s.do(http.MethodPost, "/api/ordering", mustJSON(t, map[string]any{
				"customerId": customerID, "paymentId": paymentID, "items": []any{tc.item}}), nil)
			detail, _ := out["detail"].(string)
			if status != http.StatusUnprocessableEntity || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("POST /api/ordering = %d %v, want a 422 problem", status, out)
			}
			for _, want := range tc.detail {
				if !strings.Contains(detail, want) {
					t.Errorf("detail = %q, want it to say %q", detail, want)
				}
			}
			if after := s.count("SELECT count(*) FROM orders.events"); after != before {
				t.Errorf("a refused order stored %d events", after-before)
			}
		})
	}
}

// mustJSON returns v as JSON text.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
