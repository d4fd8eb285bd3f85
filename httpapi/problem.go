// Package httpapi is the small toolkit every service's http.go uses: decoding
// request bodies, mapping errors to RFC 9457 problems, writing JSON, parsing
// money and IDs, and the middleware stack of the HTTP edge. A handler reads
//
//	var req createStoreRequest
//	if err := httpapi.Decode(w, r, &req); err != nil {
//		httpapi.WriteError(w, r, err)
//		return
//	}
//	id, err := h.CreateStore(r.Context(), req.Name, req.Location)
//	if err != nil {
//		httpapi.WriteError(w, r, err)
//		return
//	}
//	httpapi.Created(w, id)
//
// and a server is a Mux (NewMux(LimitBody(n), Idempotency(store))) with every
// service's routes, wrapped with Chain(mux, Correlation, AccessLog(logger),
// Metrics(reg), Recover).
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain"
)

// ContentTypeProblem is the media type of every error response (RFC 9457).
const ContentTypeProblem = "application/problem+json"

// internalErrorDetail is the only thing a client learns about a 500: the
// error text may hold SQL, hostnames or other internals, so it goes to the
// log, and the correlation ID in the body joins the two.
const internalErrorDetail = "internal error; quote the correlation ID when reporting it"

// Problem is an RFC 9457 problem details object. It is also an error, so
// Decode, PathID and handlers can return one and WriteError writes it as is.
// An empty Type is written as "about:blank", an empty Title as the status
// text and a zero Status as 500.
type Problem struct {
	// Type is a URI reference identifying the problem type; "about:blank"
	// means the problem is no more than its HTTP status.
	Type string `json:"type"`
	// Title is a short summary of the problem type (the status text for
	// "about:blank").
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence in words a client developer can act on.
	Detail string `json:"detail,omitempty"`
	// Instance is a URI reference identifying this occurrence, when there is one.
	Instance string `json:"instance,omitempty"`
	// CorrelationID is the request's correlation ID; WriteError fills it in.
	CorrelationID string `json:"correlationId,omitempty"`
	// Errors lists the rejected input fields, when they are known.
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError names one rejected input field and says why it was rejected.
type FieldError struct {
	// Field is the field's JSON path, e.g. "price" or "items[2].quantity".
	Field string `json:"field"`
	// Detail says what is wrong with the field's value.
	Detail string `json:"detail"`
}

// NewProblem returns an "about:blank" problem with the given status, the
// status text as its title and detail as its detail.
func NewProblem(status int, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
}

// Error returns the problem's detail, or its title when there is no detail.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Detail
	}
	return p.Title
}

// WriteError writes err as an application/problem+json response carrying the
// correlation ID of r's context:
//
//   - a *Problem anywhere in err's chain is written as is;
//   - domain.ErrInvalid → 422, domain.ErrNotFound → 404, domain.ErrConflict →
//     409, each with err.Error() as the detail (rules word their errors for
//     clients); a *MoneyError is a 422 too;
//   - context.Canceled while r's context is done means the client went away:
//     nothing is written and a debug line is logged;
//   - anything else is a 500 whose body says only "internal error; quote the
//     correlation ID when reporting it", and exactly one slog error line
//     records the error with the method, path and correlation ID.
//
// WriteError must be called before anything else was written to w.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if err == nil {
		err = errors.New("httpapi.WriteError called with a nil error")
	}
	ctx := r.Context()
	var (
		p  *Problem
		me *MoneyError
	)
	switch {
	case errors.As(err, &p):
		cp := *p // the caller's value may be shared; don't stamp it
		p = &cp
	case errors.Is(err, domain.ErrInvalid), errors.As(err, &me):
		p = NewProblem(http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, domain.ErrNotFound):
		p = NewProblem(http.StatusNotFound, err.Error())
	case errors.Is(err, domain.ErrConflict):
		p = NewProblem(http.StatusConflict, err.Error())
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		slog.DebugContext(ctx, "http request canceled by the client",
			"method", r.Method, "path", r.URL.Path, "correlation_id", correlationID(r, w))
		return
	default:
		logFailure(r, w, err)
		p = NewProblem(http.StatusInternalServerError, internalErrorDetail)
	}
	if p.CorrelationID == "" {
		p.CorrelationID = correlationID(r, w)
	}
	writeProblem(w, p)
}

// NotFound writes a 404 problem saying no route matches r ("no route for
// GET /x"). It is an http.HandlerFunc.
func NotFound(w http.ResponseWriter, r *http.Request) {
	p := NewProblem(http.StatusNotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
	p.CorrelationID = correlationID(r, w)
	writeProblem(w, p)
}

// MethodNotAllowed writes a 405 problem for r. When allowed is not empty it
// sets the Allow header to the allowed methods; otherwise an Allow header
// already set on w is kept and quoted.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request, allowed ...string) {
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
	}
	detail := fmt.Sprintf("method %s is not allowed for %s", r.Method, r.URL.Path)
	if allow := w.Header().Get("Allow"); allow != "" {
		detail += "; allowed: " + allow
	}
	p := NewProblem(http.StatusMethodNotAllowed, detail)
	p.CorrelationID = correlationID(r, w)
	writeProblem(w, p)
}

// panicError is what Recover hands to WriteError. It deliberately does not
// unwrap: a handler panicking with domain.ErrInvalid is still a bug, a 500.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// logFailure writes the one log line of a 500; a panic adds its stack.
func logFailure(r *http.Request, w http.ResponseWriter, err error) {
	attrs := []any{"error", err, "method", r.Method, "path", r.URL.Path, "correlation_id", correlationID(r, w)}
	var pe *panicError
	if errors.As(err, &pe) {
		attrs = append(attrs, "stack", string(pe.stack))
	}
	slog.ErrorContext(r.Context(), "http request failed", attrs...)
}

// correlationID prefers the request context and falls back to the response
// header Correlation sets, which outer wrappers of Correlation can still see.
func correlationID(r *http.Request, w http.ResponseWriter) string {
	if r != nil {
		if id := correlation.From(r.Context()).CorrelationID; id != "" {
			return id
		}
	}
	return w.Header().Get(HeaderCorrelationID)
}

func writeProblem(w http.ResponseWriter, p *Problem) {
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	body, err := json.Marshal(p)
	if err != nil { // cannot happen for strings and ints; keep the status anyway
		body = []byte(`{"type":"about:blank","status":500}`)
	}
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", ContentTypeProblem)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n')) // a failed write means the client is gone
}
