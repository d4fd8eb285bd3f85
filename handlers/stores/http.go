package stores

import (
	"context"
	"net/http"

	"github.com/mallbots/mallbots/domain/store"
	"github.com/mallbots/mallbots/httpapi"
)

// Routes registers the stores API (the book's routes) on mux.
func (h *Handlers) Routes(mux httpapi.Router) {
	mux.HandleFunc("POST /api/stores", httpapi.Create("", h.handleCreateStore))
	mux.HandleFunc("GET /api/stores", h.handleListStores)
	mux.HandleFunc("GET /api/stores/participating", h.handleListParticipating)
	mux.HandleFunc("GET /api/stores/{id}", httpapi.Get("store", h.handleGetStore))
	mux.HandleFunc("PUT /api/stores/{id}/participating", httpapi.Command(h.EnableParticipation))
	mux.HandleFunc("DELETE /api/stores/{id}/participating", httpapi.Command(h.DisableParticipation))
	mux.HandleFunc("PUT /api/stores/{id}/rebrand", httpapi.CommandWithBody(h.handleRebrandStore))
	mux.HandleFunc("POST /api/stores/{id}/products", httpapi.Create("id", h.handleAddProduct))
	mux.HandleFunc("GET /api/stores/{id}/products", h.handleCatalog)
	// These overlap the {id}/products and {id}/participating routes at
	// /api/stores/products/products and …/participating; httpapi.Mux
	// resolves both for the earlier literal: a product ID.
	mux.HandleFunc("GET /api/stores/products/{id}", httpapi.Get("product", h.handleGetProduct))
	mux.HandleFunc("DELETE /api/stores/products/{id}", httpapi.Command(h.RemoveProduct))
	mux.HandleFunc("PUT /api/stores/products/{id}/rebrand", httpapi.CommandWithBody(h.handleRebrandProduct))
	mux.HandleFunc("PUT /api/stores/products/{id}/increasePrice", httpapi.CommandWithBody(h.handleIncreasePrice))
	mux.HandleFunc("PUT /api/stores/products/{id}/decreasePrice", httpapi.CommandWithBody(h.handleDecreasePrice))
}

type storeJSON struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Location      string `json:"location"`
	Participating bool   `json:"participating"`
}

func toStoreJSON(s *store.Store) storeJSON {
	return storeJSON{ID: s.ID(), Name: s.Name(), Location: s.Location(), Participating: s.Participating()}
}

type productJSON struct {
	ID          string        `json:"id"`
	StoreID     string        `json:"storeId"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	SKU         string        `json:"sku"`
	Price       httpapi.Money `json:"price"`
}

func toProductJSON(p *store.Product) productJSON {
	return productJSON{ID: p.ID(), StoreID: p.StoreID(), Name: p.Name(), Description: p.Description(), SKU: p.SKU(), Price: httpapi.Money(p.Price())}
}

type createStoreRequest struct {
	Name     string `json:"name"`
	Location string `json:"location"`
}

type rebrandStoreRequest struct {
	Name string `json:"name"`
}

type addProductRequest struct {
	Name        string        `json:"name"`
	Description string        `json:"description"`
	SKU         string        `json:"sku"`
	Price       httpapi.Money `json:"price"`
}

type rebrandProductRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type changePriceRequest struct {
	// Price is the amount to change the price by, as in the book's API.
	Price httpapi.Money `json:"price"`
}

func (h *Handlers) handleCreateStore(ctx context.Context, _ string, req createStoreRequest) (string, error) {
	return h.CreateStore(ctx, req.Name, req.Location)
}

func (h *Handlers) handleRebrandStore(ctx context.Context, id string, req rebrandStoreRequest) error {
	return h.RebrandStore(ctx, id, req.Name)
}

func (h *Handlers) handleAddProduct(ctx context.Context, storeID string, req addProductRequest) (string, error) {
	return h.AddProduct(ctx, storeID, req.Name, req.Description, req.SKU, int64(req.Price))
}

func (h *Handlers) handleRebrandProduct(ctx context.Context, id string, req rebrandProductRequest) error {
	return h.RebrandProduct(ctx, id, req.Name, req.Description)
}

func (h *Handlers) handleIncreasePrice(ctx context.Context, id string, req changePriceRequest) error {
	return h.IncreasePrice(ctx, id, int64(req.Price))
}

func (h *Handlers) handleDecreasePrice(ctx context.Context, id string, req changePriceRequest) error {
	return h.DecreasePrice(ctx, id, int64(req.Price))
}

func (h *Handlers) handleGetStore(ctx context.Context, id string) (storeJSON, error) {
	s, err := h.repo.Get(ctx, id)
	if err != nil {
		return storeJSON{}, err
	}
	return toStoreJSON(s), nil
}

func (h *Handlers) handleListStores(w http.ResponseWriter, r *http.Request) {
	h.listStores(w, r, false)
}

func (h *Handlers) handleListParticipating(w http.ResponseWriter, r *http.Request) {
	h.listStores(w, r, true)
}

func (h *Handlers) listStores(w http.ResponseWriter, r *http.Request, participatingOnly bool) {
	list, err := h.repo.List(r.Context(), participatingOnly)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	out := make([]storeJSON, 0, len(list))
	for _, s := range list {
		out = append(out, toStoreJSON(s))
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"stores": out})
}

func (h *Handlers) handleGetProduct(ctx context.Context, id string) (productJSON, error) {
	p, err := h.repo.GetProduct(ctx, id)
	if err != nil {
		return productJSON{}, err
	}
	return toProductJSON(p), nil
}

func (h *Handlers) handleCatalog(w http.ResponseWriter, r *http.Request) {
	storeID, err := httpapi.PathID(r, "id")
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	list, err := h.repo.Catalog(r.Context(), storeID)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	out := make([]productJSON, 0, len(list))
	for _, p := range list {
		out = append(out, toProductJSON(p))
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"products": out})
}
