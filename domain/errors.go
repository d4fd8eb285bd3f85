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

// What a kind means for a message. The consumer machinery sorts a
// handler's error into three classes by its kind: permanent (IsPermanent,
// poisoned at once), must wait (MustWait, handled again later, once the data
// it refers to may have arrived) and, for every error of no kind, transient
// (a deadlock, a lost connection: retried at once, with backoff). Permanent
// is checked first, so an error wrapping both kinds is permanent.

// IsPermanent reports whether err is of kind ErrInvalid or ErrConflict:
// invalid input and a violated rule are the same on every attempt, so
// retrying cannot fix them.
func IsPermanent(err error) bool {
	return errors.Is(err, ErrInvalid) || errors.Is(err, ErrConflict)
}

// MustWait reports whether err is of kind ErrNotFound: for a message, the
// data it refers to has not arrived yet (an event that overtook the one
// creating its row), and waiting, not retrying at once, lets it arrive. A
// handler for which the data can never arrive says so with another kind
// (the saga's reply to an order without a saga is ErrInvalid).
func MustWait(err error) bool {
	return errors.Is(err, ErrNotFound)
}
