package contract

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/notification"
)

// NotificationsCache is handlers/notifications' local data
// (postgres.NotificationsCache): its customers and how far each order's
// customer has been told.
type NotificationsCache interface {
	AddCustomer(ctx context.Context, id, name, smsNumber string, version int64) error
	SetCustomerSmsNumber(ctx context.Context, id, smsNumber string, version int64) error
	Customer(ctx context.Context, id string) (notification.Customer, error)
	StartOrder(ctx context.Context, orderID, customerID string) (bool, error)
	AdvanceOrder(ctx context.Context, orderID string, kind notification.Kind) (bool, error)
}

// NotificationSender is handlers/notifications' Sender and history in one
// (postgres.NotificationSender): what Send delivers, List lists.
type NotificationSender interface {
	Send(ctx context.Context, n notification.Notification) error
	List(ctx context.Context, customerID string) ([]notification.Notification, error)
}

// RunNotificationsCache holds the notifications cache to its contract:
//
//   - A customer's name and SMS number are each guarded by the version of
//     the event that set them, so the cache ends the same whatever order the
//     events arrive in; Customer and SetCustomerSmsNumber are
//     domain.ErrNotFound until AddCustomer.
//   - StartOrder reports news once per order; AdvanceOrder reports news only
//     for a step of higher rank than the last one told (one winner however
//     many advance at once), and is domain.ErrNotFound until StartOrder.
func RunNotificationsCache[R NotificationsCache](t *testing.T, open func(*testing.T) R) {
	t.Run("a customer converges in any arrival order", func(t *testing.T) {
		c := open(t)
		ctx := context.Background()
		_, err := c.Customer(ctx, newID())
		assertKind(t, err, domain.ErrNotFound)
		writes := []write{
			{"CustomerRegistered", func(id, _ string) error { return c.AddCustomer(ctx, id, "Ada", "5550000001", 1) }},
			{"CustomerSmsChanged v2", func(id, _ string) error { return c.SetCustomerSmsNumber(ctx, id, "5550000002", 2) }},
			{"CustomerSmsChanged v3", func(id, _ string) error { return c.SetCustomerSmsNumber(ctx, id, "5550000003", 3) }},
		}
		assertConverges(t, writes, func(id, _ string) (any, any, error) {
			got, err := c.Customer(ctx, id)
			return got, notification.Customer{ID: id, Name: "Ada", SmsNumber: "5550000003"}, err
		})
	})

	t.Run("an order's customer is told each step once, in rank order", func(t *testing.T) {
		c := open(t)
		ctx := context.Background()
		orderID, customerID := newID(), newID()
		_, err := c.AdvanceOrder(ctx, orderID, notification.KindReady)
		assertKind(t, err, domain.ErrNotFound)
		for _, s := range []struct {
			name string
			step func() (bool, error)
			news bool
		}{
			{"created", func() (bool, error) { return c.StartOrder(ctx, orderID, customerID) }, true},
			{"created again", func() (bool, error) { return c.StartOrder(ctx, orderID, customerID) }, false},
			{"ready", func() (bool, error) { return c.AdvanceOrder(ctx, orderID, notification.KindReady) }, true},
			{"ready again", func() (bool, error) { return c.AdvanceOrder(ctx, orderID, notification.KindReady) }, false},
			{"completed", func() (bool, error) { return c.AdvanceOrder(ctx, orderID, notification.KindCompleted) }, true},
			{"late ready", func() (bool, error) { return c.AdvanceOrder(ctx, orderID, notification.KindReady) }, false},
			{"canceled after completed", func() (bool, error) { return c.AdvanceOrder(ctx, orderID, notification.KindCanceled) }, false},
			{"created last", func() (bool, error) { return c.StartOrder(ctx, orderID, customerID) }, false},
		} {
			news, err := s.step()
			must(t, s.name, err)
			if news != s.news {
				t.Errorf("%s: news = %t, want %t", s.name, news, s.news)
			}
		}
	})

	t.Run("concurrent steps of one order tell one", func(t *testing.T) {
		c := open(t)
		ctx := context.Background()
		orderID := newID()
		_, err := c.StartOrder(ctx, orderID, newID())
		must(t, "start", err)
		// Completed and canceled handled at the same moment, as two
		// consumers would: one wins.
		kinds := []notification.Kind{notification.KindCompleted, notification.KindCanceled, notification.KindCompleted, notification.KindCanceled}
		news := make([]bool, len(kinds))
		errs := make([]error, len(kinds))
		var wg sync.WaitGroup
		for i, k := range kinds {
			wg.Go(func() { news[i], errs[i] = c.AdvanceOrder(ctx, orderID, k) })
		}
		wg.Wait()
		told := 0
		for i := range kinds {
			must(t, "advance", errs[i])
			if news[i] {
				told++
			}
		}
		if told != 1 {
			t.Errorf("%d steps were news, want exactly 1 (%v)", told, news)
		}
	})
}

// RunNotificationSender holds a sender to its contract: Send delivers a
// notification once per order and kind, however often it is asked (under
// different notification IDs), and stamps when it did; List returns a
// customer's notifications newest first, an empty list (not nil) for a
// customer with none.
func RunNotificationSender[R NotificationSender](t *testing.T, open func(*testing.T) R) {
	t.Run("Send delivers once per order and kind; List lists newest first", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		to := notification.Customer{ID: newID(), Name: "Ada", SmsNumber: "5551234567"}
		other := notification.Customer{ID: newID(), Name: "Bob", SmsNumber: "5557654321"}
		orderID := newID()
		send := func(build func(id string) (notification.Notification, error)) notification.Notification {
			t.Helper()
			n, err := build(newID())
			must(t, "build", err)
			must(t, "send", s.Send(ctx, n))
			return n
		}
		received := send(func(id string) (notification.Notification, error) {
			return notification.OrderReceived(id, to, orderID, 1234)
		})
		// The same step again, as a redelivery makes it: another ID.
		send(func(id string) (notification.Notification, error) {
			return notification.OrderReceived(id, to, orderID, 1234)
		})
		send(func(id string) (notification.Notification, error) {
			return notification.OrderReceived(id, other, newID(), 99)
		})
		ready := send(func(id string) (notification.Notification, error) {
			return notification.OrderReady(id, to, orderID, 1234)
		})

		list, err := s.List(ctx, to.ID)
		must(t, "list", err)
		if len(list) != 2 {
			t.Fatalf("listed %d notifications, want 2: %+v", len(list), list)
		}
		for i, want := range []notification.Notification{ready, received} {
			got := list[i]
			if got.SentAt().IsZero() {
				t.Errorf("list[%d] has no sent time", i)
			}
			sent := notification.Rehydrate(want.ID(), want.CustomerID(), want.SmsNumber(), want.OrderID(), want.Kind(), want.Text(), got.SentAt())
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", sent) {
				t.Errorf("list[%d] = %+v, want %+v", i, got, sent)
			}
		}
		if list[0].SentAt().Before(list[1].SentAt()) {
			t.Errorf("list is not newest first: %s before %s", list[0].SentAt(), list[1].SentAt())
		}
		none, err := s.List(ctx, newID())
		must(t, "list", err)
		if none == nil || len(none) != 0 {
			t.Errorf("list of a customer with no notifications = %#v, want an empty list", none)
		}
	})
}
