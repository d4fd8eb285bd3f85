package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
)

// WriteJSON writes v as an application/json response with the given status.
// v is encoded before anything is written, so a value that cannot be encoded
// (a bug) is logged and answered with a generic 500 problem instead of a
// half-written body; it never panics. Write errors (the client went away)
// are ignored.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		id := correlationID(nil, w)
		slog.Error("httpapi: encode response", "error", err, "type", fmt.Sprintf("%T", v), "correlation_id", id)
		p := NewProblem(http.StatusInternalServerError, internalErrorDetail)
		p.CorrelationID = id
		writeProblem(w, p)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// Created writes 201 {"id": id}, the answer to every creating POST.
func Created(w http.ResponseWriter, id string) {
	WriteJSON(w, http.StatusCreated, struct {
		ID string `json:"id"`
	}{id})
}

// OK writes 200 {}, the answer to a command that has no result (DESIGN §7).
func OK(w http.ResponseWriter) {
	WriteJSON(w, http.StatusOK, struct{}{})
}
