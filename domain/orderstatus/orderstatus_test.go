package orderstatus_test

import (
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/orderstatus"
	"github.com/mallbots/mallbots/internal/domaintest"
)

func TestParse(t *testing.T) {
	for _, s := range orderstatus.All {
		got, err := orderstatus.Parse(s.String())
		domaintest.AssertErr(t, err, nil, nil)
		if got != s {
			t.Errorf("Parse(%q) = %v, want %v", s, got, s)
		}
	}
	for _, name := range []string{"", "Pending", "paid", " ready"} {
		got, err := orderstatus.Parse(name)
		domaintest.AssertErr(t, err, orderstatus.ErrUnknown, domain.ErrInvalid)
		if !got.IsZero() {
			t.Errorf("Parse(%q) = %v, want the zero Status", name, got)
		}
	}
}

func TestSupersedes(t *testing.T) {
	p, a, r, c := orderstatus.Pending, orderstatus.Approved, orderstatus.Ready, orderstatus.Completed
	rej, can := orderstatus.Rejected, orderstatus.Canceled
	tests := []struct {
		next, old orderstatus.Status
		want      bool
	}{
		// The happy path moves forward, skipping steps too (events overtake).
		{a, p, true}, {r, a, true}, {c, r, true}, {r, p, true}, {c, p, true},
		{rej, p, true}, {can, p, true}, {can, a, true},
		// Nothing moves backward: a stale event changes nothing.
		{p, a, false}, {a, r, false}, {r, c, false}, {a, c, false}, {p, c, false},
		{a, rej, false}, {r, can, false}, {c, can, false},
		// Duplicates are no news.
		{p, p, false}, {a, a, false}, {c, c, false}, {can, can, false},
		// End states never replace one another.
		{can, c, false}, {c, can, false}, {rej, can, false}, {can, rej, false},
		// Any status supersedes none.
		{p, orderstatus.Status{}, true},
	}
	for _, tt := range tests {
		if got := tt.next.Supersedes(tt.old); got != tt.want {
			t.Errorf("%q.Supersedes(%q) = %t, want %t", tt.next, tt.old, got, tt.want)
		}
	}
}

func TestAllListsEveryStatusOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range orderstatus.All {
		if s.IsZero() || seen[s.String()] {
			t.Errorf("All holds %q twice or a zero Status", s)
		}
		seen[s.String()] = true
	}
	if len(seen) != 6 {
		t.Errorf("All has %d statuses, want 6", len(seen))
	}
}
