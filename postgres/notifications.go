package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/notification"
)

// NotificationsCache is the notifications service's local data in schema
// notifications: its copy of the customers (from the customers events) and
// how far it has told each customer about each order (from the orders
// events).
//
// Every statement runs in the transaction in ctx when there is one, so
// inside a consumer it joins the transaction that records the message in the
// inbox: the effect and the inbox row commit together. Writes are idempotent and order-independent,
// because the events arrive through one queue per event type and a stale
// one can overtake a fresh one.
type NotificationsCache struct {
	db *DB
}

// NewNotificationsCache returns the notifications service's cache.
func NewNotificationsCache(db *DB) *NotificationsCache { return &NotificationsCache{db: db} }

// AddCustomer records customer id with their name and SMS number, both as of
// version (from CustomerRegistered). When the customer is cached already (a
// redelivery) each field is set only where its stored version is older.
func (c *NotificationsCache) AddCustomer(ctx context.Context, id, name, smsNumber string, version int64) error {
	return c.db.upsert(ctx, fmt.Sprintf("cache customer %s", id), `
		INSERT INTO notifications.customers AS c (id, name, name_version, sms_number, sms_version)
		VALUES ($1, $2, $4, $3, $4)
		ON CONFLICT (id) DO UPDATE SET
			name         = CASE WHEN c.name_version < excluded.name_version THEN excluded.name ELSE c.name END,
			name_version = GREATEST(c.name_version, excluded.name_version),
			sms_number   = CASE WHEN c.sms_version < excluded.sms_version THEN excluded.sms_number ELSE c.sms_number END,
			sms_version  = GREATEST(c.sms_version, excluded.sms_version),
			updated_at   = now()
		WHERE c.name_version < excluded.name_version OR c.sms_version < excluded.sms_version`,
		id, name, smsNumber, version)
}

// SetCustomerSmsNumber records customer id's SMS number as of version (from
// CustomerSmsChanged). A stale event changes nothing. When the customer is
// not cached yet (the event overtook CustomerRegistered) the error wraps
// domain.ErrNotFound, so the consumer retries until the registration lands.
func (c *NotificationsCache) SetCustomerSmsNumber(ctx context.Context, id, smsNumber string, version int64) error {
	_, err := c.db.guardedUpdate(ctx, "notifications.customers", "id", `
		UPDATE notifications.customers SET sms_number = $2, sms_version = $3, updated_at = now()
		WHERE id = $1 AND sms_version < $3`,
		"customer %s is not in the notifications customer cache yet", id, smsNumber, version)
	return err
}

// Customer returns cached customer id, or an error wrapping
// domain.ErrNotFound while their CustomerRegistered has not arrived.
func (c *NotificationsCache) Customer(ctx context.Context, id string) (notification.Customer, error) {
	cu := notification.Customer{ID: id}
	err := c.db.conn(ctx).QueryRow(ctx, "SELECT name, sms_number FROM notifications.customers WHERE id = $1", id).
		Scan(&cu.Name, &cu.SmsNumber)
	if errors.Is(err, pgx.ErrNoRows) {
		return notification.Customer{}, fmt.Errorf("%w: customer %s is not in the notifications customer cache yet", domain.ErrNotFound, id)
	}
	if err != nil {
		return notification.Customer{}, fmt.Errorf("load cached customer %s: %w", id, err)
	}
	return cu, nil
}

// StartOrder records that order orderID of customer customerID was received
// (notification.KindCreated) and reports whether that is news: false when the
// order is known already (a redelivery, possibly under another message ID).
func (c *NotificationsCache) StartOrder(ctx context.Context, orderID, customerID string) (bool, error) {
	tag, err := c.db.conn(ctx).Exec(ctx, `
		INSERT INTO notifications.orders (id, customer_id, last_kind, last_rank) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO NOTHING`,
		orderID, customerID, notification.KindCreated.String(), notification.KindCreated.Rank())
	if err != nil {
		return false, fmt.Errorf("record order %s: %w", orderID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// AdvanceOrder records that the customer of order orderID is told about step
// kind, and reports whether that is news: false when they were told about
// this step or a later one already (a duplicate, or a stale event such as a
// late OrderReadied after OrderCompleted). The guarded UPDATE locks the
// order's row, so two steps of one order handled at once are decided one
// after the other. When the order is unknown (the event overtook
// OrderCreated) the error wraps domain.ErrNotFound, so the consumer retries.
func (c *NotificationsCache) AdvanceOrder(ctx context.Context, orderID string, kind notification.Kind) (bool, error) {
	return c.db.guardedUpdate(ctx, "notifications.orders", "id", `
		UPDATE notifications.orders SET last_kind = $2, last_rank = $3, updated_at = now()
		WHERE id = $1 AND last_rank < $3`,
		"order %s is not known to notifications yet (its OrderCreated has not been handled)",
		orderID, kind.String(), kind.Rank())
}

// NotificationSender is the default notification sender: instead of an SMS
// gateway it records each notification in notifications.notifications and
// logs it. It also answers the list of a customer's notifications.
type NotificationSender struct {
	db     *DB
	logger *slog.Logger
}

// NewNotificationSender returns the default sender, logging to logger.
func NewNotificationSender(db *DB, logger *slog.Logger) *NotificationSender {
	return &NotificationSender{db: db, logger: logger}
}

// Send records n, in the transaction in ctx (or on its own), and logs one line
// "notification sent" with its customer, order, kind and text (not the SMS
// number: the log is no place for it). At most one notification per order
// and kind is ever recorded: when one is recorded already, Send does nothing
// and logs nothing. The line is logged before the caller's transaction
// commits; a gateway that must never send twice would work from the
// recorded rows instead.
func (s *NotificationSender) Send(ctx context.Context, n notification.Notification) error {
	tag, err := s.db.conn(ctx).Exec(ctx, `
		INSERT INTO notifications.notifications (id, customer_id, order_id, kind, sms_number, text)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (order_id, kind) DO NOTHING`,
		n.ID(), n.CustomerID(), n.OrderID(), n.Kind().String(), n.SmsNumber(), n.Text())
	if err != nil {
		return fmt.Errorf("record %s notification of order %s: %w", n.Kind(), n.OrderID(), err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	s.logger.InfoContext(ctx, "notification sent",
		"service", "notifications", "notification_id", n.ID(), "customer_id", n.CustomerID(),
		"order_id", n.OrderID(), "kind", n.Kind().String(), "text", n.Text(),
		"correlation_id", correlation.From(ctx).CorrelationID)
	return nil
}

// List returns every notification sent to customer customerID, newest
// first; none is an empty list, not an error.
func (s *NotificationSender) List(ctx context.Context, customerID string) ([]notification.Notification, error) {
	rows, err := s.db.conn(ctx).Query(ctx, `
		SELECT id, customer_id, sms_number, order_id, kind, text, created_at
		FROM notifications.notifications WHERE customer_id = $1
		ORDER BY created_at DESC, id DESC`, customerID)
	if err != nil {
		return nil, fmt.Errorf("list notifications of customer %s: %w", customerID, err)
	}
	list := []notification.Notification{}
	for rows.Next() {
		var id, custID, sms, orderID, kindName, text string
		var sentAt time.Time
		if err := rows.Scan(&id, &custID, &sms, &orderID, &kindName, &text, &sentAt); err != nil {
			return nil, fmt.Errorf("list notifications of customer %s: %w", customerID, err)
		}
		kind, err := notification.ParseKind(kindName)
		if err != nil {
			// The table's CHECK allows only the known kinds: this is a bug,
			// not bad input, so it must not pass for a 422.
			return nil, fmt.Errorf("notification %s has kind %q: %s", id, kindName, err.Error())
		}
		list = append(list, notification.Rehydrate(id, custID, sms, orderID, kind, text, sentAt.UTC()))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notifications of customer %s: %w", customerID, err)
	}
	return list, nil
}
