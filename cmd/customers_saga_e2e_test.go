package cmd

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/events"
)

func TestCustomersAnswerAuthorizeCustomerOncePerCommand(t *testing.T) {
	// One consumer per queue: the check below relies on the queue's order.
	s := startSystemWith(t, func(c *config.Config) { c.Broker.Consumers = 1 }, "customers")
	replies := s.tap(events.CreateOrderReplyName)
	ada := s.mustCreate("/api/customers", `{"name":"Ada","smsNumber":"+1 555 123 4567"}`, nil)
	bob := s.mustCreate("/api/customers", `{"name":"Bob","smsNumber":"+1 555 765 4321"}`, nil)
	if status, out, _ := s.do(http.MethodPut, "/api/customers/"+bob+"/disable", "", nil); status != http.StatusOK {
		t.Fatalf("disable = %d %v", status, out)
	}
	stranger := uuid.NewString()

	type want struct {
		success bool
		reason  string
	}
	wants := map[string]want{} // by order ID
	commandIDs := map[string]string{}
	for _, tc := range []struct {
		customerID string
		want       want
	}{
		{ada, want{success: true}},
		{bob, want{reason: "customer " + bob + " is disabled"}},
		{stranger, want{reason: "customer " + stranger + " is not registered"}},
	} {
		orderID := uuid.NewString()
		wants[orderID] = tc.want
		cmd := events.AuthorizeCustomer{OrderID: orderID, CustomerID: tc.customerID}
		id := s.publish(cmd, "")
		s.publish(cmd, id) // a redelivery: the inbox must keep it from being answered twice
		commandIDs[orderID] = id
	}
	// One queue feeds its one consumer in order, and the relay keeps commit
	// order: once the last command's reply arrives, any second reply to an
	// earlier command would have arrived before it.
	last := uuid.NewString()
	wants[last] = want{success: true}
	commandIDs[last] = s.publish(events.AuthorizeCustomer{OrderID: last, CustomerID: ada}, "")

	got := map[string]int{}
	deadline := time.After(15 * time.Second)
	for got[last] == 0 {
		select {
		case d := <-replies:
			var r events.CreateOrderReply
			if err := json.Unmarshal(d.Body, &r); err != nil {
				t.Fatalf("reply %s: %v", d.Body, err)
			}
			got[r.OrderID]++
			w, ok := wants[r.OrderID]
			if !ok || r.Command != events.AuthorizeCustomerName || r.Success != w.success || r.Reason != w.reason {
				t.Errorf("reply %+v, want order %s answered %+v", r, r.OrderID, w)
			}
			// The reply continues the command's conversation.
			if corr, _ := d.Headers[broker.CorrelationIDKey].(string); corr != commandIDs[r.OrderID] {
				t.Errorf("reply to order %s has correlation_id %q, want the command's %q", r.OrderID, corr, commandIDs[r.OrderID])
			}
			if cause, _ := d.Headers[broker.CausationIDKey].(string); cause != commandIDs[r.OrderID] {
				t.Errorf("reply to order %s has causation_id %q, want the command %q", r.OrderID, cause, commandIDs[r.OrderID])
			}
		case <-deadline:
			t.Fatalf("replies so far %v; the last command was never answered", got)
		}
	}
	for orderID := range wants {
		if got[orderID] != 1 {
			t.Errorf("order %s got %d replies, want exactly 1", orderID, got[orderID])
		}
	}
	if n := s.count(`SELECT count(*) FROM customers.watermill_outbox WHERE payload->>'destination_topic' = $1`, events.CreateOrderReplyName); n != len(wants) {
		t.Errorf("customers wrote %d replies to its outbox, want %d", n, len(wants))
	}
	if n := s.count(`SELECT count(*) FROM customers.inbox WHERE handler = 'customers.OnAuthorizeCustomer'`); n != len(wants) {
		t.Errorf("inbox recorded %d commands, want %d", n, len(wants))
	}
}
