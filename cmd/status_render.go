package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/mallbots/mallbots/status"
)

// writeStatus prints r as `mallbots status` shows it: where it was read
// from, then per service a table of its handler queues (ready, unacked,
// consumers, rates in and out), its outbox and relay, its poison and wait
// queues, and last the problems, one per line, or that all is well.
func writeStatus(w io.Writer, r status.Report) error {
	b := &strings.Builder{}
	samples := "one sample"
	if r.IntervalSeconds > 0 {
		samples = "samples " + status.Age(r.IntervalSeconds) + " apart"
	}
	fmt.Fprintf(b, "mallbots status at %s (%s)\n", stamp(r.TakenAt), samples)
	fmt.Fprintf(b, "broker    %s%s\n", r.Broker.Where, unread(r.Broker))
	fmt.Fprintf(b, "database  %s%s\n", r.Database.Where, unread(r.Database))

	width := len("QUEUE")
	for _, s := range r.Services {
		for _, q := range s.Handlers {
			width = max(width, len(q.Name))
		}
	}
	for _, s := range r.Services {
		fmt.Fprintf(b, "\n%s\n", s.Name)
		switch {
		case !r.Broker.Reachable:
			fmt.Fprintf(b, "  queues  unknown (the management API was not read)\n")
		case len(s.Handlers) > 0:
			fmt.Fprintf(b, "  %-*s  %7s  %7s  %9s  %7s  %7s\n", width, "QUEUE", "READY", "UNACKED", "CONSUMERS", "IN/S", "OUT/S")
			for _, q := range s.Handlers {
				if !q.Exists {
					fmt.Fprintf(b, "  %-*s  %s\n", width, q.Name, "missing")
					continue
				}
				fmt.Fprintf(b, "  %-*s  %7d  %7d  %9d  %7.1f  %7.1f\n", width, q.Name, q.Ready, q.Unacked, q.Consumers, q.InPerSecond, q.AckPerSecond)
			}
		}
		fmt.Fprintf(b, "  outbox  %s\n", outboxLine(s.Outbox, r))
		if r.Broker.Reachable {
			fmt.Fprintf(b, "  poison  %s\n", queueCount(s.Poison))
			if len(s.Waits) > 0 {
				waits := make([]string, len(s.Waits))
				for i, q := range s.Waits {
					waits[i] = queueCount(q)
				}
				fmt.Fprintf(b, "  waits   %s\n", strings.Join(waits, ", "))
			}
		}
	}

	if r.Healthy {
		fmt.Fprintf(b, "\nhealthy: every handler queue has a consumer, nothing is poisoned, every relay keeps up\n")
	} else {
		fmt.Fprintf(b, "\nPROBLEMS\n")
		for _, p := range r.Problems {
			fmt.Fprintf(b, "%s\n", p)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// unread is what follows a source's name when it could not be read.
func unread(s status.Source) string {
	if s.Reachable {
		return ""
	}
	return "  (not read, see PROBLEMS)"
}

// queueCount is a queue's name and message count, or that it is missing.
func queueCount(q status.Queue) string {
	if !q.Exists {
		return q.Name + " missing"
	}
	return fmt.Sprintf("%s %d", q.Name, q.Messages)
}

// outboxLine says what waits in an outbox and what its relay does:
// "0 rows waiting, relay idle", "120 rows waiting, oldest 42s, relay stuck".
func outboxLine(o status.Outbox, r status.Report) string {
	switch {
	case !r.Database.Reachable:
		return "unknown (the database was not read)"
	case o.Error != "":
		return "unknown (see PROBLEMS)"
	case o.Rows == 0:
		return "0 rows waiting, relay " + string(o.Relay)
	}
	rows := fmt.Sprintf("%d rows", o.Rows)
	if o.Rows == 1 {
		rows = "1 row"
	}
	line := fmt.Sprintf("%s waiting, oldest %s, relay %s", rows, status.Age(o.OldestAgeSeconds), o.Relay)
	if r.IntervalSeconds > 0 && o.Growth != 0 {
		line += fmt.Sprintf(" (%+d in %s)", o.Growth, status.Age(r.IntervalSeconds))
	}
	return line
}
