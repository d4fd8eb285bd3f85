package baskets

import (
	"context"
	"errors"
	"fmt"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/basket"
	"github.com/mallbots/mallbots/events"
)

var (
	// ErrUnknownCustomer (kind domain.ErrInvalid): the customer starting a
	// basket is not in the baskets service's customer cache: not registered,
	// or registered so recently that the event has not arrived yet.
	ErrUnknownCustomer = fmt.Errorf("%w: a basket needs a customer known to baskets", domain.ErrInvalid)
	// ErrUnknownProduct (kind domain.ErrInvalid): the product to add is not
	// in the baskets service's catalog cache: unknown, not arrived yet, or
	// removed from its store.
	ErrUnknownProduct = fmt.Errorf("%w: only products on sale can be added to a basket", domain.ErrInvalid)
	// ErrUnknownPayment (kind domain.ErrInvalid): the payment named at
	// checkout is not in the baskets service's payment cache: never
	// authorized, or authorized so recently that the event has not arrived
	// yet.
	ErrUnknownPayment = fmt.Errorf("%w: a basket is checked out with a payment known to baskets", domain.ErrInvalid)
)

// StartBasket opens an empty basket for customer customerID (a UUID, else
// domain.ErrInvalid) and returns its ID. The customer must be in the
// customer cache (ErrUnknownCustomer) and enabled (basket.ErrCustomerDisabled);
// both are domain.ErrInvalid.
func (h *Handlers) StartBasket(ctx context.Context, customerID string) (string, error) {
	customerID, err := parseID("customerId", customerID)
	if err != nil {
		return "", err
	}
	c, err := h.catalog.Customer(ctx, customerID)
	if errors.Is(err, domain.ErrNotFound) {
		return "", fmt.Errorf("%w: customer %s is not known to baskets (not registered, or the registration has not arrived yet)",
			ErrUnknownCustomer, customerID)
	}
	if err != nil {
		return "", fmt.Errorf("look up customer %s: %w", customerID, err)
	}
	b, err := basket.New(h.newID(), c)
	if err != nil {
		return "", err
	}
	return b.ID(), h.repo.Add(ctx, b, events.BasketStarted{BasketID: b.ID(), CustomerID: b.CustomerID()})
}

// AddItem puts quantity units of product productID (a UUID, else
// domain.ErrInvalid) into open basket id, at the price and with the names
// the catalog cache holds now. A product the cache does not hold or holds as
// removed is ErrUnknownProduct; the rules of basket.Basket.AddItem apply
// (ErrStoreUnknown while the product's store has not arrived, the quantity
// limits, ErrNotOpen). An unknown basket is domain.ErrNotFound.
func (h *Handlers) AddItem(ctx context.Context, id, productID string, quantity int) error {
	productID, err := parseID("productId", productID)
	if err != nil {
		return err
	}
	// Read the cache before locking the basket: the lookup needs no
	// consistency with the basket row and keeps the lock short.
	p, err := h.catalog.Product(ctx, productID)
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("%w: product %s is not on sale (unknown to baskets, or removed from its store)", ErrUnknownProduct, productID)
	}
	if err != nil {
		return fmt.Errorf("look up product %s: %w", productID, err)
	}
	return h.repo.Update(ctx, id, func(b *basket.Basket) ([]events.Event, error) {
		if err := b.AddItem(p, quantity); err != nil {
			return nil, err
		}
		return []events.Event{events.BasketItemAdded{BasketID: id, Item: events.Item{
			StoreID: p.StoreID, StoreName: p.StoreName, ProductID: p.ID, ProductName: p.Name, Price: p.Price, Quantity: quantity,
		}}}, nil
	})
}

// RemoveItem takes quantity units of product productID (a UUID, else
// domain.ErrInvalid) out of open basket id; the rules of
// basket.Basket.RemoveItem apply (the last unit removes the line; a product
// not in the basket and removing more units than it holds are
// domain.ErrInvalid; ErrNotOpen). An unknown basket is domain.ErrNotFound.
func (h *Handlers) RemoveItem(ctx context.Context, id, productID string, quantity int) error {
	productID, err := parseID("productId", productID)
	if err != nil {
		return err
	}
	return h.repo.Update(ctx, id, func(b *basket.Basket) ([]events.Event, error) {
		if err := b.RemoveItem(productID, quantity); err != nil {
			return nil, err
		}
		return []events.Event{events.BasketItemRemoved{BasketID: id, ProductID: productID, Quantity: quantity}}, nil
	})
}

// CancelBasket abandons open basket id; a checked-out or canceled basket is
// basket.ErrNotOpen (domain.ErrConflict), an unknown one domain.ErrNotFound.
func (h *Handlers) CancelBasket(ctx context.Context, id string) error {
	return h.repo.Update(ctx, id, func(b *basket.Basket) ([]events.Event, error) {
		if err := b.Cancel(); err != nil {
			return nil, err
		}
		return []events.Event{events.BasketCanceled{BasketID: id}}, nil
	})
}

// CheckoutBasket closes open basket id, to be paid with payment
// authorization paymentID (a UUID, else domain.ErrInvalid), and publishes
// BasketCheckedOut with every line in full. The payment must be in the
// payment cache (ErrUnknownPayment), and the rules of
// basket.Basket.Checkout apply: an empty basket is basket.ErrEmpty, another
// customer's payment basket.ErrPaymentOfAnotherCustomer (both
// domain.ErrInvalid); a basket that is not open is basket.ErrNotOpen, a
// payment confirmed for an order or voided basket.ErrPaymentUsed (both
// domain.ErrConflict), as is a payment another basket was checked out with.
// An unknown basket is domain.ErrNotFound. Whether the payment covers the
// total is for the order saga to find out.
func (h *Handlers) CheckoutBasket(ctx context.Context, id, paymentID string) error {
	paymentID, err := parseID("paymentId", paymentID)
	if err != nil {
		return err
	}
	// Read the cache before locking the basket, as AddItem does. A payment
	// confirmed for an order between this read and the commit slips through
	// to the saga, which refuses it; two baskets racing for one payment are
	// settled by the repository, which lets one of them have it.
	p, err := h.catalog.Payment(ctx, paymentID)
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("%w: payment %s is not known to baskets (not authorized, or the authorization has not arrived yet)",
			ErrUnknownPayment, paymentID)
	}
	if err != nil {
		return fmt.Errorf("look up payment %s: %w", paymentID, err)
	}
	return h.repo.Update(ctx, id, func(b *basket.Basket) ([]events.Event, error) {
		if err := b.Checkout(p); err != nil {
			return nil, err
		}
		items := b.Items()
		out := make([]events.Item, len(items))
		for i, it := range items {
			out[i] = events.Item{StoreID: it.StoreID, StoreName: it.StoreName, ProductID: it.ProductID,
				ProductName: it.ProductName, Price: it.Price, Quantity: it.Quantity}
		}
		return []events.Event{events.BasketCheckedOut{BasketID: id, CustomerID: b.CustomerID(), PaymentID: b.PaymentID(), Items: out}}, nil
	})
}

// GetBasket returns basket id, or domain.ErrNotFound.
func (h *Handlers) GetBasket(ctx context.Context, id string) (*basket.Basket, error) {
	return h.repo.Get(ctx, id)
}

// parseID returns v, which the client sent as field, as a canonical
// lowercase UUID; anything else is domain.ErrInvalid naming the field.
func parseID(field, v string) (string, error) {
	id, ok := domain.ParseID(v)
	if !ok {
		return "", fmt.Errorf("%w: %s must be a UUID, got %.40q", domain.ErrInvalid, field, v)
	}
	return id, nil
}
