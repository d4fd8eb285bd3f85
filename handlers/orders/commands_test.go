package orders_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/order"
)

func TestCreateOrder(t *testing.T) {
	f := newFixture()
	id, err := f.h.CreateOrder(context.Background(), customerID, paymentID, created.Items)
	if err != nil {
		t.Fatal(err)
	}
	if id != firstID {
		t.Errorf("id = %q, want the first new ID", id)
	}
	want := created
	want.ID = firstID
	if got := f.store.events(); !reflect.DeepEqual(got, []order.Event{want}) {
		t.Errorf("events = %#v, want %#v", got, want)
	}
}

func TestCreateOrderRejectsInvalidInput(t *testing.T) {
	f := newFixture()
	id, err := f.h.CreateOrder(context.Background(), "ada", paymentID, created.Items)
	if !errors.Is(err, order.ErrInvalidCustomerID) || !errors.Is(err, domain.ErrInvalid) || id != "" {
		t.Errorf("CreateOrder = %q, %v; want ErrInvalidCustomerID", id, err)
	}
	if len(f.store.events()) != 0 {
		t.Error("an invalid order was stored")
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
	if err := newFixture().h.CancelOrder(context.Background(), basketID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("cancel unknown: err = %v, want ErrNotFound", err)
	}
}
