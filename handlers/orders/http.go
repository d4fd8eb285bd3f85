package orders

import (
	"context"
	"time"

	"github.com/mallbots/mallbots/domain/order"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/httpapi"
)

// Routes registers the orders API on mux: the book's create (priced from
// the catalog cache, whatever the client sends), get and cancel, and the
// order's event history.
func (h *Handlers) Routes(mux httpapi.Router) {
	mux.HandleFunc("POST /api/ordering", httpapi.Create("", h.handleCreateOrder))
	mux.HandleFunc("GET /api/ordering/{id}", httpapi.Get("order", h.handleGetOrder))
	mux.HandleFunc("DELETE /api/ordering/{id}", httpapi.Command(h.CancelOrder))
	mux.HandleFunc("GET /api/ordering/{id}/history", httpapi.Get("events", h.handleGetHistory))
}

type itemJSON struct {
	StoreID     string        `json:"storeId"`
	StoreName   string        `json:"storeName"`
	ProductID   string        `json:"productId"`
	ProductName string        `json:"productName"`
	Price       httpapi.Money `json:"price"`
	Quantity    int           `json:"quantity"`
}

func toItemsJSON(items []order.Item) []itemJSON {
	out := make([]itemJSON, len(items))
	for i, it := range items {
		out[i] = itemJSON{StoreID: it.StoreID, StoreName: it.StoreName, ProductID: it.ProductID, ProductName: it.ProductName,
			Price: httpapi.Money(it.Price), Quantity: it.Quantity}
	}
	return out
}

type orderJSON struct {
	ID         string        `json:"id"`
	CustomerID string        `json:"customerId"`
	PaymentID  string        `json:"paymentId"`
	ShoppingID string        `json:"shoppingId"`
	InvoiceID  string        `json:"invoiceId"`
	Items      []itemJSON    `json:"items"`
	Total      httpapi.Money `json:"total"`
	Status     string        `json:"status"`
	Reason     string        `json:"reason,omitempty"`
	CreatedAt  time.Time     `json:"createdAt"`
	UpdatedAt  time.Time     `json:"updatedAt"`
}

func toOrderJSON(o *order.Order) orderJSON {
	return orderJSON{ID: o.ID(), CustomerID: o.CustomerID(), PaymentID: o.PaymentID(), ShoppingID: o.ShoppingID(),
		InvoiceID: o.InvoiceID(), Items: toItemsJSON(o.Items()), Total: httpapi.Money(o.Total()), Status: o.Status().String(),
		Reason: o.Reason(), CreatedAt: o.CreatedAt(), UpdatedAt: o.UpdatedAt()}
}

// historyEventJSON is one stored event: its version, the wire name of the
// event it was published as, when it was stored, and its own data.
type historyEventJSON struct {
	Version    int64     `json:"version"`
	Name       string    `json:"name"`
	OccurredAt time.Time `json:"occurredAt"`
	Data       any       `json:"data"`
}

type createdDataJSON struct {
	CustomerID string        `json:"customerId"`
	PaymentID  string        `json:"paymentId"`
	Items      []itemJSON    `json:"items"`
	Total      httpapi.Money `json:"total"`
}

func toHistoryEventJSON(r order.Recorded) historyEventJSON {
	out := historyEventJSON{Version: r.Version, OccurredAt: r.OccurredAt, Data: struct{}{}}
	switch e := r.Event.(type) {
	case order.Created:
		out.Name = events.OrderCreatedName
		out.Data = createdDataJSON{CustomerID: e.CustomerID, PaymentID: e.PaymentID, Items: toItemsJSON(e.Items), Total: httpapi.Money(e.Total)}
	case order.Approved:
		out.Name, out.Data = events.OrderApprovedName, map[string]string{"shoppingId": e.ShoppingID}
	case order.Rejected:
		out.Name, out.Data = events.OrderRejectedName, map[string]string{"reason": e.Reason}
	case order.ShoppingCompleted:
		out.Name, out.Data = events.OrderShoppingCompletedName, map[string]string{"shoppingId": e.ShoppingID, "invoiceId": e.InvoiceID}
	case order.Readied:
		out.Name, out.Data = events.OrderReadiedName, map[string]string{"invoiceId": e.InvoiceID}
	case order.Canceled:
		out.Name = events.OrderCanceledName
	case order.Completed:
		out.Name = events.OrderCompletedName
	}
	return out
}

type createOrderRequest struct {
	CustomerID string             `json:"customerId"`
	PaymentID  string             `json:"paymentId"`
	Items      []orderLineRequest `json:"items"`
}

// orderLineRequest is one item of the book's CreateOrder request. The
// order needs only the IDs and the quantity; the names and the price are
// what the client showed, optional, and must be the catalog's when sent. A
// null price is no price.
type orderLineRequest struct {
	StoreID     string         `json:"storeId"`
	StoreName   string         `json:"storeName"`
	ProductID   string         `json:"productId"`
	ProductName string         `json:"productName"`
	Price       *httpapi.Money `json:"price"`
	Quantity    int            `json:"quantity"`
}

func (h *Handlers) handleCreateOrder(ctx context.Context, _ string, req createOrderRequest) (string, error) {
	lines := make([]order.Line, len(req.Items))
	for i, it := range req.Items {
		lines[i] = order.Line{StoreID: it.StoreID, ProductID: it.ProductID, Quantity: it.Quantity,
			StoreName: it.StoreName, ProductName: it.ProductName}
		if it.Price != nil {
			price := int64(*it.Price)
			lines[i].Price = &price
		}
	}
	return h.CreateOrder(ctx, req.CustomerID, req.PaymentID, lines)
}

func (h *Handlers) handleGetOrder(ctx context.Context, id string) (orderJSON, error) {
	o, err := h.repo.Get(ctx, id)
	if err != nil {
		return orderJSON{}, err
	}
	return toOrderJSON(o), nil
}

func (h *Handlers) handleGetHistory(ctx context.Context, id string) ([]historyEventJSON, error) {
	hist, err := h.repo.History(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]historyEventJSON, len(hist))
	for i, r := range hist {
		out[i] = toHistoryEventJSON(r)
	}
	return out, nil
}
