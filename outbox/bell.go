package outbox

import "sync"

// Bell connects a process's outboxes to its relays: a transaction that wrote
// outbox rows rings its service's bell once it has committed
// (Outbox.Committed), and every relay of that service listening on the same
// Bell wakes at once instead of at its next poll. The composition root makes
// one Bell per process and hands it to every Outbox and Relay it builds. A
// nil *Bell rings no one: relays then find new rows at their poll interval.
//
// The bell is in-process on purpose. Only a process that runs a service
// writes that service's outbox (its use cases and consumers are the only
// writers), so the process that wrote rows always runs a relay for them, and
// no database notification is needed. One would cost dearly: PostgreSQL
// serialises every transaction that sent a NOTIFY on one cluster-wide lock
// held through its commit, which capped the whole system's commit rate.
// When two processes run one service, the one whose relay finds the relay
// lock taken tries again shortly (Relay.Run), and the poll interval remains
// the last safety net.
type Bell struct {
	mu     sync.Mutex
	relays map[string]map[*Relay]bool
}

// NewBell returns a bell with no relay listening yet.
func NewBell() *Bell { return &Bell{relays: map[string]map[*Relay]bool{}} }

// ring wakes every relay of service listening on b.
func (b *Bell) ring(service string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for r := range b.relays[service] {
		r.Wake()
	}
}

// listen makes r wake when its service's bell rings, until the returned
// func is called.
func (b *Bell) listen(r *Relay) (stop func()) {
	if b == nil {
		return func() {}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.relays[r.service] == nil {
		b.relays[r.service] = map[*Relay]bool{}
	}
	b.relays[r.service][r] = true
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.relays[r.service], r)
	}
}
