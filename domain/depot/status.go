package depot

import (
	"fmt"

	"github.com/mallbots/mallbots/domain"
)

// ErrUnknownStatus (kind domain.ErrInvalid): a status name that ParseStatus
// or ParseBotStatus does not know.
var ErrUnknownStatus = fmt.Errorf("%w: unknown status", domain.ErrInvalid)

// Status is where a shopping list is in its life:
//
//	pending → available → assigned → completed
//	pending, available, assigned → canceled
//
// Only this package's values exist; the zero Status is none of them.
type Status struct{ name string }

// The shopping list statuses.
var (
	// StatusPending: planned, waiting for the saga to initiate shopping.
	StatusPending = Status{"pending"}
	// StatusAvailable: a bot may claim it.
	StatusAvailable = Status{"available"}
	// StatusAssigned: a bot is shopping it.
	StatusAssigned = Status{"assigned"}
	// StatusCompleted: every stop was picked up and the goods are at the depot.
	StatusCompleted = Status{"completed"}
	// StatusCanceled: no bot will shop it.
	StatusCanceled = Status{"canceled"}
)

var statuses = []Status{StatusPending, StatusAvailable, StatusAssigned, StatusCompleted, StatusCanceled}

// String returns the status's name ("pending", …), as stored and shown.
func (s Status) String() string { return s.name }

// ParseStatus returns the status called name; ErrUnknownStatus otherwise.
func ParseStatus(name string) (Status, error) {
	for _, s := range statuses {
		if s.name == name {
			return s, nil
		}
	}
	return Status{}, fmt.Errorf("%w: shopping list status %q; want one of pending, available, assigned, completed, canceled", ErrUnknownStatus, name)
}

// BotStatus says whether a bot is free to take a shopping list. Only this
// package's values exist; the zero BotStatus is neither.
type BotStatus struct{ name string }

// The bot statuses.
var (
	// BotIdle: the bot may take a shopping list.
	BotIdle = BotStatus{"idle"}
	// BotBusy: the bot is shopping a list.
	BotBusy = BotStatus{"busy"}
)

// String returns the bot status's name ("idle" or "busy").
func (s BotStatus) String() string { return s.name }

// ParseBotStatus returns the bot status called name; ErrUnknownStatus
// otherwise.
func ParseBotStatus(name string) (BotStatus, error) {
	switch name {
	case BotIdle.name:
		return BotIdle, nil
	case BotBusy.name:
		return BotBusy, nil
	}
	return BotStatus{}, fmt.Errorf("%w: bot status %q; want idle or busy", ErrUnknownStatus, name)
}
