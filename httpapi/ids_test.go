package httpapi_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mallbots/mallbots/httpapi"
)

func TestPathID(t *testing.T) {
	const id = "0196b7a4-5e3c-7d2a-9f10-3c4b5a6d7e8f"
	tests := []struct {
		path   string
		want   string
		detail string
	}{
		{path: "/api/stores/" + id, want: id},
		{path: "/api/stores/0196B7A4-5E3C-7D2A-9F10-3C4B5A6D7E8F", want: id},
		{path: "/api/stores/not-a-uuid", detail: `path parameter id must be a UUID, got "not-a-uuid"`},
		{path: "/api/stores/0196b7a4-5e3c-7d2a-9f10-3c4b5a6d7e8", detail: `path parameter id must be a UUID, got "0196b7a4-5e3c-7d2a-9f10-3c4b5a6d7e8"`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var got string
			var err error
			mux := http.NewServeMux()
			mux.HandleFunc("GET /api/stores/{id}", func(w http.ResponseWriter, r *http.Request) {
				got, err = httpapi.PathID(r, "id")
				if err != nil {
					httpapi.WriteError(w, r, err)
				}
			})
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if tt.detail == "" {
				if err != nil || got != tt.want {
					t.Fatalf("PathID = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if p := readProblem(t, w, http.StatusBadRequest); p.Detail != tt.detail {
				t.Fatalf("detail = %q, want %q", p.Detail, tt.detail)
			}
		})
	}
}

func TestQueryID(t *testing.T) {
	const id = "0196b7a4-5e3c-7d2a-9f10-3c4b5a6d7e8f"
	tests := []struct {
		query  string
		want   string
		detail string
	}{
		{query: "?customerId=" + id, want: id},
		{query: "?customerId=0196B7A4-5E3C-7D2A-9F10-3C4B5A6D7E8F", want: id},
		// One spelling of a UUID, the one events and bodies take (domain.ParseID).
		{query: "?customerId=urn:uuid:" + id, detail: `query parameter customerId must be a UUID, got "urn:uuid:` + id + `"`},
		{query: "?customerId={" + id + "}", detail: `query parameter customerId must be a UUID, got "{` + id + `}"`},
		{query: "", detail: "query parameter customerId is required"},
		{query: "?customerId=", detail: "query parameter customerId is required"},
		{query: "?customerId=42", detail: `query parameter customerId must be a UUID, got "42"`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, err := httpapi.QueryID(httptest.NewRequest(http.MethodGet, "/api/notifications"+tt.query, nil), "customerId")
			if tt.detail == "" {
				if err != nil || got != tt.want {
					t.Fatalf("QueryID = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			var p *httpapi.Problem
			if !errors.As(err, &p) || p.Status != http.StatusBadRequest || p.Detail != tt.detail {
				t.Fatalf("QueryID error = %#v, want 400 %q", err, tt.detail)
			}
		})
	}
}
