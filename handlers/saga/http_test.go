package saga_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/internal/testkit"
)

// newAPI returns the saga routes behind the production mux wrapper.
func newAPI(f *fixture) http.Handler {
	mux := httpapi.NewMux()
	f.h.Routes(mux)
	return mux
}

func TestHTTPGetSaga(t *testing.T) {
	f := started(t)
	for _, r := range []events.CreateOrderReply{ok(events.AuthorizeCustomerName), listCreated, fail(events.ConfirmPaymentName, "amount differs"),
		fail(events.CancelShoppingListName, "list completed")} {
		if err := f.h.OnCreateOrderReply(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	rec := testkit.Request(t, newAPI(f), http.MethodGet, "/api/sagas/"+strings.ToUpper(orderID), "")
	testkit.AssertJSON(t, rec, http.StatusOK, `{"saga": {"orderId": "`+orderID+`", "step": "rejectOrder", "status": "compensating",
		"reason": "confirmPayment failed: amount differs", "shoppingId": "`+shoppingID+`",
		"compensationFailures": ["cancelShoppingList: list completed"], "updatedAt": "2025-03-01T10:05:00Z"}}`)
}

func TestHTTPGetSagaErrors(t *testing.T) {
	api := newAPI(started(t))
	for _, tc := range []struct {
		path   string
		status int
		detail string
	}{
		{"/api/sagas/" + shoppingID, http.StatusNotFound, "create-order saga of order " + shoppingID},
		{"/api/sagas/nope", http.StatusBadRequest, "path parameter orderId must be a UUID"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			testkit.AssertProblem(t, testkit.Request(t, api, http.MethodGet, tc.path, ""), tc.status, tc.detail)
		})
	}
}
