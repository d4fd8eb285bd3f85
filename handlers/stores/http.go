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
	// "DELETE /api/stores/{id}/participating" and "DELETE
	// /api/stores/products/{id}" conflict the same way (both match
	// /api/stores/products/participating): one pattern serves the two.
	mux.HandleFunc("DELETE /api/stores/{a}/{b}", h.handleDisableOrRemove)
	mux.HandleFunc("PUT /api/stores/{id}/rebrand", httpapi.CommandWithBody(h.handleRebrandStore))
	mux.HandleFunc("POST /api/stores/{id}/products", httpapi.Create("id", h.handleAddProduct))
	// "GET /api/stores/{storeId}/products" (catalog) and
	// "GET /api/stores/products/{id}" (one product) both match
	// /api/stores/products/products, so ServeMux refuses to register both;
	// one pattern serves the two and tells them apart.
	mux.HandleFunc("GET /api/stores/{a}/{b}", h.handleCatalogOrProduct)
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

func (h *Handlers) handleCatalogOrProduct(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.PathValue("a") == "products":
		id, err := httpapi.PathID(r, "b")
		if err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
		p, err := h.repo.GetProduct(r.Context(), id)
		if err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"product": toProductJSON(p)})
	case r.PathValue("b") == "products":
		storeID, err := httpapi.PathID(r, "a")
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
	default:
		httpapi.NotFound(w, r)
	}
}

// handleDisableOrRemove serves DELETE /api/stores/products/{id} (remove a
// product) and DELETE /api/stores/{id}/participating (disable participation).
func (h *Handlers) handleDisableOrRemove(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.PathValue("a") == "products":
		r.SetPathValue("id", r.PathValue("b"))
		httpapi.Command(h.RemoveProduct)(w, r)
	case r.PathValue("b") == "participating":
		r.SetPathValue("id", r.PathValue("a"))
		httpapi.Command(h.DisableParticipation)(w, r)
	default:
		httpapi.NotFound(w, r)
	}
}
