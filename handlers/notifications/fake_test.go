package notifications_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/notification"
)

type cachedCustomer struct {
	name, sms               string
	nameVersion, smsVersion int64
}

// fakeStore is an in-memory stand-in for postgres.NotificationsCache and
// postgres.NotificationSender with the same rules
// (contract.RunNotificationsCache, contract.RunNotificationSender):
// version-guarded customer fields, per-order progress that only moves to a
// higher rank, and at most one notification per order and kind, stamped
// with the time it was sent (a minute after the one before).
type fakeStore struct {
	mu        sync.Mutex
	customers map[string]cachedCustomer
	orders    map[string]notification.Kind
	sent      []notification.Notification
	clock     time.Time
	sendErr   error
	listErr   error
}

func newFakeStore() *fakeStore {
	return &fakeStore{customers: map[string]cachedCustomer{}, orders: map[string]notification.Kind{},
		clock: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
}

func (f *fakeStore) AddCustomer(_ context.Context, id, name, smsNumber string, version int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.customers[id]
	if c.nameVersion < version {
		c.name, c.nameVersion = name, version
	}
	if c.smsVersion < version {
		c.sms, c.smsVersion = smsNumber, version
	}
	f.customers[id] = c
	return nil
}

func (f *fakeStore) SetCustomerSmsNumber(_ context.Context, id, smsNumber string, version int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.customers[id]
	if !ok {
		return fmt.Errorf("%w: customer %s is not cached yet", domain.ErrNotFound, id)
	}
	if c.smsVersion < version {
		c.sms, c.smsVersion = smsNumber, version
	}
	f.customers[id] = c
	return nil
}

func (f *fakeStore) Customer(_ context.Context, id string) (notification.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.customers[id]
	if !ok {
		return notification.Customer{}, fmt.Errorf("%w: customer %s is not cached yet", domain.ErrNotFound, id)
	}
	return notification.Customer{ID: id, Name: c.name, SmsNumber: c.sms}, nil
}

func (f *fakeStore) StartOrder(_ context.Context, orderID, _ string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.orders[orderID]; ok {
		return false, nil
	}
	f.orders[orderID] = notification.KindCreated
	return true, nil
}

func (f *fakeStore) AdvanceOrder(_ context.Context, orderID string, kind notification.Kind) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	last, ok := f.orders[orderID]
	if !ok {
		return false, fmt.Errorf("%w: order %s is not known yet", domain.ErrNotFound, orderID)
	}
	if !kind.Supersedes(last) {
		return false, nil
	}
	f.orders[orderID] = kind
	return true, nil
}

func (f *fakeStore) Send(_ context.Context, n notification.Notification) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return f.sendErr
	}
	if slices.ContainsFunc(f.sent, func(s notification.Notification) bool {
		return s.OrderID() == n.OrderID() && s.Kind() == n.Kind()
	}) {
		return nil
	}
	f.clock = f.clock.Add(time.Minute)
	f.sent = append(f.sent, notification.Rehydrate(n.ID(), n.CustomerID(), n.SmsNumber(), n.OrderID(), n.Kind(), n.Text(), f.clock))
	return nil
}

func (f *fakeStore) List(_ context.Context, customerID string) ([]notification.Notification, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listErr != nil {
		return nil, f.listErr
	}
	out := []notification.Notification{}
	for i := len(f.sent) - 1; i >= 0; i-- {
		if f.sent[i].CustomerID() == customerID {
			out = append(out, f.sent[i])
		}
	}
	return out, nil
}

// sentTexts returns the kinds and texts sent, in order.
func (f *fakeStore) sentTexts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []string{}
	for _, n := range f.sent {
		out = append(out, n.Kind().String()+": "+n.Text())
	}
	return out
}

// sequentialIDs makes notification IDs 00000000-0000-7000-8000-000000000001, …
func sequentialIDs() func() string {
	var mu sync.Mutex
	n := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("00000000-0000-7000-8000-%012d", n)
	}
}
