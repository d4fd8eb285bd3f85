package client

import (
	"context"
	"net/http"
)

// CreateStore opens a store and returns its id.
func (c *Client) CreateStore(ctx context.Context, name, location string) (string, error) {
	return c.create(ctx, "/api/stores", map[string]any{"name": name, "location": location})
}

// EnableParticipation lets the store take part in bot shopping.
func (c *Client) EnableParticipation(ctx context.Context, storeID string) error {
	return c.Do(ctx, http.MethodPut, "/api/stores/"+storeID+"/participating", nil, nil)
}

// AddProduct adds a product to a store's catalog and returns its id.
func (c *Client) AddProduct(ctx context.Context, storeID, name, sku string, price Money) (string, error) {
	return c.create(ctx, "/api/stores/"+storeID+"/products",
		map[string]any{"name": name, "description": name, "sku": sku, "price": price})
}

// RegisterCustomer registers a customer and returns their id.
func (c *Client) RegisterCustomer(ctx context.Context, name, smsNumber string) (string, error) {
	return c.create(ctx, "/api/customers", map[string]any{"name": name, "smsNumber": smsNumber})
}

// StartBasket opens a basket for the customer and returns its id.
func (c *Client) StartBasket(ctx context.Context, customerID string) (string, error) {
	return c.create(ctx, "/api/baskets", map[string]any{"customerId": customerID})
}

// AddItem puts quantity units of a product into the basket.
func (c *Client) AddItem(ctx context.Context, basketID, productID string, quantity int) error {
	return c.Do(ctx, http.MethodPut, "/api/baskets/"+basketID+"/addItem",
		map[string]any{"productId": productID, "quantity": quantity}, nil)
}

// Basket is the part of a basket the client reads.
type Basket struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Total  Money  `json:"total"`
}

// GetBasket reads a basket.
func (c *Client) GetBasket(ctx context.Context, id string) (Basket, error) {
	var out struct {
		Basket Basket `json:"basket"`
	}
	err := c.Do(ctx, http.MethodGet, "/api/baskets/"+id, nil, &out)
	return out.Basket, err
}

// AuthorizePayment authorizes a payment of amount and returns its id.
func (c *Client) AuthorizePayment(ctx context.Context, customerID string, amount Money) (string, error) {
	return c.create(ctx, "/api/payments", map[string]any{"customerId": customerID, "amount": amount})
}

// Checkout checks the basket out, paid by the authorized payment. The order
// that results has the basket's id.
func (c *Client) Checkout(ctx context.Context, basketID, paymentID string) error {
	return c.Do(ctx, http.MethodPut, "/api/baskets/"+basketID+"/checkout", map[string]any{"paymentId": paymentID}, nil)
}

// Order is the part of an order the client reads.
type Order struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	ShoppingID string `json:"shoppingId"`
	InvoiceID  string `json:"invoiceId"`
	Total      Money  `json:"total"`
	Reason     string `json:"reason"`
}

// GetOrder reads an order.
func (c *Client) GetOrder(ctx context.Context, id string) (Order, error) {
	var out struct {
		Order Order `json:"order"`
	}
	err := c.Do(ctx, http.MethodGet, "/api/ordering/"+id, nil, &out)
	return out.Order, err
}

// RegisterBot registers a shopping robot and returns its id.
func (c *Client) RegisterBot(ctx context.Context, name string) (string, error) {
	return c.create(ctx, "/api/depot/bots", map[string]any{"name": name})
}

// Stop is one store a bot visits for a shopping list.
type Stop struct {
	StoreID   string `json:"storeId"`
	StoreName string `json:"storeName"`
	PickedUp  bool   `json:"pickedUp"`
}

// ShoppingList is the part of a shopping list the client reads.
type ShoppingList struct {
	ID      string `json:"id"`
	OrderID string `json:"orderId"`
	Status  string `json:"status"`
	Stops   []Stop `json:"stops"`
}

// ClaimShoppingList assigns the next available shopping list to the bot.
// With none available the error's status (StatusOf) is 404.
func (c *Client) ClaimShoppingList(ctx context.Context, botID string) (ShoppingList, error) {
	var out struct {
		ShoppingList ShoppingList `json:"shoppingList"`
	}
	err := c.Do(ctx, http.MethodPost, "/api/depot/bots/"+botID+"/claim", nil, &out)
	return out.ShoppingList, err
}

// PickUp records that the bot collected a stop's items.
func (c *Client) PickUp(ctx context.Context, listID, storeID string) error {
	return c.Do(ctx, http.MethodPut, "/api/depot/shopping/"+listID+"/stops/"+storeID+"/pickup", nil, nil)
}

// CompleteShoppingList records that the bot brought every item to the depot.
func (c *Client) CompleteShoppingList(ctx context.Context, listID string) error {
	return c.Do(ctx, http.MethodPut, "/api/depot/shopping/"+listID+"/complete", nil, nil)
}

// PayInvoice pays the invoice at the depot.
func (c *Client) PayInvoice(ctx context.Context, invoiceID string) error {
	return c.Do(ctx, http.MethodPut, "/api/payments/invoices/"+invoiceID+"/pay", nil, nil)
}
