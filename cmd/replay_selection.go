package cmd

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mallbots/mallbots/replay"
)

// selectionFlags are the flags that pick poisoned messages, defined once
// for the verbs that select: `replay` itself, `replay discard` and (without
// --limit) `replay list`.
type selectionFlags struct {
	services, handlers, topics, ids []string
	errorText, since, until         string
	limit                           int
}

// add registers the flags on fs; withLimit adds --limit, which caps what a
// verb acts on.
func (f *selectionFlags) add(fs *pflag.FlagSet, withLimit bool) {
	fs.StringSliceVar(&f.services, "service", nil, "read only these services' poison queues (repeatable or comma-separated), e.g. --service=baskets")
	fs.StringSliceVar(&f.handlers, "handler", nil, "select messages that this handler failed (repeatable), e.g. --handler=baskets.OnProductAdded")
	fs.StringSliceVar(&f.topics, "topic", nil, "select messages of this event (repeatable), e.g. --topic=stores.ProductAdded")
	fs.StringSliceVar(&f.ids, "id", nil, "select the message with this UUID (repeatable), e.g. --id=0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d")
	fs.StringVar(&f.errorText, "error", "", `select messages whose failure reason contains this text, any case, e.g. --error="not found"`)
	fs.StringVar(&f.since, "since", "", "select messages poisoned at or after this time: RFC 3339, a date or a duration ago, e.g. --since=2h, --since=2024-05-01T08:00:00Z")
	fs.StringVar(&f.until, "until", "", "select messages poisoned at or before this time, same forms as --since, e.g. --until=30m")
	if withLimit {
		fs.IntVar(&f.limit, "limit", 0, "act on at most this many matches, first in queue order, e.g. --limit=10")
	}
}

// selecting reports whether any criterion was given: none selects every
// poisoned message.
func (f *selectionFlags) selecting() bool {
	return len(f.services)+len(f.handlers)+len(f.topics)+len(f.ids) > 0 || f.errorText != "" || f.since != "" || f.until != ""
}

// poisonSelection is a checked selection: which poison queues to read, and
// which of their messages to pick.
type poisonSelection struct {
	// services are the services whose poison queues to read: those named
	// by --service, else those of the handlers named by --handler, else all.
	services []string
	// named are the services --service named.
	named []string
	sel   replay.Selection
}

// describe is the selection as the audit trail records it, like the flags
// that made it.
func (p poisonSelection) describe() string {
	d := p.sel.String()
	if len(p.named) > 0 {
		d = "--service=" + strings.Join(p.named, ",") + " " + d
	}
	return d
}

// resolve checks the flags, together and against the services and handlers
// there are, and returns the selection; every problem is a usage error.
// errorGiven says whether --error was on the command line (it may not be
// empty then).
func (f *selectionFlags) resolve(errorGiven bool, now time.Time) (poisonSelection, error) {
	var p poisonSelection
	if f.limit < 0 {
		return p, usageError("--limit %d must not be negative", f.limit)
	}
	if f.errorText == "" && errorGiven {
		return p, usageError("--error needs some text to look for in the failure reasons")
	}
	for _, id := range f.ids {
		if strings.TrimSpace(id) == "" {
			return p, usageError("--id needs a message UUID")
		}
	}
	chosen, err := selectServices(f.services)
	if err != nil {
		return p, err
	}
	handlers, topics := consumers()
	selected := map[string]bool{}
	for _, s := range chosen {
		selected[s.name] = true
	}
	for _, h := range f.handlers {
		handler, err := knownHandler(handlers, h)
		if err != nil {
			return p, err
		}
		if !selected[handler.service] {
			return p, usageError("handler %s belongs to service %s, which --service leaves out", h, handler.service)
		}
	}
	for _, t := range f.topics {
		if !topics[t] {
			return p, usageError("no handler consumes topic %s; topics with handlers are: %s", t, strings.Join(sortedKeys(topics), ", "))
		}
	}
	if p.sel.Since, p.sel.Until, err = timeWindow(f.since, f.until, now); err != nil {
		return p, err
	}
	p.named = f.services
	p.sel.Handlers, p.sel.Topics, p.sel.IDs, p.sel.Error, p.sel.Limit = f.handlers, f.topics, f.ids, f.errorText, f.limit
	for _, s := range chosen {
		if len(f.services) > 0 || len(f.handlers) == 0 || slices.ContainsFunc(f.handlers, func(h string) bool { return handlers[h].service == s.name }) {
			p.services = append(p.services, s.name)
		}
	}
	return p, nil
}

// handlerRef is one consumer as its service's spec states it.
type handlerRef struct {
	service, name, topic string
}

// consumers returns every service's handlers by name, and the topics they
// consume.
func consumers() (map[string]handlerRef, map[string]bool) {
	handlers, topics := map[string]handlerRef{}, map[string]bool{}
	for _, s := range registry {
		for _, c := range s.consumes {
			handlers[c.Queue] = handlerRef{service: s.name, name: c.Queue, topic: c.Topic}
			topics[c.Topic] = true
		}
	}
	return handlers, topics
}

// knownHandler returns the handler named name, or a usage error listing the
// handlers there are.
func knownHandler(handlers map[string]handlerRef, name string) (handlerRef, error) {
	h, ok := handlers[name]
	if !ok {
		return h, usageError("unknown handler %s; valid handlers are: %s", name, strings.Join(sortedKeys(handlers), ", "))
	}
	return h, nil
}

// timeWindow parses --since and --until (empty: unbounded), which must not
// be the wrong way round.
func timeWindow(since, until string, now time.Time) (from, to time.Time, err error) {
	if from, err = parseFlagTime("since", since, now); err != nil {
		return from, to, err
	}
	if to, err = parseFlagTime("until", until, now); err != nil {
		return from, to, err
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return from, to, usageError("--until (%s) is before --since (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return from, to, nil
}

func parseFlagTime(flag, value string, now time.Time) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := parseTime(value, now)
	if err != nil {
		return time.Time{}, UsageError{fmt.Errorf("--%s: %w", flag, err)}
	}
	return t, nil
}

// parseTime reads a --since/--until value: an RFC 3339 time
// (2024-05-01T12:00:00Z), a date (2024-05-01, midnight UTC), or a duration
// meaning that long before now (90s, 45m, 2h, 1h30m, 7d).
func parseTime(s string, now time.Time) (time.Time, error) {
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

// checkRate refuses a negative --rate.
func checkRate(rate float64) error {
	if rate < 0 {
		return usageError("--rate %g must not be negative", rate)
	}
	return nil
}

// usageError is a UsageError with a formatted message.
func usageError(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}
