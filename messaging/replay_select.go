package messaging

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
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

// ParseTime reads a --since/--until value: an RFC 3339 time
// (2024-05-01T12:00:00Z), a date (2024-05-01, midnight UTC), or a duration
// meaning that long before now (90s, 45m, 2h, 1h30m, 7d).
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), nil
	}
	if d, ok := parseAgo(s); ok {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want RFC 3339 (2024-05-01T12:00:00Z), a date (2024-05-01) or a duration ago (90m, 2h, 7d)", s)
}

// parseAgo parses a non-negative Go duration, or a whole number of days.
func parseAgo(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, false
		}
		return time.Duration(n) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d >= 0
}

// WriteTable prints msgs as the table --dry-run shows: id, service,
// handler, topic, error (shortened to one line), first failed, age (time
// since the message was last poisoned) and replay count.
func WriteTable(w io.Writer, msgs []PoisonMessage, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSERVICE\tHANDLER\tTOPIC\tERROR\tFIRST FAILED\tAGE\tREPLAYS")
	for _, m := range msgs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n",
			orDash(m.ID), m.Service, orDash(m.Handler), orDash(m.Topic), orDash(shorten(m.Reason, 60)),
			stamp(m.FirstFailedAt), age(m.PoisonedAt, now), m.ReplayCount)
	}
	return tw.Flush()
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

// WriteList prints what --list shows: each poison queue with its message
// count, then the messages grouped by handler and error, the group whose
// first failure is oldest first.
func WriteList(w io.Writer, services []string, msgs []PoisonMessage, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	counts := map[string]int{}
	for _, m := range msgs {
		counts[m.Service]++
	}
	fmt.Fprintln(tw, "POISON QUEUE\tMESSAGES")
	for _, s := range services {
		fmt.Fprintf(tw, "%s\t%d\n", PoisonName(s), counts[s])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(msgs) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HANDLER\tMESSAGES\tFIRST FAILED\tERROR")
	for _, g := range Group(msgs) {
		fmt.Fprintf(tw, "%s\t%d\t%s (%s ago)\t%s\n", orDash(g.Handler), g.Count, stamp(g.Oldest), age(g.Oldest, now), orDash(shorten(g.Error, 100)))
	}
	return tw.Flush()
}

// WriteMessage prints m in full, as --show does: what replay decoded, the
// AMQP properties, every header (non-string ones as their Go values), and
// the payload, pretty-printed when it is JSON and otherwise as an escaped
// string, so that no byte is hidden.
func WriteMessage(w io.Writer, m PoisonMessage) error {
	d := m.Delivery
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "  %s\t%v\n", k, v) }
	fmt.Fprintf(tw, "message %s in %s\n", orDash(m.ID), PoisonName(m.Service))
	row("handler", orDash(m.Handler))
	row("topic", orDash(m.Topic))
	row("error", orDash(m.Reason))
	row("first failed", stamp(m.FirstFailedAt))
	row("poisoned at", stamp(m.PoisonedAt))
	row("replay count", m.ReplayCount)
	if m.DeadLettered {
		row("poisoned by", "the broker (delivery limit or rejection), not the consumer")
	}
	fmt.Fprintln(tw, "properties")
	for _, p := range []struct {
		k string
		v any
	}{
		{"message_id", d.MessageId}, {"content_type", d.ContentType}, {"content_encoding", d.ContentEncoding},
		{"delivery_mode", d.DeliveryMode}, {"priority", d.Priority}, {"correlation_id", d.CorrelationId},
		{"reply_to", d.ReplyTo}, {"expiration", d.Expiration}, {"timestamp", d.Timestamp},
		{"type", d.Type}, {"user_id", d.UserId}, {"app_id", d.AppId},
	} {
		if p.v == "" || p.v == uint8(0) || p.v == (time.Time{}) {
			continue
		}
		if t, ok := p.v.(time.Time); ok {
			p.v = stamp(t)
		}
		row(p.k, p.v)
	}
	fmt.Fprintln(tw, "headers")
	keys := make([]string, 0, len(d.Headers))
	for k := range d.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		row(k, headerValue(d.Headers[k]))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "payload (%d bytes)\n", len(d.Body))
	_, err := fmt.Fprintln(w, Payload(d.Body))
	return err
}

// Payload renders a message body for people: indented JSON when it is
// JSON, otherwise the bytes as a quoted Go string with escapes.
func Payload(body []byte) string {
	var v any
	if json.Valid(body) {
		if err := json.Unmarshal(body, &v); err == nil {
			if pretty, err := json.MarshalIndent(v, "", "  "); err == nil {
				return string(pretty)
			}
		}
	}
	return strconv.Quote(string(body)) + "   (not JSON; shown escaped)"
}

// headerValue renders a header value: strings as they are, anything else
// (x-death tables, numbers) as its Go value with its type.
func headerValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprintf("%v (%s)", v, describe(v))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// age renders how long ago t was, to two units at most (45s, 12m3s, 5h2m,
// 3d4h).
func age(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// shorten keeps the first line of s, cut to n runes with an ellipsis.
func shorten(s string, n int) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + " …"
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}
