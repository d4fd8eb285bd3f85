package notification_test

import (
	"testing"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/notification"
	"github.com/mallbots/mallbots/internal/domaintest"
)

const (
	notificationID = "00000000-0000-7000-8000-000000000001"
	orderID        = "00000000-0000-4000-8000-0000000000aa"
)

var ada = notification.Customer{ID: "00000000-0000-4000-8000-0000000000c1", Name: "Ada", SmsNumber: "+1 555 123 4567"}

func TestConstructorsWordTheText(t *testing.T) {
	tests := []struct {
		name string
		make func(string, notification.Customer, string) (notification.Notification, error)
		kind notification.Kind
		text string
	}{
		{"received", func(id string, c notification.Customer, o string) (notification.Notification, error) {
			return notification.OrderReceived(id, c, o, 1234)
		}, notification.KindCreated,
			"Hi Ada, your order " + orderID + " for 12.34 has been received. We will text you when it is ready."},
		{"ready", func(id string, c notification.Customer, o string) (notification.Notification, error) {
			return notification.OrderReady(id, c, o, 1234)
		}, notification.KindReady,
			"Hi Ada, your order " + orderID + " is ready: please pay 12.34 at the depot."},
		{"canceled", notification.OrderCanceled, notification.KindCanceled,
			"Hi Ada, your order " + orderID + " has been canceled. You will not be charged."},
		{"completed", notification.OrderCompleted, notification.KindCompleted,
			"Hi Ada, your order " + orderID + " is complete. Thank you for shopping with MallBots!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := tt.make(notificationID, ada, orderID)
			domaintest.AssertErr(t, err, nil, nil)
			if n.Text() != tt.text {
				t.Errorf("text = %q\nwant   %q", n.Text(), tt.text)
			}
			if n.ID() != notificationID || n.CustomerID() != ada.ID || n.SmsNumber() != ada.SmsNumber ||
				n.OrderID() != orderID || n.Kind() != tt.kind || !n.SentAt().IsZero() {
				t.Errorf("notification = %+v", n)
			}

			// Every constructor refuses the same bad input.
			for _, bad := range []struct {
				id, order string
				to        notification.Customer
				sentinel  error
			}{
				{" ", orderID, ada, notification.ErrIDRequired},
				{notificationID, "", ada, notification.ErrOrderRequired},
				{notificationID, orderID, notification.Customer{ID: ada.ID, Name: "Ada"}, notification.ErrNoSmsNumber},
			} {
				_, err := tt.make(bad.id, bad.to, bad.order)
				domaintest.AssertErr(t, err, bad.sentinel, domain.ErrInvalid)
			}
		})
	}
}

func TestGreetingWithoutName(t *testing.T) {
	n, err := notification.OrderCanceled(notificationID, notification.Customer{ID: ada.ID, Name: "  ", SmsNumber: "5551234567"}, orderID)
	domaintest.AssertErr(t, err, nil, nil)
	if want := "Hi, your order " + orderID + " has been canceled. You will not be charged."; n.Text() != want {
		t.Errorf("text = %q, want %q", n.Text(), want)
	}
}

func TestAmounts(t *testing.T) {
	for _, tt := range []struct {
		cents int64
		want  string
	}{
		{0, "0.00"}, {5, "0.05"}, {10, "0.10"}, {99, "0.99"}, {100, "1.00"}, {1234, "12.34"},
		{123456789, "1234567.89"}, {-5, "-0.05"}, {-1234, "-12.34"},
	} {
		if got := notification.FormatAmount(tt.cents); got != tt.want {
			t.Errorf("FormatAmount(%d) = %q, want %q", tt.cents, got, tt.want)
		}
	}
	n, err := notification.OrderReady(notificationID, ada, orderID, 5)
	domaintest.AssertErr(t, err, nil, nil)
	if want := "Hi Ada, your order " + orderID + " is ready: please pay 0.05 at the depot."; n.Text() != want {
		t.Errorf("text = %q, want %q", n.Text(), want)
	}
	_, err = notification.OrderReady(notificationID, ada, orderID, -1)
	domaintest.AssertErr(t, err, notification.ErrNegativeAmount, domain.ErrInvalid)
	_, err = notification.OrderReceived(notificationID, ada, orderID, -1)
	domaintest.AssertErr(t, err, notification.ErrNegativeAmount, domain.ErrInvalid)
}

func TestKinds(t *testing.T) {
	for _, k := range notification.Kinds {
		got, err := notification.ParseKind(k.String())
		domaintest.AssertErr(t, err, nil, nil)
		if got != k {
			t.Errorf("ParseKind(%q) = %v", k, got)
		}
	}
	_, err := notification.ParseKind("shipped")
	domaintest.AssertErr(t, err, notification.ErrUnknownKind, domain.ErrInvalid)

	created, ready, canceled, completed := notification.KindCreated, notification.KindReady, notification.KindCanceled, notification.KindCompleted
	for _, tt := range []struct {
		next, last notification.Kind
		want       bool
	}{
		{ready, created, true}, {completed, ready, true}, {canceled, created, true}, {completed, created, true},
		// A late step is stale: no "please pay" after "complete".
		{ready, completed, false}, {created, ready, false}, {created, canceled, false}, {ready, canceled, false},
		// Duplicates and the two end states never supersede.
		{created, created, false}, {ready, ready, false}, {completed, canceled, false}, {canceled, completed, false},
	} {
		if got := tt.next.Supersedes(tt.last); got != tt.want {
			t.Errorf("%s.Supersedes(%s) = %t, want %t", tt.next, tt.last, got, tt.want)
		}
		if got := tt.next.Rank() > tt.last.Rank(); got != tt.want {
			t.Errorf("%s.Rank() > %s.Rank() = %t, want %t (stores guard on the rank)", tt.next, tt.last, got, tt.want)
		}
	}
}

func TestRehydrate(t *testing.T) {
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	n := notification.Rehydrate(notificationID, ada.ID, "5551234567", orderID, notification.KindReady, "pay up", at)
	if n.ID() != notificationID || n.CustomerID() != ada.ID || n.SmsNumber() != "5551234567" || n.OrderID() != orderID ||
		n.Kind() != notification.KindReady || n.Text() != "pay up" || !n.SentAt().Equal(at) {
		t.Errorf("Rehydrate lost a field: %+v", n)
	}
}
