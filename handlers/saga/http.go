package saga

import (
	"net/http"
	"time"

	"github.com/mallbots/mallbots/httpapi"
)

// Routes registers the saga's operator API on mux: where an order's
// create-order saga stands.
func (h *Handlers) Routes(mux httpapi.Router) {
	mux.HandleFunc("GET /api/sagas/{orderId}", h.handleGetSaga)
}

type sagaJSON struct {
	OrderID    string `json:"orderId"`
	Step       string `json:"step"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	ShoppingID string `json:"shoppingId"`
	// CompensationFailures lists compensations that failed, for an
	// operator to resolve by hand.
	CompensationFailures []string  `json:"compensationFailures,omitempty"`
	UpdatedAt            time.Time `json:"updatedAt"`
}

func (h *Handlers) handleGetSaga(w http.ResponseWriter, r *http.Request) {
	id, err := httpapi.PathID(r, "orderId")
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	s, err := h.repo.Get(r.Context(), id)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	st := s.State()
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"saga": sagaJSON{
		OrderID: st.OrderID, Step: st.Step.String(), Status: st.Status.String(), Reason: st.Reason,
		ShoppingID: st.ShoppingID, CompensationFailures: st.CompensationFailures, UpdatedAt: st.UpdatedAt,
	}})
}
