package cmd

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
)

// notificationCount returns how many notifications of kind order has.
func (s *system) notificationCount(orderID, kind string) int {
	return s.count("SELECT count(*) FROM notifications.notifications WHERE order_id = $1 AND kind = $2", orderID, kind)
}

// waitNotified waits until order has its notification of kind.
func (s *system) waitNotified(orderID, kind string) {
	s.t.Helper()
	testkit.Eventually(s.t, 10*time.Second, "order "+orderID+" has its "+kind+" notification", func() bool {
		return s.notificationCount(orderID, kind) > 0
	})
}

func TestNotificationsEndToEnd(t *testing.T) {
	s := startSystem(t, "customers", "notifications")
	customerID := s.mustCreate("/api/customers", `{"name":"Ada","smsNumber":"+1 555 123 4567"}`, nil)
	testkit.Eventually(t, 10*time.Second, "the customer reaches the notifications cache", func() bool {
		return s.count("SELECT count(*) FROM notifications.customers WHERE id = $1", customerID) == 1
	})

	// Each event is delivered twice under one message ID (a redelivery the
	// inbox catches), OrderCreated once more under a new ID (which only the
	// order's progress and the one-per-kind rule catch). Steps go one at a
	// time: a step that arrived after a later one would be stale, and
	// rightly not sent.
	orderA, orderB := uuid.NewString(), uuid.NewString()
	twice := func(ev events.Event) {
		id := s.publish(ev, "")
		s.publish(ev, id)
	}
	created := events.OrderCreated{OrderID: orderA, CustomerID: customerID, PaymentID: uuid.NewString(), Total: 1234,
		Items: []events.Item{{StoreID: uuid.NewString(), StoreName: "Waffles", ProductID: uuid.NewString(), ProductName: "Syrup", Price: 617, Quantity: 2}}}
	twice(created)
	s.publish(created, "")
	s.waitNotified(orderA, "created")
	twice(events.OrderReadied{OrderID: orderA, CustomerID: customerID, PaymentID: created.PaymentID, InvoiceID: uuid.NewString(), Total: 1234})
	s.waitNotified(orderA, "ready")
	completed := events.OrderCompleted{OrderID: orderA, CustomerID: customerID, InvoiceID: uuid.NewString()}
	completedID := s.publish(completed, "")
	s.publish(completed, completedID)
	s.waitNotified(orderA, "completed")

	createdB := orderCreated(orderB, customerID, 500)
	twice(createdB)
	s.waitNotified(orderB, "created")
	twice(events.OrderCanceled{OrderID: orderB, CustomerID: customerID, PaymentID: createdB.PaymentID})
	s.waitNotified(orderB, "canceled")

	// A late OrderReadied after OrderCompleted is stale: no "please pay".
	lateReady := s.publish(events.OrderReadied{OrderID: orderA, CustomerID: customerID, PaymentID: created.PaymentID, InvoiceID: uuid.NewString(), Total: 1234}, "")
	testkit.Eventually(t, 10*time.Second, "the late OrderReadied is handled", func() bool {
		return s.handled("notifications", "notifications.OnOrderReadied", lateReady)
	})

	// Every inbox row of the duplicates is committed by now: the counts are
	// final.
	for _, kind := range []string{"created", "ready", "completed"} {
		if n := s.notificationCount(orderA, kind); n != 1 {
			t.Errorf("order A has %d %s notifications, want 1", n, kind)
		}
	}
	for _, kind := range []string{"created", "canceled"} {
		if n := s.notificationCount(orderB, kind); n != 1 {
			t.Errorf("order B has %d %s notifications, want 1", n, kind)
		}
	}

	status, out, _ := s.do(http.MethodGet, "/api/notifications?customerId="+customerID, "", nil)
	list, _ := out["notifications"].([]any)
	if status != http.StatusOK || len(list) != 5 {
		t.Fatalf("GET notifications = %d with %d notifications, want 200 with 5: %v", status, len(list), out)
	}
	var kinds []string
	for _, item := range list {
		n := item.(map[string]any)
		kinds = append(kinds, n["kind"].(string))
		if n["customerId"] != customerID || n["smsNumber"] != "+1 555 123 4567" || n["sentAt"] == "" {
			t.Errorf("notification %v lacks the customer, number or time", n)
		}
		if n["kind"] == "ready" && !strings.Contains(n["text"].(string), "please pay 12.34 at the depot") {
			t.Errorf("ready text = %q, want the amount to pay", n["text"])
		}
	}
	if got := strings.Join(kinds, ","); got != "canceled,created,completed,ready,created" {
		t.Errorf("kinds newest first = %s", got)
	}

	// A changed SMS number is used from then on.
	if status, out, _ := s.do(http.MethodPut, "/api/customers/"+customerID+"/change-sms", `{"smsNumber":"+44 20 7946 0958"}`, nil); status != http.StatusOK {
		t.Fatalf("change sms = %d %v", status, out)
	}
	testkit.Eventually(t, 10*time.Second, "the new number reaches the notifications cache", func() bool {
		return s.count("SELECT count(*) FROM notifications.customers WHERE id = $1 AND sms_number = '+44 20 7946 0958'", customerID) == 1
	})
	orderC := uuid.NewString()
	s.publish(orderCreated(orderC, customerID, 100), "")
	s.waitNotified(orderC, "created")
	if n := s.count("SELECT count(*) FROM notifications.notifications WHERE order_id = $1 AND sms_number = '+44 20 7946 0958'", orderC); n != 1 {
		t.Error("the notification of a later order did not go to the new number")
	}
}

func TestNotificationsWaitForWhatTheyNeed(t *testing.T) {
	s := startSystem(t, "customers", "notifications")

	// OrderCreated for a customer not registered yet: its handler takes it
	// and keeps retrying; once CustomerRegistered lands, it notifies once.
	customerID, orderID := uuid.NewString(), uuid.NewString()
	s.publish(orderCreated(orderID, customerID, 999), "")
	s.waitTaken("notifications.OnOrderCreated")
	if n := s.notificationCount(orderID, "created"); n != 0 {
		t.Fatalf("notified %d times before the customer was known", n)
	}
	s.publish(events.CustomerRegistered{CustomerID: customerID, Name: "Bob", SmsNumber: "5550001111", Enabled: true, Version: 1}, "")
	s.waitNotified(orderID, "created")

	// OrderReadied before its order's OrderCreated waits for it the same way.
	orderID2 := uuid.NewString()
	created2 := orderCreated(orderID2, customerID, 4200)
	s.publish(events.OrderReadied{OrderID: orderID2, CustomerID: customerID, PaymentID: created2.PaymentID, InvoiceID: uuid.NewString(), Total: 4200}, "")
	s.waitTaken("notifications.OnOrderReadied")
	if n := s.notificationCount(orderID2, "ready"); n != 0 {
		t.Fatalf("notified %d times before the order was known", n)
	}
	s.publish(created2, "")
	s.waitNotified(orderID2, "ready")

	for _, c := range []struct{ order, kind string }{{orderID, "created"}, {orderID2, "created"}, {orderID2, "ready"}} {
		if n := s.notificationCount(c.order, c.kind); n != 1 {
			t.Errorf("order %s has %d %s notifications, want 1", c.order, n, c.kind)
		}
	}
	if n := s.count("SELECT count(*) FROM notifications.notifications WHERE text LIKE 'Hi Bob, your order % is ready: please pay 42.00 at the depot.'"); n != 1 {
		t.Errorf("%d ready notifications with the amount, want 1", n)
	}
}
