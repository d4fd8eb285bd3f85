package depot

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/mallbots/mallbots/domain/depot"
	"github.com/mallbots/mallbots/httpapi"
)

// Shopping list listing bounds: GET /api/depot/shopping returns at most
// maxListLimit lists, defaultListLimit unless ?limit= says otherwise.
const (
	defaultListLimit = 100
	maxListLimit     = 500
)

// Routes registers the depot API on mux: the book's routes (assign, complete,
// cancel) and what bots and staff screens need besides (get and list lists,
// register and list bots, claim the next list, pick up a stop). A bot is
// named by its ID or by its external ID wherever a route names one.
func (h *Handlers) Routes(mux httpapi.Router) {
	mux.HandleFunc("GET /api/depot/shopping", h.handleListShoppingLists)
	mux.HandleFunc("GET /api/depot/shopping/{id}", httpapi.Get("shoppingList", h.handleGetShoppingList))
	mux.HandleFunc("POST /api/depot/shopping/{id}", httpapi.Command(h.CancelShoppingList))
	mux.HandleFunc("PUT /api/depot/shopping/{id}/assign", httpapi.CommandWithBody(h.handleAssignShoppingList))
	mux.HandleFunc("PUT /api/depot/shopping/{id}/stops/{storeId}/pickup", h.handlePickUpStop)
	mux.HandleFunc("PUT /api/depot/shopping/{id}/complete", httpapi.Command(h.CompleteShoppingList))
	mux.HandleFunc("POST /api/depot/bots", httpapi.Create("", h.handleRegisterBot))
	mux.HandleFunc("GET /api/depot/bots", h.handleListBots)
	mux.HandleFunc("GET /api/depot/bots/{id}", h.handleGetBot)
	mux.HandleFunc("POST /api/depot/bots/{id}/claim", h.handleClaimShoppingList)
}

type shoppingListJSON struct {
	ID      string     `json:"id"`
	OrderID string     `json:"orderId"`
	Status  string     `json:"status"`
	BotID   string     `json:"botId"`
	Stops   []stopJSON `json:"stops"`
}

type stopJSON struct {
	StoreID       string     `json:"storeId"`
	StoreName     string     `json:"storeName"`
	StoreLocation string     `json:"storeLocation"`
	PickedUp      bool       `json:"pickedUp"`
	Items         []itemJSON `json:"items"`
}

type itemJSON struct {
	ProductID   string `json:"productId"`
	ProductName string `json:"productName"`
	Quantity    int    `json:"quantity"`
}

func toShoppingListJSON(l *depot.ShoppingList) shoppingListJSON {
	out := shoppingListJSON{ID: l.ID(), OrderID: l.OrderID(), Status: l.Status().String(), BotID: l.BotID(), Stops: []stopJSON{}}
	for _, s := range l.Stops() {
		st := s.Store()
		stop := stopJSON{StoreID: st.ID, StoreName: st.Name, StoreLocation: st.Location, PickedUp: s.PickedUp(), Items: []itemJSON{}}
		for _, it := range s.Items() {
			stop.Items = append(stop.Items, itemJSON(it))
		}
		out.Stops = append(out.Stops, stop)
	}
	return out
}

type botJSON struct {
	ID         string `json:"id"`
	ExternalID string `json:"externalId"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	ShoppingID string `json:"shoppingId"`
}

func toBotJSON(b *depot.Bot) botJSON {
	return botJSON{ID: b.ID(), ExternalID: b.ExternalID(), Name: b.Name(), Status: b.Status().String(), ShoppingID: b.ShoppingID()}
}

type assignRequest struct {
	BotID string `json:"botId"`
}

type registerBotRequest struct {
	Name string `json:"name"`
}

func (h *Handlers) handleGetShoppingList(ctx context.Context, id string) (shoppingListJSON, error) {
	l, err := h.repo.Get(ctx, id)
	if err != nil {
		return shoppingListJSON{}, err
	}
	return toShoppingListJSON(l), nil
}

func (h *Handlers) handleAssignShoppingList(ctx context.Context, id string, req assignRequest) error {
	return h.AssignShoppingList(ctx, id, req.BotID)
}

func (h *Handlers) handleRegisterBot(ctx context.Context, _ string, req registerBotRequest) (string, error) {
	return h.RegisterBot(ctx, req.Name)
}

// pathBotRef returns the bot a bot route's {id} names, by its ID or its
// external ID; a malformed one is a 400 problem, as any malformed path
// parameter is.
func pathBotRef(r *http.Request) (depot.BotRef, error) {
	ref, err := depot.ParseBotRef(r.PathValue("id"))
	if err != nil {
		return ref, httpapi.NewProblem(http.StatusBadRequest, fmt.Sprintf(
			"path parameter id must be a bot's ID (a UUID) or external ID (at most %d characters, no control characters, no white space around them)",
			depot.MaxBotExternalIDLen))
	}
	return ref, nil
}

// handleGetBot serves GET /api/depot/bots/{id}, where {id} is the bot's ID
// or its external ID ("bot-1").
func (h *Handlers) handleGetBot(w http.ResponseWriter, r *http.Request) {
	ref, err := pathBotRef(r)
	var b *depot.Bot
	if err == nil {
		b, err = h.repo.GetBot(r.Context(), ref)
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"bot": toBotJSON(b)})
}

// handleListShoppingLists serves GET /api/depot/shopping[?status=…][&limit=…]:
// lists oldest first, the order bots claim them in.
func (h *Handlers) handleListShoppingLists(w http.ResponseWriter, r *http.Request) {
	status, limit, err := listQuery(r)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	lists, err := h.repo.List(r.Context(), status, limit)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	out := make([]shoppingListJSON, 0, len(lists))
	for _, l := range lists {
		out = append(out, toShoppingListJSON(l))
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"shoppingLists": out})
}

// listQuery reads the optional status and limit query parameters; a bad
// value is a 400 problem naming it.
func listQuery(r *http.Request) (depot.Status, int, error) {
	q := r.URL.Query()
	var status depot.Status
	if v := q.Get("status"); v != "" {
		s, err := depot.ParseStatus(v)
		if err != nil {
			return status, 0, httpapi.NewProblem(http.StatusBadRequest,
				fmt.Sprintf("query parameter status must be one of pending, available, assigned, completed, canceled, got %q", v))
		}
		status = s
	}
	limit := defaultListLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			return status, 0, httpapi.NewProblem(http.StatusBadRequest,
				fmt.Sprintf("query parameter limit must be a whole number from 1 to %d, got %q", maxListLimit, v))
		}
		limit = n
	}
	return status, limit, nil
}

func (h *Handlers) handlePickUpStop(w http.ResponseWriter, r *http.Request) {
	id, err := httpapi.PathID(r, "id")
	var storeID string
	if err == nil {
		storeID, err = httpapi.PathID(r, "storeId")
	}
	if err == nil {
		err = h.PickUpStop(r.Context(), id, storeID)
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.OK(w)
}

func (h *Handlers) handleListBots(w http.ResponseWriter, r *http.Request) {
	bots, err := h.repo.ListBots(r.Context())
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	out := make([]botJSON, 0, len(bots))
	for _, b := range bots {
		out = append(out, toBotJSON(b))
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"bots": out})
}

// handleClaimShoppingList serves POST /api/depot/bots/{id}/claim, where {id}
// is the bot's ID or external ID: 200 with the list now assigned to the bot,
// 404 when none is available, 409 when the bot is busy.
func (h *Handlers) handleClaimShoppingList(w http.ResponseWriter, r *http.Request) {
	ref, err := pathBotRef(r)
	var l *depot.ShoppingList
	if err == nil {
		l, err = h.ClaimShoppingList(r.Context(), ref)
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"shoppingList": toShoppingListJSON(l)})
}
