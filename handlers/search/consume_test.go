package search_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/ordersearch"
	"github.com/mallbots/mallbots/domain/orderstatus"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/search"
)

const (
	customerID = "00000000-0000-4000-8000-0000000000c1"
	orderID    = "00000000-0000-4000-8000-0000000000a1"
	storeID    = "00000000-0000-4000-8000-0000000000b1"
	productID  = "00000000-0000-4000-8000-0000000000d1"
)

// clock is the fallback time of events whose ID carries none.
var clock = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func newHandlers() (*search.Handlers, *fakeRepo) {
	repo := newFakeRepo()
	return search.New(repo, func() time.Time { return clock }), repo
}

// eventID returns a UUIDv7 whose time is at, as the outbox makes them.
func eventID(at time.Time) string {
	ms := uint64(at.UnixMilli())
	hex := func(v uint64, n int) string {
		const digits = "0123456789abcdef"
		b := make([]byte, n)
		for i := n - 1; i >= 0; i-- {
			b[i] = digits[v&0xf]
			v >>= 4
		}
		return string(b)
	}
	return hex(ms>>16, 8) + "-" + hex(ms&0xffff, 4) + "-7abc-8def-0123456789ab"
}

// handling returns the context a consumer sees for the event with ID id.
func handling(id string) context.Context {
	return correlation.With(context.Background(), correlation.IDs{CorrelationID: id, CausationID: id})
}

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 123_000_000, time.UTC)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

var created = events.OrderCreated{OrderID: orderID, CustomerID: customerID, PaymentID: "pay", Total: 1234 + 2*250,
	Items: []events.Item{
		{StoreID: storeID, StoreName: "Waffles", ProductID: productID, ProductName: "Syrup", Price: 1234, Quantity: 1},
		{StoreID: storeID, StoreName: "Waffles", ProductID: "00000000-0000-4000-8000-0000000000d2", ProductName: "Butter", Price: 250, Quantity: 2},
	}}

func TestOnOrderCreatedAddsThePendingOrderDatedByItsEvent(t *testing.T) {
	h, repo := newHandlers()
	if err := h.OnOrderCreated(handling(eventID(t0)), created); err != nil {
		t.Fatal(err)
	}
	want := ordersearch.Order{ID: orderID, CustomerID: customerID, Total: 1734, Status: orderstatus.Pending,
		CreatedAt: t0, UpdatedAt: t0,
		Items: []ordersearch.Item{
			{StoreID: storeID, StoreName: "Waffles", ProductID: productID, ProductName: "Syrup", Price: 1234, Quantity: 1},
			{StoreID: storeID, StoreName: "Waffles", ProductID: "00000000-0000-4000-8000-0000000000d2", ProductName: "Butter", Price: 250, Quantity: 2},
		}}
	if got := repo.orders[orderID]; !reflect.DeepEqual(got, want) {
		t.Errorf("order = %+v\nwant    %+v", got, want)
	}
}

func TestEventTimeFallsBackToTheClock(t *testing.T) {
	for name, ctx := range map[string]context.Context{
		"no message":    context.Background(),
		"a UUIDv4 ID":   handling("0f8fad5b-d9cb-469f-a165-70867728950e"),
		"not an ID":     handling("corr-1"),
		"a broken v7":   handling("zzzzzzzz-zzzz-7zzz-8zzz-zzzzzzzzzzzz"),
		"a short v7 ID": handling("0190c9a1-7b2c-7def"),
	} {
		h, repo := newHandlers()
		if err := h.OnOrderCreated(ctx, created); err != nil {
			t.Fatal(err)
		}
		if got := repo.orders[orderID].CreatedAt; !got.Equal(clock) {
			t.Errorf("%s: created at %s, want the clock's %s", name, got, clock)
		}
	}
}

// deliver hands ev, published at the given time, to h's consumer for its type.
func deliver(h *search.Handlers, ev events.Event, published time.Time) error {
	ctx := handling(eventID(published))
	switch e := ev.(type) {
	case events.CustomerRegistered:
		return h.OnCustomerRegistered(ctx, e)
	case events.OrderCreated:
		return h.OnOrderCreated(ctx, e)
	case events.OrderApproved:
		return h.OnOrderApproved(ctx, e)
	case events.OrderRejected:
		return h.OnOrderRejected(ctx, e)
	case events.OrderReadied:
		return h.OnOrderReadied(ctx, e)
	case events.OrderCanceled:
		return h.OnOrderCanceled(ctx, e)
	case events.OrderCompleted:
		return h.OnOrderCompleted(ctx, e)
	}
	panic("no consumer for " + ev.EventName())
}

type timed struct {
	ev events.Event
	at time.Time
}

var (
	approved  = timed{events.OrderApproved{OrderID: orderID, CustomerID: customerID, ShoppingID: "s"}, at(1)}
	readied   = timed{events.OrderReadied{OrderID: orderID, CustomerID: customerID, Total: 1734}, at(2)}
	completed = timed{events.OrderCompleted{OrderID: orderID, CustomerID: customerID}, at(3)}
	rejected  = timed{events.OrderRejected{OrderID: orderID, CustomerID: customerID, Reason: "payment declined"}, at(1)}
	canceled  = timed{events.OrderCanceled{OrderID: orderID, CustomerID: customerID}, at(2)}
)

func TestStatusesConvergeWhateverTheOrderOfArrival(t *testing.T) {
	tests := []struct {
		name   string
		after  []timed // delivered after OrderCreated
		status orderstatus.Status
		reason string
		at     time.Time
	}{
		{"in order", []timed{approved, readied, completed}, orderstatus.Completed, "", at(3)},
		{"completed before ready", []timed{approved, completed, readied}, orderstatus.Completed, "", at(3)},
		{"reversed", []timed{completed, readied, approved}, orderstatus.Completed, "", at(3)},
		{"duplicates", []timed{approved, approved, readied, readied}, orderstatus.Ready, "", at(2)},
		{"rejected", []timed{rejected}, orderstatus.Rejected, "payment declined", at(1)},
		{"canceled after approval", []timed{approved, canceled}, orderstatus.Canceled, "", at(2)},
		{"approval after cancel", []timed{canceled, approved}, orderstatus.Canceled, "", at(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, repo := newHandlers()
			if err := deliver(h, created, t0); err != nil {
				t.Fatal(err)
			}
			for _, e := range tt.after {
				if err := deliver(h, e.ev, e.at); err != nil {
					t.Fatalf("%s: %v", e.ev.EventName(), err)
				}
			}
			o := repo.orders[orderID]
			if o.Status != tt.status || o.Reason != tt.reason || !o.UpdatedAt.Equal(tt.at) || !o.CreatedAt.Equal(t0) {
				t.Errorf("order %s (%q) updated %s created %s, want %s (%q) updated %s created %s",
					o.Status, o.Reason, o.UpdatedAt, o.CreatedAt, tt.status, tt.reason, tt.at, t0)
			}
		})
	}
}

func TestStatusBeforeOrderCreatedWaits(t *testing.T) {
	for _, e := range []timed{approved, rejected, readied, canceled, completed} {
		t.Run(e.ev.EventName(), func(t *testing.T) {
			h, _ := newHandlers()
			if err := deliver(h, e.ev, e.at); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("err = %v, want it to wrap domain.ErrNotFound (retried)", err)
			}
			if err := deliver(h, created, t0); err != nil {
				t.Fatal(err)
			}
			if err := deliver(h, e.ev, e.at); err != nil {
				t.Fatalf("retry: %v", err)
			}
		})
	}
}

func TestCustomerNameReachesOrdersEitherWay(t *testing.T) {
	registered := events.CustomerRegistered{CustomerID: customerID, Name: "Ada", SmsNumber: "5551234567", Enabled: true, Version: 1}
	for name, evs := range map[string][]events.Event{
		"registered first": {registered, created},
		"order first":      {created, registered},
	} {
		h, repo := newHandlers()
		for _, ev := range evs {
			if err := deliver(h, ev, t0); err != nil {
				t.Fatal(err)
			}
		}
		if got := repo.orders[orderID].CustomerName; got != "Ada" {
			t.Errorf("%s: customer name = %q, want Ada", name, got)
		}
	}
}

func TestServiceIdentity(t *testing.T) {
	if search.Service != "search" {
		t.Errorf("Service = %q", search.Service)
	}
	if len(search.Publishes) != 0 {
		t.Errorf("Publishes = %v, want none", search.Publishes)
	}
}
