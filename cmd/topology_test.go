package cmd

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/broker"
)

// TestWriteTopology prints a planned topology as `mallbots topology` does:
// exchanges with who publishes them, queues with where they dead-letter to
// and their delivery limit, and the bindings.
func TestWriteTopology(t *testing.T) {
	t.Parallel()
	waits := []time.Duration{200 * time.Millisecond, 5 * time.Second, 90 * time.Second, time.Hour}
	shop := broker.Service{Name: "shop", Publishes: []string{"shop.A"}, Consumes: []broker.Subscription{
		{Queue: "shop.OnA", Topic: "shop.A"}, {Queue: "shop.OnB", Topic: "shop.B"},
	}}
	quiet := broker.Service{Name: "quiet", Publishes: []string{"quiet.Q"}} // publishes, consumes nothing
	top := broker.Plan([]broker.Service{shop, quiet}, 7, waits)

	var buf bytes.Buffer
	if err := writeTopology(&buf, top); err != nil {
		t.Fatalf("writeTopology: %v", err)
	}
	out := buf.String()
	lines := strings.Split(out, "\n")
	hasLine := func(fields ...string) bool {
		for _, l := range lines {
			if strings.Join(strings.Fields(l), " ") == strings.Join(fields, " ") {
				return true
			}
		}
		return false
	}
	wantLines := [][]string{
		{"EXCHANGE", "TYPE", "PUBLISHED", "BY"},
		{"shop.A", "fanout", "shop"},
		{"shop.B", "fanout", "-"},
		{"shop.poison", "fanout", "shop"},
		{"shop.wait.200ms", "fanout", "shop"},
		{"shop.wait.5s", "fanout", "shop"},
		{"shop.wait.1m30s", "fanout", "shop"},
		{"shop.wait.1h", "fanout", "shop"},
		{"quiet.poison", "fanout", "quiet"},
		{"QUEUE", "TYPE", "DEAD-LETTERS", "TO", "DELIVERY", "LIMIT"},
		{"shop.OnA", "quorum", "shop.poison", "7"},
		{"shop.OnB", "quorum", "shop.poison", "7"},
		{"shop.poison", "classic", "-", "-"},
		{"shop.wait.200ms", "quorum", "its", "handler's", "queue,", "after", "200ms", "-"},
		{"shop.wait.1h", "quorum", "its", "handler's", "queue,", "after", "1h", "-"},
		{"shop.A", "→", "shop.OnA"},
		{"shop.B", "→", "shop.OnB"},
		{"shop.poison", "→", "shop.poison"},
		{"shop.wait.5s", "→", "shop.wait.5s"},
	}
	for _, w := range wantLines {
		if !hasLine(w...) {
			t.Errorf("output lacks the line %q:\n%s", strings.Join(w, " "), out)
		}
	}
	if strings.Contains(out, "quiet.wait") {
		t.Errorf("a service that consumes nothing has wait queues:\n%s", out)
	}
}
