package notifications_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/notifications"
)

const (
	customerID = "00000000-0000-4000-8000-0000000000c1"
	orderID    = "00000000-0000-4000-8000-0000000000a1"
)

func newHandlers() (*notifications.Handlers, *fakeStore) {
	store := newFakeStore()
	return notifications.New(store, store, store, sequentialIDs()), store
}

var (
	registered = events.CustomerRegistered{CustomerID: customerID, Name: "Ada", SmsNumber: "+1 555 123 4567", Enabled: true, Version: 1}
	created    = events.OrderCreated{OrderID: orderID, CustomerID: customerID, PaymentID: "p", Total: 1234,
		Items: []events.Item{{StoreID: "s", StoreName: "Waffles", ProductID: "x", ProductName: "Syrup", Price: 617, Quantity: 2}}}
	readied   = events.OrderReadied{OrderID: orderID, CustomerID: customerID, PaymentID: "p", InvoiceID: "i", Total: 1234}
	canceled  = events.OrderCanceled{OrderID: orderID, CustomerID: customerID, PaymentID: "p"}
	completed = events.OrderCompleted{OrderID: orderID, CustomerID: customerID, InvoiceID: "i"}

	textCreated   = "created: Hi Ada, your order " + orderID + " for 12.34 has been received. We will text you when it is ready."
	textReady     = "ready: Hi Ada, your order " + orderID + " is ready: please pay 12.34 at the depot."
	textCanceled  = "canceled: Hi Ada, your order " + orderID + " has been canceled. You will not be charged."
	textCompleted = "completed: Hi Ada, your order " + orderID + " is complete. Thank you for shopping with MallBots!"
)

// deliver hands ev to h's consumer for its type.
func deliver(ctx context.Context, h *notifications.Handlers, ev events.Event) error {
	switch e := ev.(type) {
	case events.CustomerRegistered:
		return h.OnCustomerRegistered(ctx, e)
	case events.CustomerSmsChanged:
		return h.OnCustomerSmsChanged(ctx, e)
	case events.OrderCreated:
		return h.OnOrderCreated(ctx, e)
	case events.OrderReadied:
		return h.OnOrderReadied(ctx, e)
	case events.OrderCanceled:
		return h.OnOrderCanceled(ctx, e)
	case events.OrderCompleted:
		return h.OnOrderCompleted(ctx, e)
	}
	panic("no consumer for " + ev.EventName())
}

func TestOrderStepsNotifyOnceEachInOrder(t *testing.T) {
	tests := []struct {
		name   string
		events []events.Event
		want   []string
	}{
		{"the happy path", []events.Event{registered, created, readied, completed},
			[]string{textCreated, textReady, textCompleted}},
		{"canceled", []events.Event{registered, created, canceled},
			[]string{textCreated, textCanceled}},
		{"every event twice", []events.Event{registered, registered, created, created, readied, readied, completed, completed},
			[]string{textCreated, textReady, textCompleted}},
		{"ready overtaken by completed is stale", []events.Event{registered, created, completed, readied},
			[]string{textCreated, textCompleted}},
		{"canceled after completed is stale", []events.Event{registered, created, completed, canceled},
			[]string{textCreated, textCompleted}},
		{"created after the customer's later events", []events.Event{registered, events.CustomerSmsChanged{CustomerID: customerID, SmsNumber: "5550000002", Version: 2}, created},
			[]string{textCreated}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, store := newHandlers()
			for _, ev := range tt.events {
				if err := deliver(context.Background(), h, ev); err != nil {
					t.Fatalf("%s: %v", ev.EventName(), err)
				}
			}
			if got := store.sentTexts(); !slices.Equal(got, tt.want) {
				t.Errorf("sent\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestNotificationGoesToTheCachedSmsNumber(t *testing.T) {
	h, store := newHandlers()
	ctx := context.Background()
	for _, ev := range []events.Event{
		registered,
		events.CustomerSmsChanged{CustomerID: customerID, SmsNumber: "5550000003", Version: 3},
		events.CustomerSmsChanged{CustomerID: customerID, SmsNumber: "5550000002", Version: 2}, // stale
		created,
	} {
		if err := deliver(ctx, h, ev); err != nil {
			t.Fatal(err)
		}
	}
	if len(store.sent) != 1 || store.sent[0].SmsNumber() != "5550000003" || store.sent[0].CustomerID() != customerID ||
		store.sent[0].ID() != "00000000-0000-7000-8000-000000000001" {
		t.Errorf("sent %+v, want one notification to the v3 number with the first ID", store.sent)
	}
}

func TestEventsAheadOfWhatTheyNeedWait(t *testing.T) {
	tests := []struct {
		name  string
		first events.Event // fails with ErrNotFound and sends nothing
		then  []events.Event
		want  []string
	}{
		{"order before its customer", created, []events.Event{registered}, []string{textCreated}},
		{"sms change before registration", events.CustomerSmsChanged{CustomerID: customerID, SmsNumber: "5550000002", Version: 2},
			[]events.Event{registered}, nil},
		{"ready before created", readied, []events.Event{registered, created}, []string{textCreated, textReady}},
		{"canceled before created", canceled, []events.Event{registered, created}, []string{textCreated, textCanceled}},
		{"completed before created", completed, []events.Event{registered, created}, []string{textCreated, textCompleted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, store := newHandlers()
			ctx := context.Background()
			if err := deliver(ctx, h, tt.first); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("first delivery: err = %v, want it to wrap domain.ErrNotFound (retried)", err)
			}
			if len(store.sent) != 0 {
				t.Fatalf("sent %q before the data it needs arrived", store.sentTexts())
			}
			for _, ev := range tt.then {
				if err := deliver(ctx, h, ev); err != nil {
					t.Fatal(err)
				}
			}
			// The router retries the first event; now it succeeds.
			if err := deliver(ctx, h, tt.first); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if got := store.sentTexts(); !slices.Equal(got, tt.want) {
				t.Errorf("sent\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestSenderErrorIsReturned(t *testing.T) {
	h, store := newHandlers()
	ctx := context.Background()
	if err := deliver(ctx, h, registered); err != nil {
		t.Fatal(err)
	}
	store.sendErr = errors.New("gateway down")
	err := deliver(ctx, h, created)
	if !errors.Is(err, store.sendErr) {
		t.Errorf("err = %v, want the sender's error (retried; the transaction rolls the progress back)", err)
	}
}

func TestInvalidNotificationIsPermanent(t *testing.T) {
	h, _ := newHandlers()
	ctx := context.Background()
	if err := deliver(ctx, h, registered); err != nil {
		t.Fatal(err)
	}
	bad := created
	bad.Total = -1
	if err := deliver(ctx, h, bad); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("err = %v, want domain.ErrInvalid (poisoned, not retried)", err)
	}
}

func TestServiceIdentity(t *testing.T) {
	if notifications.Service != "notifications" {
		t.Errorf("Service = %q", notifications.Service)
	}
	if len(notifications.Publishes) != 0 {
		t.Errorf("Publishes = %v, want none", notifications.Publishes)
	}
}
