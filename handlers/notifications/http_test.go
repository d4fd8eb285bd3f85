package notifications_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/domain/notification"
	"github.com/mallbots/mallbots/handlers/notifications"
	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/internal/testkit"
)

func newAPI(t *testing.T) (http.Handler, *fakeStore) {
	t.Helper()
	store := newFakeStore()
	mux := httpapi.NewMux()
	notifications.New(store, store, store, sequentialIDs()).Routes(mux)
	return mux, store
}

func TestHTTPListNotifications(t *testing.T) {
	api, store := newAPI(t)
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	const other = "00000000-0000-4000-8000-0000000000c2"
	store.sent = []notification.Notification{
		notification.Rehydrate("00000000-0000-7000-8000-000000000001", customerID, "5551234567", orderID, notification.KindCreated, "received", at),
		notification.Rehydrate("00000000-0000-7000-8000-000000000002", other, "5550000000", orderID, notification.KindCreated, "not yours", at),
		notification.Rehydrate("00000000-0000-7000-8000-000000000003", customerID, "5551234567", orderID, notification.KindReady, "pay", at.Add(time.Minute)),
	}
	rec := testkit.Request(t, api, http.MethodGet, "/api/notifications?customerId="+customerID, "")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	want := `{"notifications":[` +
		`{"id":"00000000-0000-7000-8000-000000000003","customerId":"` + customerID + `","orderId":"` + orderID +
		`","kind":"ready","smsNumber":"5551234567","text":"pay","sentAt":"2024-05-01T10:01:00Z"},` +
		`{"id":"00000000-0000-7000-8000-000000000001","customerId":"` + customerID + `","orderId":"` + orderID +
		`","kind":"created","smsNumber":"5551234567","text":"received","sentAt":"2024-05-01T10:00:00Z"}]}`
	if got := strings.TrimSpace(rec.Body.String()); got != want {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}

	rec = testkit.Request(t, api, http.MethodGet, "/api/notifications?customerId=00000000-0000-4000-8000-0000000000ff", "")
	if got := strings.TrimSpace(rec.Body.String()); rec.Code != http.StatusOK || got != `{"notifications":[]}` {
		t.Errorf("no notifications: %d %s, want 200 and an empty list", rec.Code, got)
	}
}

func TestHTTPListNotificationsErrors(t *testing.T) {
	api, store := newAPI(t)
	for _, tt := range []struct {
		path   string
		status int
		detail string
	}{
		{"/api/notifications", http.StatusBadRequest, "query parameter customerId is required"},
		{"/api/notifications?customerId=", http.StatusBadRequest, "query parameter customerId is required"},
		{"/api/notifications?customerId=ada", http.StatusBadRequest, "query parameter customerId must be a UUID"},
	} {
		rec := testkit.Request(t, api, http.MethodGet, tt.path, "")
		testkit.AssertProblem(t, rec, tt.status, tt.detail)
	}

	testkit.AssertProblem(t, testkit.Request(t, api, http.MethodPost, "/api/notifications?customerId="+customerID, ""),
		http.StatusMethodNotAllowed, "not allowed")

	store.listErr = errors.New("connection refused")
	rec := testkit.Request(t, api, http.MethodGet, "/api/notifications?customerId="+customerID, "")
	testkit.AssertProblem(t, rec, http.StatusInternalServerError, "internal error")
	if strings.Contains(rec.Body.String(), "connection refused") {
		t.Error("a 500 must not leak the error text")
	}
}
