package orders_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/order"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/orders"
)

// servoLine asks for two servos, the way the book's clients send it: IDs,
// names, price and quantity.
func servoLine() order.Line {
	price := int64(999)
	return order.Line{StoreID: storeID, StoreName: "Robo Parts", ProductID: productID, ProductName: "Servo", Price: &price, Quantity: 2}
}

func TestCreateOrder(t *testing.T) {
	f := newFixture(t)
	// Only the IDs and the quantity are needed: the rest is the catalog's.
	bare := order.Line{StoreID: storeID, ProductID: strings.ToUpper(productID), Quantity: 2}
	for _, line := range []order.Line{servoLine(), bare} {
		if _, err := f.h.CreateOrder(context.Background(), customerID, paymentID, []order.Line{line}); err != nil {
			t.Fatal(err)
		}
	}
	first, second := created, created
	first.ID, second.ID = firstID, "00000000-0000-4000-8000-000000000002"
	if got := f.store.events(); !reflect.DeepEqual(got, []order.Event{first, second}) {
		t.Errorf("events = %#v, want %#v", got, []order.Event{first, second})
	}
}

// TestCreateOrderTakesTheCatalogAsItIsNow: the orders catalog consumers
// keep what CreateOrder sells at.
func TestCreateOrderTakesTheCatalogAsItIsNow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	err := errors.Join(
		f.h.OnStoreRebranded(ctx, events.StoreRebranded{StoreID: storeID, Name: "Robo Bits", Version: 2}),
		f.h.OnProductRebranded(ctx, events.ProductRebranded{ProductID: productID, StoreID: storeID, Name: "Micro servo", Version: 2}),
		f.h.OnProductPriceIncreased(ctx, events.ProductPriceIncreased{ProductID: productID, StoreID: storeID, Delta: 100, Price: 1099, Version: 3}),
		f.h.OnProductPriceDecreased(ctx, events.ProductPriceDecreased{ProductID: productID, StoreID: storeID, Delta: 50, Price: 1049, Version: 4}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.CreateOrder(ctx, customerID, paymentID, []order.Line{{StoreID: storeID, ProductID: productID, Quantity: 2}}); err != nil {
		t.Fatal(err)
	}
	want := order.Created{ID: firstID, CustomerID: customerID, PaymentID: paymentID, Total: 2098,
		Items: []order.Item{{StoreID: storeID, StoreName: "Robo Bits", ProductID: productID, ProductName: "Micro servo", Price: 1049, Quantity: 2}}}
	if got := f.store.events(); !reflect.DeepEqual(got, []order.Event{want}) {
		t.Errorf("events = %#v, want %#v", got, want)
	}
	// The client still showing the old price learns of the new one.
	_, err = f.h.CreateOrder(ctx, customerID, paymentID, []order.Line{{StoreID: storeID, ProductID: productID, Quantity: 2, Price: &created.Items[0].Price}})
	if !errors.Is(err, order.ErrNotAsInCatalog) || !strings.Contains(err.Error(), "costs 10.49, not 9.99") {
		t.Errorf("order at the old price: err = %v, want ErrNotAsInCatalog saying the price", err)
	}
	if err := f.h.OnProductRemoved(ctx, events.ProductRemoved{ProductID: productID, StoreID: storeID, Version: 5}); err != nil {
		t.Fatal(err)
	}
	_, err = f.h.CreateOrder(ctx, customerID, paymentID, []order.Line{{StoreID: storeID, ProductID: productID, Quantity: 2}})
	if !errors.Is(err, orders.ErrUnknownProduct) {
		t.Errorf("order of a removed product: err = %v, want ErrUnknownProduct", err)
	}
}

func TestCreateOrderRefusals(t *testing.T) {
	const (
		unknownID = "0190a5e1-0000-7000-8000-999999999999"
		orphanID  = "0190a5e1-0000-7000-8000-0000000000f1" // its store is not cached
	)
	cacheDown := errors.New("connection refused")
	with := func(change func(*order.Line)) []order.Line {
		l := servoLine()
		change(&l)
		return []order.Line{servoLine(), l}
	}
	tests := []struct {
		name       string
		customerID string
		lines      []order.Line
		cacheErr   error
		want, kind error // kind nil: not a domain error
		text       string
	}{
		{name: "customer not a UUID", customerID: "ada", lines: []order.Line{servoLine()},
			want: order.ErrInvalidCustomerID, kind: domain.ErrInvalid},
		{name: "a price of its own", lines: with(func(l *order.Line) { cheap := int64(1); l.Price = &cheap }),
			want: order.ErrNotAsInCatalog, kind: domain.ErrInvalid, text: "item 2: product " + productID + " costs 9.99, not 0.01"},
		{name: "a stale name", lines: with(func(l *order.Line) { l.ProductName = "Old servo" }),
			want: order.ErrNotAsInCatalog, kind: domain.ErrInvalid, text: `item 2: product ` + productID + ` is called "Servo", not "Old servo"`},
		{name: "an unknown product", lines: with(func(l *order.Line) { l.ProductID = unknownID }),
			want: orders.ErrUnknownProduct, kind: domain.ErrInvalid,
			text: "item 2: product " + unknownID + " is not on sale (not known to orders yet, or removed from its store)"},
		{name: "a product id that is not a UUID", lines: with(func(l *order.Line) { l.ProductID = "servo" }),
			want: order.ErrInvalidItem, kind: domain.ErrInvalid, text: `order item 2: product id is not a UUID: "servo"`},
		{name: "a product whose store is not known yet", lines: with(func(l *order.Line) { l.ProductID, l.StoreID = orphanID, paymentID }),
			want: order.ErrStoreUnknown, kind: domain.ErrInvalid, text: "is not known to orders yet"},
		{name: "zero quantity", lines: with(func(l *order.Line) { l.Quantity = 0 }),
			want: order.ErrInvalidItem, kind: domain.ErrInvalid, text: "order item 2: quantity 0 is less than 1"},
		{name: "no items", want: order.ErrNoItems, kind: domain.ErrInvalid},
		{name: "the cache is down", lines: []order.Line{servoLine()}, cacheErr: cacheDown,
			want: cacheDown, text: "look up the products to order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if err := f.h.OnProductAdded(context.Background(), events.ProductAdded{ProductID: orphanID, StoreID: paymentID, Name: "Orphan", Price: 100, Version: 1}); err != nil {
				t.Fatal(err)
			}
			f.catalog.Fail(tt.cacheErr)
			customer := customerID
			if tt.customerID != "" {
				customer = tt.customerID
			}
			id, err := f.h.CreateOrder(context.Background(), customer, paymentID, tt.lines)
			if !errors.Is(err, tt.want) || !strings.Contains(fmt.Sprint(err), tt.text) || id != "" {
				t.Errorf("CreateOrder = %q, %v; want %v saying %q", id, err, tt.want, tt.text)
			}
			for _, k := range []error{domain.ErrInvalid, domain.ErrNotFound, domain.ErrConflict} {
				if errors.Is(err, k) != (k == tt.kind) {
					t.Errorf("errors.Is(err, %v) = %t, want kind %v", k, errors.Is(err, k), tt.kind)
				}
			}
			if len(f.store.events()) != 0 {
				t.Error("a refused order was stored")
			}
		})
	}
}

func TestCancelOrder(t *testing.T) {
	tests := []struct {
		from       string
		wantEvent  bool
		wantErr    error
		wantStatus string
	}{
		{from: "pending", wantEvent: true, wantStatus: "canceled"},
		{from: "approved", wantEvent: true, wantStatus: "canceled"},
		{from: "canceled", wantStatus: "canceled"},
		{from: "ready", wantErr: order.ErrNotCancelable, wantStatus: "ready"},
		{from: "completed", wantErr: order.ErrNotCancelable, wantStatus: "completed"},
		{from: "rejected", wantErr: order.ErrNotCancelable, wantStatus: "rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			f := to(t, tt.from)
			before := len(f.store.events())
			err := f.h.CancelOrder(context.Background(), basketID)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || !errors.Is(err, domain.ErrConflict)) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			got := f.store.events()[before:]
			if tt.wantEvent != (len(got) == 1) || len(got) > 1 || tt.wantEvent && got[0] != (order.Canceled{}) {
				t.Errorf("events = %#v, want a Canceled: %t", got, tt.wantEvent)
			}
			if s := f.status(t); s != tt.wantStatus {
				t.Errorf("status = %s, want %s", s, tt.wantStatus)
			}
		})
	}
	if err := newFixture(t).h.CancelOrder(context.Background(), basketID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("cancel unknown: err = %v, want ErrNotFound", err)
	}
}
