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

// TestNotificationSenderLogsWhatItRecords: what the contract suite
// (TestNotificationsKeepTheContracts) leaves to the default sender, its log:
// one line per notification recorded, none for a repeat, and no SMS number.
func TestNotificationSenderLogsWhatItRecords(t *testing.T) {
	t.Parallel()
	_, _, sender, logs := newNotifications(t)
	ctx := context.Background()
	to := notification.Customer{ID: uuid.NewString(), Name: "Ada", SmsNumber: "5551234567"}
	orderID := uuid.NewString()
	received, err := notification.OrderReceived(uuid.NewString(), to, orderID, 1234)
	requireNoError(t, err)
	again, err := notification.OrderReceived(uuid.NewString(), to, orderID, 1234)
	requireNoError(t, err)
	ready, err := notification.OrderReady(uuid.NewString(), to, orderID, 1234)
	requireNoError(t, err)
	for _, n := range []notification.Notification{received, again, ready} {
		requireNoError(t, sender.Send(ctx, n))
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
