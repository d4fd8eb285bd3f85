package baskets

import (
	"context"

	"github.com/mallbots/mallbots/domain/basket"
	"github.com/mallbots/mallbots/httpapi"
)

// Routes registers the baskets API (the book's routes) on mux.
func (h *Handlers) Routes(mux httpapi.Router) {
	mux.HandleFunc("POST /api/baskets", httpapi.Create("", h.handleStartBasket))
	mux.HandleFunc("GET /api/baskets/{id}", httpapi.Get("basket", h.handleGetBasket))
	mux.HandleFunc("DELETE /api/baskets/{id}", httpapi.Command(h.CancelBasket))
	mux.HandleFunc("PUT /api/baskets/{id}/addItem", httpapi.CommandWithBody(h.handleAddItem))
	mux.HandleFunc("PUT /api/baskets/{id}/removeItem", httpapi.CommandWithBody(h.handleRemoveItem))
	mux.HandleFunc("PUT /api/baskets/{id}/checkout", httpapi.CommandWithBody(h.handleCheckout))
}

type basketJSON struct {
	ID         string `json:"id"`
	CustomerID string `json:"customerId"`
	// PaymentID is present once the basket is checked out.
	PaymentID string           `json:"paymentId,omitempty"`
	Status    string           `json:"status"`
	Items     []basketItemJSON `json:"items"`
	Total     httpapi.Money    `json:"total"`
}

type basketItemJSON struct {
	StoreID     string `json:"storeId"`
	StoreName   string `json:"storeName"`
	ProductID   string `json:"productId"`
	ProductName string `json:"productName"`
	// Price is the unit price.
	Price    httpapi.Money `json:"price"`
	Quantity int           `json:"quantity"`
}

func toBasketJSON(b *basket.Basket) basketJSON {
	items := b.Items()
	out := make([]basketItemJSON, len(items))
	for i, it := range items {
		out[i] = basketItemJSON{StoreID: it.StoreID, StoreName: it.StoreName, ProductID: it.ProductID,
			ProductName: it.ProductName, Price: httpapi.Money(it.Price), Quantity: it.Quantity}
	}
	return basketJSON{ID: b.ID(), CustomerID: b.CustomerID(), PaymentID: b.PaymentID(), Status: b.Status().String(),
		Items: out, Total: httpapi.Money(b.Total())}
}

type startBasketRequest struct {
	CustomerID string `json:"customerId"`
}

type itemRequest struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
}

type checkoutRequest struct {
	PaymentID string `json:"paymentId"`
}

func (h *Handlers) handleStartBasket(ctx context.Context, _ string, req startBasketRequest) (string, error) {
	return h.StartBasket(ctx, req.CustomerID)
}

func (h *Handlers) handleGetBasket(ctx context.Context, id string) (basketJSON, error) {
	b, err := h.GetBasket(ctx, id)
	if err != nil {
		return basketJSON{}, err
	}
	return toBasketJSON(b), nil
}

func (h *Handlers) handleAddItem(ctx context.Context, id string, req itemRequest) error {
	return h.AddItem(ctx, id, req.ProductID, req.Quantity)
}

func (h *Handlers) handleRemoveItem(ctx context.Context, id string, req itemRequest) error {
	return h.RemoveItem(ctx, id, req.ProductID, req.Quantity)
}

func (h *Handlers) handleCheckout(ctx context.Context, id string, req checkoutRequest) error {
	return h.CheckoutBasket(ctx, id, req.PaymentID)
}
