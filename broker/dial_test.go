package broker_test

import (
	"testing"
	"time"

	"github.com/mallbots/mallbots/broker"
)

// TestReconnectBackoffStaysWithinItsBound: whatever the jitter draws, no
// wait between two reconnect attempts exceeds the configured bound, and the
// first attempt comes soon.
func TestReconnectBackoffStaysWithinItsBound(t *testing.T) {
	for _, bound := range []time.Duration{10 * time.Millisecond, 300 * time.Millisecond, 2 * time.Second, 5 * time.Minute} {
		r := broker.ReconnectBackoff(bound)
		longest := time.Duration(float64(r.BackoffMaxInterval) * (1 + r.BackoffRandomizationFactor))
		if longest > bound || r.BackoffMaxInterval <= 0 {
			t.Errorf("bound %s: waits up to %s (max interval %s, jitter %g)", bound, longest, r.BackoffMaxInterval, r.BackoffRandomizationFactor)
		}
		if r.BackoffInitialInterval > min(200*time.Millisecond, bound) || r.BackoffInitialInterval > r.BackoffMaxInterval ||
			r.BackoffMultiplier <= 1 {
			t.Errorf("bound %s: first wait %s, growth %g; want at most 200ms and the bound, growing", bound, r.BackoffInitialInterval, r.BackoffMultiplier)
		}
	}
}
