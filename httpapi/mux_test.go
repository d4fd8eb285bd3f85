package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mallbots/mallbots/httpapi"
)

func storesMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/stores/{id}", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("PUT /api/stores/{id}/rebrand", func(w http.ResponseWriter, _ *http.Request) { httpapi.OK(w) })
	mux.HandleFunc("GET /api/depot/", func(w http.ResponseWriter, _ *http.Request) { httpapi.OK(w) })
	return mux
}

func TestProblemMuxErrors(t *testing.T) {
	tests := []struct {
		method, path string
		status       int
		detail       string
		allow        string
	}{
		{"GET", "/nope", 404, "no route for GET /nope", ""},
		{"GET", "/api/stores", 404, "no route for GET /api/stores", ""},
		{"DELETE", "/api/stores/s1", 405, "method DELETE is not allowed for /api/stores/s1; allowed: GET, HEAD", "GET, HEAD"},
		{"POST", "/api/stores/s1/rebrand", 405, "method POST is not allowed for /api/stores/s1/rebrand; allowed: PUT", "PUT"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			h := httpapi.Chain(httpapi.ProblemMux(storesMux()), httpapi.Correlation)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			p := readProblem(t, w, tt.status)
			if p.Detail != tt.detail {
				t.Errorf("detail = %q, want %q", p.Detail, tt.detail)
			}
			if got := w.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			if p.CorrelationID == "" || p.CorrelationID != w.Header().Get(httpapi.HeaderCorrelationID) {
				t.Errorf("correlationId = %q, header %q", p.CorrelationID, w.Header().Get(httpapi.HeaderCorrelationID))
			}
		})
	}
}

func TestProblemMuxServesRoutes(t *testing.T) {
	tests := []struct {
		method, path string
		status       int
		body         string
		location     string
	}{
		{"GET", "/api/stores/s1", 200, `{"id":"s1"}` + "\n", ""},
		{"HEAD", "/api/stores/s1", 200, "", ""},
		{"PUT", "/api/stores/s1/rebrand", 200, "{}\n", ""},
		{"GET", "/api/depot", http.StatusTemporaryRedirect, "", "/api/depot/"},
		{"GET", "/api//stores/s1", http.StatusTemporaryRedirect, "", "/api/stores/s1"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			httpapi.ProblemMux(storesMux()).ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if tt.location != "" {
				if got := w.Header().Get("Location"); got != tt.location {
					t.Fatalf("Location = %q, want %q", got, tt.location)
				}
				return
			}
			if tt.method != "HEAD" && w.Body.String() != tt.body {
				t.Fatalf("body = %q, want %q", w.Body, tt.body)
			}
		})
	}
}
