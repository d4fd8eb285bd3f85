package depot

import (
	"context"

	"github.com/mallbots/mallbots/domain/depot"
	"github.com/mallbots/mallbots/events"
)

// RegisterBot adds an idle bot called name and returns its ID; an invalid
// name is domain.ErrInvalid.
func (h *Handlers) RegisterBot(ctx context.Context, name string) (string, error) {
	b, err := depot.NewBot(h.newID(), name)
	if err != nil {
		return "", err
	}
	return b.ID(), h.repo.AddBot(ctx, b)
}

// AssignShoppingList gives available list id to the idle bot botRef names,
// by its ID or by the external ID its own software calls it by
// (depot.ParseBotRef), and publishes ShoppingListAssigned. A bot no one has
// registered yet is registered on first use (depot.NewBotFor): the book's
// clients assign lists to bots such as "bot-1" and nothing else. ErrInvalid
// for a malformed reference; ErrNotFound for an unknown list; ErrConflict
// when the list is not available or the bot is busy. A refused assignment
// registers no bot.
func (h *Handlers) AssignShoppingList(ctx context.Context, id, botRef string) error {
	ref, err := depot.ParseBotRef(botRef)
	if err != nil {
		return err
	}
	firstUse, err := depot.NewBotFor(ref, h.newID())
	if err != nil {
		return err
	}
	return h.repo.Assign(ctx, id, firstUse, func(l *depot.ShoppingList, b *depot.Bot) ([]events.Event, error) {
		if err := l.Assign(b); err != nil {
			return nil, err
		}
		return []events.Event{assignedEvent(l)}, nil
	})
}

// ClaimShoppingList assigns the oldest available list to the bot ref names,
// publishes ShoppingListAssigned and returns the list. Concurrent claims
// never get the same list. ErrNotFound for an unknown bot (claiming registers
// none), and depot.ErrNoneAvailable (kind ErrNotFound) when no list is
// available; depot.ErrBotBusy (kind ErrConflict) when the bot is shopping a
// list already.
func (h *Handlers) ClaimShoppingList(ctx context.Context, ref depot.BotRef) (*depot.ShoppingList, error) {
	var claimed *depot.ShoppingList
	err := h.repo.Claim(ctx, ref, func(b *depot.Bot, next *depot.ShoppingList) ([]events.Event, error) {
		if err := depot.Claim(b, next); err != nil {
			return nil, err
		}
		claimed = next
		return []events.Event{assignedEvent(next)}, nil
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

// PickUpStop records that the bot shopping list id picked up the items of
// its stop at store storeID; repeating it succeeds. ErrNotFound for an
// unknown list or a store the list has no stop at; ErrConflict when the list
// is not assigned.
func (h *Handlers) PickUpStop(ctx context.Context, id, storeID string) error {
	return h.repo.Update(ctx, id, func(l *depot.ShoppingList, _ *depot.Bot) ([]events.Event, error) {
		return nil, l.PickUp(storeID)
	})
}

// CompleteShoppingList records that the bot list id is assigned to brought
// every stop's goods to the depot, picking up the stops it did not report one
// by one, frees the bot and publishes ShoppingListCompleted (the order is
// ready). Completing a completed list succeeds and publishes nothing.
// ErrConflict when the list is not assigned (pending, available, canceled).
func (h *Handlers) CompleteShoppingList(ctx context.Context, id string) error {
	return h.repo.Update(ctx, id, func(l *depot.ShoppingList, b *depot.Bot) ([]events.Event, error) {
		changed, err := l.Complete(b)
		if err != nil || !changed {
			return nil, err
		}
		return []events.Event{events.ShoppingListCompleted{ShoppingID: l.ID(), OrderID: l.OrderID()}}, nil
	})
}

// CancelShoppingList cancels list id, freeing its bot if it has one, and
// publishes ShoppingListCanceled. Canceling a canceled list succeeds and
// publishes nothing; a completed list is ErrConflict.
func (h *Handlers) CancelShoppingList(ctx context.Context, id string) error {
	return h.repo.Update(ctx, id, cancelList)
}

// cancelList cancels l (b is its bot or nil) and returns ShoppingListCanceled
// when that changed anything.
func cancelList(l *depot.ShoppingList, b *depot.Bot) ([]events.Event, error) {
	changed, err := l.Cancel(b)
	if err != nil || !changed {
		return nil, err
	}
	return []events.Event{events.ShoppingListCanceled{ShoppingID: l.ID(), OrderID: l.OrderID()}}, nil
}

func assignedEvent(l *depot.ShoppingList) events.Event {
	return events.ShoppingListAssigned{ShoppingID: l.ID(), OrderID: l.OrderID(), BotID: l.BotID()}
}
