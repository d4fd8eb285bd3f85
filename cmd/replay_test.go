package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/replay"
)

// captured records the options each replay verb's runF received.
type captured struct {
	replay  *replayOptions
	list    *listOptions
	show    *showOptions
	discard *discardOptions
	history *historyOptions
	fromLog *fromLogOptions
}

// runners are seams that capture the options instead of running the verb.
func (c *captured) runners() replayRunners {
	return replayRunners{
		replay:  func(o *replayOptions) error { c.replay = o; return nil },
		list:    func(o *listOptions) error { c.list = o; return nil },
		show:    func(o *showOptions) error { c.show = o; return nil },
		discard: func(o *discardOptions) error { c.discard = o; return nil },
		history: func(o *historyOptions) error { c.history = o; return nil },
		fromLog: func(o *fromLogOptions) error { c.fromLog = o; return nil },
	}
}

// runReplayWith runs `mallbots replay args…` with r's seams, under a root
// that turns flag errors into usage errors as the real one does.
func runReplayWith(r replayRunners, args ...string) (stdout, stderr string, err error) {
	root := &cobra.Command{Use: "mallbots", SilenceUsage: true, SilenceErrors: true}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return UsageError{err} })
	root.AddCommand(newReplayWith(r))
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader(""))
	root.SetArgs(append([]string{"replay"}, args...))
	err = root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// parseReplay runs args through the seams and returns what they captured,
// failing the test on any error.
func parseReplay(t *testing.T, args ...string) *captured {
	t.Helper()
	var c captured
	if _, stderr, err := runReplayWith(c.runners(), args...); err != nil {
		t.Fatalf("replay %s: %v (%s)", strings.Join(args, " "), err, stderr)
	}
	return &c
}

// TestReplayVerbsParseTheirFlags: each verb turns its command line into its
// options, selections checked against the services and handlers there are.
func TestReplayVerbsParseTheirFlags(t *testing.T) {
	all := serviceNames()
	ago := func(o replayEnv, d time.Duration) time.Time { return o.now.Add(-d) }

	t.Run("replay re-delivers a selection", func(t *testing.T) {
		o := parseReplay(t, "--handler=baskets.OnProductRebranded", "--dry-run", "--rate=5", "--yes").replay
		if o == nil || !slices.Equal(o.selection.services, []string{"baskets"}) || !slices.Equal(o.selection.sel.Handlers, []string{"baskets.OnProductRebranded"}) ||
			!o.dryRun || !o.yes || o.rate != 5 {
			t.Fatalf("options = %+v; want baskets' queue, the handler, a dry run at 5/s with --yes", o)
		}
		o = parseReplay(t).replay
		if !slices.Equal(o.selection.services, all) || !o.selection.sel.IsZero() || o.dryRun || o.yes || o.rate != 0 {
			t.Errorf("no flags: options = %+v; want every poison queue and everything selected", o)
		}
		o = parseReplay(t, "--service=baskets,orders", "--topic=stores.ProductAdded", "--id=a", "--id=b", `--error=not found`,
			"--since=2h", "--until=30m", "--limit=3").replay
		sel := o.selection.sel
		if !slices.Equal(o.selection.services, []string{"baskets", "orders"}) || !slices.Equal(sel.Topics, []string{"stores.ProductAdded"}) ||
			!slices.Equal(sel.IDs, []string{"a", "b"}) || sel.Error != "not found" || sel.Limit != 3 ||
			!sel.Since.Equal(ago(o.env, 2*time.Hour)) || !sel.Until.Equal(ago(o.env, 30*time.Minute)) {
			t.Errorf("selection = %+v from %v", sel, o.selection.services)
		}
		if got := o.selection.describe(); !strings.HasPrefix(got, "--service=baskets,orders --topic=stores.ProductAdded --id=a --id=b") {
			t.Errorf("the audit trail records %q, want the flags", got)
		}
	})

	t.Run("list", func(t *testing.T) {
		o := parseReplay(t, "list", "--service=baskets").list
		if o == nil || !slices.Equal(o.selection.services, []string{"baskets"}) || !o.selection.sel.IsZero() {
			t.Fatalf("options = %+v", o)
		}
		o = parseReplay(t, "list", "--handler=orders.OnBasketCheckedOut", "--error=x").list
		if !slices.Equal(o.selection.services, []string{"orders"}) || o.selection.sel.Error != "x" {
			t.Errorf("a handler's list reads %v with %+v; want orders' queue only", o.selection.services, o.selection.sel)
		}
	})

	t.Run("show", func(t *testing.T) {
		o := parseReplay(t, "show", "0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d", "--service=baskets").show
		if o == nil || o.id != "0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d" || !slices.Equal(o.services, []string{"baskets"}) {
			t.Fatalf("options = %+v", o)
		}
		if o = parseReplay(t, "show", "m1").show; o.id != "m1" || !slices.Equal(o.services, all) {
			t.Errorf("options = %+v; want every poison queue", o)
		}
	})

	t.Run("discard", func(t *testing.T) {
		o := parseReplay(t, "discard", "--id=m1", "--dry-run", "--rate=2").discard
		if o == nil || !slices.Equal(o.selection.sel.IDs, []string{"m1"}) || !o.dryRun || o.yes || o.rate != 2 ||
			!slices.Equal(o.selection.services, all) {
			t.Fatalf("options = %+v", o)
		}
	})

	t.Run("history", func(t *testing.T) {
		if o := parseReplay(t, "history").history; o == nil || o.limit != historyLimit {
			t.Fatalf("options = %+v; want the last %d runs", o, historyLimit)
		}
		if o := parseReplay(t, "history", "--limit=5").history; o.limit != 5 {
			t.Errorf("limit = %d, want 5", o.limit)
		}
	})

	t.Run("from-log", func(t *testing.T) {
		o := parseReplay(t, "from-log", "--handler=baskets.OnProductAdded", "--since=2025-03-10", "--until=24h", "--limit=10", "--rate=100", "--yes").fromLog
		if o == nil || o.handler != "baskets.OnProductAdded" || o.query.Topic != "stores.ProductAdded" || o.query.Limit != 10 ||
			!o.query.Until.Equal(ago(o.env, 24*time.Hour)) || !o.query.Since.Equal(time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)) ||
			o.rate != 100 || !o.yes || o.dryRun {
			t.Fatalf("options = %+v", o)
		}
		if got := o.describe(); !strings.HasPrefix(got, "--handler=baskets.OnProductAdded --topic=stores.ProductAdded --since=") {
			t.Errorf("the audit trail records %q", got)
		}
		if o = parseReplay(t, "from-log", "--topic=stores.ProductAdded", "--handler=baskets.OnProductAdded", "--dry-run").fromLog; !o.dryRun ||
			o.query.Topic != "stores.ProductAdded" {
			t.Errorf("options = %+v", o)
		}
	})
}

// TestReplayOldFormsRunTheirVerb: the flags that chose a mode before the
// verbs still work for a release: each runs its verb with the same options
// as the new form, after a note on stderr (stdout stays the verb's own), and
// conflicting or misplaced flags are usage errors.
func TestReplayOldFormsRunTheirVerb(t *testing.T) {
	// cobra parses os.Args when a command is given nil arguments; make
	// that fail loudly (the test binary's own -test.* flags pass silently).
	args := os.Args
	os.Args = []string{"mallbots", "--not-for-the-verb"}
	t.Cleanup(func() { os.Args = args })
	for _, tc := range []struct {
		old, new []string
		// options renders what the verb's options say, their environment
		// (its start time) aside; "" when the verb did not run.
		options func(*captured) string
	}{
		{[]string{"--list", "--service=baskets"}, []string{"list", "--service=baskets"}, func(c *captured) string {
			if c.list == nil {
				return ""
			}
			return fmt.Sprint(c.list.selection.services, c.list.selection.describe())
		}},
		{[]string{"--show=m1", "--service=baskets"}, []string{"show", "m1", "--service=baskets"}, func(c *captured) string {
			if c.show == nil {
				return ""
			}
			return fmt.Sprint(c.show.id, c.show.services)
		}},
		{[]string{"--discard", "--id=m1", "--id=m2", "--yes"}, []string{"discard", "--id=m1,m2", "--yes"}, func(c *captured) string {
			if c.discard == nil {
				return ""
			}
			o := c.discard
			return fmt.Sprint(o.selection.services, o.selection.describe(), o.dryRun, o.yes, o.rate)
		}},
		{[]string{"--history"}, []string{"history"}, func(c *captured) string {
			if c.history == nil {
				return ""
			}
			return fmt.Sprint(c.history.limit)
		}},
		{[]string{"--history", "--limit=5"}, []string{"history", "--limit=5"}, func(c *captured) string {
			if c.history == nil {
				return ""
			}
			return fmt.Sprint(c.history.limit)
		}},
		{[]string{"--from-log", "--handler=baskets.OnProductAdded", "--topic=stores.ProductAdded", "--dry-run"},
			[]string{"from-log", "--handler=baskets.OnProductAdded", "--dry-run"}, func(c *captured) string {
				if c.fromLog == nil {
					return ""
				}
				o := c.fromLog
				return fmt.Sprint(o.handler, o.query, o.dryRun, o.yes, o.rate)
			}},
	} {
		t.Run(strings.Join(tc.old, " "), func(t *testing.T) {
			var old, now captured
			stdout, stderr, err := runReplayWith(old.runners(), tc.old...)
			if err != nil {
				t.Fatalf("old form: %v (%s)", err, stderr)
			}
			if _, _, err := runReplayWith(now.runners(), tc.new...); err != nil {
				t.Fatalf("new form: %v", err)
			}
			if got, want := tc.options(&old), tc.options(&now); got == "" || got != want {
				t.Errorf("old form gave %q, new form %q", got, want)
			}
			if want := "use: mallbots replay " + tc.new[0]; !strings.Contains(stderr, "deprecated") || !strings.Contains(stderr, want) || stdout != "" {
				t.Errorf("stderr %q, stdout %q; want a deprecation note naming %q on stderr only", stderr, stdout, want)
			}
		})
	}
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--list", "--discard"}, "give one"},
		{[]string{"--list", "--yes"}, "unknown flag: --yes"},
		{[]string{"--history", "--id=x"}, "unknown flag: --id"},
		{[]string{"--from-log", "--service=baskets", "--handler=baskets.OnProductAdded"}, "unknown flag: --service"},
	} {
		var c captured
		_, _, err := runReplayWith(c.runners(), tc.args...)
		if ExitCode(err) != 2 || err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("replay %s = %v (exit %d), want a usage error with %q", strings.Join(tc.args, " "), err, ExitCode(err), tc.wantErr)
		}
	}
	// Connection settings go to the verb, and are never shown in the note.
	var c captured
	_, stderr, err := runReplayWith(c.runners(), "--history", "--database-url=postgres://u:s3cret@db/x", "--amqp-url=amqp://g:s3cret@mq/")
	if err != nil || c.history == nil || c.history.env.cfg.DatabaseURL != "postgres://u:s3cret@db/x" || strings.Contains(stderr, "s3cret") {
		t.Errorf("--history with settings: %v, %+v, stderr %q", err, c.history, stderr)
	}
}

// TestReplayHelp: every verb explains itself, with examples that use each
// of its own flags, and names its command; the group lists the verbs and
// hides the old mode flags.
func TestReplayHelp(t *testing.T) {
	settings, defaults := map[string]bool{"help": true}, config.Default()
	for _, f := range defaults.Fields() {
		settings[f.Flag] = true
	}
	group := newReplay()
	verbs := append([]*cobra.Command{group}, group.Commands()...)
	if len(verbs) != 6 {
		t.Fatalf("replay has %d verbs, want list, show, discard, history, from-log", len(verbs)-1)
	}
	for _, verb := range verbs {
		name := strings.TrimSpace("replay " + strings.TrimPrefix(verb.Name(), "replay"))
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := strings.Fields(name)
			if err := Execute(append(args, "--help"), &out, &errb); err != nil {
				t.Fatalf("%s --help: %v", name, err)
			}
			help := out.String()
			_, examples, ok := strings.Cut(help, "Examples:")
			examples, _, _ = strings.Cut(examples, "Flags:")
			if !ok || !strings.Contains(examples, "mallbots "+name) || len(verb.Long) < 200 {
				t.Fatalf("%s --help lacks a long description or examples of itself:\n%s", name, help)
			}
			verb.Flags().VisitAll(func(f *pflag.Flag) {
				if !settings[f.Name] && !f.Hidden && !strings.Contains(examples, " --"+f.Name) {
					t.Errorf("%s --help has no example with --%s", name, f.Name)
				}
			})
			for _, old := range oldForms {
				if verb == group && strings.Contains(help, "--"+old+" ") {
					t.Errorf("replay --help shows the deprecated --%s", old)
				}
			}
		})
	}
	var out bytes.Buffer
	if err := Execute([]string{"replay", "--help"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"list", "show", "discard", "history", "from-log"} {
		if !regexp.MustCompile(`(?m)^  ` + verb + ` +\S`).MatchString(out.String()) {
			t.Errorf("replay --help does not list the verb %s:\n%s", verb, out.String())
		}
	}
	var fromLog bytes.Buffer
	if err := Execute([]string{"replay", "from-log", "--help"}, &fromLog, &bytes.Buffer{}); err != nil || !strings.Contains(fromLog.String(), "MALLBOTS_EVENT_LOG_RETENTION") {
		t.Errorf("replay from-log --help does not mention the event log retention (%v)", err)
	}
}

// TestReadmeReplayExamplesAreValid: every `mallbots replay` command line in
// the README parses, through the verbs' seams, without a usage error.
func TestReadmeReplayExamplesAreValid(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	verbs := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		cmdline, ok := strings.CutPrefix(strings.TrimSpace(line), "mallbots replay")
		if !ok {
			continue
		}
		if i := strings.Index(cmdline, " #"); i >= 0 {
			cmdline = cmdline[:i]
		}
		cmdline = strings.NewReplacer("<message-id>", "0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d", "<id>", "0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d").Replace(cmdline)
		args := shellWords(cmdline)
		verb := "replay"
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			verb = args[0]
		}
		verbs[verb] = true
		var c captured
		if _, stderr, err := runReplayWith(c.runners(), args...); err != nil || strings.Contains(stderr, "deprecated") {
			t.Errorf("README: mallbots replay%s: %v %s", cmdline, err, stderr)
		}
	}
	for _, verb := range []string{"replay", "list", "show", "discard", "history", "from-log"} {
		if !verbs[verb] {
			t.Errorf("the README has no example of %s", verb)
		}
	}
}

// shellWords splits a command line as a shell would, quotes included.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestWriteHistory prints the audit trail as `replay history` does: a block
// per run with its counts, result and selection, the handler of a from-log
// run, its messages (at most 20), and what an interrupted run left.
func TestWriteHistory(t *testing.T) {
	t.Parallel()
	started := time.Date(2025, 3, 10, 11, 0, 0, 0, time.UTC)
	many := make([]replay.MessageRecord, 22)
	for i := range many {
		many[i] = replay.MessageRecord{ID: "m", Handler: "shop.OnA", Outcome: replay.OutcomeRedelivered}
	}
	runs := []replay.RunRecord{
		{Run: replay.Run{ID: "run-1", Actor: "ada", Action: replay.ActionReplay, Selection: "--handler=shop.OnA", Selected: 2},
			StartedAt: started, FinishedAt: started.Add(time.Second), Succeeded: 1, Failed: 1, Result: "1 of 2 messages failed",
			Messages: []replay.MessageRecord{
				{ID: "m1", Handler: "shop.OnA", Outcome: replay.OutcomeRedelivered},
				{ID: "m2", Handler: "shop.OnA", Outcome: replay.OutcomeFailed, Error: "queue shop.OnA does not exist\nsecond line"},
			}},
		{Run: replay.Run{ID: "run-2", Actor: "bob", Action: replay.ActionFromLog, Selection: "--handler=shop.OnA", Target: "shop.OnA", Selected: 22},
			StartedAt: started.Add(time.Hour), Messages: many},
		{Run: replay.Run{ID: "run-3", Actor: "cy", Action: replay.ActionDiscard, Selection: "--id=m3", Selected: 1},
			StartedAt: started.Add(2 * time.Hour), Messages: []replay.MessageRecord{{Handler: "shop.OnB", Outcome: replay.OutcomePending}}},
	}
	var buf bytes.Buffer
	if err := writeHistory(&buf, runs); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"2025-03-10T11:00:00Z  run-1  replay  by ada: 2 selected, 1 succeeded, 1 failed; 1 of 2 messages failed\n  selection: --handler=shop.OnA\n",
		"  m1  shop.OnA  redelivered\n  m2  shop.OnA  failed: queue shop.OnA does not exist …\n\n",
		"run-2  from-log  by bob: 22 selected, 0 succeeded, 0 failed; running, or interrupted (the process ended before recording its end)\n",
		"  to handler: shop.OnA\n", "  … and 2 more\n",
		"  -  shop.OnB  pending (interrupted: re-delivered, or still in the poison queue)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "  m  shop.OnA  redelivered\n") != historyMessages {
		t.Errorf("a run lists %d messages, want at most %d:\n%s", strings.Count(out, "  m  shop.OnA"), historyMessages, out)
	}
	buf.Reset()
	if err := writeHistory(&buf, nil); err != nil || buf.String() != "no replays recorded yet\n" {
		t.Errorf("empty history = %q, %v", buf.String(), err)
	}
}
