package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/httpapi"
)

func TestChainOrder(t *testing.T) {
	var order []string
	mw := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	h := httpapi.Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { order = append(order, "handler") }),
		mw("outer"), mw("middle"), mw("inner"))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if got := strings.Join(order, ","); got != "outer,middle,inner,handler" {
		t.Fatalf("order = %s", got)
	}
}

func TestCorrelation(t *testing.T) {
	tests := []struct {
		name     string
		incoming string
		keep     bool
	}{
		{"valid", "order-flow-42", true},
		{"all allowed characters", "Az09._:-", true},
		{"uuid", "0196b7a4-5e3c-7d2a-9f10-3c4b5a6d7e8f", true},
		{"128 characters", strings.Repeat("a", 128), true},
		{"missing", "", false},
		{"spaces", "bad id with spaces", false},
		{"129 characters", strings.Repeat("a", 129), false},
		{"200 characters", strings.Repeat("b", 200), false},
		{"header injection attempt", "abc\r\nX-Evil: 1", false},
		{"non-ASCII", "caf\u00e9", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got correlation.IDs
			h := httpapi.Correlation(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = correlation.From(r.Context())
			}))
			r := httptest.NewRequest(http.MethodGet, "/api/stores", nil)
			if tt.incoming != "" {
				r.Header.Set(httpapi.HeaderCorrelationID, tt.incoming)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			header := w.Header().Get(httpapi.HeaderCorrelationID)
			if header == "" || header != got.CorrelationID {
				t.Fatalf("response header %q, context %q: want both set and equal", header, got.CorrelationID)
			}
			if tt.keep && header != tt.incoming {
				t.Fatalf("correlation ID = %q, want the incoming %q", header, tt.incoming)
			}
			if !tt.keep {
				if header == tt.incoming {
					t.Fatalf("kept the invalid incoming ID %q", tt.incoming)
				}
				if _, err := uuid.Parse(header); err != nil {
					t.Fatalf("new correlation ID %q is not a UUID", header)
				}
			}
			reqID := w.Header().Get(httpapi.HeaderRequestID)
			if _, err := uuid.Parse(reqID); err != nil || reqID != got.CausationID || reqID == got.CorrelationID {
				t.Fatalf("X-Request-ID %q, causation %q, correlation %q: want a new UUID as the causation ID",
					reqID, got.CausationID, got.CorrelationID)
			}
		})
	}
}

func TestRecover(t *testing.T) {
	logs := captureLog(t)
	h := httpapi.Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom: secret internals")
	}), httpapi.Correlation, httpapi.Recover)
	r := httptest.NewRequest(http.MethodPost, "/api/baskets", nil)
	r.Header.Set(httpapi.HeaderCorrelationID, "corr-panic")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)

	p := readProblem(t, w, http.StatusInternalServerError)
	if strings.Contains(w.Body.String(), "boom") || p.CorrelationID != "corr-panic" {
		t.Fatalf("problem = %s", w.Body)
	}
	lines := logs()
	if len(lines) != 1 {
		t.Fatalf("logged %d lines, want 1: %v", len(lines), lines)
	}
	l := lines[0]
	stack, _ := l["stack"].(string)
	if l["level"] != "ERROR" || l["error"] != "panic: boom: secret internals" || l["correlation_id"] != "corr-panic" ||
		!strings.Contains(stack, "middleware_test.go") {
		t.Fatalf("log line = %v", l)
	}
}

func TestRecoverKeepsTheServerServing(t *testing.T) {
	captureLog(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, _ *http.Request) { httpapi.OK(w) })
	srv := httptest.NewServer(httpapi.Chain(mux, httpapi.Recover))
	defer srv.Close()

	for _, tt := range []struct {
		path   string
		status int
	}{{"/panic", 500}, {"/ok", 200}, {"/panic", 500}, {"/ok", 200}} {
		resp, err := srv.Client().Get(srv.URL + tt.path)
		if err != nil {
			t.Fatalf("GET %s: %v", tt.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Fatalf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
	}
}

func TestRecoverRepanics(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		logged  int
	}{
		{"ErrAbortHandler", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }, 0},
		{"panic after the response started", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"stores":[`))
			panic("boom")
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := captureLog(t)
			w := httptest.NewRecorder()
			func() {
				defer func() {
					if v := recover(); v != http.ErrAbortHandler {
						t.Fatalf("recovered %v, want http.ErrAbortHandler", v)
					}
				}()
				httpapi.Recover(tt.handler).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			}()
			if ct := w.Header().Get("Content-Type"); ct == httpapi.ContentTypeProblem {
				t.Fatal("wrote a problem")
			}
			if lines := logs(); len(lines) != tt.logged {
				t.Fatalf("logged %v, want %d lines", lines, tt.logged)
			}
		})
	}
}

func TestAccessLog(t *testing.T) {
	const body = `{"store":{}}`
	getStore := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
	mux := httpapi.NewMux()
	mux.HandleFunc("GET /api/stores/{id}", getStore)
	mux.HandleFunc("GET /api/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	plain := http.NewServeMux()
	plain.HandleFunc("GET /api/stores/{id}", getStore)

	tests := []struct {
		name    string
		handler func(logger *slog.Logger) http.Handler
		path    string
		route   string
		status  float64
	}{
		{"recommended stack", func(l *slog.Logger) http.Handler {
			return httpapi.Chain(mux, httpapi.Correlation, httpapi.AccessLog(l), httpapi.Recover)
		}, "/api/stores/s1", "GET /api/stores/{id}", 200},
		{"outside Correlation, via Mux", func(l *slog.Logger) http.Handler {
			return httpapi.Chain(mux, httpapi.AccessLog(l), httpapi.Correlation)
		}, "/api/stores/s1", "GET /api/stores/{id}", 200},
		{"plain ServeMux right inside", func(l *slog.Logger) http.Handler {
			return httpapi.Chain(plain, httpapi.Correlation, httpapi.AccessLog(l))
		}, "/api/stores/s1", "GET /api/stores/{id}", 200},
		{"unmatched", func(l *slog.Logger) http.Handler {
			return httpapi.Chain(mux, httpapi.Correlation, httpapi.AccessLog(l))
		}, "/api/nope", "unmatched", 404},
		{"panic", func(l *slog.Logger) http.Handler {
			return httpapi.Chain(mux, httpapi.Correlation, httpapi.AccessLog(l), httpapi.Recover)
		}, "/api/panic", "GET /api/panic", 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			captureLog(t) // Recover's own line goes to the default logger
			var buf bytes.Buffer
			h := tt.handler(slog.New(slog.NewJSONHandler(&buf, nil)))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))

			lines := parseLines(t, buf.String())
			if len(lines) != 1 {
				t.Fatalf("logged %d lines, want 1: %v", len(lines), lines)
			}
			l := lines[0]
			if l["level"] != "INFO" || l["msg"] != "http request" || l["method"] != "GET" || l["path"] != tt.path ||
				l["route"] != tt.route || l["status"] != tt.status || l["bytes"] != float64(w.Body.Len()) ||
				l["correlation_id"] != w.Header().Get(httpapi.HeaderCorrelationID) || l["correlation_id"] == "" {
				t.Fatalf("log line = %v; response %d, %d bytes", l, w.Code, w.Body.Len())
			}
			if _, ok := l["duration_ms"].(float64); !ok {
				t.Fatalf("duration_ms missing: %v", l)
			}
		})
	}
}

func TestMiddlewareKeepsFlushing(t *testing.T) {
	var flusher, controller bool
	h := httpapi.Chain(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		f, ok := w.(http.Flusher)
		flusher = ok
		if ok {
			f.Flush()
		}
		controller = http.NewResponseController(w).Flush() == nil
	}), httpapi.AccessLog(slog.New(slog.DiscardHandler)), httpapi.Metrics(nil), httpapi.Recover)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/events", nil))
	if !flusher || !controller || !w.Flushed {
		t.Fatalf("Flusher %v, ResponseController.Flush ok %v, flushed %v", flusher, controller, w.Flushed)
	}
}

func TestAccessLogClientGone(t *testing.T) {
	captureLog(t)
	var buf bytes.Buffer
	h := httpapi.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteError(w, r, r.Context().Err())
	}), httpapi.AccessLog(slog.New(slog.NewJSONHandler(&buf, nil))))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/stores", nil).WithContext(ctx))
	if lines := parseLines(t, buf.String()); len(lines) != 1 || lines[0]["status"] != float64(httpapi.StatusClientClosedRequest) {
		t.Fatalf("log = %v, want one line with status 499", lines)
	}
}

// TestLimitBody: a declared Content-Length above the limit is refused before
// the handler runs; an undeclared body above it fails Decode with 413 naming
// the limit; a body within it decodes.
func TestLimitBody(t *testing.T) {
	ran := 0
	h := httpapi.LimitBody(1024)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran++
		var req renameRequest
		if err := httpapi.Decode(w, r, &req); err != nil {
			httpapi.WriteError(w, r, err)
			return
		}
		httpapi.OK(w)
	}))
	big := `{"name":"` + strings.Repeat("x", 2000) + `"}`

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(big)))
	p := readProblem(t, w, http.StatusRequestEntityTooLarge)
	if ran != 0 || !strings.Contains(p.Detail, "1 KiB") || w.Header().Get("Connection") != "close" {
		t.Errorf("declared oversize: handler ran %d times, detail %q, Connection %q", ran, p.Detail, w.Header().Get("Connection"))
	}

	r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(strings.NewReader(big)))
	r.ContentLength = -1 // chunked: the size is only known by reading
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if p := readProblem(t, w, http.StatusRequestEntityTooLarge); !strings.Contains(p.Detail, "1 KiB") {
		t.Errorf("undeclared oversize: detail %q", p.Detail)
	}

	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"name":"ok"}`)))
	if w.Code != http.StatusOK {
		t.Errorf("small body = %d %s", w.Code, w.Body)
	}
}
