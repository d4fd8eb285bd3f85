package cmd

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/client"
)

// TestDemoRunsOrdersToCompletion runs `mallbots demo --orders 2` against the
// real serve: both orders complete and every event it prints carries the
// correlation ID of its own order.
func TestDemoRunsOrdersToCompletion(t *testing.T) {
	s := startSystem(t)
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := runDemo(ctx, &out, client.New(s.base), s.amqpURL, 2); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"baskets.BasketCheckedOut", "orders.OrderCreated", "customers.AuthorizeCustomer",
		"saga.CreateOrderReply", "depot.ShoppingListCompleted", "orders.OrderReadied",
		"payments.InvoicePaid", "orders.OrderCompleted",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %s", want)
		}
	}
	if n := strings.Count(text, "order completed"); n != 2 {
		t.Errorf("demo completed %d orders, want 2:\n%s", n, text)
	}
	corrs := map[string]map[string]bool{} // label → correlation IDs printed
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasPrefix(f[4], "corr=") || f[1] != "order" {
			continue
		}
		label := f[1] + " " + f[2]
		if corrs[label] == nil {
			corrs[label] = map[string]bool{}
		}
		corrs[label][f[4]] = true
	}
	if len(corrs) != 2 {
		t.Fatalf("events printed for %d orders, want 2:\n%s", len(corrs), text)
	}
	for label, ids := range corrs {
		if len(ids) != 1 {
			t.Errorf("%s printed events with %d correlation IDs, want 1", label, len(ids))
		}
	}
}
