package postgres_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain/notification"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/postgres"
)

// logRecorder is a slog.Handler that keeps every record.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

// attrs returns the attributes of the i-th record.
func (l *logRecorder) attrs(i int) map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]string{"msg": l.records[i].Message}
	l.records[i].Attrs(func(a slog.Attr) bool {
		out[a.Key] = a.Value.String()
		return true
	})
	return out
}

func (l *logRecorder) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.records)
}

func newNotifications(t *testing.T) (*postgres.DB, *postgres.NotificationsCache, *postgres.NotificationSender, *logRecorder) {
	t.Helper()
	db, _ := testkit.Database(t)
	logs := &logRecorder{}
	return db, postgres.NewNotificationsCache(db), postgres.NewNotificationSender(db, slog.New(logs)), logs
}

func TestNotificationsCacheCustomerIsVersioned(t *testing.T) {
	t.Parallel()
	_, cache, _, _ := newNotifications(t)
	ctx := context.Background()
	id := uuid.NewString()

	_, err := cache.Customer(ctx, id)
	requireNotFound(t, err, "customer "+id+" is not in the notifications customer cache yet")
	// CustomerSmsChanged overtaking CustomerRegistered waits for it.
	requireNotFound(t, cache.SetCustomerSmsNumber(ctx, id, "5550000003", 3), "customer "+id)

	requireNoError(t, cache.AddCustomer(ctx, id, "Ada", "5550000001", 1))
	requireNoError(t, cache.SetCustomerSmsNumber(ctx, id, "5550000003", 3))
	requireNoError(t, cache.SetCustomerSmsNumber(ctx, id, "5550000002", 2)) // stale
	requireNoError(t, cache.AddCustomer(ctx, id, "Ada", "5550000001", 1))   // redelivered
	c, err := cache.Customer(ctx, id)
	requireNoError(t, err)
	if c != (notification.Customer{ID: id, Name: "Ada", SmsNumber: "5550000003"}) {
		t.Errorf("customer = %+v, want Ada with the v3 number", c)
	}
}

func TestNotificationsCacheOrderProgress(t *testing.T) {
	t.Parallel()
	_, cache, _, _ := newNotifications(t)
	ctx := context.Background()
	orderID, customerID := uuid.NewString(), uuid.NewString()

	_, err := cache.AdvanceOrder(ctx, orderID, notification.KindReady)
	requireNotFound(t, err, "order "+orderID+" is not known to notifications yet")

	steps := []struct {
		name string
		step func() (bool, error)
		news bool
	}{
		{"created", func() (bool, error) { return cache.StartOrder(ctx, orderID, customerID) }, true},
		{"created again", func() (bool, error) { return cache.StartOrder(ctx, orderID, customerID) }, false},
		{"ready", func() (bool, error) { return cache.AdvanceOrder(ctx, orderID, notification.KindReady) }, true},
		{"ready again", func() (bool, error) { return cache.AdvanceOrder(ctx, orderID, notification.KindReady) }, false},
		{"completed", func() (bool, error) { return cache.AdvanceOrder(ctx, orderID, notification.KindCompleted) }, true},
		{"late ready", func() (bool, error) { return cache.AdvanceOrder(ctx, orderID, notification.KindReady) }, false},
		{"canceled after completed", func() (bool, error) { return cache.AdvanceOrder(ctx, orderID, notification.KindCanceled) }, false},
		{"created last", func() (bool, error) { return cache.StartOrder(ctx, orderID, customerID) }, false},
	}
	for _, s := range steps {
		news, err := s.step()
		requireNoError(t, err)
		if news != s.news {
			t.Errorf("%s: news = %t, want %t", s.name, news, s.news)
		}
	}
}

func TestNotificationsCacheAdvancesAnOrderOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	db, cache, _, _ := newNotifications(t)
	ctx := context.Background()
	orderID := uuid.NewString()
	_, err := cache.StartOrder(ctx, orderID, uuid.NewString())
	requireNoError(t, err)

	// Completed and canceled handled at the same moment, each in its own
	// transaction as two consumers would: the row lock lets one win.
	kinds := []notification.Kind{notification.KindCompleted, notification.KindCanceled, notification.KindCompleted, notification.KindCanceled}
	results := make([]bool, len(kinds))
	var wg sync.WaitGroup
	for i, k := range kinds {
		wg.Go(func() {
			err := db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
				var err error
				results[i], err = cache.AdvanceOrder(ctx, orderID, k)
				return err
			})
			if err != nil {
				t.Errorf("advance to %s: %v", k, err)
			}
		})
	}
	wg.Wait()
	winners := 0
	for _, news := range results {
		if news {
			winners++
		}
	}
	if winners != 1 {
		t.Errorf("%d transactions advanced the order to an end state, want exactly 1 (%v)", winners, results)
	}
}

func TestNotificationSenderRecordsOncePerOrderAndKind(t *testing.T) {
	t.Parallel()
	_, _, sender, logs := newNotifications(t)
	ctx := context.Background()
	to := notification.Customer{ID: uuid.NewString(), Name: "Ada", SmsNumber: "5551234567"}
	orderID := uuid.NewString()

	received, err := notification.OrderReceived(uuid.NewString(), to, orderID, 1234)
	requireNoError(t, err)
	requireNoError(t, sender.Send(ctx, received))
	// The same step again, as a redelivery under another message ID makes
	// it: another notification ID, the same order and kind.
	again, err := notification.OrderReceived(uuid.NewString(), to, orderID, 1234)
	requireNoError(t, err)
	requireNoError(t, sender.Send(ctx, again))
	ready, err := notification.OrderReady(uuid.NewString(), to, orderID, 1234)
	requireNoError(t, err)
	requireNoError(t, sender.Send(ctx, ready))

	list, err := sender.List(ctx, to.ID)
	requireNoError(t, err)
	if len(list) != 2 {
		t.Fatalf("listed %d notifications, want 2: %+v", len(list), list)
	}
	for i, want := range []notification.Notification{ready, received} { // newest first
		got := list[i]
		if got.ID() != want.ID() || got.CustomerID() != to.ID || got.OrderID() != orderID || got.Kind() != want.Kind() ||
			got.SmsNumber() != to.SmsNumber || got.Text() != want.Text() || got.SentAt().IsZero() {
			t.Errorf("list[%d] = %+v, want %+v with a sent time", i, got, want)
		}
	}
	if list[0].SentAt().Before(list[1].SentAt()) {
		t.Errorf("list is not newest first: %s before %s", list[0].SentAt(), list[1].SentAt())
	}

	if logs.len() != 2 {
		t.Fatalf("logged %d lines, want one per notification recorded (2)", logs.len())
	}
	line := logs.attrs(0)
	for k, v := range map[string]string{"msg": "notification sent", "customer_id": to.ID, "order_id": orderID,
		"kind": "created", "notification_id": received.ID(), "text": received.Text()} {
		if line[k] != v {
			t.Errorf("log %s = %q, want %q", k, line[k], v)
		}
	}
	if _, ok := line["sms_number"]; ok {
		t.Error("the log line must not carry the SMS number")
	}

	none, err := sender.List(ctx, uuid.NewString())
	requireNoError(t, err)
	if none == nil || len(none) != 0 {
		t.Errorf("list of a customer with no notifications = %#v, want an empty list", none)
	}
}

func TestNotificationSenderJoinsTheCallersTransaction(t *testing.T) {
	t.Parallel()
	db, _, sender, _ := newNotifications(t)
	ctx := context.Background()
	to := notification.Customer{ID: uuid.NewString(), SmsNumber: "5551234567"}
	n, err := notification.OrderCanceled(uuid.NewString(), to, uuid.NewString())
	requireNoError(t, err)

	boom := errors.New("boom")
	err = db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
		return errors.Join(sender.Send(ctx, n), boom)
	})
	if !errors.Is(err, boom) || err.Error() != boom.Error() {
		t.Fatalf("err = %v, want boom alone", err)
	}
	list, err := sender.List(ctx, to.ID)
	requireNoError(t, err)
	if len(list) != 0 {
		t.Errorf("notification recorded despite the rollback: %+v", list)
	}
}
