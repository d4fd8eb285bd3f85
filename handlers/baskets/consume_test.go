package baskets_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/baskets"
)

const (
	storeID    = "00000000-0000-4000-8000-00000000000a"
	productID  = "00000000-0000-4000-8000-00000000000b"
	customerID = "00000000-0000-4000-8000-00000000000c"
)

// consumerCase is one consumer fed one event, with the cache write it must
// make.
type consumerCase struct {
	name    string
	consume func(context.Context) error
	want    call
}

// consumers lists every consumer of h.
func consumers(h *baskets.Handlers) []consumerCase {
	return []consumerCase{
		{"OnProductAdded: the embedded catalog consumers write to the same cache", func(ctx context.Context) error {
			return h.OnProductAdded(ctx, events.ProductAdded{ProductID: productID, StoreID: storeID, Name: "Syrup",
				Description: "maple", SKU: "S-1", Price: 499, Version: 1})
		}, call{"AddProduct", []any{productID, storeID, "Syrup", int64(499), int64(1)}}},
		{"OnCustomerRegistered", func(ctx context.Context) error {
			return h.OnCustomerRegistered(ctx, events.CustomerRegistered{CustomerID: customerID, Name: "Ada", SmsNumber: "5551234567", Enabled: true, Version: 1})
		}, call{"AddCustomer", []any{customerID, true, int64(1)}}},
		{"OnCustomerEnabled", func(ctx context.Context) error {
			return h.OnCustomerEnabled(ctx, events.CustomerEnabled{CustomerID: customerID, Version: 3})
		}, call{"SetCustomerEnabled", []any{customerID, true, int64(3)}}},
		{"OnCustomerDisabled", func(ctx context.Context) error {
			return h.OnCustomerDisabled(ctx, events.CustomerDisabled{CustomerID: customerID, Version: 2})
		}, call{"SetCustomerEnabled", []any{customerID, false, int64(2)}}},
		{"OnPaymentAuthorized", func(ctx context.Context) error {
			return h.OnPaymentAuthorized(ctx, events.PaymentAuthorized{PaymentID: paymentID, CustomerID: customerID, Amount: 1998})
		}, call{"AddPayment", []any{paymentID, customerID}}},
		{"OnPaymentConfirmed", func(ctx context.Context) error {
			return h.OnPaymentConfirmed(ctx, events.PaymentConfirmed{PaymentID: paymentID, OrderID: orderID, Amount: 1998})
		}, call{"SetPaymentOrder", []any{paymentID, orderID}}},
		{"OnPaymentVoided", func(ctx context.Context) error {
			return h.OnPaymentVoided(ctx, events.PaymentVoided{PaymentID: paymentID, OrderID: orderID, Reason: "order canceled"})
		}, call{"SetPaymentVoided", []any{paymentID, orderID}}},
	}
}

func TestConsumersPassTheEventThrough(t *testing.T) {
	cache := newFakeCache()
	for _, tt := range consumers(baskets.New(newFakeRepo(), cache, cache, sequentialIDs())) {
		t.Run(tt.name, func(t *testing.T) {
			cache.calls = nil
			if err := tt.consume(context.Background()); err != nil {
				t.Fatalf("err = %v", err)
			}
			if want := []call{tt.want}; !reflect.DeepEqual(cache.calls, want) {
				t.Errorf("cache writes = %v, want %v", cache.calls, want)
			}
		})
	}
}

func TestConsumersReturnTheCacheError(t *testing.T) {
	// The router tells a transient not-found from a permanent failure by the
	// error's kind, so the consumer must keep it.
	notYet := fmt.Errorf("%w: customer %s is not in the baskets customer cache yet", domain.ErrNotFound, customerID)
	cache := newFakeCache()
	cache.err = notYet
	for _, tt := range consumers(baskets.New(newFakeRepo(), cache, cache, sequentialIDs())) {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.consume(context.Background()); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("err = %v, want it to wrap domain.ErrNotFound", err)
			}
		})
	}
}

func TestServiceIdentity(t *testing.T) {
	if baskets.Service != "baskets" {
		t.Errorf("Service = %q", baskets.Service)
	}
	var got []string
	for _, e := range baskets.Publishes {
		got = append(got, e.EventName())
	}
	want := []string{events.BasketStartedName, events.BasketItemAddedName, events.BasketItemRemovedName,
		events.BasketCanceledName, events.BasketCheckedOutName}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Publishes = %v, want %v", got, want)
	}
}
