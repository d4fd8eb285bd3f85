package httpapi

import (
	"fmt"
	"net/http"

	"github.com/mallbots/mallbots/domain"
)

// PathID returns the path parameter name (r.PathValue) as a canonical
// lowercase UUID (domain.ParseID). A value that is not a UUID is a 400
// *Problem "path parameter {name} must be a UUID, got ...": a malformed ID
// is bad input, not a missing entity.
func PathID(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	id, ok := domain.ParseID(v)
	if !ok {
		return "", NewProblem(http.StatusBadRequest,
			fmt.Sprintf("path parameter %s must be a UUID, got %s", name, quoteInput(v)))
	}
	return id, nil
}

// QueryID returns the query parameter name as a canonical lowercase UUID
// (domain.ParseID). A missing or empty parameter, or one that is not a
// UUID, is a 400 *Problem.
func QueryID(r *http.Request, name string) (string, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return "", NewProblem(http.StatusBadRequest, fmt.Sprintf("query parameter %s is required", name))
	}
	id, ok := domain.ParseID(v)
	if !ok {
		return "", NewProblem(http.StatusBadRequest,
			fmt.Sprintf("query parameter %s must be a UUID, got %s", name, quoteInput(v)))
	}
	return id, nil
}
