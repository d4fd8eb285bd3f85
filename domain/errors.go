// Package domain holds the business language shared by every aggregate family:
// the kinds of error a rule can raise. Aggregates live in sub-packages.
package domain

import "errors"

// Error kinds. Rules wrap one of these with a sentence that names the entity,
// e.g. fmt.Errorf("%w: store %s already participates", domain.ErrConflict, id),
// and transports map the kind (errors.Is), never the text.
var (
	// ErrInvalid: the input breaks a rule on its own (blank name, negative price).
	ErrInvalid = errors.New("invalid")
	// ErrNotFound: the entity the input refers to does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the input is valid but the entity's current state forbids it
	// (enable twice, cancel a completed order, a concurrent write won).
	ErrConflict = errors.New("conflict")
)
