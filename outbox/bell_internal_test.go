package outbox

import (
	"io"
	"log/slog"
	"testing"

	"github.com/mallbots/mallbots/broker"
)

// TestBellWakesItsServiceRelaysOnly: a commit rung through an outbox wakes
// every relay of that service listening on the outbox's bell, and no other:
// not another service's, not one on another bell (another process's, as
// far as this one can tell), not one that stopped listening. A nil bell
// rings no one.
func TestBellWakesItsServiceRelaysOnly(t *testing.T) {
	t.Parallel()
	relay := func(service string) *Relay {
		return NewRelay(service, nil, nil, broker.Topology{}, nil, RelayConfig{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	woken := func(r *Relay) bool {
		select {
		case <-r.wake:
			return true
		default:
			return false
		}
	}
	bell, other := NewBell(), NewBell()
	first, second, otherService, otherBell := relay("shop"), relay("shop"), relay("depot"), relay("shop")
	stopFirst := bell.listen(first)
	defer bell.listen(second)()
	defer bell.listen(otherService)()
	defer other.listen(otherBell)()

	New("shop", bell).Committed()
	for name, want := range map[string]struct {
		r    *Relay
		woke bool
	}{
		"first relay of the service": {first, true}, "second relay of the service": {second, true},
		"another service's relay": {otherService, false}, "a relay on another bell": {otherBell, false},
	} {
		if got := woken(want.r); got != want.woke {
			t.Errorf("%s woken = %v, want %v", name, got, want.woke)
		}
	}

	stopFirst()
	New("shop", bell).Committed()
	if woken(first) || !woken(second) {
		t.Error("after the first relay stopped listening, a commit must wake the second only")
	}

	New("shop", nil).Committed()
	var none *Bell
	none.listen(first)()
	if woken(first) || woken(second) {
		t.Error("an outbox without a bell woke a relay")
	}
}
