package notifications

import (
	"context"

	"github.com/mallbots/mallbots/domain/notification"
	"github.com/mallbots/mallbots/internal/contract"
)

// senderHistory is what contract.NotificationSender declares: the Sender
// and the history, one implementation.
type senderHistory interface {
	Sender
	List(ctx context.Context, customerID string) ([]notification.Notification, error)
}

// The contract suites declare the handlers' interfaces again; each pair must
// have the same methods.
var (
	_ cache                       = contract.NotificationsCache(nil)
	_ contract.NotificationsCache = cache(nil)
	_ senderHistory               = contract.NotificationSender(nil)
	_ contract.NotificationSender = senderHistory(nil)
	_ history                     = contract.NotificationSender(nil)
)
