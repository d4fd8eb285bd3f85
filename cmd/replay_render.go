package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/replay"
)

// How the replay verbs show poisoned messages and the audit trail to
// people. package replay returns the data; the layouts are here.

// writeTable prints msgs as the table `replay --dry-run` shows (and
// every replay or discard, before it acts): id, service,
// handler, topic, error (shortened to one line), first failed, age (time
// since the message was last poisoned) and replay count.
func writeTable(w io.Writer, msgs []replay.PoisonMessage, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSERVICE\tHANDLER\tTOPIC\tERROR\tFIRST FAILED\tAGE\tREPLAYS")
	for _, m := range msgs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n",
			orDash(m.ID), m.Service, orDash(m.Handler), orDash(m.Topic), orDash(shorten(m.Reason, 60)),
			stamp(m.FirstFailedAt), age(m.PoisonedAt, now), m.ReplayCount)
	}
	return tw.Flush()
}

// writeList prints what `replay list` shows: each poison queue with its message
// count, then the messages grouped by handler and error, the group whose
// first failure is oldest first.
func writeList(w io.Writer, services []string, msgs []replay.PoisonMessage, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	counts := map[string]int{}
	for _, m := range msgs {
		counts[m.Service]++
	}
	fmt.Fprintln(tw, "POISON QUEUE\tMESSAGES")
	for _, s := range services {
		fmt.Fprintf(tw, "%s\t%d\n", broker.PoisonName(s), counts[s])
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
	for _, g := range replay.Group(msgs) {
		fmt.Fprintf(tw, "%s\t%d\t%s (%s ago)\t%s\n", orDash(g.Handler), g.Count, stamp(g.Oldest), age(g.Oldest, now), orDash(shorten(g.Error, 100)))
	}
	return tw.Flush()
}

// writeMessage prints m in full, as `replay show` does: what replay decoded, the
// AMQP properties, every header (non-string ones as their Go values), and
// the payload, pretty-printed when it is JSON and otherwise as an escaped
// string, so that no byte is hidden.
func writeMessage(w io.Writer, m replay.PoisonMessage) error {
	d := m.Delivery
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "  %s\t%v\n", k, v) }
	fmt.Fprintf(tw, "message %s in %s\n", orDash(m.ID), broker.PoisonName(m.Service))
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
	_, err := fmt.Fprintln(w, prettyPayload(d.Body))
	return err
}

// prettyPayload renders a message body for people: indented JSON when it is
// JSON, otherwise the bytes as a quoted Go string with escapes.
func prettyPayload(body []byte) string {
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
	return fmt.Sprintf("%v (%s)", v, broker.Describe(v))
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

// historyMessages caps the messages writeHistory lists per run.
const historyMessages = 20

// writeHistory prints runs as `replay history` shows them: one block per run
// (when, who, what, result, selection) and the messages it touched.
func writeHistory(w io.Writer, runs []replay.RunRecord) error {
	if len(runs) == 0 {
		_, err := fmt.Fprintln(w, "no replays recorded yet")
		return err
	}
	for i, r := range runs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		result := r.Result
		if r.FinishedAt.IsZero() {
			result = "running, or interrupted (the process ended before recording its end)"
		}
		fmt.Fprintf(w, "%s  %s  %s  by %s: %d selected, %d succeeded, %d failed; %s\n",
			stamp(r.StartedAt), r.ID, r.Action, r.Actor, r.Selected, r.Succeeded, r.Failed, result)
		fmt.Fprintf(w, "  selection: %s\n", r.Selection)
		if r.Target != "" {
			fmt.Fprintf(w, "  to handler: %s\n", r.Target)
		}
		for j, m := range r.Messages {
			if j == historyMessages {
				fmt.Fprintf(w, "  … and %d more\n", len(r.Messages)-historyMessages)
				break
			}
			line := fmt.Sprintf("  %s  %s  %s", orDash(m.ID), orDash(m.Handler), m.Outcome)
			if m.Outcome == replay.OutcomePending {
				line += " (interrupted: re-delivered, or still in the poison queue)"
			}
			if m.Error != "" {
				line += ": " + shorten(m.Error, 120)
			}
			fmt.Fprintln(w, line)
		}
	}
	return nil
}
