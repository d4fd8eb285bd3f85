package orders_test

import (
	"reflect"
	"testing"

	"github.com/mallbots/mallbots/domain/order"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/orders"
)

// published maps evs as the event store does, with o after the command.
func published(o *order.Order, evs []order.Event) []events.Event {
	var out []events.Event
	for _, e := range evs {
		if pub := orders.Published(o, e); pub != nil {
			out = append(out, pub)
		}
	}
	return out
}

func TestPublishedTellsWhatOthersNeedOfTheOrder(t *testing.T) {
	const invoiceID = "0190a5e1-0000-7000-8000-0000000000a9"
	// step returns a command's events, failing the test on a refusal.
	step := func(evs []order.Event, err error) []order.Event {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	o, evs, err := order.New(basketID, customerID, paymentID, created.Items)
	if err != nil {
		t.Fatal(err)
	}
	items := []events.Item{{StoreID: storeID, StoreName: "Robo Parts", ProductID: productID, ProductName: "Servo", Price: 999, Quantity: 2}}
	want := []events.Event{events.OrderCreated{OrderID: basketID, CustomerID: customerID, PaymentID: paymentID, Items: items, Total: 1998}}
	if got := published(o, evs); !reflect.DeepEqual(got, want) {
		t.Errorf("created: %#v\nwant %#v", got, want)
	}

	// The bots finish first: the memo is told to no one, and the approval
	// publishes OrderApproved then OrderReadied, with what payments needs.
	evs = step(o.Ready(shoppingID, invoiceID))
	if got := published(o, evs); len(got) != 0 {
		t.Errorf("shopping completed before approval published %#v, want nothing", got)
	}
	evs = step(o.Approve(shoppingID))
	want = []events.Event{
		events.OrderApproved{OrderID: basketID, CustomerID: customerID, ShoppingID: shoppingID},
		events.OrderReadied{OrderID: basketID, CustomerID: customerID, PaymentID: paymentID, InvoiceID: invoiceID, Total: 1998},
	}
	if got := published(o, evs); !reflect.DeepEqual(got, want) {
		t.Errorf("approved: %#v\nwant %#v", got, want)
	}
	evs = step(o.Complete(invoiceID))
	want = []events.Event{events.OrderCompleted{OrderID: basketID, CustomerID: customerID, InvoiceID: invoiceID}}
	if got := published(o, evs); !reflect.DeepEqual(got, want) {
		t.Errorf("completed: %#v\nwant %#v", got, want)
	}

	canceled, _, _ := order.New(basketID, customerID, paymentID, created.Items)
	step(canceled.Approve(shoppingID))
	evs = step(canceled.Cancel())
	want = []events.Event{events.OrderCanceled{OrderID: basketID, CustomerID: customerID, PaymentID: paymentID, ShoppingID: shoppingID}}
	if got := published(canceled, evs); !reflect.DeepEqual(got, want) {
		t.Errorf("canceled: %#v\nwant %#v", got, want)
	}

	rejected, _, _ := order.New(basketID, customerID, paymentID, created.Items)
	evs = step(rejected.Reject("out of stock"))
	want = []events.Event{events.OrderRejected{OrderID: basketID, CustomerID: customerID, Reason: "out of stock"}}
	if got := published(rejected, evs); !reflect.DeepEqual(got, want) {
		t.Errorf("rejected: %#v\nwant %#v", got, want)
	}
}
