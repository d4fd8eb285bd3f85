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

// The contract suites declare this package's interfaces again. Each pair is
// converted both ways, which compiles only while the two have the same
// methods.
var _ = []any{
	cache(contract.NotificationsCache(nil)), contract.NotificationsCache(cache(nil)),
	senderHistory(contract.NotificationSender(nil)), contract.NotificationSender(senderHistory(nil)),
	history(contract.NotificationSender(nil)),
}
