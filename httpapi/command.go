package httpapi

import (
	"context"
	"net/http"
)

// Command serves a command route whose only input is the {id} path value:
// it runs fn and answers 200 {} or the problem fn's error maps to.
func Command(fn func(ctx context.Context, id string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := PathID(r, "id")
		if err == nil {
			err = fn(r.Context(), id)
		}
		if err != nil {
			WriteError(w, r, err)
			return
		}
		OK(w)
	}
}

// CommandWithBody serves a command route with an {id} path value and a JSON
// body decoded (strictly, see Decode) into a T: it runs fn and answers 200 {}
// or the problem the first error maps to.
func CommandWithBody[T any](fn func(ctx context.Context, id string, body T) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body T
		id, err := PathID(r, "id")
		if err == nil {
			err = Decode(w, r, &body)
		}
		if err == nil {
			err = fn(r.Context(), id, body)
		}
		if err != nil {
			WriteError(w, r, err)
			return
		}
		OK(w)
	}
}

// Create serves a creating route with a JSON body decoded into a T and, when
// pathParam is not empty, the UUID in that path value: fn returns the new
// entity's ID, answered as 201 {"id": …}.
func Create[T any](pathParam string, fn func(ctx context.Context, parentID string, body T) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body T
		var parentID, id string
		var err error
		if pathParam != "" {
			parentID, err = PathID(r, pathParam)
		}
		if err == nil {
			err = Decode(w, r, &body)
		}
		if err == nil {
			id, err = fn(r.Context(), parentID, body)
		}
		if err != nil {
			WriteError(w, r, err)
			return
		}
		Created(w, id)
	}
}

// Get serves a read route for the entity whose UUID is the {id} path value:
// fn loads it and it is answered as 200 {wrapper: entity}.
func Get[T any](wrapper string, fn func(ctx context.Context, id string) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := PathID(r, "id")
		var v T
		if err == nil {
			v, err = fn(r.Context(), id)
		}
		if err != nil {
			WriteError(w, r, err)
			return
		}
		WriteJSON(w, http.StatusOK, map[string]any{wrapper: v})
	}
}
