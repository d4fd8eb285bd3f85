package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Catalog is the little mall Setup creates: stores with products, and a
// customer to shop there.
type Catalog struct {
	Stores     []CatalogStore
	CustomerID string
}

// CatalogStore is one store Setup created.
type CatalogStore struct {
	ID, Name string
	Products []CatalogProduct
}

// CatalogProduct is one product Setup created.
type CatalogProduct struct {
	ID, Name string
	Price    Money
}

// Setup opens two participating stores with two products each and registers
// a customer, logging each step with logf.
func Setup(ctx context.Context, c *Client, logf func(format string, args ...any)) (Catalog, error) {
	var cat Catalog
	plan := []struct {
		name, location string
		products       []CatalogProduct
	}{
		{"Robo Waffles", "Level 1, east wing", []CatalogProduct{{Name: "Waffle", Price: 450}, {Name: "Maple syrup", Price: 725}}},
		{"Bolt & Nut Tea", "Level 2, food court", []CatalogProduct{{Name: "Green tea", Price: 300}, {Name: "Oil-can latte", Price: 525}}},
	}
	for i, p := range plan {
		id, err := c.CreateStore(ctx, p.name, p.location)
		if err != nil {
			return cat, err
		}
		if err := c.EnableParticipation(ctx, id); err != nil {
			return cat, err
		}
		s := CatalogStore{ID: id, Name: p.name}
		for j, prod := range p.products {
			pid, err := c.AddProduct(ctx, id, prod.Name, fmt.Sprintf("SKU-%d%d", i, j), prod.Price)
			if err != nil {
				return cat, err
			}
			prod.ID = pid
			s.Products = append(s.Products, prod)
		}
		logf("store %q (%s) with %d products", p.name, id, len(s.Products))
		cat.Stores = append(cat.Stores, s)
	}
	id, err := c.RegisterCustomer(ctx, "Ada Lovelace", "+15555550100")
	if err != nil {
		return cat, err
	}
	logf("customer Ada Lovelace (%s)", id)
	cat.CustomerID = id
	return cat, nil
}

// retryUnprocessable repeats fn while it fails with 422 because the baskets
// service has not received the catalog, customer or payment events yet
// (caches fill asynchronously), until ctx ends. It waits 10 ms, then twice
// as long each time up to 250 ms: an event is usually there within a few
// milliseconds, but on a busy system it can take seconds, and many
// customers asking every few milliseconds would only make it busier.
func retryUnprocessable(ctx context.Context, fn func() error) error {
	wait := 10 * time.Millisecond
	for {
		err := fn()
		if StatusOf(err) != http.StatusUnprocessableEntity {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 250*time.Millisecond)
	}
}

// Placed is an order a customer checked out.
type Placed struct {
	// OrderID is the order's id, which is the basket's.
	OrderID   string
	PaymentID string
	// Total is the basket's total.
	Total Money
	// CheckedOut is when the checkout was accepted.
	CheckedOut time.Time
}

// PlaceOrder has the catalog's customer put quantity units of every store's
// first product into a new basket, authorize a payment of the basket's total
// plus overpay (a negative overpay authorizes too little, which the saga
// refuses) and check out. It returns before the saga runs.
func PlaceOrder(ctx context.Context, c *Client, cat Catalog, quantity int, overpay Money) (Placed, error) {
	var p Placed
	err := retryUnprocessable(ctx, func() (err error) {
		p.OrderID, err = c.StartBasket(ctx, cat.CustomerID)
		return err
	})
	if err != nil {
		return p, err
	}
	for _, s := range cat.Stores {
		if err := retryUnprocessable(ctx, func() error { return c.AddItem(ctx, p.OrderID, s.Products[0].ID, quantity) }); err != nil {
			return p, err
		}
	}
	b, err := c.GetBasket(ctx, p.OrderID)
	if err != nil {
		return p, err
	}
	p.Total = b.Total
	if p.PaymentID, err = c.AuthorizePayment(ctx, cat.CustomerID, b.Total+overpay); err != nil {
		return p, err
	}
	if err := retryUnprocessable(ctx, func() error { return c.Checkout(ctx, p.OrderID, p.PaymentID) }); err != nil {
		return p, err
	}
	p.CheckedOut = time.Now()
	return p, nil
}

// Shop lets bot botID claim the next available shopping list, pick up every
// stop and complete it. It reports false, with no error, when no list is
// available.
func Shop(ctx context.Context, c *Client, botID string) (ShoppingList, bool, error) {
	list, err := c.ClaimShoppingList(ctx, botID)
	if StatusOf(err) == http.StatusNotFound {
		return ShoppingList{}, false, nil
	}
	if err != nil {
		return ShoppingList{}, false, err
	}
	for _, stop := range list.Stops {
		if err := c.PickUp(ctx, list.ID, stop.StoreID); err != nil {
			return list, true, err
		}
	}
	return list, true, c.CompleteShoppingList(ctx, list.ID)
}

// WaitForOrder polls the order until its status is one of want, or a final
// status it cannot leave, or ctx ends.
func WaitForOrder(ctx context.Context, c *Client, id string, want ...string) (Order, error) {
	for {
		o, err := c.GetOrder(ctx, id)
		if err != nil && StatusOf(err) != http.StatusNotFound {
			return o, err
		}
		for _, w := range want {
			if o.Status == w {
				return o, nil
			}
		}
		if o.Status == "rejected" || o.Status == "canceled" || o.Status == "completed" {
			return o, fmt.Errorf("order %s is %s (%s), not %v", id, o.Status, o.Reason, want)
		}
		select {
		case <-ctx.Done():
			return o, fmt.Errorf("order %s is still %q: %w", id, o.Status, ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// PayInvoiceWhenIssued pays the invoice of a ready order. Payments creates
// the invoice when it receives the order's OrderReadied, a moment after the
// order reads ready, so a 404 is waited out until ctx ends.
func PayInvoiceWhenIssued(ctx context.Context, c *Client, invoiceID string) error {
	for {
		err := c.PayInvoice(ctx, invoiceID)
		if StatusOf(err) != http.StatusNotFound {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
