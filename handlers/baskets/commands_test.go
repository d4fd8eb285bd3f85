package baskets_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/basket"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/baskets"
)

func newService() (*baskets.Handlers, *fakeRepo, *fakeCache) {
	repo, cat := newFakeRepo(), newCatalog()
	return baskets.New(repo, cat, cat, sequentialIDs()), repo, cat
}

func assertEvents(t *testing.T, got []events.Event, want ...events.Event) {
	t.Helper()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("published events:\n got %#v\nwant %#v", got, want)
	}
}

// assertItems fails unless basket id is stored with exactly items.
func assertItems(t *testing.T, repo *fakeRepo, id string, items ...basket.Item) {
	t.Helper()
	b := repo.basket(id)
	if b == nil {
		t.Fatalf("basket %s is not stored", id)
	}
	if got := b.Items(); (len(got) != 0 || len(items) != 0) && !reflect.DeepEqual(got, items) {
		t.Errorf("basket items = %+v, want %+v", got, items)
	}
}

func line(e events.Item) basket.Item { return basket.Item(e) }

func TestStartBasket(t *testing.T) {
	h, repo, _ := newService()
	// Clients may send a UUID in capitals; the basket keeps it canonical.
	id, err := h.StartBasket(context.Background(), strings.ToUpper(adaID))
	if err != nil {
		t.Fatal(err)
	}
	if id != firstID {
		t.Errorf("id = %q, want %q", id, firstID)
	}
	b := repo.basket(id)
	if b == nil || b.CustomerID() != adaID || b.Status() != basket.StatusOpen || len(b.Items()) != 0 || b.Version() != 1 {
		t.Fatalf("stored basket = %+v", b)
	}
	assertEvents(t, repo.published(), events.BasketStarted{BasketID: id, CustomerID: adaID})
}

func TestStartBasketRefusals(t *testing.T) {
	cacheDown := errors.New("connection refused")
	tests := []struct {
		name       string
		customerID string
		cacheErr   error
		want       error
		kind       error // nil: not a domain error
		text       string
	}{
		{name: "customer id not a UUID", customerID: "ada", want: domain.ErrInvalid, kind: domain.ErrInvalid,
			text: `customerId must be a UUID, got "ada"`},
		{name: "blank customer id", customerID: "", want: domain.ErrInvalid, kind: domain.ErrInvalid,
			text: "customerId must be a UUID"},
		{name: "unknown customer", customerID: strangerID, want: baskets.ErrUnknownCustomer, kind: domain.ErrInvalid,
			text: "customer " + strangerID + " is not known to baskets"},
		{name: "disabled customer", customerID: bobID, want: basket.ErrCustomerDisabled, kind: domain.ErrInvalid,
			text: "customer " + bobID + " is disabled"},
		{name: "cache failure is no rule", customerID: adaID, cacheErr: cacheDown, want: cacheDown,
			text: "look up customer " + adaID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, repo, cat := newService()
			cat.err = tt.cacheErr
			id, err := h.StartBasket(context.Background(), tt.customerID)
			if !errors.Is(err, tt.want) || !strings.Contains(errString(err), tt.text) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.want, tt.text)
			}
			for _, k := range []error{domain.ErrInvalid, domain.ErrNotFound, domain.ErrConflict} {
				if errors.Is(err, k) != (k == tt.kind) {
					t.Errorf("errors.Is(err, %v) = %t, want kind %v", k, errors.Is(err, k), tt.kind)
				}
			}
			if id != "" || repo.basket(firstID) != nil {
				t.Errorf("a refused start stored basket %q", id)
			}
			assertEvents(t, repo.published())
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestBasketLifecycle(t *testing.T) {
	ctx := context.Background()
	h, repo, _ := newService()
	id, err := h.StartBasket(ctx, adaID)
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { return h.AddItem(ctx, id, syrupID, 2) },
		func() error { return h.AddItem(ctx, id, strings.ToUpper(creamID), 1) },
		func() error { return h.AddItem(ctx, id, syrupID, 1) },
		func() error { return h.RemoveItem(ctx, id, syrupID, 2) },
		func() error { return h.RemoveItem(ctx, id, strings.ToUpper(creamID), 1) },
		func() error { return h.AddItem(ctx, id, creamID, 4) },
		func() error { return h.CheckoutBasket(ctx, id, strings.ToUpper(paymentID)) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	assertEvents(t, repo.published(),
		events.BasketStarted{BasketID: id, CustomerID: adaID},
		events.BasketItemAdded{BasketID: id, Item: item(syrup, 2)},
		events.BasketItemAdded{BasketID: id, Item: item(cream, 1)},
		events.BasketItemAdded{BasketID: id, Item: item(syrup, 1)},
		events.BasketItemRemoved{BasketID: id, ProductID: syrupID, Quantity: 2},
		events.BasketItemRemoved{BasketID: id, ProductID: creamID, Quantity: 1},
		events.BasketItemAdded{BasketID: id, Item: item(cream, 4)},
		events.BasketCheckedOut{BasketID: id, CustomerID: adaID, PaymentID: paymentID,
			Items: []events.Item{item(syrup, 1), item(cream, 4)}},
	)
	assertItems(t, repo, id, line(item(syrup, 1)), line(item(cream, 4)))
	b, err := h.GetBasket(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if b.Status() != basket.StatusCheckedOut || b.PaymentID() != paymentID || b.Total() != 499+4*250 || b.Version() != int64(1+len(steps)) {
		t.Errorf("basket = {%s %q total %d v%d}", b.Status(), b.PaymentID(), b.Total(), b.Version())
	}
}

func TestAddItemTakesTheCatalogAsItIsNow(t *testing.T) {
	ctx := context.Background()
	h, repo, cat := newService()
	id, err := h.StartBasket(ctx, adaID)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.AddItem(ctx, id, syrupID, 1); err != nil {
		t.Fatal(err)
	}
	dearer := syrup
	dearer.Name, dearer.Price = "Maple syrup", 650
	if err := errors.Join(cat.SetProductName(ctx, syrupID, dearer.Name, 2), cat.SetProductPrice(ctx, syrupID, dearer.Price, 3)); err != nil {
		t.Fatal(err)
	}
	if err := h.AddItem(ctx, id, syrupID, 2); err != nil {
		t.Fatal(err)
	}
	assertEvents(t, repo.published()[2:], events.BasketItemAdded{BasketID: id, Item: item(dearer, 2)})
	assertItems(t, repo, id, line(item(dearer, 3)))
}

func TestCancelBasket(t *testing.T) {
	ctx := context.Background()
	h, repo, _ := newService()
	id, err := h.StartBasket(ctx, adaID)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.CancelBasket(ctx, id); err != nil {
		t.Fatal(err)
	}
	assertEvents(t, repo.published()[1:], events.BasketCanceled{BasketID: id})
	if b := repo.basket(id); b.Status() != basket.StatusCanceled {
		t.Errorf("status = %s, want canceled", b.Status())
	}
}

func TestBasketCommandsThatFailChangeAndPublishNothing(t *testing.T) {
	ctx := context.Background()
	cacheDown := errors.New("connection refused")
	// Every case runs on basket firstID of customer Ada holding 2 syrups,
	// after prepare (which must succeed).
	checkout := func(h *baskets.Handlers) error { return h.CheckoutBasket(ctx, firstID, paymentID) }
	cancel := func(h *baskets.Handlers) error { return h.CancelBasket(ctx, firstID) }
	removeAll := func(h *baskets.Handlers) error { return h.RemoveItem(ctx, firstID, syrupID, 2) }
	tests := []struct {
		name     string
		prepare  func(h *baskets.Handlers) error
		cacheErr error
		run      func(h *baskets.Handlers) error
		want     error
		kind     error
		text     string
	}{
		{name: "add an unknown product", run: func(h *baskets.Handlers) error { return h.AddItem(ctx, firstID, strangerID, 1) },
			want: baskets.ErrUnknownProduct, kind: domain.ErrInvalid, text: "product " + strangerID + " is not on sale"},
		{name: "add a product whose store is not known yet", run: func(h *baskets.Handlers) error { return h.AddItem(ctx, firstID, orphanID, 1) },
			want: basket.ErrStoreUnknown, kind: domain.ErrInvalid, text: "of product " + orphanID + " is not known to baskets yet"},
		{name: "add with a product id that is not a UUID", run: func(h *baskets.Handlers) error { return h.AddItem(ctx, firstID, "syrup", 1) },
			want: domain.ErrInvalid, kind: domain.ErrInvalid, text: `productId must be a UUID, got "syrup"`},
		{name: "add zero units", run: func(h *baskets.Handlers) error { return h.AddItem(ctx, firstID, syrupID, 0) },
			want: basket.ErrQuantityNotPositive, kind: domain.ErrInvalid},
		{name: "add while the cache is down", cacheErr: cacheDown, run: func(h *baskets.Handlers) error { return h.AddItem(ctx, firstID, syrupID, 1) },
			want: cacheDown, text: "look up product " + syrupID},
		{name: "add to an unknown basket", run: func(h *baskets.Handlers) error { return h.AddItem(ctx, missingBasket, syrupID, 1) },
			want: domain.ErrNotFound, kind: domain.ErrNotFound},
		{name: "add to a checked-out basket", prepare: checkout, run: func(h *baskets.Handlers) error { return h.AddItem(ctx, firstID, syrupID, 1) },
			want: basket.ErrNotOpen, kind: domain.ErrConflict, text: "is checked_out"},
		{name: "remove more than present", run: func(h *baskets.Handlers) error { return h.RemoveItem(ctx, firstID, syrupID, 3) },
			want: basket.ErrRemoveTooMany, kind: domain.ErrInvalid, text: "removing 3 of product " + syrupID},
		{name: "remove a product not in the basket", run: func(h *baskets.Handlers) error { return h.RemoveItem(ctx, firstID, creamID, 1) },
			want: basket.ErrNotInBasket, kind: domain.ErrInvalid, text: "product " + creamID + " is not in basket " + firstID},
		{name: "remove with a product id that is not a UUID", run: func(h *baskets.Handlers) error { return h.RemoveItem(ctx, firstID, "", 1) },
			want: domain.ErrInvalid, kind: domain.ErrInvalid, text: "productId must be a UUID"},
		{name: "remove from an unknown basket", run: func(h *baskets.Handlers) error { return h.RemoveItem(ctx, missingBasket, syrupID, 1) },
			want: domain.ErrNotFound, kind: domain.ErrNotFound},
		{name: "remove from a canceled basket", prepare: cancel, run: func(h *baskets.Handlers) error { return h.RemoveItem(ctx, firstID, syrupID, 1) },
			want: basket.ErrNotOpen, kind: domain.ErrConflict, text: "is canceled"},
		{name: "check out an empty basket", prepare: removeAll, run: checkout,
			want: basket.ErrEmpty, kind: domain.ErrInvalid, text: "basket is empty"},
		{name: "check out with a payment id that is not a UUID", run: func(h *baskets.Handlers) error { return h.CheckoutBasket(ctx, firstID, "pay-1") },
			want: domain.ErrInvalid, kind: domain.ErrInvalid, text: `paymentId must be a UUID, got "pay-1"`},
		{name: "check out with an unknown payment", run: func(h *baskets.Handlers) error { return h.CheckoutBasket(ctx, firstID, strangerID) },
			want: baskets.ErrUnknownPayment, kind: domain.ErrInvalid,
			text: "payment " + strangerID + " is not known to baskets (not authorized, or the authorization has not arrived yet)"},
		{name: "check out with another customer's payment", run: func(h *baskets.Handlers) error { return h.CheckoutBasket(ctx, firstID, bobsPayment) },
			want: basket.ErrPaymentOfAnotherCustomer, kind: domain.ErrInvalid, text: "payment " + bobsPayment + " was authorized by another customer"},
		{name: "check out with a payment an order used", run: func(h *baskets.Handlers) error { return h.CheckoutBasket(ctx, firstID, usedPayment) },
			want: basket.ErrPaymentUsed, kind: domain.ErrConflict, text: "payment " + usedPayment + " was confirmed for order " + orderID},
		{name: "check out with a voided payment", run: func(h *baskets.Handlers) error { return h.CheckoutBasket(ctx, firstID, voidedPayment) },
			want: basket.ErrPaymentUsed, kind: domain.ErrConflict, text: "payment " + voidedPayment + " was voided"},
		{name: "check out while the cache is down", cacheErr: cacheDown, run: checkout,
			want: cacheDown, text: "look up payment " + paymentID},
		{name: "check out twice", prepare: checkout, run: checkout,
			want: basket.ErrNotOpen, kind: domain.ErrConflict},
		{name: "check out an unknown basket", run: func(h *baskets.Handlers) error { return h.CheckoutBasket(ctx, missingBasket, paymentID) },
			want: domain.ErrNotFound, kind: domain.ErrNotFound},
		{name: "cancel twice", prepare: cancel, run: cancel,
			want: basket.ErrNotOpen, kind: domain.ErrConflict},
		{name: "cancel a checked-out basket", prepare: checkout, run: cancel,
			want: basket.ErrNotOpen, kind: domain.ErrConflict},
		{name: "cancel an unknown basket", run: func(h *baskets.Handlers) error { return h.CancelBasket(ctx, missingBasket) },
			want: domain.ErrNotFound, kind: domain.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, repo, cat := newService()
			if _, err := h.StartBasket(ctx, adaID); err != nil {
				t.Fatal(err)
			}
			if err := h.AddItem(ctx, firstID, syrupID, 2); err != nil {
				t.Fatal(err)
			}
			if tt.prepare != nil {
				if err := tt.prepare(h); err != nil {
					t.Fatal(err)
				}
			}
			cat.err = tt.cacheErr
			before, published := repo.basket(firstID), len(repo.published())

			err := tt.run(h)
			if !errors.Is(err, tt.want) || !strings.Contains(errString(err), tt.text) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.want, tt.text)
			}
			for _, k := range []error{domain.ErrInvalid, domain.ErrNotFound, domain.ErrConflict} {
				if errors.Is(err, k) != (k == tt.kind) {
					t.Errorf("errors.Is(err, %v) = %t, want kind %v", k, errors.Is(err, k), tt.kind)
				}
			}
			if extra := repo.published()[published:]; len(extra) != 0 {
				t.Errorf("failed command published %#v", extra)
			}
			if after := repo.basket(firstID); !reflect.DeepEqual(after, before) {
				t.Errorf("failed command changed the basket from %+v to %+v", before, after)
			}
		})
	}
}
