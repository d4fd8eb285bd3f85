package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/status"
)

// statusRun is one `mallbots status` run: its output and exit code.
type statusRun struct {
	stdout, stderr string
	code           int
}

// runStatusCommand runs `mallbots status` with args against the database
// dsn and the vhost amqpURL, reading testkit's management API.
func runStatusCommand(t *testing.T, dsn, amqpURL string, args ...string) statusRun {
	t.Helper()
	var out, errb bytes.Buffer
	err := Execute(append([]string{"status", "--database-url=" + dsn, "--amqp-url=" + amqpURL,
		"--management-url=" + testkit.ManagementURL, "--interval=200ms"}, args...), &out, &errb)
	return statusRun{out.String(), errb.String(), ExitCode(err)}
}

// problemsOf returns the lines of a text report's PROBLEMS section.
func problemsOf(stdout string) []string {
	_, problems, ok := strings.Cut(stdout, "\nPROBLEMS\n")
	if !ok {
		return nil
	}
	return strings.Split(strings.TrimSpace(problems), "\n")
}

// TestStatusOfARunningSystem runs `mallbots status` against a running
// system: healthy, it lists every handler queue of every service with its
// consumers and exits 0; a transaction left open in the database holds a
// service's outbox, which it reports stuck; a poisoned message is reported
// by its poison queue; and once the system is stopped, every handler queue
// is reported without consumer. Each problem exits 1, alone on its line.
func TestStatusOfARunningSystem(t *testing.T) {
	s := startSystem(t)
	specs, err := serviceSpecs(nil)
	if err != nil {
		t.Fatal(err)
	}
	var handlers []string
	for _, spec := range specs {
		for _, sub := range spec.Consumes {
			handlers = append(handlers, sub.Queue)
		}
	}
	if len(handlers) < 40 {
		t.Fatalf("the services have %d handlers; they have more", len(handlers))
	}
	run := func(args ...string) statusRun { return runStatusCommand(t, s.cfg.DatabaseURL, s.amqpURL, args...) }

	var r statusRun
	// The broker's statistics show new consumers within its collection
	// interval (5 s).
	testkit.Eventually(t, 30*time.Second, "status exits 0 on the running system", func() bool {
		r = run()
		return r.code == 0
	})
	rows := map[string][]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = f
		}
	}
	for _, h := range handlers {
		// QUEUE READY UNACKED CONSUMERS IN/S OUT/S
		if f := rows[h]; len(f) != 6 || f[3] != fmt.Sprint(s.cfg.Broker.Consumers) {
			t.Errorf("status lacks a row for %s with %d consumers: %q", h, s.cfg.Broker.Consumers, f)
		}
	}
	if !strings.Contains(r.stdout, "\nhealthy: ") || problemsOf(r.stdout) != nil || r.stderr != "" {
		t.Errorf("a healthy system's status:\n%s\nstderr: %s", r.stdout, r.stderr)
	}

	t.Run("json", func(t *testing.T) {
		r := run("-o", "json")
		var report status.Report
		if err := json.Unmarshal([]byte(r.stdout), &report); err != nil {
			t.Fatalf("-o json printed no report (%v):\n%s", err, r.stdout)
		}
		if r.code != 0 || !report.Healthy || len(report.Problems) != 0 || len(report.Services) != len(specs) ||
			!report.Broker.Reachable || !report.Database.Reachable || report.IntervalSeconds < 0.2 {
			t.Errorf("exit %d, report %+v", r.code, report)
		}
		var got []string
		for _, svc := range report.Services {
			for _, q := range svc.Handlers {
				got = append(got, q.Name)
				if !q.Exists || q.Consumers != s.cfg.Broker.Consumers {
					t.Errorf("%s = %+v", q.Name, q)
				}
			}
			if svc.Outbox.Relay != status.RelayIdle || svc.Poison.Name != svc.Name+".poison" {
				t.Errorf("%s: outbox %+v, poison %+v", svc.Name, svc.Outbox, svc.Poison)
			}
		}
		if len(got) != len(handlers) {
			t.Errorf("-o json lists %d handler queues, want %d", len(got), len(handlers))
		}
	})

	t.Run("a stuck outbox", func(t *testing.T) {
		// A transaction with an ID, left open in the same database, holds
		// the outbox horizon: rows committed after it cannot be relayed.
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, s.cfg.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		tx, err := conn.Begin(ctx)
		if err == nil {
			_, err = tx.Exec(ctx, "SELECT pg_current_xact_id()")
		}
		if err != nil {
			t.Fatal(err)
		}
		s.in(t).openStore("Stuck Parts")
		testkit.Eventually(t, 30*time.Second, "status reports the stores outbox stuck", func() bool {
			r = run("--relay-stuck-after=1s")
			p := problemsOf(r.stdout)
			return r.code == 1 && len(p) == 1 && strings.HasPrefix(p[0], "stores outbox: ")
		})
		p := problemsOf(r.stdout)
		if !strings.HasPrefix(p[0], "stores outbox: 2 rows, oldest ") || !strings.HasSuffix(p[0], ", not moving") ||
			!strings.Contains(r.stdout, "relay stuck") || !strings.Contains(r.stderr, "unhealthy: 1 problem") {
			t.Errorf("stuck outbox reported as:\n%s\nstderr: %s", r.stdout, r.stderr)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, 30*time.Second, "status is healthy again once the relay moves the rows", func() bool {
			return run("--relay-stuck-after=1s").code == 0
		})
	})

	t.Run("a poisoned message", func(t *testing.T) {
		s.in(t).publishTo("baskets.OnStoreCreated", "stores.StoreCreated", []byte(`{}`))
		testkit.Eventually(t, 30*time.Second, "status reports baskets.poison", func() bool {
			r = run()
			return r.code == 1
		})
		if p := problemsOf(r.stdout); len(p) != 1 || p[0] != "baskets.poison: 1 message" {
			t.Errorf("problems = %q, want only baskets.poison: 1 message", p)
		}
	})

	t.Run("the system stopped", func(t *testing.T) {
		s.stop()
		testkit.Eventually(t, 30*time.Second, "status reports every handler queue without consumer", func() bool {
			r = run()
			return r.code == 1 && len(problemsOf(r.stdout)) == len(handlers)+1
		})
		problems := strings.Join(problemsOf(r.stdout), "\n")
		for _, h := range handlers {
			if !strings.Contains(problems+"\n", "\n"+h+": no consumer\n") && !strings.HasPrefix(problems, h+": no consumer\n") {
				t.Errorf("PROBLEMS lacks %s: no consumer:\n%s", h, problems)
			}
		}
		if !strings.Contains(problems, "baskets.poison: 1 message") || !strings.Contains(r.stderr, fmt.Sprintf("unhealthy: %d problems", len(handlers)+1)) {
			t.Errorf("problems:\n%s\nstderr: %s", problems, r.stderr)
		}
	})
}

// TestStatusWhenASourceCannotBeRead: when the management API or the
// database cannot be read, status says which and why on stderr, shows the
// rest of the report, exits 1, and never prints a password.
func TestStatusWhenASourceCannotBeRead(t *testing.T) {
	_, dbURL := testkit.Database(t)
	vhost := testkit.VHost(t)
	down := testkit.ClosedAddr(t)
	for _, tc := range []struct {
		name       string
		args       []string
		wantStderr string
		wantOut    []string
	}{
		{"management API down", []string{"--management-url=http://guest:" + password + "@" + down},
			"mallbots: cannot read the RabbitMQ management API: unreachable: dial tcp " + down,
			[]string{"broker    http://guest:xxxxx@" + down + ` vhost "mallbots_test_`, "(not read, see PROBLEMS)", "queues  unknown", "outbox  0 rows waiting, relay idle",
				"RabbitMQ management API: cannot read http://guest:xxxxx@" + down}},
		{"wrong management password", []string{"--management-url=http://guest:" + password + "@127.0.0.1:15672"},
			"mallbots: cannot read the RabbitMQ management API: 401 Unauthorized: the credentials were refused",
			[]string{"outbox  0 rows waiting, relay idle"}},
		{"database down", []string{"--database-url=postgres://u:" + password + "@" + down + "/x?sslmode=disable"},
			"mallbots: cannot read PostgreSQL: failed to connect",
			[]string{"database  " + down + "/x  (not read, see PROBLEMS)", "outbox  unknown (the database was not read)",
				"stores.poison: queue missing", "PostgreSQL: cannot read " + down + "/x: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runStatusCommand(t, dbURL, vhost, tc.args...)
			if r.code != 1 || !strings.HasPrefix(r.stderr, tc.wantStderr) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, tc.wantStderr)
			}
			for _, want := range tc.wantOut {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			if strings.Contains(r.stdout+r.stderr, password) {
				t.Errorf("status printed the password:\n%s%s", r.stdout, r.stderr)
			}
			j := runStatusCommand(t, dbURL, vhost, append(tc.args, "-o", "json")...)
			var report status.Report
			if err := json.Unmarshal([]byte(j.stdout), &report); err != nil || j.code != 1 || report.Healthy ||
				report.Broker.Reachable == report.Database.Reachable || strings.Contains(j.stdout+j.stderr, password) {
				t.Errorf("-o json: exit %d, %v, report %+v", j.code, err, report)
			}
		})
	}
}

// TestStatusUsageErrors: a command line status cannot act on exits 2
// before it reads anything.
func TestStatusUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-o", "yaml"}, `--output "yaml": want text or json`},
		{[]string{"--interval=-1s"}, "--interval -1s must be between 0 and 1m0s"},
		{[]string{"--interval=2m"}, "--interval 2m0s must be between 0 and 1m0s"},
		{[]string{"--service=nope"}, "unknown service nope"},
		{[]string{"--management-url=ftp://guest:" + password + "@mq"}, "management URL ftp://guest:xxxxx@mq (MALLBOTS_MANAGEMENT_URL, --management-url) must look like"},
		{[]string{"--management-url=http://mq:15672/?x=1"}, "must have no query or fragment"},
		{[]string{"--relay-stuck-after=10ms"}, "relay stuck-after 10ms (MALLBOTS_RELAY_STUCK_AFTER) must be between 1s and 24h"},
		{[]string{"extra"}, "unknown command"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			err := Execute(append([]string{"status"}, tc.args...), &out, &errb)
			if ExitCode(err) != 2 || !strings.Contains(errb.String(), tc.wantErr) || strings.Contains(errb.String(), password) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", ExitCode(err), errb.String(), tc.wantErr)
			}
		})
	}
}

// TestStatusHelp: status explains itself, with examples of its own flags.
func TestStatusHelp(t *testing.T) {
	var out bytes.Buffer
	if err := Execute([]string{"status", "--help"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	_, examples, _ := strings.Cut(out.String(), "Examples:")
	examples, _, _ = strings.Cut(examples, "Flags:")
	for _, want := range []string{"mallbots status\n", " --service=", " -o json", " --interval=", " --relay-stuck-after=", " --management-url="} {
		if !strings.Contains(examples, want) {
			t.Errorf("status --help has no example with %q:\n%s", want, out.String())
		}
	}
	for _, want := range []string{"no consumer", "not moving", "exits 0", "MALLBOTS_MANAGEMENT_URL"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status --help does not mention %q", want)
		}
	}
}

// TestWriteStatus prints a report as `mallbots status` does: a table per
// service, its outbox, poison and wait queues, then the problems.
func TestWriteStatus(t *testing.T) {
	at := time.Date(2025, 3, 10, 11, 20, 34, 0, time.UTC)
	r := status.Judge(status.Report{
		TakenAt: at, IntervalSeconds: 1, StuckAfterSeconds: 10,
		Broker:   status.Source{Where: `http://guest:xxxxx@mq:15672 vhost "/"`, Reachable: true},
		Database: status.Source{Where: "db:5432/mallbots", Reachable: true},
		Services: []status.Service{
			{Name: "stores", Poison: status.Queue{Name: "stores.poison", Exists: true},
				Outbox: status.Outbox{Rows: 120, OldestAgeSeconds: 42, Growth: 3}},
			{Name: "orders",
				Handlers: []status.Queue{
					{Name: "orders.OnBasketCheckedOut", Exists: true, Messages: 12, Ready: 12},
					{Name: "orders.OnInvoicePaid", Exists: true, Messages: 3, Ready: 1, Unacked: 2, Consumers: 4, InPerSecond: 12.25, AckPerSecond: 11.5},
					{Name: "orders.OnRejectOrder"},
				},
				Poison: status.Queue{Name: "orders.poison", Exists: true, Messages: 3},
				Waits:  []status.Queue{{Name: "orders.wait.200ms", Exists: true}, {Name: "orders.wait.1s", Exists: true, Messages: 5}},
				Outbox: status.Outbox{}},
		},
	})
	var b bytes.Buffer
	if err := writeStatus(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"mallbots status at 2025-03-10T11:20:34Z (samples 1s apart)\n",
		"broker    http://guest:xxxxx@mq:15672 vhost \"/\"\n",
		"database  db:5432/mallbots\n",
		"\nstores\n  outbox  120 rows waiting, oldest 42s, relay stuck (+3 in 1s)\n  poison  stores.poison 0\n\norders\n",
		"  QUEUE                        READY  UNACKED  CONSUMERS     IN/S    OUT/S\n",
		"  orders.OnBasketCheckedOut       12        0          0      0.0      0.0\n",
		"  orders.OnInvoicePaid             1        2          4     12.2     11.5\n",
		"  orders.OnRejectOrder       missing\n",
		"  outbox  0 rows waiting, relay idle\n  poison  orders.poison 3\n  waits   orders.wait.200ms 0, orders.wait.1s 5\n",
		"\nPROBLEMS\n" +
			"stores outbox: 120 rows, oldest 42s, not moving\n" +
			"orders.OnBasketCheckedOut: no consumer, 12 messages waiting\n" +
			"orders.OnRejectOrder: queue missing (no serve has declared the topology in this vhost)\n" +
			"orders.poison: 3 messages\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "orders.poison: 3 messages\n") || strings.Index(out, "stores outbox:") > strings.Index(out, "orders.OnBasketCheckedOut:") {
		t.Errorf("problems not in report order:\n%s", out)
	}

	r.Broker.Reachable, r.Broker.Error = false, "unreachable: connection refused"
	r.Database.Reachable, r.Database.Error = false, "connection refused"
	b.Reset()
	if err := writeStatus(&b, status.Judge(r)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"broker    http://guest:xxxxx@mq:15672 vhost \"/\"  (not read, see PROBLEMS)\n",
		"\norders\n  queues  unknown (the management API was not read)\n  outbox  unknown (the database was not read)\n\nPROBLEMS\n",
		"\nPROBLEMS\nRabbitMQ management API: cannot read http://guest:xxxxx@mq:15672 vhost \"/\": unreachable: connection refused\n" +
			"PostgreSQL: cannot read db:5432/mallbots: connection refused\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output with both sources unread lacks %q:\n%s", want, b.String())
		}
	}
}
