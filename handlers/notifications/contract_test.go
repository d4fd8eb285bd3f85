package notifications_test

import (
	"testing"

	"github.com/mallbots/mallbots/internal/contract"
)

// TestFakeKeepsTheContracts holds the fake the handler tests run on to the
// contracts postgres.NotificationsCache and postgres.NotificationSender
// keep (postgres/contract_test.go).
func TestFakeKeepsTheContracts(t *testing.T) {
	contract.RunNotificationsCache(t, func(*testing.T) *fakeStore { return newFakeStore() })
	contract.RunNotificationSender(t, func(*testing.T) *fakeStore { return newFakeStore() })
}
