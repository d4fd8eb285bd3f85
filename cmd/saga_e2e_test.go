package cmd

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
)

// sagaCommandTaps taps every command topic the saga sends to.
func (s *system) sagaCommandTaps() map[string]*orderTap {
	taps := map[string]*orderTap{}
	for _, name := range []string{events.AuthorizeCustomerName, events.CreateShoppingListName, events.ConfirmPaymentName,
		events.InitiateShoppingName, events.ApproveOrderName, events.CancelShoppingListName, events.VoidPaymentName, events.RejectOrderName} {
		taps[name] = s.tapByOrder(name)
	}
	return taps
}

func newOrderCreated(orderID string) events.OrderCreated {
	e := checkedOutBasket(orderID)
	return events.OrderCreated{OrderID: orderID, CustomerID: e.CustomerID, PaymentID: e.PaymentID, Items: e.Items, Total: 2048}
}

// saga returns GET /api/sagas/{orderId}'s saga.
func (s *system) getSaga(orderID string) map[string]any {
	s.t.Helper()
	status, out, _ := s.do(http.MethodGet, "/api/sagas/"+orderID, "", nil)
	if status != http.StatusOK {
		return nil
	}
	sg, _ := out["saga"].(map[string]any)
	return sg
}

func (s *system) awaitSaga(orderID, step, status string) map[string]any {
	s.t.Helper()
	var sg map[string]any
	testkit.Eventually(s.t, 10*time.Second, "saga of "+orderID+" at "+step+", "+status, func() bool {
		sg = s.getSaga(orderID)
		return sg["step"] == step && sg["status"] == status
	})
	return sg
}

// sagaCommands lists the topics of the commands the saga sent for orderID,
// in the order it sent them.
func (s *system) sagaCommands(orderID string) []string {
	s.t.Helper()
	rows, err := s.db.Pool.Query(context.Background(), `SELECT payload->>'destination_topic' FROM saga.watermill_outbox
		WHERE convert_from(decode(payload->>'payload', 'base64'), 'UTF8')::jsonb->>'orderId' = $1 ORDER BY "offset"`, orderID)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	var topics []string
	for rows.Next() {
		var topic string
		if err := rows.Scan(&topic); err != nil {
			s.t.Fatal(err)
		}
		topics = append(topics, topic)
	}
	return topics
}

func TestSagaEndToEnd(t *testing.T) {
	s := startSystemWith(t, patientRetries, "saga")
	taps := s.sagaCommandTaps()
	// answer waits for the saga's command on topic for orderID and replies.
	answer := func(topic, orderID string, success bool, reason, shoppingID string) string {
		t.Helper()
		taps[topic].next(orderID)
		return s.publish(events.CreateOrderReply{OrderID: orderID, Command: topic, Success: success, Reason: reason, ShoppingID: shoppingID}, "")
	}

	t.Run("happy path to approved, duplicates ignored", func(t *testing.T) {
		e := newOrderCreated(uuid.NewString())
		id := s.publish(e, "")
		s.publish(e, id)          // redelivered
		again := s.publish(e, "") // under another ID: no second saga
		if got := decodeNext[events.AuthorizeCustomer](taps[events.AuthorizeCustomerName], e.OrderID); got != (events.AuthorizeCustomer{OrderID: e.OrderID, CustomerID: e.CustomerID}) {
			t.Errorf("AuthorizeCustomer = %+v", got)
		}
		s.awaitInbox("saga", "saga.OnOrderCreated", again)
		authorized := events.CreateOrderReply{OrderID: e.OrderID, Command: events.AuthorizeCustomerName, Success: true}
		replyID := s.publish(authorized, "")
		s.publish(authorized, replyID)   // redelivered
		dup := s.publish(authorized, "") // duplicate under another ID
		s.awaitInbox("saga", "saga.OnCreateOrderReply", dup)

		shoppingID := uuid.NewString()
		if got := decodeNext[events.CreateShoppingList](taps[events.CreateShoppingListName], e.OrderID); len(got.Items) != 2 || got.Items[0] != e.Items[0] {
			t.Errorf("CreateShoppingList = %+v", got)
		}
		s.publish(events.CreateOrderReply{OrderID: e.OrderID, Command: events.CreateShoppingListName, Success: true, ShoppingID: shoppingID}, "")
		if got := decodeNext[events.ConfirmPayment](taps[events.ConfirmPaymentName], e.OrderID); got != (events.ConfirmPayment{OrderID: e.OrderID,
			PaymentID: e.PaymentID, CustomerID: e.CustomerID, Amount: 2048}) {
			t.Errorf("ConfirmPayment = %+v", got)
		}
		s.publish(events.CreateOrderReply{OrderID: e.OrderID, Command: events.ConfirmPaymentName, Success: true}, "")
		if got := decodeNext[events.InitiateShopping](taps[events.InitiateShoppingName], e.OrderID); got.ShoppingID != shoppingID {
			t.Errorf("InitiateShopping = %+v", got)
		}
		s.publish(events.CreateOrderReply{OrderID: e.OrderID, Command: events.InitiateShoppingName, Success: true}, "")
		if got := decodeNext[events.ApproveOrder](taps[events.ApproveOrderName], e.OrderID); got != (events.ApproveOrder{OrderID: e.OrderID, ShoppingID: shoppingID}) {
			t.Errorf("ApproveOrder = %+v", got)
		}
		s.publish(events.CreateOrderReply{OrderID: e.OrderID, Command: events.ApproveOrderName, Success: true}, "")
		sg := s.awaitSaga(e.OrderID, "done", "approved")
		if sg["shoppingId"] != shoppingID || sg["reason"] != "" || sg["updatedAt"] == "" {
			t.Errorf("saga = %v", sg)
		}
		want := []string{events.AuthorizeCustomerName, events.CreateShoppingListName, events.ConfirmPaymentName, events.InitiateShoppingName, events.ApproveOrderName}
		if got := s.sagaCommands(e.OrderID); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("commands sent = %v, want each once: %v", got, want)
		}
	})

	t.Run("payment refused: the list is canceled, nothing voided, the order rejected", func(t *testing.T) {
		e := newOrderCreated(uuid.NewString())
		s.publish(e, "")
		answer(events.AuthorizeCustomerName, e.OrderID, true, "", "")
		answer(events.CreateShoppingListName, e.OrderID, true, "", uuid.NewString())
		answer(events.ConfirmPaymentName, e.OrderID, false, "amount differs", "")
		if got := decodeNext[events.CancelShoppingList](taps[events.CancelShoppingListName], e.OrderID); got.Reason != "confirmPayment failed: amount differs" {
			t.Errorf("CancelShoppingList = %+v", got)
		}
		s.publish(events.CreateOrderReply{OrderID: e.OrderID, Command: events.CancelShoppingListName, Success: true}, "")
		if got := decodeNext[events.RejectOrder](taps[events.RejectOrderName], e.OrderID); got.Reason != "confirmPayment failed: amount differs" {
			t.Errorf("RejectOrder = %+v", got)
		}
		s.publish(events.CreateOrderReply{OrderID: e.OrderID, Command: events.RejectOrderName, Success: true}, "")
		if sg := s.awaitSaga(e.OrderID, "done", "rejected"); sg["reason"] != "confirmPayment failed: amount differs" {
			t.Errorf("saga = %v", sg)
		}
		want := []string{events.AuthorizeCustomerName, events.CreateShoppingListName, events.ConfirmPaymentName, events.CancelShoppingListName, events.RejectOrderName}
		if got := s.sagaCommands(e.OrderID); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("commands sent = %v, want %v (no VoidPayment)", got, want)
		}
	})

	t.Run("shopping not initiated: cancel, void, reject in that order", func(t *testing.T) {
		e := newOrderCreated(uuid.NewString())
		s.publish(e, "")
		answer(events.AuthorizeCustomerName, e.OrderID, true, "", "")
		answer(events.CreateShoppingListName, e.OrderID, true, "", uuid.NewString())
		answer(events.ConfirmPaymentName, e.OrderID, true, "", "")
		answer(events.InitiateShoppingName, e.OrderID, false, "list canceled", "")
		answer(events.CancelShoppingListName, e.OrderID, true, "", "")
		if got := decodeNext[events.VoidPayment](taps[events.VoidPaymentName], e.OrderID); got != (events.VoidPayment{OrderID: e.OrderID,
			PaymentID: e.PaymentID, Reason: "initiateShopping failed: list canceled"}) {
			t.Errorf("VoidPayment = %+v", got)
		}
		s.publish(events.CreateOrderReply{OrderID: e.OrderID, Command: events.VoidPaymentName, Success: true}, "")
		answer(events.RejectOrderName, e.OrderID, true, "", "")
		s.awaitSaga(e.OrderID, "done", "rejected")
		want := []string{events.AuthorizeCustomerName, events.CreateShoppingListName, events.ConfirmPaymentName, events.InitiateShoppingName,
			events.CancelShoppingListName, events.VoidPaymentName, events.RejectOrderName}
		if got := s.sagaCommands(e.OrderID); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("commands sent = %v, want %v", got, want)
		}
	})

	t.Run("OrderCanceled stops the saga: no forward step, the list undone, no RejectOrder; repeats change nothing", func(t *testing.T) {
		e := newOrderCreated(uuid.NewString())
		s.publish(e, "")
		answer(events.AuthorizeCustomerName, e.OrderID, true, "", "")
		taps[events.CreateShoppingListName].next(e.OrderID)
		canceled := events.OrderCanceled{OrderID: e.OrderID, CustomerID: e.CustomerID, PaymentID: e.PaymentID}
		id := s.publish(canceled, "")
		s.publish(canceled, id)          // redelivered
		again := s.publish(canceled, "") // the same cancel under another message ID
		s.awaitInbox("saga", "saga.OnOrderCanceled", again)
		if sg := s.awaitSaga(e.OrderID, "createShoppingList", "compensating"); sg["reason"] != "order canceled" {
			t.Errorf("saga = %v", sg)
		}
		shoppingID := uuid.NewString()
		s.publish(events.CreateOrderReply{OrderID: e.OrderID, Command: events.CreateShoppingListName, Success: true, ShoppingID: shoppingID}, "")
		if got := decodeNext[events.CancelShoppingList](taps[events.CancelShoppingListName], e.OrderID); got != (events.CancelShoppingList{OrderID: e.OrderID,
			ShoppingID: shoppingID, Reason: "order canceled"}) {
			t.Errorf("CancelShoppingList = %+v", got)
		}
		s.publish(events.CreateOrderReply{OrderID: e.OrderID, Command: events.CancelShoppingListName, Success: true}, "")
		s.awaitSaga(e.OrderID, "done", "canceled")
		want := []string{events.AuthorizeCustomerName, events.CreateShoppingListName, events.CancelShoppingListName}
		if got := s.sagaCommands(e.OrderID); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("commands sent = %v, want %v", got, want)
		}
	})

	t.Run("OrderCanceled before its OrderCreated: the saga never starts", func(t *testing.T) {
		e := newOrderCreated(uuid.NewString())
		s.awaitInbox("saga", "saga.OnOrderCanceled", s.publish(events.OrderCanceled{OrderID: e.OrderID, CustomerID: e.CustomerID, PaymentID: e.PaymentID}, ""))
		s.awaitInbox("saga", "saga.OnOrderCreated", s.publish(e, ""))
		s.awaitSaga(e.OrderID, "done", "canceled")
		if got := s.sagaCommands(e.OrderID); len(got) != 0 {
			t.Errorf("commands sent = %v, want none", got)
		}
	})

	t.Run("a reply before its saga is poisoned at once, and the saga runs as if it never came", func(t *testing.T) {
		e := newOrderCreated(uuid.NewString())
		early := s.publish(events.CreateOrderReply{OrderID: e.OrderID, Command: events.AuthorizeCustomerName, Success: true}, "")
		if d := s.poisoned("saga", 20*time.Second); d.MessageId != early {
			t.Fatalf("saga.poison holds %s, want the early reply %s", d.MessageId, early)
		}
		s.publish(e, "")
		taps[events.AuthorizeCustomerName].next(e.OrderID)
		s.awaitSaga(e.OrderID, "authorizeCustomer", "running")
	})
}

// TestSagaPoisonsAReplyForAnOrderWithoutASaga: a saga is stored with its
// first command, so a reply for an order without one can never apply. It is
// poisoned on its first delivery and attempt (a retry would take a minute
// here), with a reason that says why.
func TestSagaPoisonsAReplyForAnOrderWithoutASaga(t *testing.T) {
	s := startSystemWith(t, func(c *config.Config) {
		c.Retry.InitialInterval, c.Retry.MaxInterval, c.Retry.MaxElapsedTime = time.Minute, time.Minute, 10*time.Minute
		c.Retry.Waits = []time.Duration{time.Minute}
	}, "saga")
	orderID := uuid.NewString()
	id := s.publish(events.CreateOrderReply{OrderID: orderID, Command: events.AuthorizeCustomerName, Success: true}, "")
	poisoned := s.poisoned("saga", 20*time.Second)
	reason, _ := poisoned.Headers[broker.ReasonPoisonedKey].(string)
	if poisoned.MessageId != id || !strings.Contains(reason, "reply to customers.AuthorizeCustomer for order "+orderID+", which has no create-order saga") {
		t.Errorf("poisoned message %s with reason %q, want %s with a reason saying the order has no saga", poisoned.MessageId, reason, id)
	}
	if handler, _ := poisoned.Headers[broker.HandlerPoisonedKey].(string); handler != "saga.OnCreateOrderReply" {
		t.Errorf("poisoned by %q, want saga.OnCreateOrderReply", handler)
	}
	if _, ok := poisoned.Headers[broker.DeliveryCountKey]; ok {
		t.Errorf("poisoned on delivery %v, not the first", poisoned.Headers[broker.DeliveryCountKey])
	}
}

// TestOrdersAndSagaEndToEnd runs orders and the saga together; the test plays
// customers, depot and payments, answering their commands as they would:
// with the correlation ID of the command they answer.
func TestOrdersAndSagaEndToEnd(t *testing.T) {
	s := startSystem(t, "orders", "saga")
	taps := s.sagaCommandTaps()
	corr := "e2e-" + uuid.NewString()
	e := checkedOutBasket(uuid.NewString())
	orderID := e.BasketID
	s.publishCorrelated(e, "", corr)

	shoppingID := uuid.NewString()
	for _, step := range []struct {
		command    string
		shoppingID string
	}{
		{events.AuthorizeCustomerName, ""},
		{events.CreateShoppingListName, shoppingID},
		{events.ConfirmPaymentName, ""},
		{events.InitiateShoppingName, ""},
	} {
		d := taps[step.command].next(orderID)
		if got, _ := d.Headers["correlation_id"].(string); got != corr {
			t.Errorf("%s correlation_id = %q, want %q", step.command, got, corr)
		}
		s.publishCorrelated(events.CreateOrderReply{OrderID: orderID, Command: step.command, Success: true, ShoppingID: step.shoppingID}, "", corr)
	}
	// orders carries out ApproveOrder itself and replies to the saga.
	s.awaitSaga(orderID, "done", "approved")
	if o := s.awaitOrderStatus(orderID, "approved"); o["shoppingId"] != shoppingID {
		t.Errorf("order = %v", o)
	}

	s.publishCorrelated(events.ShoppingListCompleted{ShoppingID: shoppingID, OrderID: orderID}, "", corr)
	invoiceID, _ := s.awaitOrderStatus(orderID, "ready")["invoiceId"].(string)
	s.publishCorrelated(events.InvoicePaid{InvoiceID: invoiceID, OrderID: orderID, Amount: 2048}, "", corr)
	s.awaitOrderStatus(orderID, "completed")

	// Every event and command of this order, in both outboxes, carries the
	// checkout's correlation ID. Watermill's forwarder keeps a message's
	// metadata inside its envelope (the payload column); the row's own
	// metadata column stays empty.
	var rows, correlated, ids int
	var id string
	err := s.db.Pool.QueryRow(context.Background(), `
		SELECT count(*), count(corr), count(DISTINCT corr), coalesce(min(corr), '') FROM (
			SELECT payload->'metadata'->>'correlation_id' AS corr FROM orders.watermill_outbox
			UNION ALL
			SELECT payload->'metadata'->>'correlation_id' FROM saga.watermill_outbox) all_rows`).Scan(&rows, &correlated, &ids, &id)
	if err != nil {
		t.Fatal(err)
	}
	// orders: OrderCreated, OrderApproved, the ApproveOrder reply,
	// OrderReadied, OrderCompleted; saga: its five commands.
	if rows != 10 || correlated != rows || ids != 1 || id != corr {
		t.Errorf("outbox rows = %d, %d with a correlation ID, %d distinct (%q); want 10 rows, all %q", rows, correlated, ids, id, corr)
	}
}
