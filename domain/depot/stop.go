package depot

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mallbots/mallbots/domain"
)

var (
	// ErrNoItems (kind domain.ErrInvalid): an order with no lines cannot be
	// shopped.
	ErrNoItems = fmt.Errorf("%w: a shopping list needs at least one item", domain.ErrInvalid)
	// ErrStoreIDRequired (kind domain.ErrInvalid): an order line names no
	// store.
	ErrStoreIDRequired = fmt.Errorf("%w: store id is required", domain.ErrInvalid)
	// ErrProductIDRequired (kind domain.ErrInvalid): an order line names no
	// product.
	ErrProductIDRequired = fmt.Errorf("%w: product id is required", domain.ErrInvalid)
	// ErrQuantityNotPositive (kind domain.ErrInvalid): an order line's
	// quantity is zero or negative.
	ErrQuantityNotPositive = fmt.Errorf("%w: quantity must be greater than zero", domain.ErrInvalid)
	// ErrStoreUnknown (kind domain.ErrNotFound): an order line's store is not
	// among the stores the depot knows, usually because its StoreCreated has
	// not arrived yet.
	ErrStoreUnknown = fmt.Errorf("%w: store is not known to the depot yet", domain.ErrNotFound)
)

// Line is one line of an order as the saga sends it: Quantity units of
// product ProductID, called ProductName, sold by store StoreID.
type Line struct {
	StoreID     string
	ProductID   string
	ProductName string
	Quantity    int
}

// Store is a store as the depot last heard of it from the stores service: a
// read model with no rules of its own.
type Store struct {
	ID       string
	Name     string
	Location string
}

// Item is one product a bot picks up at a stop.
type Item struct {
	ProductID   string
	ProductName string
	Quantity    int
}

// Stop is one store a bot visits for a shopping list, with the items it picks
// up there. Stops are values: changing one returned by ShoppingList.Stops does
// not change the list.
type Stop struct {
	store    Store
	items    []Item
	pickedUp bool
}

// RehydrateStop rebuilds a stop from storage without validating it. Only
// repositories call it; everyone else gets stops from Plan.
func RehydrateStop(store Store, items []Item, pickedUp bool) Stop {
	return Stop{store: store, items: slices.Clone(items), pickedUp: pickedUp}
}

// Store returns the store the stop is at, as it was when the list was planned.
func (s Stop) Store() Store { return s.store }

// Items returns a copy of the items to pick up, in the order the order listed
// them.
func (s Stop) Items() []Item { return slices.Clone(s.items) }

// PickedUp reports whether the bot picked up the stop's items.
func (s Stop) PickedUp() bool { return s.pickedUp }

// StoreIDs checks an order's lines and returns the distinct stores they name,
// in the order each first appears: the stores a caller must look up before
// calling Plan. Errors, all of kind domain.ErrInvalid: ErrNoItems for no
// lines, ErrStoreIDRequired, ErrProductIDRequired and ErrQuantityNotPositive
// naming the first bad line.
func StoreIDs(lines []Line) ([]string, error) {
	if len(lines) == 0 {
		return nil, ErrNoItems
	}
	var ids []string
	for i, l := range lines {
		switch {
		case strings.TrimSpace(l.StoreID) == "":
			return nil, fmt.Errorf("%w: item %d", ErrStoreIDRequired, i+1)
		case strings.TrimSpace(l.ProductID) == "":
			return nil, fmt.Errorf("%w: item %d", ErrProductIDRequired, i+1)
		case l.Quantity <= 0:
			return nil, fmt.Errorf("%w: item %d has quantity %d", ErrQuantityNotPositive, i+1, l.Quantity)
		}
		if !slices.Contains(ids, l.StoreID) {
			ids = append(ids, l.StoreID)
		}
	}
	return ids, nil
}

// Plan groups an order's lines into one stop per store, in the order each
// store first appears, each stop at the Store that stores holds under the
// lines' store ID. Lines for the same product at one store become one
// item with the quantities summed. The lines are checked as by StoreIDs;
// ErrStoreUnknown (kind domain.ErrNotFound) names the first store missing
// from stores.
func Plan(lines []Line, stores map[string]Store) ([]Stop, error) {
	ids, err := StoreIDs(lines)
	if err != nil {
		return nil, err
	}
	stops := make([]Stop, len(ids))
	for i, id := range ids {
		store, ok := stores[id]
		if !ok {
			return nil, fmt.Errorf("%w: store %s", ErrStoreUnknown, id)
		}
		stops[i].store = store
	}
	for _, l := range lines {
		stop := &stops[slices.Index(ids, l.StoreID)]
		if j := slices.IndexFunc(stop.items, func(it Item) bool { return it.ProductID == l.ProductID }); j >= 0 {
			stop.items[j].Quantity += l.Quantity
			continue
		}
		stop.items = append(stop.items, Item{ProductID: l.ProductID, ProductName: l.ProductName, Quantity: l.Quantity})
	}
	return stops, nil
}
