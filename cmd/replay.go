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

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/migrations"
	"github.com/mallbots/mallbots/postgres"
	"github.com/mallbots/mallbots/replay"
)

// The replay command group, one verb per file (gh's pkg/cmd/pr shape):
//
//	replay            re-deliver a selection of poisoned messages (this file)
//	replay list       replay_list.go
//	replay show ID    replay_show.go
//	replay discard    replay_discard.go
//	replay history    replay_history.go
//	replay from-log   replay_fromlog.go
//
// Each verb has an options struct, its own flags, and a runF seam
// (replayRunners) through which tests see the options a command line makes
// without a broker. The selection flags are defined once
// (replay_selection.go); the text layouts are in replay_render.go.

// replayConnectTimeout bounds the wait for the broker and the database when
// --connect-timeout is 0 (serve's "wait forever"): an operator's command
// must fail clearly, not hang.
const replayConnectTimeout = 10 * time.Second

// replayRunners are the replay verbs' runF seams: a nil one runs the verb;
// a test sets one to receive the verb's options instead.
type replayRunners struct {
	replay  func(*replayOptions) error
	list    func(*listOptions) error
	show    func(*showOptions) error
	discard func(*discardOptions) error
	history func(*historyOptions) error
	fromLog func(*fromLogOptions) error
}

// replayOptions is `mallbots replay`: re-deliver a selection of poisoned
// messages, each to the handler that failed it.
type replayOptions struct {
	env       replayEnv
	selection poisonSelection
	dryRun    bool
	yes       bool
	rate      float64
}

func newReplay() *cobra.Command { return newReplayWith(replayRunners{}) }

// newReplayWith builds the replay group with r's seams.
func newReplayWith(r replayRunners) *cobra.Command {
	o := &replayOptions{}
	var f selectionFlags
	c := &cobra.Command{
		Use:   "replay",
		Short: "Re-deliver poisoned messages to the handler that failed them; list, show, discard them; replay the event log",
		Long: `replay works on the messages that handlers could not process: each service's
poison queue (<service>.poison) holds them with the reason. Run without a verb,
it re-delivers the selected messages, each only to the handler that failed it:
to that handler's own queue through the default exchange, never to the event's
fan-out exchange, so no other consumer sees it twice. The message keeps its
UUID, payload, correlation and causation IDs and headers, and gains
replay_count (incremented) and replayed_at. A message that fails again returns
to the poison queue with its replay count.

Selection (all given criteria must hold; none selects everything):
  --service, --handler, --topic, --id   exact names, repeatable or comma-separated
  --error TEXT                          part of the failure reason, any case
  --since, --until TIME                 when the message was (last) poisoned:
                                        RFC 3339, a date, or a duration ago (2h, 7d)
  --limit N                             the first N matches, in queue order
replay list and replay discard take the same flags.

Safety: messages are read from the poison queue without being removed. Each
selected message is recorded in the audit trail, published to its handler's
queue and confirmed by the broker, and only then removed from the poison queue.
Messages not selected are never touched and keep their order. Killing replay
at any point (even kill -9) loses nothing: a message is re-delivered, or still
poisoned, or (killed between the confirm and the removal) both, and then the
handler's inbox drops the second copy, as it drops any message replayed twice.
Replay never touches the inbox: a message that succeeded must stay done.

Without --yes, acting on more than one message asks for confirmation on a
terminal, and is refused (exit code 2) when stdin is not a terminal.

replay does not read MALLBOTS_SERVICES: which poison queues it reads is
chosen with --service alone. It gives up on an unreachable broker or database
after --connect-timeout (10s when that is 0).

Exit codes: 0 done (also when nothing matched), 1 a failure (a message that
could not be re-delivered stays poisoned), 2 bad usage.`,
		Example: `  # What is poisoned, then one message in full:
  mallbots replay list
  mallbots replay show 0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d

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

  # Remove what can never succeed, see who did what, rebuild from the event log:
  mallbots replay discard --id=0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d
  mallbots replay history
  mallbots replay from-log --handler=baskets.OnProductAdded --yes`,
		Args: cobra.NoArgs,
	}
	fl := c.Flags()
	f.add(fl, true)
	fl.BoolVar(&o.dryRun, "dry-run", false, "print what would be re-delivered and change nothing, e.g. --handler=baskets.OnProductAdded --dry-run")
	fl.Float64Var(&o.rate, "rate", 0, "re-deliver at most this many messages per second (0: as fast as confirmed), e.g. --rate=5")
	fl.BoolVar(&o.yes, "yes", false, "act on more than one message without asking, e.g. in scripts: --handler=baskets.OnProductAdded --yes")
	addOldForms(c)
	s := bindSettings(c, replayBrokerSettings...)
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		if ran, err := runOldForm(cmd, r); ran {
			return err
		}
		env, err := newReplayEnv(cmd, s)
		if err != nil {
			return err
		}
		if err := checkRate(o.rate); err != nil {
			return err
		}
		if o.selection, err = f.resolve(cmd.Flags().Changed("error"), env.now); err != nil {
			return err
		}
		o.env = env
		if r.replay != nil {
			return r.replay(o)
		}
		return actOnPoison(o.env, o.selection, poisonAction{action: replay.ActionReplay, dryRun: o.dryRun, yes: o.yes, rate: o.rate})
	}
	for _, verb := range []string{"list", "show", "discard", "history", "from-log"} {
		c.AddCommand(r.verb(verb))
	}
	return c
}

// verb builds the replay verb called name.
func (r replayRunners) verb(name string) *cobra.Command {
	switch name {
	case "list":
		return newReplayList(r.list)
	case "show":
		return newReplayShow(r.show)
	case "discard":
		return newReplayDiscard(r.discard)
	case "history":
		return newReplayHistory(r.history)
	default:
		return newReplayFromLog(r.fromLog)
	}
}

// The connection settings of the replay verbs: each binds the ones it uses.
var (
	replayBrokerSettings = []string{"database-url", "amqp-url", "connect-timeout", "reconnect-max-backoff", "log-format", "log-level"}
	replayReadSettings   = []string{"amqp-url", "connect-timeout", "reconnect-max-backoff", "log-format", "log-level"}
	replayAuditSettings  = []string{"database-url", "connect-timeout", "log-format", "log-level"}
)

// replayEnv is what every replay verb runs with: the resolved settings, the
// command's context, input and outputs, and when it started.
type replayEnv struct {
	ctx    context.Context
	cfg    config.Config
	in     io.Reader
	out    io.Writer
	errOut io.Writer
	now    time.Time
}

// newReplayEnv resolves the verb's settings.
func newReplayEnv(cmd *cobra.Command, s *settings) (replayEnv, error) {
	cfg, err := s.resolve()
	if err != nil {
		return replayEnv{}, err
	}
	return replayEnv{ctx: cmd.Context(), cfg: cfg, in: cmd.InOrStdin(), out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr(),
		now: time.Now().UTC()}, nil
}

func (e replayEnv) logger() *slog.Logger { return newLogger(e.cfg, e.errOut) }

func (e replayEnv) connectTimeout() time.Duration {
	if e.cfg.Broker.ConnectTimeout > 0 {
		return e.cfg.Broker.ConnectTimeout
	}
	return replayConnectTimeout
}

// dial connects to the broker within the connect timeout; the caller closes
// the connection.
func (e replayEnv) dial() (*wamqp.ConnectionWrapper, error) {
	ctx, cancel := context.WithTimeout(e.ctx, e.connectTimeout())
	defer cancel()
	return broker.Dial(ctx, e.cfg.AMQPURL, e.cfg.Broker.ReconnectMaxBackoff, e.logger())
}

// readPoison connects to the broker and reads services' poison queues; the
// caller closes both with the returned func.
func (e replayEnv) readPoison(services []string) (*replay.PoisonQueues, func(), error) {
	conn, err := e.dial()
	if err != nil {
		return nil, nil, err
	}
	q, err := replay.ReadPoisonQueues(e.ctx, conn.Connection(), services)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return q, func() { q.Close(); conn.Close() }, nil
}

// openDB connects to the database and, when replay will write the audit
// trail (migration 0012), migrates it; the caller closes the DB.
func (e replayEnv) openDB(migrate bool) (*postgres.DB, error) {
	ctx, cancel := context.WithTimeout(e.ctx, e.connectTimeout())
	defer cancel()
	db, err := postgres.Connect(ctx, e.cfg.DatabaseURL, e.logger())
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

// confirm asks whether to do what (e.g. "re-deliver 3 message(s)") when it
// concerns more than one message, unless yes. When stdin is not a terminal
// nobody can answer: that is a usage error.
func (e replayEnv) confirm(what string, n int, yes bool) error {
	if yes || n <= 1 {
		return nil
	}
	in, ok := e.in.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return usageError("refusing to %s without confirmation: stdin is not a terminal; check the selection with --dry-run, then pass --yes", what)
	}
	fmt.Fprintf(e.errOut, "%s? [y/N] ", what)
	answer, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return errors.New("not confirmed; nothing changed")
}

// poisonAction is what `replay` and `replay discard` do to their selection.
type poisonAction struct {
	// action is replay.ActionReplay or replay.ActionDiscard.
	action      string
	dryRun, yes bool
	rate        float64
}

// actOnPoison re-delivers or discards the selected poisoned messages: it
// prints them, stops there on a dry run, asks for confirmation, then acts,
// printing what became of each message and a total with the audit run.
func actOnPoison(e replayEnv, p poisonSelection, a poisonAction) error {
	verb, done := "re-deliver", "re-delivered"
	if a.action == replay.ActionDiscard {
		verb, done = "discard", "discarded"
	}
	q, closeAll, err := e.readPoison(p.services)
	if err != nil {
		return err
	}
	defer closeAll()
	msgs := p.sel.Select(q.Messages())
	if len(msgs) == 0 {
		fmt.Fprintf(e.out, "no poisoned messages match in %s\n", strings.Join(p.services, ", "))
		return nil
	}
	if err := writeTable(e.out, msgs, e.now); err != nil {
		return err
	}
	if a.dryRun {
		fmt.Fprintf(e.out, "\ndry run: would %s %d message(s); nothing changed\n", verb, len(msgs))
		return nil
	}
	if err := e.confirm(fmt.Sprintf("%s %d message(s)", verb, len(msgs)), len(msgs), a.yes); err != nil {
		return err
	}
	db, err := e.openDB(true)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(e.out)
	handlers, _ := consumers()
	res, err := q.Apply(e.ctx, msgs, replay.ApplyOptions{
		Action: a.action, Audit: replay.NewAudit(db.Pool), Actor: actor(), Selection: p.describe(),
		Handlers: sortedKeys(handlers), Rate: a.rate,
		Progress: func(m replay.PoisonMessage, err error) {
			switch {
			case err != nil:
				fmt.Fprintf(e.out, "failed       %s  %s: %v\n", m.ID, m.Handler, err)
			case a.action == replay.ActionDiscard:
				fmt.Fprintf(e.out, "%-12s %s  from %s\n", done, m.ID, broker.PoisonName(m.Service))
			default:
				fmt.Fprintf(e.out, "%-12s %s  → %s\n", done, m.ID, m.Handler)
			}
		},
	})
	fmt.Fprintf(e.out, "\n%s %d of %d message(s), %d failed (audit run %s)\n", done, res.Succeeded, len(msgs), res.Failed, res.RunID)
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d message(s) could not be %s and stay in their poison queue", res.Failed, done)
	}
	return nil
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
