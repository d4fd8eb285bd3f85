package replay

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Selection picks poisoned messages. Each set criterion must hold; empty
// lists and zero values select everything.
type Selection struct {
	// Handlers, Topics and IDs match any of their values exactly.
	Handlers []string
	Topics   []string
	IDs      []string
	// Error matches a substring of the reason, ignoring case.
	Error string
	// Since and Until bound when the message was (last) poisoned,
	// inclusive; a zero value is unbounded.
	Since, Until time.Time
	// Limit caps how many messages are selected, first in queue order; 0 is
	// no cap.
	Limit int
}

// Matches reports whether m satisfies every criterion of s (Limit aside).
func (s Selection) Matches(m PoisonMessage) bool {
	if len(s.Handlers) > 0 && !contains(s.Handlers, m.Handler) {
		return false
	}
	if len(s.Topics) > 0 && !contains(s.Topics, m.Topic) {
		return false
	}
	if len(s.IDs) > 0 && !contains(s.IDs, m.ID) {
		return false
	}
	if s.Error != "" && !strings.Contains(strings.ToLower(m.Reason), strings.ToLower(s.Error)) {
		return false
	}
	if !s.Since.IsZero() && m.PoisonedAt.Before(s.Since) {
		return false
	}
	if !s.Until.IsZero() && m.PoisonedAt.After(s.Until) {
		return false
	}
	return true
}

// Select returns the messages of msgs that s matches, in their order, at
// most s.Limit of them.
func (s Selection) Select(msgs []PoisonMessage) []PoisonMessage {
	var out []PoisonMessage
	for _, m := range msgs {
		if s.Limit > 0 && len(out) == s.Limit {
			break
		}
		if s.Matches(m) {
			out = append(out, m)
		}
	}
	return out
}

// IsZero reports whether s selects everything.
func (s Selection) IsZero() bool {
	return len(s.Handlers) == 0 && len(s.Topics) == 0 && len(s.IDs) == 0 && s.Error == "" &&
		s.Since.IsZero() && s.Until.IsZero() && s.Limit == 0
}

// String describes s for the audit trail, like the flags that made it.
func (s Selection) String() string {
	var parts []string
	add := func(flag string, values ...string) {
		for _, v := range values {
			parts = append(parts, "--"+flag+"="+v)
		}
	}
	add("handler", s.Handlers...)
	add("topic", s.Topics...)
	add("id", s.IDs...)
	if s.Error != "" {
		add("error", strconv.Quote(s.Error))
	}
	if !s.Since.IsZero() {
		add("since", s.Since.Format(time.RFC3339))
	}
	if !s.Until.IsZero() {
		add("until", s.Until.Format(time.RFC3339))
	}
	if s.Limit > 0 {
		add("limit", strconv.Itoa(s.Limit))
	}
	if len(parts) == 0 {
		return "(everything)"
	}
	return strings.Join(parts, " ")
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// PoisonGroup is the messages of one poison queue that share a handler and
// an error, errors compared with their IDs and numbers masked.
type PoisonGroup struct {
	Service, Handler, Error string
	Count                   int
	// Oldest is the earliest first failure of its messages.
	Oldest time.Time
}

var (
	uuidPattern   = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	numberPattern = regexp.MustCompile(`\b\d+\b`)
)

// errorClass masks the IDs and numbers of reason, so that the same failure
// of different messages groups together.
func errorClass(reason string) string {
	return numberPattern.ReplaceAllString(uuidPattern.ReplaceAllString(reason, "<id>"), "<n>")
}

// Group counts msgs by service, handler and error class, oldest group first.
func Group(msgs []PoisonMessage) []PoisonGroup {
	index := map[[3]string]int{}
	var groups []PoisonGroup
	for _, m := range msgs {
		key := [3]string{m.Service, m.Handler, errorClass(m.Reason)}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, PoisonGroup{Service: m.Service, Handler: m.Handler, Error: key[2], Oldest: m.FirstFailedAt})
		}
		groups[i].Count++
		if m.FirstFailedAt.Before(groups[i].Oldest) {
			groups[i].Oldest = m.FirstFailedAt
		}
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].Oldest.Before(groups[j].Oldest) })
	return groups
}
