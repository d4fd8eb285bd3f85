package messaging

import "sync"

// doorbells connects each service's outboxes to its relays in the same
// process: a committed transaction that wrote outbox rows rings the
// service's bell (Outbox.Committed) and its relays wake at once.
//
// Only a process that runs a service writes that service's outbox (its use
// cases and consumers are the only writers), so the process that wrote rows
// always runs a relay for them, and no database notification is needed. One
// would cost dearly: PostgreSQL serialises every transaction that sent a
// NOTIFY on one cluster-wide lock held through its commit, which capped the
// whole system's commit rate. When two processes run one service, the one
// whose relay finds the relay lock taken tries again shortly (Relay.Run),
// and the poll interval remains the last safety net.
var doorbells = struct {
	sync.Mutex
	relays map[string]map[*Relay]bool
}{relays: map[string]map[*Relay]bool{}}

// ring wakes every running relay of service in this process.
func ring(service string) {
	doorbells.Lock()
	defer doorbells.Unlock()
	for r := range doorbells.relays[service] {
		r.Wake()
	}
}

// listen makes r wake when its service's bell rings, until the returned
// func is called.
func listen(r *Relay) func() {
	doorbells.Lock()
	defer doorbells.Unlock()
	if doorbells.relays[r.service] == nil {
		doorbells.relays[r.service] = map[*Relay]bool{}
	}
	doorbells.relays[r.service][r] = true
	return func() {
		doorbells.Lock()
		defer doorbells.Unlock()
		delete(doorbells.relays[r.service], r)
	}
}
