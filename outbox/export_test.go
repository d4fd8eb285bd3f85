package outbox

import "context"

// Test-only access for the black-box tests of package outbox_test, which
// cannot live in package outbox: they need internal/testkit, which imports
// outbox.

// Prune runs the relay's event-log retention once.
func (r *Relay) Prune(ctx context.Context) error { return r.prune(ctx) }
