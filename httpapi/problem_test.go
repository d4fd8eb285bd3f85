package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/httpapi"
)

func TestWriteError(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		detail string
	}{
		{"invalid", fmt.Errorf("%w: store name must not be blank", domain.ErrInvalid), 422,
			"invalid: store name must not be blank"},
		{"not found", fmt.Errorf("load store s1: %w", fmt.Errorf("%w: store s1", domain.ErrNotFound)), 404,
			"load store s1: not found: store s1"},
		{"conflict", fmt.Errorf("%w: store s1 already participates", domain.ErrConflict), 409,
			"conflict: store s1 already participates"},
		{"problem as is", fmt.Errorf("decode: %w", httpapi.NewProblem(http.StatusTeapot, "short and stout")), 418,
			"short and stout"},
		{"money error", &httpapi.MoneyError{Amount: "1.234", Reason: "has more than two decimal places"}, 422,
			"amount 1.234 has more than two decimal places"},
		{"internal", errors.New("pq: connection to 10.0.0.7 refused"), 500,
			"internal error; quote the correlation ID when reporting it"},
		{"canceled but not by the client", fmt.Errorf("query: %w", context.Canceled), 500,
			"internal error; quote the correlation ID when reporting it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := captureLog(t)
			r := httptest.NewRequest(http.MethodPut, "/api/stores/s1/participating", nil)
			r = r.WithContext(correlation.With(r.Context(), correlation.IDs{CorrelationID: "corr-1", CausationID: "req-1"}))
			w := httptest.NewRecorder()
			httpapi.WriteError(w, r, tt.err)

			p := readProblem(t, w, tt.status)
			if p.Detail != tt.detail {
				t.Errorf("detail = %q, want %q", p.Detail, tt.detail)
			}
			if p.CorrelationID != "corr-1" {
				t.Errorf("correlationId = %q, want corr-1", p.CorrelationID)
			}
			lines := logs()
			if tt.status != http.StatusInternalServerError {
				if len(lines) != 0 {
					t.Errorf("logged %v for a client error", lines)
				}
				return
			}
			if strings.Contains(w.Body.String(), "10.0.0.7") || strings.Contains(w.Body.String(), "context canceled") {
				t.Errorf("500 body leaks the error: %s", w.Body)
			}
			if len(lines) != 1 {
				t.Fatalf("logged %d lines, want 1: %v", len(lines), lines)
			}
			l := lines[0]
			if l["level"] != "ERROR" || l["error"] != tt.err.Error() || l["method"] != "PUT" ||
				l["path"] != "/api/stores/s1/participating" || l["correlation_id"] != "corr-1" {
				t.Errorf("log line = %v", l)
			}
		})
	}
}

func TestWriteErrorDoesNotStampTheCallersProblem(t *testing.T) {
	p := httpapi.NewProblem(http.StatusBadRequest, "bad")
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r = r.WithContext(correlation.With(r.Context(), correlation.IDs{CorrelationID: "c1"}))
	httpapi.WriteError(httptest.NewRecorder(), r, p)
	if p.CorrelationID != "" {
		t.Fatalf("WriteError modified the caller's problem: %+v", p)
	}
}

func TestWriteErrorClientGone(t *testing.T) {
	logs := captureLog(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest(http.MethodGet, "/api/stores", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	httpapi.WriteError(w, r, fmt.Errorf("list stores: %w", context.Canceled))

	if w.Body.Len() != 0 || w.Header().Get("Content-Type") != "" {
		t.Fatalf("wrote a response to a gone client: %d %q %s", w.Code, w.Header(), w.Body)
	}
	lines := logs()
	if len(lines) != 1 || lines[0]["level"] != "DEBUG" {
		t.Fatalf("logs = %v, want one debug line", lines)
	}
}

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name   string
		write  func(http.ResponseWriter)
		status int
		body   string
	}{
		{"created", func(w http.ResponseWriter) { httpapi.Created(w, "9b2e") }, 201, `{"id":"9b2e"}`},
		{"ok", httpapi.OK, 200, `{}`},
		{"entity", func(w http.ResponseWriter) {
			httpapi.WriteJSON(w, http.StatusOK, map[string]any{"store": map[string]any{"price": httpapi.Money(1000)}})
		}, 200, `{"store":{"price":10.00}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			tt.write(w)
			if w.Code != tt.status || w.Header().Get("Content-Type") != "application/json" ||
				strings.TrimSpace(w.Body.String()) != tt.body {
				t.Fatalf("got %d %q %s; want %d application/json %s",
					w.Code, w.Header().Get("Content-Type"), w.Body, tt.status, tt.body)
			}
		})
	}
}

func TestWriteJSONEncodeErrorIsA500(t *testing.T) {
	logs := captureLog(t)
	w := httptest.NewRecorder()
	w.Header().Set(httpapi.HeaderCorrelationID, "corr-9")
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"ch": make(chan int)})

	p := readProblem(t, w, http.StatusInternalServerError)
	if p.CorrelationID != "corr-9" {
		t.Errorf("correlationId = %q, want corr-9", p.CorrelationID)
	}
	if lines := logs(); len(lines) != 1 || lines[0]["level"] != "ERROR" || lines[0]["correlation_id"] != "corr-9" {
		t.Fatalf("logs = %v, want one error line", lines)
	}
}
