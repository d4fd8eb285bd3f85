package notifications

import (
	"net/http"
	"time"

	"github.com/mallbots/mallbots/domain/notification"
	"github.com/mallbots/mallbots/httpapi"
)

// Routes registers the notifications API on mux.
func (h *Handlers) Routes(mux httpapi.Router) {
	mux.HandleFunc("GET /api/notifications", h.handleListNotifications)
}

type notificationJSON struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customerId"`
	OrderID    string    `json:"orderId"`
	Kind       string    `json:"kind"`
	SmsNumber  string    `json:"smsNumber"`
	Text       string    `json:"text"`
	SentAt     time.Time `json:"sentAt"`
}

func toNotificationJSON(n notification.Notification) notificationJSON {
	return notificationJSON{ID: n.ID(), CustomerID: n.CustomerID(), OrderID: n.OrderID(), Kind: n.Kind().String(),
		SmsNumber: n.SmsNumber(), Text: n.Text(), SentAt: n.SentAt()}
}

// handleListNotifications answers GET /api/notifications?customerId=… with
// {"notifications": […]}, newest first; a customer with none gets an empty
// list. customerId is required and must be a UUID (else 400).
func (h *Handlers) handleListNotifications(w http.ResponseWriter, r *http.Request) {
	customerID, err := httpapi.QueryID(r, "customerId")
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	list, err := h.history.List(r.Context(), customerID)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	out := make([]notificationJSON, len(list))
	for i, n := range list {
		out[i] = toNotificationJSON(n)
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"notifications": out})
}
