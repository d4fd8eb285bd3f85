package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/mallbots/mallbots/correlation"
)

// Header names of the IDs Correlation reads and writes.
const (
	// HeaderCorrelationID carries the correlation ID in and out.
	HeaderCorrelationID = "X-Correlation-ID"
	// HeaderRequestID carries out the ID of this request, which is the
	// causation ID of whatever the request causes.
	HeaderRequestID = "X-Request-ID"
)

// maxCorrelationIDLen bounds an accepted incoming correlation ID; it ends up
// in logs and message metadata.
const maxCorrelationIDLen = 128

// StatusClientClosedRequest is the status AccessLog and Metrics report for
// a request whose client went away before any response was written
// (nginx's 499); nothing is sent.
const StatusClientClosedRequest = 499

// Chain wraps h in mws, the first one outermost:
// Chain(h, a, b) is a(b(h)). The recommended edge is
//
//	mux := NewMux(LimitBody(n), Idempotency(store))
//	Chain(mux, Correlation, AccessLog(logger), Metrics(reg), Recover)
//
// so every line and problem carries the correlation ID, the 500 Recover
// writes is logged and counted, and only requests that matched a route have
// their body limited and their Idempotency-Key claimed.
func Chain(h http.Handler, mws ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// Correlation takes the request's X-Correlation-ID when it is 1–128
// characters of [A-Za-z0-9._:-] and makes a new one (correlation.NewID)
// otherwise. It gives the request a new ID too, and puts both into the
// request context as correlation.IDs{CorrelationID: the correlation ID,
// CausationID: the request ID}; events the request causes are thus caused by
// it. The response always carries X-Correlation-ID and X-Request-ID.
func Correlation(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(HeaderCorrelationID)
		if !validCorrelationID(id) {
			id = correlation.NewID()
		}
		ids := correlation.IDs{CorrelationID: id, CausationID: correlation.NewID()}
		w.Header().Set(HeaderCorrelationID, ids.CorrelationID)
		w.Header().Set(HeaderRequestID, ids.CausationID)
		next.ServeHTTP(w, r.WithContext(correlation.With(r.Context(), ids)))
	})
}

func validCorrelationID(id string) bool {
	if id == "" || len(id) > maxCorrelationIDLen {
		return false
	}
	for i := range len(id) {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// LimitBody caps request bodies at n bytes. A request that declares a
// longer Content-Length is answered 413 at once, unread, and its connection
// closed; a longer body sent without declaring it fails the handler's read
// with *http.MaxBytesError, which Decode and Idempotency answer with 413.
// Give it to NewMux as route middleware.
func LimitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				w.Header().Set("Connection", "close")
				WriteError(w, r, NewProblem(http.StatusRequestEntityTooLarge,
					fmt.Sprintf("request body must not exceed %s; Content-Length is %d", formatBytes(n), r.ContentLength)))
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Recover turns a panic in next into a 500 problem written by WriteError,
// whose one log line carries the panic value and the stack; the server keeps
// serving. A panic with http.ErrAbortHandler is re-panicked, as net/http
// expects. If the handler had already started the response, a problem can
// no longer be sent: Recover logs the panic and aborts the response (by
// panicking with http.ErrAbortHandler, which net/http handles silently) so
// the client sees a broken response rather than a truncated one that looks
// complete.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recorderFor(w)
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			err := &panicError{value: v, stack: debug.Stack()}
			if rec.wroteHeader {
				logFailure(r, rec, err)
				panic(http.ErrAbortHandler)
			}
			WriteError(rec, r, err)
		}()
		next.ServeHTTP(rec, r)
	})
}

// AccessLog logs one Info line "http request" with logger (slog.Default()
// when nil) after each request: method, path, route (the matched Mux
// pattern, "unmatched" when none), status, bytes, duration_ms and
// correlation_id. A request panicking with http.ErrAbortHandler is not
// logged; put Recover inside AccessLog so other panics are.
func AccessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			r, route := withRouteHolder(r)
			rec := recorderFor(w)
			next.ServeHTTP(rec, r)
			logger.LogAttrs(r.Context(), slog.LevelInfo, "http request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", route.get(r)),
				slog.Int("status", rec.statusCode(r.Context())),
				slog.Int64("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("correlation_id", correlationID(r, rec)),
			)
		})
	}
}

// routeHolder carries the matched pattern up to AccessLog and Metrics.
// A mux (ours or net/http's) sets Request.Pattern on the *Request it is
// given, but any middleware between it and us that calls r.WithContext
// (Correlation does) hands the mux a copy, whose Pattern we never see. Mux
// records the pattern here instead; without it we fall back to Pattern on
// the request we passed down.
type routeHolder struct{ pattern atomic.Pointer[string] }

type routeKey struct{}

// withRouteHolder returns r with a routeHolder in its context, reusing one
// an outer middleware put there.
func withRouteHolder(r *http.Request) (*http.Request, *routeHolder) {
	if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok {
		return r, h
	}
	h := &routeHolder{}
	return r.WithContext(context.WithValue(r.Context(), routeKey{}, h)), h
}

// recordRoute stores pattern in r's routeHolder, if it has one.
func recordRoute(r *http.Request, pattern string) {
	if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok {
		h.pattern.Store(&pattern)
	}
}

// get returns the recorded pattern, else the pattern the mux set on r (the
// request handed down), else "unmatched".
func (h *routeHolder) get(r *http.Request) string {
	if p := h.pattern.Load(); p != nil && *p != "" {
		return *p
	}
	if r.Pattern != "" {
		return r.Pattern
	}
	return "unmatched"
}

// statusRecorder remembers the status and counts the body bytes. It keeps
// Flush working and unwraps for http.ResponseController (deadlines, hijack).
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	bytes       int64
}

// recorderFor reuses a statusRecorder an outer middleware installed, so a
// full stack wraps the writer once.
func recorderFor(w http.ResponseWriter) *statusRecorder {
	if rec, ok := w.(*statusRecorder); ok {
		return rec
	}
	return &statusRecorder{ResponseWriter: w}
}

func (s *statusRecorder) WriteHeader(code int) {
	// 1xx (other than 101) are interim responses; the final status follows.
	if !s.wroteHeader && (code >= 200 || code == http.StatusSwitchingProtocols) {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = http.StatusOK, true
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Flush() { _ = s.FlushError() }

// FlushError is what http.ResponseController.Flush calls; it reports
// http.ErrNotSupported when the underlying writer cannot flush.
func (s *statusRecorder) FlushError() error {
	if !s.wroteHeader {
		s.status, s.wroteHeader = http.StatusOK, true
	}
	return http.NewResponseController(s.ResponseWriter).Flush()
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// statusCode is the status the client got: 200 when the handler wrote
// nothing, StatusClientClosedRequest when it wrote nothing because the
// client went away.
func (s *statusRecorder) statusCode(ctx context.Context) int {
	switch {
	case s.wroteHeader:
		return s.status
	case ctx.Err() != nil:
		return StatusClientClosedRequest
	}
	return http.StatusOK
}
