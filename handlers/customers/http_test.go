package customers_test

import (
	"net/http"
	"testing"

	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/customers"
	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/internal/testkit"
)

// newAPI returns the customers routes behind the production mux wrapper.
func newAPI(t *testing.T) (http.Handler, *fakeRepo) {
	t.Helper()
	repo := newFakeRepo()
	mux := httpapi.NewMux()
	customers.New(repo, &fakePublisher{}, sequentialIDs()).Routes(mux)
	return mux, repo
}

func TestHTTPRegisterAndGetCustomer(t *testing.T) {
	api, repo := newAPI(t)
	rec := testkit.Request(t, api, http.MethodPost, "/api/customers", `{"name": "Ada Lovelace", "smsNumber": "+1 555-123-4567"}`)
	testkit.AssertJSON(t, rec, http.StatusCreated, `{"id": "`+firstID+`"}`)
	assertEvents(t, repo, events.CustomerRegistered{
		CustomerID: firstID, Name: "Ada Lovelace", SmsNumber: "+1 555-123-4567", Enabled: true, Version: 1,
	})

	rec = testkit.Request(t, api, http.MethodGet, "/api/customers/"+firstID, "")
	testkit.AssertJSON(t, rec, http.StatusOK,
		`{"customer": {"id": "`+firstID+`", "name": "Ada Lovelace", "smsNumber": "+1 555-123-4567", "enabled": true}}`)
}

func TestHTTPCustomerCommands(t *testing.T) {
	api, repo := newAPI(t)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPost, "/api/customers", `{"name": "Ada", "smsNumber": "5551234567"}`),
		http.StatusCreated, `{"id": "`+firstID+`"}`)
	path := "/api/customers/" + firstID

	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPut, path+"/change-sms", `{"smsNumber": "+44 20 7946 0958"}`), http.StatusOK, `{}`)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPut, path+"/disable", ""), http.StatusOK, `{}`)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, path, ""), http.StatusOK,
		`{"customer": {"id": "`+firstID+`", "name": "Ada", "smsNumber": "+44 20 7946 0958", "enabled": false}}`)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPut, path+"/enable", ""), http.StatusOK, `{}`)

	evs := repo.published()
	if len(evs) != 4 {
		t.Fatalf("published %d events, want 4: %#v", len(evs), evs)
	}
	assertEvents(t, repo, evs[0],
		events.CustomerSmsChanged{CustomerID: firstID, SmsNumber: "+44 20 7946 0958", Version: 2},
		events.CustomerDisabled{CustomerID: firstID, Version: 3},
		events.CustomerEnabled{CustomerID: firstID, Version: 4},
	)
}

func TestHTTPErrors(t *testing.T) {
	const unknown = "00000000-0000-4000-8000-999999999999"
	tests := []struct {
		name         string
		method, path string
		body         string
		status       int
		detail       string
	}{
		{"invalid sms on register", http.MethodPost, "/api/customers", `{"name": "Ada", "smsNumber": "555"}`,
			http.StatusUnprocessableEntity, `customer sms number "555" has 3 digits`},
		{"blank name on register", http.MethodPost, "/api/customers", `{"name": " ", "smsNumber": "5551234567"}`,
			http.StatusUnprocessableEntity, "customer name is required"},
		{"unknown field on register", http.MethodPost, "/api/customers", `{"name": "Ada", "smsNumber": "5551234567", "email": "a@b.c"}`,
			http.StatusBadRequest, `unknown field "email"`},
		{"malformed JSON", http.MethodPost, "/api/customers", `{"name": "Ada",`,
			http.StatusBadRequest, "malformed JSON"},
		{"invalid sms on change", http.MethodPut, "/api/customers/" + firstID + "/change-sms", `{"smsNumber": "call me"}`,
			http.StatusUnprocessableEntity, `"call me"`},
		{"unknown field on change", http.MethodPut, "/api/customers/" + firstID + "/change-sms", `{"sms": "5551234567"}`,
			http.StatusBadRequest, `unknown field "sms"`},
		{"enable an enabled customer", http.MethodPut, "/api/customers/" + firstID + "/enable", "",
			http.StatusConflict, "customer is already enabled"},
		{"get unknown", http.MethodGet, "/api/customers/" + unknown, "",
			http.StatusNotFound, "customer " + unknown},
		{"enable unknown", http.MethodPut, "/api/customers/" + unknown + "/enable", "",
			http.StatusNotFound, "customer " + unknown},
		{"disable unknown", http.MethodPut, "/api/customers/" + unknown + "/disable", "",
			http.StatusNotFound, "customer " + unknown},
		{"change sms of unknown", http.MethodPut, "/api/customers/" + unknown + "/change-sms", `{"smsNumber": "5551234567"}`,
			http.StatusNotFound, "customer " + unknown},
		{"malformed id on get", http.MethodGet, "/api/customers/not-a-uuid", "",
			http.StatusBadRequest, "path parameter id must be a UUID"},
		{"malformed id on enable", http.MethodPut, "/api/customers/42/enable", "",
			http.StatusBadRequest, "path parameter id must be a UUID"},
		{"malformed id on change", http.MethodPut, "/api/customers/42/change-sms", `{"smsNumber": "5551234567"}`,
			http.StatusBadRequest, "path parameter id must be a UUID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, repo := newAPI(t)
			testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPost, "/api/customers", `{"name": "Ada", "smsNumber": "5551234567"}`),
				http.StatusCreated, `{"id": "`+firstID+`"}`)
			before := len(repo.published())

			testkit.AssertProblem(t, testkit.Request(t, api, tt.method, tt.path, tt.body), tt.status, tt.detail)
			if extra := repo.published()[before:]; len(extra) != 0 {
				t.Errorf("failed request published %#v", extra)
			}
		})
	}
}

func TestHTTPEnableTwiceIsAConflict(t *testing.T) {
	api, repo := newAPI(t)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPost, "/api/customers", `{"name": "Ada", "smsNumber": "5551234567"}`),
		http.StatusCreated, `{"id": "`+firstID+`"}`)
	path := "/api/customers/" + firstID
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPut, path+"/disable", ""), http.StatusOK, `{}`)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPut, path+"/enable", ""), http.StatusOK, `{}`)
	testkit.AssertProblem(t, testkit.Request(t, api, http.MethodPut, path+"/enable", ""), http.StatusConflict, "customer is already enabled")
	if n := len(repo.published()); n != 3 {
		t.Errorf("published %d events, want 3 (registered, disabled, enabled)", n)
	}
}
