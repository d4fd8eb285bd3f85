// Package depot holds the rules of the depot, where robots ("bots") shop
// orders: a shopping list plans one stop per store for an order, becomes
// available when the order's saga says so, is assigned to a bot, and is
// completed when the bot brings every stop's goods to the depot; it may be
// canceled until then. Bots are known by an ID or by an external ID of their
// own (BotRef).
// Constructors validate; Rehydrate functions are for repositories only.
package depot

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mallbots/mallbots/domain"
)

var (
	// ErrIDRequired (kind domain.ErrInvalid): the shopping list ID is blank.
	ErrIDRequired = fmt.Errorf("%w: shopping list id is required", domain.ErrInvalid)
	// ErrOrderIDRequired (kind domain.ErrInvalid): the order ID is blank.
	ErrOrderIDRequired = fmt.Errorf("%w: order id is required", domain.ErrInvalid)
	// ErrDuplicateStop (kind domain.ErrInvalid): two stops are at one store.
	ErrDuplicateStop = fmt.Errorf("%w: a shopping list has one stop per store", domain.ErrInvalid)
	// ErrCanceled (kind domain.ErrConflict): the list was canceled, so it
	// cannot be made available.
	ErrCanceled = fmt.Errorf("%w: shopping list is canceled", domain.ErrConflict)
	// ErrNotAvailable (kind domain.ErrConflict): only an available list may be
	// assigned to a bot.
	ErrNotAvailable = fmt.Errorf("%w: shopping list is not available", domain.ErrConflict)
	// ErrNotAssigned (kind domain.ErrConflict): only an assigned list has its
	// stops picked up and is completed.
	ErrNotAssigned = fmt.Errorf("%w: shopping list is not assigned to a bot", domain.ErrConflict)
	// ErrCompleted (kind domain.ErrConflict): a completed list cannot be
	// canceled.
	ErrCompleted = fmt.Errorf("%w: shopping list is completed", domain.ErrConflict)
	// ErrWrongBot (kind domain.ErrConflict): a method that frees the list's
	// bot was given another bot, or none.
	ErrWrongBot = fmt.Errorf("%w: not the bot the shopping list is assigned to", domain.ErrConflict)
	// ErrWrongOrder (kind domain.ErrConflict): a request about one order
	// named another order's shopping list.
	ErrWrongOrder = fmt.Errorf("%w: shopping list is for another order", domain.ErrConflict)
	// ErrStopNotFound (kind domain.ErrNotFound): the list has no stop at the
	// store named.
	ErrStopNotFound = fmt.Errorf("%w: shopping list has no stop at that store", domain.ErrNotFound)
	// ErrNoneAvailable (kind domain.ErrNotFound): a bot asked for work and no
	// shopping list is available.
	ErrNoneAvailable = fmt.Errorf("%w: no shopping list is available", domain.ErrNotFound)
)

// ShoppingList is the bots' work for one order: one stop per store. Its
// status moves pending → available → assigned → completed, or to canceled
// from any but completed. The zero value is not a valid list; use New or
// Rehydrate.
type ShoppingList struct {
	id      string
	orderID string
	status  Status
	botID   string
	stops   []Stop
	version int64
}

// New returns a pending shopping list for order orderID with stops (from
// Plan). Both IDs must not be blank (ErrIDRequired, ErrOrderIDRequired); there
// must be at least one stop (ErrNoItems) and at most one per store
// (ErrDuplicateStop). Every error is of kind domain.ErrInvalid.
func New(id, orderID string, stops []Stop) (*ShoppingList, error) {
	switch {
	case strings.TrimSpace(id) == "":
		return nil, ErrIDRequired
	case strings.TrimSpace(orderID) == "":
		return nil, ErrOrderIDRequired
	case len(stops) == 0:
		return nil, ErrNoItems
	}
	own := make([]Stop, len(stops))
	for i, s := range stops {
		if slices.ContainsFunc(stops[:i], func(o Stop) bool { return o.store.ID == s.store.ID }) {
			return nil, fmt.Errorf("%w: store %s", ErrDuplicateStop, s.store.ID)
		}
		own[i] = RehydrateStop(s.store, s.items, false)
	}
	return &ShoppingList{id: id, orderID: orderID, status: StatusPending, stops: own, version: 1}, nil
}

// Rehydrate rebuilds a shopping list from storage without validating it.
// Only repositories call it; everyone else uses New.
func Rehydrate(id, orderID string, status Status, botID string, stops []Stop, version int64) *ShoppingList {
	own := make([]Stop, len(stops))
	for i, s := range stops {
		own[i] = RehydrateStop(s.store, s.items, s.pickedUp)
	}
	return &ShoppingList{id: id, orderID: orderID, status: status, botID: botID, stops: own, version: version}
}

// ID returns the list's ID.
func (l *ShoppingList) ID() string { return l.id }

// OrderID returns the ID of the order the list shops.
func (l *ShoppingList) OrderID() string { return l.orderID }

// Status returns where the list is in its life.
func (l *ShoppingList) Status() Status { return l.status }

// BotID returns the bot the list was assigned to: "" until it is assigned,
// then kept for the record after it is completed or canceled.
func (l *ShoppingList) BotID() string { return l.botID }

// Stops returns a copy of the list's stops, in planned order.
func (l *ShoppingList) Stops() []Stop {
	out := make([]Stop, len(l.stops))
	for i, s := range l.stops {
		out[i] = RehydrateStop(s.store, s.items, s.pickedUp)
	}
	return out
}

// Version counts the list's accepted changes: 1 when planned, one more per
// change of status or stop picked up (completing, which picks up the stops
// left, is one change). Calls that change nothing leave it.
func (l *ShoppingList) Version() int64 { return l.version }

// CheckOrder returns ErrWrongOrder (kind domain.ErrConflict) unless the list
// shops order orderID: a saga command for one order must not move another
// order's list.
func (l *ShoppingList) CheckOrder(orderID string) error {
	if orderID != l.orderID {
		return fmt.Errorf("%w: list %s is for order %s, not %s", ErrWrongOrder, l.id, l.orderID, orderID)
	}
	return nil
}

// MakeAvailable lets bots claim a pending list and reports whether it
// changed anything: a list that is available already, or past it (assigned,
// completed), stays as it is, so a repeated request succeeds. A canceled list
// is ErrCanceled (kind domain.ErrConflict).
func (l *ShoppingList) MakeAvailable() (changed bool, err error) {
	switch l.status {
	case StatusPending:
		l.status = StatusAvailable
		l.version++
		return true, nil
	case StatusCanceled:
		return false, fmt.Errorf("%w: list %s", ErrCanceled, l.id)
	}
	return false, nil
}

// Assign gives the available list to idle bot b, which becomes busy with it.
// ErrNotAvailable when the list is not available, ErrBotBusy when b is busy
// (both of kind domain.ErrConflict); on error neither changes.
func (l *ShoppingList) Assign(b *Bot) error {
	if l.status != StatusAvailable {
		return fmt.Errorf("%w: list %s is %s", ErrNotAvailable, l.id, l.status)
	}
	if b.status != BotIdle {
		return fmt.Errorf("%w: bot %s is shopping list %s", ErrBotBusy, b.id, b.shoppingID)
	}
	l.status, l.botID = StatusAssigned, b.id
	l.version++
	b.take(l.id)
	return nil
}

// Claim gives bot b the list next, the oldest available one or nil when there
// is none. It checks the bot first: ErrBotBusy (kind domain.ErrConflict) when
// it is busy, whether or not there is work; then ErrNoneAvailable (kind
// domain.ErrNotFound) when next is nil; then it is next.Assign(b).
func Claim(b *Bot, next *ShoppingList) error {
	if b.status != BotIdle {
		return fmt.Errorf("%w: bot %s is shopping list %s", ErrBotBusy, b.id, b.shoppingID)
	}
	if next == nil {
		return ErrNoneAvailable
	}
	return next.Assign(b)
}

// PickUp records that the bot picked up the items of the stop at store
// storeID. The list must be assigned (ErrNotAssigned, kind
// domain.ErrConflict) and have such a stop (ErrStopNotFound, kind
// domain.ErrNotFound). Picking up a stop again succeeds and changes nothing,
// so a bot may safely repeat the request.
func (l *ShoppingList) PickUp(storeID string) error {
	if l.status != StatusAssigned {
		return fmt.Errorf("%w: list %s is %s", ErrNotAssigned, l.id, l.status)
	}
	i := slices.IndexFunc(l.stops, func(s Stop) bool { return s.store.ID == storeID })
	if i < 0 {
		return fmt.Errorf("%w: list %s, store %s", ErrStopNotFound, l.id, storeID)
	}
	if !l.stops[i].pickedUp {
		l.stops[i].pickedUp = true
		l.version++
	}
	return nil
}

// Complete records that bot b, the one the list is assigned to, brought the
// goods of every stop to the depot, frees b and reports whether it changed
// anything. A bot may report each stop as it picks it up (PickUp) or only the
// whole list, as the book's bots do: completing picks up the stops not
// reported yet, in the same change. The list must be assigned
// (ErrNotAssigned) and b must be its bot (ErrWrongBot), both of kind
// domain.ErrConflict; on error nothing changes. Completing a completed list
// succeeds and changes nothing (b is then ignored and may be nil), so a bot
// may safely repeat the request.
func (l *ShoppingList) Complete(b *Bot) (changed bool, err error) {
	switch {
	case l.status == StatusCompleted:
		return false, nil
	case l.status != StatusAssigned:
		return false, fmt.Errorf("%w: list %s is %s", ErrNotAssigned, l.id, l.status)
	}
	if err := l.checkBot(b); err != nil {
		return false, err
	}
	for i := range l.stops {
		l.stops[i].pickedUp = true
	}
	l.status = StatusCompleted
	l.version++
	b.release()
	return true, nil
}

// Cancel cancels a pending, available or assigned list and reports whether
// it changed anything. An assigned list frees its bot, which b must be
// (ErrWrongBot otherwise); for other lists b is ignored and may be nil.
// Canceling a canceled list succeeds and changes nothing; a completed list is
// ErrCompleted. Errors are of kind domain.ErrConflict; on error nothing
// changes.
func (l *ShoppingList) Cancel(b *Bot) (changed bool, err error) {
	switch l.status {
	case StatusCanceled:
		return false, nil
	case StatusCompleted:
		return false, fmt.Errorf("%w: list %s", ErrCompleted, l.id)
	case StatusAssigned:
		if err := l.checkBot(b); err != nil {
			return false, err
		}
		b.release()
	}
	l.status = StatusCanceled
	l.version++
	return true, nil
}

// checkBot returns ErrWrongBot unless b is the bot the list is assigned to.
func (l *ShoppingList) checkBot(b *Bot) error {
	if b == nil {
		return fmt.Errorf("%w: list %s is assigned to bot %s, got none", ErrWrongBot, l.id, l.botID)
	}
	if b.id != l.botID || b.shoppingID != l.id {
		return fmt.Errorf("%w: list %s is assigned to bot %s, got bot %s", ErrWrongBot, l.id, l.botID, b.id)
	}
	return nil
}
