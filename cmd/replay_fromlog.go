package cmd

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/replay"
)

// fromLogOptions is `mallbots replay from-log`: re-deliver events retained
// in their producer's event log to one handler.
type fromLogOptions struct {
	env replayEnv
	// handler is the handler whose queue receives the events.
	handler string
	// query selects the events: the handler's topic, a time window, a cap.
	query  outbox.LogQuery
	dryRun bool
	yes    bool
	rate   float64
}

// The verb is "from-log", like the flag it replaces and the action the audit
// trail records ("from-log"): replay, from the event log rather than from
// the poison queues.
func newReplayFromLog(runF func(*fromLogOptions) error) *cobra.Command {
	o := &fromLogOptions{}
	var handlers []string
	var topic, since, until string
	c := &cobra.Command{
		Use:   "from-log",
		Short: "Re-deliver events from the producer's event log to one handler, e.g. to rebuild a read model",
		Long: `from-log re-delivers events retained in the producing service's outbox (the
event log) to the queue of one handler alone, through the default exchange, in
commit order, each exactly as the relay published it (same UUID, payload and
headers) plus replay_count and replayed_at: to rebuild a read model, or to
feed a consumer added after the events were published. --topic defaults to the
one the handler consumes.

The event log keeps relayed events for --event-log-retention
(MALLBOTS_EVENT_LOG_RETENTION, default 168h) of the serve processes, whose
relays prune older ones; from-log can reach back that far.

Replay never touches the inbox, and the handler's inbox drops events it has
already processed: to rebuild a read model, empty it and delete its
handlers' inbox rows in one transaction first, e.g.
  BEGIN; TRUNCATE baskets.products_cache;
  DELETE FROM baskets.inbox WHERE handler LIKE 'baskets.OnProduct%'; COMMIT;

Without --yes, re-delivering more than one event asks for confirmation on a
terminal, and is refused (exit code 2) when stdin is not a terminal. A
progress bar shows on a terminal, and a final count is printed either way.`,
		Example: `  # Rebuild a read model from the event log (after emptying it and its inbox rows):
  mallbots replay from-log --handler=baskets.OnProductAdded --yes
  mallbots replay from-log --topic=stores.ProductAdded --handler=baskets.OnProductAdded --yes

  # Only what was committed lately, or in a window, and slowly:
  mallbots replay from-log --handler=baskets.OnProductRebranded --since=24h --dry-run
  mallbots replay from-log --handler=baskets.OnStoreCreated --since=2024-05-01 --until=2024-05-02 --rate=100 --yes
  mallbots replay from-log --handler=baskets.OnStoreCreated --limit=1000 --yes`,
		Args: cobra.NoArgs,
	}
	fl := c.Flags()
	fl.StringSliceVar(&handlers, "handler", nil, "the one handler whose queue receives the events, e.g. --handler=baskets.OnProductAdded")
	fl.StringVar(&topic, "topic", "", "the event to re-deliver; it must be the one the handler consumes (the default), e.g. --topic=stores.ProductAdded")
	fl.StringVar(&since, "since", "", "re-deliver events committed at or after this time: RFC 3339, a date or a duration ago, e.g. --since=24h")
	fl.StringVar(&until, "until", "", "re-deliver events committed at or before this time, same forms as --since, e.g. --until=2024-05-02")
	fl.IntVar(&o.query.Limit, "limit", 0, "re-deliver at most this many events, oldest first, e.g. --limit=1000")
	fl.BoolVar(&o.dryRun, "dry-run", false, "print how many events would be re-delivered and change nothing, e.g. --handler=baskets.OnProductAdded --dry-run")
	fl.Float64Var(&o.rate, "rate", 0, "re-deliver at most this many events per second (0: as fast as confirmed), e.g. --rate=100")
	fl.BoolVar(&o.yes, "yes", false, "re-deliver more than one event without asking, e.g. in scripts: --handler=baskets.OnProductAdded --yes")
	s := bindSettings(c, replayBrokerSettings...)
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		env, err := newReplayEnv(cmd, s)
		if err != nil {
			return err
		}
		if o.query.Limit < 0 {
			return usageError("--limit %d must not be negative", o.query.Limit)
		}
		if err := checkRate(o.rate); err != nil {
			return err
		}
		if len(handlers) != 1 {
			return usageError("replay from-log needs exactly one --handler to re-deliver to, e.g. --handler=baskets.OnProductAdded")
		}
		all, _ := consumers()
		h, err := knownHandler(all, handlers[0])
		if err != nil {
			return err
		}
		if topic != "" && topic != h.topic {
			return usageError("handler %s consumes %s only; --topic must be that (or left out)", h.name, h.topic)
		}
		if o.query.Since, o.query.Until, err = timeWindow(since, until, env.now); err != nil {
			return err
		}
		o.env, o.handler, o.query.Topic = env, h.name, h.topic
		if runF != nil {
			return runF(o)
		}
		return fromLogRun(o)
	}
	return c
}

func fromLogRun(o *fromLogOptions) error {
	e := o.env
	db, err := e.openDB(!o.dryRun)
	if err != nil {
		return err
	}
	defer db.Close()
	log := outbox.NewEventLog(db.Pool)
	n, err := log.Count(e.ctx, o.query)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("%d event(s) of %s from the event log to %s", n, o.query.Topic, o.handler)
	if o.dryRun || n == 0 {
		if n > 0 {
			fmt.Fprintf(e.out, "dry run: would re-deliver %s; nothing changed\n", what)
		} else {
			fmt.Fprintf(e.out, "no events of %s in the event log match\n", o.query.Topic)
		}
		return nil
	}
	if err := e.confirm("re-deliver "+what, n, o.yes); err != nil {
		return err
	}
	conn, err := e.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	bar := newProgressBar(e.errOut, "re-delivering to "+o.handler)
	res, err := replay.FromLog(e.ctx, conn.Connection(), log, replay.FromLogOptions{
		Query: o.query, Handler: o.handler, Audit: replay.NewAudit(db.Pool), Actor: actor(),
		Selection: o.describe(), Rate: o.rate, Progress: bar.update,
	})
	bar.done()
	fmt.Fprintf(e.out, "re-delivered %d of %d event(s) of %s to %s (audit run %s)\n", res.Redelivered, res.Total, o.query.Topic, o.handler, res.RunID)
	if res.Skipped > 0 {
		fmt.Fprintf(e.out, "skipped %d event log row(s) that are not forwarder envelopes\n", res.Skipped)
	}
	return err
}

// describe is the selection as the audit trail records it, like the flags
// that made it.
func (o *fromLogOptions) describe() string {
	return replay.Selection{Handlers: []string{o.handler}, Topics: []string{o.query.Topic}, Since: o.query.Since,
		Until: o.query.Until, Limit: o.query.Limit}.String()
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
