// Package orderstatus is an order's status as the read models (search,
// notifications) learn it from the orders service's events, with the rank
// that lets them apply those events in any order: each status event reaches
// them through a queue of its own, so a stale one can arrive after a fresh
// one, and a status must never move backward.
package orderstatus

import (
	"fmt"

	"github.com/mallbots/mallbots/domain"
)

// Status is one of the order statuses below. It cannot be forged: the zero
// value is "no status" (IsZero) and every other value comes from this
// package.
type Status struct {
	name string
	rank int
}

// The statuses, in the order an order goes through them: pending (created)
// → approved (the saga succeeded) → ready (the bots collected every item) →
// completed (paid and taken). Rejected (the saga failed) and canceled (by
// the customer, before ready) end an order early. The three end states share
// the top rank: once one is reached nothing moves the order on, and two of
// them can never both happen to one order.
var (
	Pending   = Status{"pending", 1}
	Approved  = Status{"approved", 2}
	Ready     = Status{"ready", 3}
	Completed = Status{"completed", 4}
	Rejected  = Status{"rejected", 4}
	Canceled  = Status{"canceled", 4}
)

// All lists every status, in rank order.
var All = []Status{Pending, Approved, Ready, Completed, Rejected, Canceled}

// ErrUnknown (kind domain.ErrInvalid): a name that is not a status.
var ErrUnknown = fmt.Errorf("%w: unknown order status", domain.ErrInvalid)

// Parse returns the status named name ("pending", "approved", "ready",
// "completed", "rejected" or "canceled"), or an error wrapping ErrUnknown.
func Parse(name string) (Status, error) {
	for _, s := range All {
		if s.name == name {
			return s, nil
		}
	}
	return Status{}, fmt.Errorf("%w %q; want one of pending, approved, ready, completed, rejected, canceled", ErrUnknown, name)
}

// String returns the status's name, "" for the zero Status.
func (s Status) String() string { return s.name }

// IsZero reports whether s is the zero Status (no status).
func (s Status) IsZero() bool { return s.name == "" }

// Rank orders the statuses: an order only ever moves to a status of higher
// rank. Stores keep it beside the status so that a guarded UPDATE ("set the
// status where the stored rank is lower") applies events in any order.
func (s Status) Rank() int { return s.rank }

// Supersedes reports whether an order in status old moves to s when it hears
// of s: only a higher rank does. An event that does not supersede the stored
// status is stale (or a duplicate) and changes nothing.
func (s Status) Supersedes(old Status) bool { return s.rank > old.rank }
