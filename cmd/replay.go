package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/messaging"
	"github.com/mallbots/mallbots/migrations"
	"github.com/mallbots/mallbots/postgres"
)

// replayConnectTimeout bounds the wait for the broker and the database when
// --connect-timeout is 0 (serve's "wait forever"): an operator's command
// must fail clearly, not hang.
const replayConnectTimeout = 10 * time.Second

// historyLimit is how many runs --history shows without --limit.
const historyLimit = 20

// replayFlags are replay's own flags; the connection settings come from
// bindSettings.
type replayFlags struct {
	services, handlers, topics, ids []string
	errorText, since, until, show   string
	limit                           int
	rate                            float64
	dryRun, yes, list, history      bool
	discard, fromLog                bool
}

func newReplay() *cobra.Command {
	var f replayFlags
	c := &cobra.Command{
		Use:   "replay",
		Short: "Re-deliver poisoned messages to the handler that failed them, or events from the event log",
		Long: `replay reads the poison queues (<service>.poison) and re-delivers each selected
message only to the handler that failed it: to that handler's own queue through
the default exchange, never to the event's fan-out exchange, so no other
consumer sees it twice. The message keeps its UUID, payload, correlation and
causation IDs and headers, and gains replay_count (incremented) and replayed_at.
A message that fails again returns to the poison queue with its replay count.

Selection (all given criteria must hold; none selects everything):
  --service, --handler, --topic, --id   exact names, repeatable or comma-separated
  --error TEXT                          part of the failure reason, any case
  --since, --until TIME                 when the message was (last) poisoned:
                                        RFC 3339, a date, or a duration ago (2h, 7d)
  --limit N                             the first N matches, in queue order

Safety: messages are read from the poison queue without being removed. Each
selected message is recorded in the audit trail, published to its handler's
queue and confirmed by the broker, and only then removed from the poison queue.
Messages not selected are never touched and keep their order. Killing replay
at any point (even kill -9) loses nothing: a message is re-delivered, or still
poisoned, or (killed between the confirm and the removal) both, and then the
handler's inbox drops the second copy, as it drops any message replayed twice.

Modes (one at a time):
  (default)    re-deliver the selection; --dry-run prints it and changes nothing
  --list       poison queues with counts, grouped by handler and error, oldest first
  --show ID    one message in full: properties, headers, payload
  --discard    remove the selection for good, after recording each message in
               full (headers and payload) in the audit trail
  --history    the audit trail: who replayed or discarded what, when, and how it went
  --from-log   re-deliver events retained in the producing service's outbox (the
               event log) to one handler, in commit order, e.g. to rebuild a read
               model or feed a new consumer

Without --yes, acting on more than one message asks for confirmation on a
terminal, and is refused (exit code 2) when stdin is not a terminal.

The event log keeps relayed events for --event-log-retention
(MALLBOTS_EVENT_LOG_RETENTION, default 168h) of the serve processes, whose
relays prune older ones; --from-log can reach back that far. The handler's
inbox drops events it has already processed: to rebuild a read model, empty
it and delete its handlers' inbox rows in one transaction first, e.g.
  BEGIN; TRUNCATE baskets.products_cache;
  DELETE FROM baskets.inbox WHERE handler LIKE 'baskets.OnProduct%'; COMMIT;

replay does not read MALLBOTS_SERVICES: which poison queues it reads is
chosen with --service alone. It gives up on an unreachable broker or database
after --connect-timeout (10s when that is 0).

Exit codes: 0 done (also when nothing matched), 1 a failure (a message that
could not be re-delivered stays poisoned), 2 bad usage.`,
		Example: `  # What is poisoned, grouped by handler and error:
  mallbots replay --list
  mallbots replay --list --service=baskets

  # Look at one message in full:
  mallbots replay --show 0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d

  # See what a replay would do, then do it:
  mallbots replay --handler=baskets.OnProductRebranded --dry-run
  mallbots replay --handler=baskets.OnProductRebranded --yes

  # Narrow the selection:
  mallbots replay --service=baskets --topic=stores.ProductPriceIncreased --dry-run
  mallbots replay --id=0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d --id=0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6e
  mallbots replay --error="not in the baskets catalog cache" --since=2h --yes
  mallbots replay --since=2024-05-01T08:00:00Z --until=2024-05-01T09:30:00Z --dry-run
  mallbots replay --handler=baskets.OnProductAdded --limit=10 --yes

  # Replay slowly, at 5 messages a second:
  mallbots replay --service=baskets --rate=5 --yes

  # Remove messages that can never succeed (recorded in the audit trail first):
  mallbots replay --discard --id=0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d
  mallbots replay --discard --error="decode stores.ProductRebranded payload" --dry-run

  # The audit trail:
  mallbots replay --history
  mallbots replay --history --limit=5

  # Rebuild a read model from the event log (after emptying it and its inbox rows):
  mallbots replay --from-log --topic=stores.ProductAdded --handler=baskets.OnProductAdded --yes
  mallbots replay --from-log --handler=baskets.OnProductRebranded --since=24h --dry-run
  mallbots replay --from-log --handler=baskets.OnStoreCreated --since=2024-05-01 --until=2024-05-02 --rate=100 --yes`,
		Args: cobra.NoArgs,
	}
	fl := c.Flags()
	fl.StringSliceVar(&f.services, "service", nil, "read only these services' poison queues (repeatable or comma-separated), e.g. --service=baskets")
	fl.StringSliceVar(&f.handlers, "handler", nil, "select messages that this handler failed (repeatable), e.g. --handler=baskets.OnProductAdded; with --from-log, the one handler to re-deliver to")
	fl.StringSliceVar(&f.topics, "topic", nil, "select messages of this event (repeatable), e.g. --topic=stores.ProductAdded; with --from-log, the event to re-deliver")
	fl.StringSliceVar(&f.ids, "id", nil, "select the message with this UUID (repeatable), e.g. --id=0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d")
	fl.StringVar(&f.errorText, "error", "", `select messages whose failure reason contains this text, any case, e.g. --error="not found"`)
	fl.StringVar(&f.since, "since", "", "select messages poisoned (events committed, with --from-log) at or after this time: RFC 3339, a date or a duration ago, e.g. --since=2h, --since=2024-05-01T08:00:00Z")
	fl.StringVar(&f.until, "until", "", "select messages poisoned (events committed) at or before this time, same forms as --since, e.g. --until=30m")
	fl.IntVar(&f.limit, "limit", 0, "act on at most this many matches, first in queue (commit) order; with --history, runs shown (default 20), e.g. --limit=10")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print what would be re-delivered or discarded and change nothing, e.g. --handler=baskets.OnProductAdded --dry-run")
	fl.Float64Var(&f.rate, "rate", 0, "re-deliver at most this many messages per second (0: as fast as confirmed), e.g. --rate=5")
	fl.BoolVar(&f.yes, "yes", false, "act on more than one message without asking, e.g. in scripts: --handler=baskets.OnProductAdded --yes")
	fl.BoolVar(&f.list, "list", false, "list the poison queues with counts grouped by handler and error, oldest first, e.g. --list --service=baskets")
	fl.StringVar(&f.show, "show", "", "print the message with this UUID in full (properties, headers, payload), e.g. --show=0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d")
	fl.BoolVar(&f.discard, "discard", false, "remove the selected messages from the poison queue, after recording them in full in the audit trail, e.g. --discard --id=…")
	fl.BoolVar(&f.history, "history", false, "show the audit trail of replays and discards, newest first, e.g. --history --limit=5")
	fl.BoolVar(&f.fromLog, "from-log", false, "re-deliver retained events of --topic from the producer's event log to --handler's queue, in commit order, e.g. --from-log --topic=stores.ProductAdded --handler=baskets.OnProductAdded")
	s := bindSettings(c, "database-url", "amqp-url", "connect-timeout", "reconnect-max-backoff", "log-format", "log-level")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := s.resolve()
		if err != nil {
			return err
		}
		r, err := newReplayRun(cmd, cfg, f)
		if err != nil {
			return err
		}
		switch {
		case f.list:
			return r.list()
		case f.show != "":
			return r.showMessage(f.show)
		case f.history:
			return r.showHistory()
		case f.fromLog:
			return r.fromLog()
		default:
			return r.poison()
		}
	}
	return c
}

// replayRun is one validated invocation of replay.
type replayRun struct {
	cmd      *cobra.Command
	ctx      context.Context
	cfg      config.Config
	flags    replayFlags
	logger   *slog.Logger
	services []string // whose poison queues to read
	handlers map[string]messaging.Handler
	sel      messaging.Selection
	now      time.Time
}

// newReplayRun checks the flags together and against the registry of
// services and handlers; every problem is a usage error.
func newReplayRun(cmd *cobra.Command, cfg config.Config, f replayFlags) (*replayRun, error) {
	usage := func(format string, args ...any) error { return UsageError{fmt.Errorf(format, args...)} }
	modes := 0
	for _, on := range []bool{f.list, f.show != "", f.history, f.discard, f.fromLog} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return nil, usage("--list, --show, --history, --discard and --from-log exclude each other; give one")
	}
	if f.limit < 0 {
		return nil, usage("--limit %d must not be negative", f.limit)
	}
	if f.rate < 0 {
		return nil, usage("--rate %g must not be negative", f.rate)
	}
	if f.errorText == "" && cmd.Flags().Changed("error") {
		return nil, usage("--error needs some text to look for in the failure reasons")
	}
	for _, id := range f.ids {
		if strings.TrimSpace(id) == "" {
			return nil, usage("--id needs a message UUID")
		}
	}
	selecting := len(f.services)+len(f.handlers)+len(f.topics)+len(f.ids) > 0 || f.errorText != "" || f.since != "" || f.until != ""
	acting := f.dryRun || f.yes || f.rate > 0
	switch {
	case (f.list || f.show != "") && (acting || f.limit > 0):
		return nil, usage("--dry-run, --yes, --rate and --limit go with a replay, --discard or --from-log, not with --list or --show")
	case f.show != "" && (len(f.handlers)+len(f.topics)+len(f.ids) > 0 || f.errorText != "" || f.since != "" || f.until != ""):
		return nil, usage("--show takes a message UUID and at most --service")
	case f.history && (selecting || acting):
		return nil, usage("--history takes only --limit")
	case f.discard && !selecting:
		return nil, usage("--discard needs a selection (--service, --handler, --topic, --id, --error, --since or --until): it will not discard everything")
	case f.fromLog && (len(f.services) > 0 || len(f.ids) > 0 || f.errorText != ""):
		return nil, usage("--from-log selects events by --topic, --since, --until and --limit; --service, --id and --error apply to poisoned messages")
	}

	chosen, err := wireServices(f.services, wiring{})
	if err != nil {
		return nil, err
	}
	everyone, _ := wireServices(nil, wiring{})
	r := &replayRun{
		cmd: cmd, ctx: cmd.Context(), cfg: cfg, flags: f, logger: newLogger(cfg, cmd.ErrOrStderr()),
		handlers: map[string]messaging.Handler{}, now: time.Now().UTC(),
	}
	topics := map[string]bool{}
	for _, s := range everyone {
		for _, h := range s.handlers {
			r.handlers[h.Name] = h
			topics[h.Topic] = true
		}
	}
	selected := map[string]bool{}
	for _, s := range chosen {
		selected[s.name] = true
	}
	for _, h := range f.handlers {
		handler, ok := r.handlers[h]
		if !ok {
			return nil, usage("unknown handler %s; valid handlers are: %s", h, strings.Join(sortedKeys(r.handlers), ", "))
		}
		if !selected[handler.Service] {
			return nil, usage("handler %s belongs to service %s, which --service leaves out", h, handler.Service)
		}
	}
	for _, t := range f.topics {
		if !topics[t] {
			return nil, usage("no handler consumes topic %s; topics with handlers are: %s", t, strings.Join(sortedKeys(topics), ", "))
		}
	}
	if r.sel.Since, err = parseFlagTime("since", f.since, r.now); err != nil {
		return nil, err
	}
	if r.sel.Until, err = parseFlagTime("until", f.until, r.now); err != nil {
		return nil, err
	}
	if !r.sel.Since.IsZero() && !r.sel.Until.IsZero() && r.sel.Until.Before(r.sel.Since) {
		return nil, usage("--until (%s) is before --since (%s)", r.sel.Until.Format(time.RFC3339), r.sel.Since.Format(time.RFC3339))
	}
	r.sel.Handlers, r.sel.Topics, r.sel.IDs, r.sel.Error, r.sel.Limit = f.handlers, f.topics, f.ids, f.errorText, f.limit

	if f.fromLog {
		if len(f.handlers) != 1 {
			return nil, usage("--from-log needs exactly one --handler to re-deliver to, e.g. --handler=baskets.OnProductAdded")
		}
		h := r.handlers[f.handlers[0]]
		if len(f.topics) > 1 || (len(f.topics) == 1 && f.topics[0] != h.Topic) {
			return nil, usage("handler %s consumes %s only; --topic must be that (or left out)", h.Name, h.Topic)
		}
		r.sel.Topics = []string{h.Topic}
	}

	// Which poison queues to read: those named, else those of the named
	// handlers, else all.
	for _, s := range chosen {
		if len(f.services) > 0 || len(f.handlers) == 0 || slices.ContainsFunc(f.handlers, func(h string) bool { return r.handlers[h].Service == s.name }) {
			r.services = append(r.services, s.name)
		}
	}
	return r, nil
}

func parseFlagTime(flag, value string, now time.Time) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := messaging.ParseTime(value, now)
	if err != nil {
		return time.Time{}, UsageError{fmt.Errorf("--%s: %w", flag, err)}
	}
	return t, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (r *replayRun) out() io.Writer { return r.cmd.OutOrStdout() }

func (r *replayRun) connectTimeout() time.Duration {
	if r.cfg.Broker.ConnectTimeout > 0 {
		return r.cfg.Broker.ConnectTimeout
	}
	return replayConnectTimeout
}

// readPoison connects to the broker and reads the selected services'
// poison queues; the caller closes both.
func (r *replayRun) readPoison() (*messaging.PoisonQueues, func(), error) {
	ctx, cancel := context.WithTimeout(r.ctx, r.connectTimeout())
	defer cancel()
	conn, err := messaging.Dial(ctx, r.cfg.AMQPURL, r.cfg.Broker.ReconnectMaxBackoff, r.logger)
	if err != nil {
		return nil, nil, err
	}
	q, err := messaging.ReadPoisonQueues(r.ctx, conn.Connection(), r.services)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return q, func() { q.Close(); conn.Close() }, nil
}

// openDB connects to the database and, when replay will write the audit
// trail (migration 0012), migrates it; the caller closes the DB.
func (r *replayRun) openDB(migrate bool) (*postgres.DB, error) {
	ctx, cancel := context.WithTimeout(r.ctx, r.connectTimeout())
	defer cancel()
	db, err := postgres.Connect(ctx, r.cfg.DatabaseURL, r.logger)
	if err != nil {
		return nil, err
	}
	if migrate {
		if _, err := migrations.Migrate(ctx, db.Pool); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

func (r *replayRun) list() error {
	q, closeAll, err := r.readPoison()
	if err != nil {
		return err
	}
	defer closeAll()
	return messaging.WriteList(r.out(), r.services, r.sel.Select(q.Messages()), r.now)
}

func (r *replayRun) showMessage(id string) error {
	q, closeAll, err := r.readPoison()
	if err != nil {
		return err
	}
	defer closeAll()
	found := 0
	for _, m := range q.Messages() {
		if m.ID != id {
			continue
		}
		if found > 0 {
			fmt.Fprintln(r.out())
		}
		found++
		if err := messaging.WriteMessage(r.out(), m); err != nil {
			return err
		}
	}
	if found == 0 {
		return fmt.Errorf("no message %s in the poison queues of %s", id, strings.Join(r.services, ", "))
	}
	return nil
}

func (r *replayRun) showHistory() error {
	db, err := r.openDB(true)
	if err != nil {
		return err
	}
	defer db.Close()
	limit := r.flags.limit
	if limit == 0 {
		limit = historyLimit
	}
	runs, err := messaging.NewAudit(db.Pool).History(r.ctx, limit)
	if err != nil {
		return err
	}
	return messaging.WriteHistory(r.out(), runs)
}

// poison re-delivers or discards the selected poisoned messages.
func (r *replayRun) poison() error {
	action, verb, done := messaging.ActionReplay, "re-deliver", "re-delivered"
	if r.flags.discard {
		action, verb, done = messaging.ActionDiscard, "discard", "discarded"
	}
	q, closeAll, err := r.readPoison()
	if err != nil {
		return err
	}
	defer closeAll()
	msgs := r.sel.Select(q.Messages())
	if len(msgs) == 0 {
		fmt.Fprintf(r.out(), "no poisoned messages match in %s\n", strings.Join(r.services, ", "))
		return nil
	}
	if err := messaging.WriteTable(r.out(), msgs, r.now); err != nil {
		return err
	}
	if r.flags.dryRun {
		fmt.Fprintf(r.out(), "\ndry run: would %s %d message(s); nothing changed\n", verb, len(msgs))
		return nil
	}
	if err := r.confirm(fmt.Sprintf("%s %d message(s)", verb, len(msgs)), len(msgs)); err != nil {
		return err
	}
	db, err := r.openDB(true)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(r.out())
	handlers := sortedKeys(r.handlers)
	res, err := q.Apply(r.ctx, msgs, messaging.ApplyOptions{
		Action: action, Audit: messaging.NewAudit(db.Pool), Actor: actor(), Selection: r.describe(),
		Handlers: handlers, Rate: r.flags.rate,
		Progress: func(m messaging.PoisonMessage, err error) {
			if err != nil {
				fmt.Fprintf(r.out(), "failed       %s  %s: %v\n", m.ID, m.Handler, err)
				return
			}
			if action == messaging.ActionDiscard {
				fmt.Fprintf(r.out(), "%-12s %s  from %s\n", done, m.ID, messaging.PoisonName(m.Service))
				return
			}
			fmt.Fprintf(r.out(), "%-12s %s  → %s\n", done, m.ID, m.Handler)
		},
	})
	fmt.Fprintf(r.out(), "\n%s %d of %d message(s), %d failed (audit run %s)\n", done, res.Succeeded, len(msgs), res.Failed, res.RunID)
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d message(s) could not be %s and stay in their poison queue", res.Failed, done)
	}
	return nil
}

// fromLog re-delivers events from the event log to one handler.
func (r *replayRun) fromLog() error {
	handler := r.flags.handlers[0]
	query := messaging.LogQuery{Topic: r.sel.Topics[0], Since: r.sel.Since, Until: r.sel.Until, Limit: r.sel.Limit}
	db, err := r.openDB(!r.flags.dryRun)
	if err != nil {
		return err
	}
	defer db.Close()
	log := messaging.NewEventLog(db.Pool)
	n, err := log.Count(r.ctx, query)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("%d event(s) of %s from the event log to %s", n, query.Topic, handler)
	if r.flags.dryRun || n == 0 {
		if n > 0 {
			fmt.Fprintf(r.out(), "dry run: would re-deliver %s; nothing changed\n", what)
		} else {
			fmt.Fprintf(r.out(), "no events of %s in the event log match\n", query.Topic)
		}
		return nil
	}
	if err := r.confirm("re-deliver "+what, n); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.connectTimeout())
	conn, err := messaging.Dial(ctx, r.cfg.AMQPURL, r.cfg.Broker.ReconnectMaxBackoff, r.logger)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close()
	bar := newProgressBar(r.cmd.ErrOrStderr(), "re-delivering to "+handler)
	res, err := messaging.ReplayLog(r.ctx, conn.Connection(), log, messaging.LogReplay{
		Query: query, Handler: handler, Audit: messaging.NewAudit(db.Pool), Actor: actor(),
		Selection: r.describe(), Rate: r.flags.rate, Progress: bar.update,
	})
	bar.done()
	fmt.Fprintf(r.out(), "re-delivered %d of %d event(s) of %s to %s (audit run %s)\n", res.Redelivered, res.Total, query.Topic, handler, res.RunID)
	if res.Skipped > 0 {
		fmt.Fprintf(r.out(), "skipped %d event log row(s) that are not forwarder envelopes\n", res.Skipped)
	}
	return err
}

// describe is the selection as the audit trail records it.
func (r *replayRun) describe() string {
	d := r.sel.String()
	if len(r.flags.services) > 0 {
		d = "--service=" + strings.Join(r.flags.services, ",") + " " + d
	}
	return d
}

// confirm asks whether to do what (e.g. "re-deliver 3 message(s)") when it
// concerns more than one message, unless --yes. When stdin is not a
// terminal nobody can answer: that is a usage error.
func (r *replayRun) confirm(what string, n int) error {
	if r.flags.yes || n <= 1 {
		return nil
	}
	in, ok := r.cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return UsageError{fmt.Errorf("refusing to %s without confirmation: stdin is not a terminal; check the selection with --dry-run, then pass --yes", what)}
	}
	fmt.Fprintf(r.cmd.ErrOrStderr(), "%s? [y/N] ", what)
	answer, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return errors.New("not confirmed; nothing changed")
}

// actor names who runs replay, for the audit trail.
func actor() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

// progressBar draws a bar on w when w is a terminal, and nothing otherwise.
type progressBar struct {
	w     io.Writer
	label string
	on    bool
	drawn bool
}

func newProgressBar(w io.Writer, label string) *progressBar {
	f, ok := w.(*os.File)
	return &progressBar{w: w, label: label, on: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *progressBar) update(done, total int) {
	if !p.on || total == 0 {
		return
	}
	const width = 30
	filled := width * done / total
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d", p.label, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, total)
	p.drawn = true
}

func (p *progressBar) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
