package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/consumer"
	"github.com/mallbots/mallbots/dsn"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
)

// buildAll builds every service of the registry over a fresh test database,
// as Server does, in registry order.
func buildAll(t *testing.T) []built {
	t.Helper()
	db, _ := testkit.Database(t)
	d := deps{db: db, logger: testkit.Logger(t), bell: outbox.NewBell()}
	out := make([]built, len(registry))
	for i, s := range registry {
		out[i] = s.build(d)
	}
	return out
}

// TestSpecsAgreeWithTheBuiltServices: what a spec says of a service's
// consumers, which the topology, replay and the poison tests read without
// building anything, is exactly what the built service runs: the same
// handler names, in the same order, on the same topics, each of its own
// service; and no two handlers of the mall share a name (a queue).
func TestSpecsAgreeWithTheBuiltServices(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for i, b := range buildAll(t) {
		spec := registry[i]
		if got := consumer.Subscriptions(b.handlers...); !slices.Equal(got, spec.consumes) {
			t.Errorf("%s: built consumers %v, spec says %v", spec.name, got, spec.consumes)
		}
		for _, h := range b.handlers {
			if h.Service != spec.name || !strings.HasPrefix(h.Name, spec.name+".On") || h.Handle == nil {
				t.Errorf("%s runs handler %s of service %q (handle set: %v)", spec.name, h.Name, h.Service, h.Handle != nil)
			}
			if other, dup := seen[h.Name]; dup {
				t.Errorf("handler %s is both %s's and %s's", h.Name, other, spec.name)
			}
			seen[h.Name] = spec.name
		}
		if b.routes == nil {
			t.Errorf("%s has no routes", spec.name)
		}
	}
	if len(seen) < 40 {
		t.Errorf("the mall runs %d handlers; it has more", len(seen))
	}
}

// TestTopologyIsUnchangedByteForByte: `mallbots topology`, now planned from
// the static specs, prints exactly what it printed when it wired every
// service to plan it (testdata/topology holds main's output before the
// change). Queue and exchange names are frozen, so a difference here is a
// rename to justify, not a refresh to make.
func TestTopologyIsUnchangedByteForByte(t *testing.T) {
	for file, args := range map[string][]string{
		"all.txt":            {"topology"},
		"saga.txt":           {"topology", "--service=saga"},
		"baskets-orders.txt": {"topology", "--service=baskets,orders", "--retry-waits=1s,1m", "--delivery-limit=5"},
	} {
		want, err := os.ReadFile(filepath.Join("testdata", "topology", file))
		if err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		if err := Execute(args, &out, &errb); err != nil {
			t.Fatalf("%v: %v (%s)", args, err, &errb)
		}
		if !bytes.Equal(out.Bytes(), want) {
			got, wanted := strings.Split(out.String(), "\n"), strings.Split(string(want), "\n")
			i := 0
			for i < min(len(got), len(wanted)) && got[i] == wanted[i] {
				i++
			}
			line := func(lines []string) string {
				if i < len(lines) {
					return lines[i]
				}
				return "(end)"
			}
			t.Errorf("%v differs from testdata/topology/%s at line %d:\n got  %q\n want %q", args, file, i+1, line(got), line(wanted))
		}
	}
}

// TestServeRefusesAnUnknownService: --service naming no service is a usage
// error (exit code 2) listing the valid names in registry order, before
// anything connects: the servers named here do not exist.
func TestServeRefusesAnUnknownService(t *testing.T) {
	down := testkit.ClosedAddr(t)
	t.Setenv("MALLBOTS_DATABASE_URL", "postgres://u@"+down+"/x")
	t.Setenv("MALLBOTS_AMQP_URL", "amqp://guest:guest@"+down+"/")
	var out, errb bytes.Buffer
	err := Execute([]string{"serve", "--service=nope"}, &out, &errb)
	if ExitCode(err) != 2 {
		t.Fatalf("exit code %d (%v), want 2", ExitCode(err), err)
	}
	const want = "mallbots: unknown service nope; valid services are: stores, customers, baskets, orders, saga, payments, depot, notifications, search\n" +
		"Run 'mallbots --help' for usage.\n"
	if errb.String() != want || out.Len() != 0 {
		t.Errorf("stdout %q, stderr %q; want no output and stderr %q", &out, &errb, want)
	}
	if _, err := NewServer(config.Config{Services: []string{"stores", "nope", "zz"}}, testkit.Logger(t)); !errors.As(err, new(UsageError)) ||
		!strings.Contains(err.Error(), "unknown service nope, zz; valid services are: stores, customers") {
		t.Errorf("NewServer with unknown services = %v, want a usage error naming them and the valid ones", err)
	}
}

// serverConfig is the configuration of an in-process server of services on
// the database dbURL and the vhost amqpURL, listening on a free port.
func serverConfig(dbURL, amqpURL string, services ...string) config.Config {
	cfg := config.Default()
	cfg.DatabaseURL, cfg.AMQPURL, cfg.HTTPAddr, cfg.Services = dbURL, amqpURL, "127.0.0.1:0", services
	cfg.Retry.Waits = []time.Duration{100 * time.Millisecond}
	cfg.ShutdownTimeout = 10 * time.Second
	return cfg
}

// TestServerRunsThenCloses: Run returns once the server answers, having
// declared every service's topology although it runs two; Close returns nil
// after a clean stop, frees the HTTP port and returns the same again. The
// log says what starts, where (passwords redacted), what serves and that it
// stopped.
func TestServerRunsThenCloses(t *testing.T) {
	t.Parallel()
	_, dbURL := testkit.Database(t)
	vhost := testkit.VHost(t)
	var logs logLines
	srv, err := NewServer(serverConfig(dbURL, vhost, "stores", "baskets"), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	addr := srv.Addr()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz right after Run: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz right after Run = %d, want 200", resp.StatusCode)
	}
	conn := testkit.BrokerAt(t, vhost)
	missing, err := topologyOf(registry, config.Default().Broker.DeliveryLimit, []time.Duration{100 * time.Millisecond}).Check(conn.Connection())
	if err != nil || len(missing) > 0 {
		t.Errorf("after Run the broker lacks %v (%v): every service's topology must be declared", missing, err)
	}

	if err := closeWithin(srv, 30*time.Second); err != nil {
		t.Fatalf("Close after a clean run = %v, want nil", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("Close left %s bound: %v", addr, err)
	}
	ln.Close()
	if err := srv.Close(); err != nil {
		t.Errorf("a second Close = %v, want nil", err)
	}
	for _, want := range []string{
		`msg="starting mallbots" version=dev services=stores,baskets database=` + strconv.Quote(dbURL) + " broker=" + dsn.Redact(vhost),
		`msg="mallbots is serving" http=` + addr + ` services=stores,baskets`,
		`msg="shutting down: stopping intake, draining requests and messages"`,
		`msg=stopped`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %s:\n%s", want, &logs)
		}
	}
}

// TestServerRunFailsRedactedWhenUnreachable: with the database or the
// broker unreachable and a connect timeout, Run gives up with an error that
// names what it could not reach, without the password; the server it leaves
// closes cleanly.
func TestServerRunFailsRedactedWhenUnreachable(t *testing.T) {
	t.Parallel()
	_, dbURL := testkit.Database(t)
	down := testkit.ClosedAddr(t)
	downAMQP := fmt.Sprintf("amqp://guest:%s@%s/", password, down)
	for _, tc := range []struct {
		name, db, amqp, want string
	}{
		{"database", fmt.Sprintf("postgres://u:%s@%s/x?sslmode=disable", password, down), downAMQP, "PostgreSQL"},
		{"broker", dbURL, downAMQP, "RabbitMQ at amqp://guest:xxxxx@" + down},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs logLines
			cfg := serverConfig(tc.db, tc.amqp)
			cfg.Broker.ConnectTimeout = time.Second
			srv, err := NewServer(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err = srv.Run(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run = %v, want an error naming %q", err, tc.want)
			}
			if strings.Contains(err.Error()+logs.String(), password) {
				t.Errorf("the error or the log shows the password:\n%v\n%s", err, &logs)
			}
			if err := srv.Close(); err != nil {
				t.Errorf("Close after a failed Run = %v, want nil", err)
			}
		})
	}
}
