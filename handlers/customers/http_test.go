package customers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/customers"
	"github.com/mallbots/mallbots/httpapi"
)

// newAPI returns the customers routes behind the production mux wrapper.
func newAPI(t *testing.T) (http.Handler, *fakeRepo) {
	t.Helper()
	repo := newFakeRepo()
	mux := http.NewServeMux()
	customers.New(repo, sequentialIDs()).Routes(mux)
	return httpapi.ProblemMux(mux), repo
}

func do(t *testing.T, api http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	return rec
}

// assertJSON fails unless rec is an application/json response with status
// whose body equals want as JSON.
func assertJSON(t *testing.T, rec *httptest.ResponseRecorder, status int, want string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var got, exp any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("body is not JSON: %v; %s", err, rec.Body)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	gotJSON, _ := json.Marshal(got)
	expJSON, _ := json.Marshal(exp)
	if string(gotJSON) != string(expJSON) {
		t.Errorf("body = %s, want %s", gotJSON, expJSON)
	}
}

// assertProblem fails unless rec is a problem+json response with status
// whose detail contains detail.
func assertProblem(t *testing.T, rec *httptest.ResponseRecorder, status int, detail string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != httpapi.ContentTypeProblem {
		t.Errorf("Content-Type = %q, want %q", ct, httpapi.ContentTypeProblem)
	}
	var p httpapi.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("body is not a problem: %v; %s", err, rec.Body)
	}
	if p.Status != status || !strings.Contains(p.Detail, detail) {
		t.Errorf("problem = %+v, want status %d and a detail containing %q", p, status, detail)
	}
}

func TestHTTPRegisterAndGetCustomer(t *testing.T) {
	api, repo := newAPI(t)
	rec := do(t, api, http.MethodPost, "/api/customers", `{"name": "Ada Lovelace", "smsNumber": "+1 555-123-4567"}`)
	assertJSON(t, rec, http.StatusCreated, `{"id": "`+firstID+`"}`)
	assertEvents(t, repo, events.CustomerRegistered{
		CustomerID: firstID, Name: "Ada Lovelace", SmsNumber: "+1 555-123-4567", Enabled: true, Version: 1,
	})

	rec = do(t, api, http.MethodGet, "/api/customers/"+firstID, "")
	assertJSON(t, rec, http.StatusOK,
		`{"customer": {"id": "`+firstID+`", "name": "Ada Lovelace", "smsNumber": "+1 555-123-4567", "enabled": true}}`)
}

func TestHTTPCustomerCommands(t *testing.T) {
	api, repo := newAPI(t)
	assertJSON(t, do(t, api, http.MethodPost, "/api/customers", `{"name": "Ada", "smsNumber": "5551234567"}`),
		http.StatusCreated, `{"id": "`+firstID+`"}`)
	path := "/api/customers/" + firstID

	assertJSON(t, do(t, api, http.MethodPut, path+"/change-sms", `{"smsNumber": "+44 20 7946 0958"}`), http.StatusOK, `{}`)
	assertJSON(t, do(t, api, http.MethodPut, path+"/disable", ""), http.StatusOK, `{}`)
	assertJSON(t, do(t, api, http.MethodGet, path, ""), http.StatusOK,
		`{"customer": {"id": "`+firstID+`", "name": "Ada", "smsNumber": "+44 20 7946 0958", "enabled": false}}`)
	assertJSON(t, do(t, api, http.MethodPut, path+"/enable", ""), http.StatusOK, `{}`)

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
			assertJSON(t, do(t, api, http.MethodPost, "/api/customers", `{"name": "Ada", "smsNumber": "5551234567"}`),
				http.StatusCreated, `{"id": "`+firstID+`"}`)
			before := len(repo.published())

			assertProblem(t, do(t, api, tt.method, tt.path, tt.body), tt.status, tt.detail)
			if extra := repo.published()[before:]; len(extra) != 0 {
				t.Errorf("failed request published %#v", extra)
			}
		})
	}
}

func TestHTTPEnableTwiceIsAConflict(t *testing.T) {
	api, repo := newAPI(t)
	assertJSON(t, do(t, api, http.MethodPost, "/api/customers", `{"name": "Ada", "smsNumber": "5551234567"}`),
		http.StatusCreated, `{"id": "`+firstID+`"}`)
	path := "/api/customers/" + firstID
	assertJSON(t, do(t, api, http.MethodPut, path+"/disable", ""), http.StatusOK, `{}`)
	assertJSON(t, do(t, api, http.MethodPut, path+"/enable", ""), http.StatusOK, `{}`)
	assertProblem(t, do(t, api, http.MethodPut, path+"/enable", ""), http.StatusConflict, "customer is already enabled")
	if n := len(repo.published()); n != 3 {
		t.Errorf("published %d events, want 3 (registered, disabled, enabled)", n)
	}
}
