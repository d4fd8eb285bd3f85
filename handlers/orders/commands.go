package orders

import (
	"context"
	"fmt"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/order"
)

// ErrUnknownProduct (kind domain.ErrInvalid): a product to order is not in
// the orders service's catalog cache: unknown, not arrived yet, or removed
// from its store.
var ErrUnknownProduct = fmt.Errorf("%w: only products on sale can be ordered", domain.ErrInvalid)

// CreateOrder places a pending order for customer customerID, paid with
// payment authorization paymentID, of the lines a client asked for, and
// returns its new ID; OrderCreated starts the create-order saga. Every item
// is named and priced as the catalog cache holds its product now
// (order.Line.Item): a client never sets a price. A product the cache does
// not hold or holds as removed is ErrUnknownProduct; a line that names
// another store, name or price than the catalog's is
// order.ErrNotAsInCatalog; one whose store has not arrived yet
// order.ErrStoreUnknown; the rules of order.New apply too (IDs, at least
// one item, quantities). Every such error is domain.ErrInvalid and names
// the item and the product or store. That the customer may shop and that
// the payment covers the total is for the saga to find out.
func (h *Handlers) CreateOrder(ctx context.Context, customerID, paymentID string, lines []order.Line) (string, error) {
	ids := make([]string, len(lines))
	for i, l := range lines {
		id, ok := domain.ParseID(l.ProductID)
		if !ok {
			return "", fmt.Errorf("%w %d: product id is not a UUID: %.40q", order.ErrInvalidItem, i+1, l.ProductID)
		}
		ids[i] = id
	}
	products, err := h.catalog.Products(ctx, ids)
	if err != nil {
		return "", fmt.Errorf("look up the products to order: %w", err)
	}
	items := make([]order.Item, len(lines))
	for i, l := range lines {
		p, ok := products[ids[i]]
		if !ok {
			return "", fmt.Errorf("%w: item %d: product %s is not on sale (not known to orders yet, or removed from its store)",
				ErrUnknownProduct, i+1, ids[i])
		}
		if items[i], err = l.Item(i+1, p); err != nil {
			return "", err
		}
	}
	o, evs, err := order.New(h.newID(), customerID, paymentID, items)
	if err != nil {
		return "", err
	}
	return o.ID(), h.repo.Add(ctx, o, evs)
}

// CancelOrder cancels order id, which must be pending or approved; canceling
// a canceled order succeeds and publishes nothing. A rejected, ready or
// completed order is domain.ErrConflict (order.ErrNotCancelable), as is an
// order that other writers kept changing (order.ErrConcurrentChange); an
// unknown order is domain.ErrNotFound.
func (h *Handlers) CancelOrder(ctx context.Context, id string) error {
	return h.repo.Update(ctx, id, func(o *order.Order) ([]order.Event, error) {
		return o.Cancel()
	})
}
