package status_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/status"
)

// healthyShop is a report on one service "shop" with two handler queues,
// both consumed, nothing poisoned and nothing in its outbox, sampled one
// second apart with a stuck-after age of 10 s; edit returns a copy changed
// by each of edits.
func healthyShop(edits ...func(*status.Report)) status.Report {
	r := status.Report{
		IntervalSeconds:   1,
		StuckAfterSeconds: 10,
		Broker:            status.Source{Where: "http://guest:xxxxx@mq:15672 vhost \"/\"", Reachable: true},
		Database:          status.Source{Where: "db:5432/mallbots", Reachable: true},
		Services: []status.Service{{
			Name: "shop",
			Handlers: []status.Queue{
				{Name: "shop.OnA", Exists: true, Consumers: 4},
				{Name: "shop.OnB", Exists: true, Consumers: 4, Messages: 7, Ready: 3, Unacked: 4},
			},
			Poison: status.Queue{Name: "shop.poison", Exists: true},
			Waits:  []status.Queue{{Name: "shop.wait.1s", Exists: true, Messages: 40}},
		}},
	}
	for _, edit := range edits {
		edit(&r)
	}
	return r
}

func backlog(rows int64, age float64, advanced bool, growth int64) func(*status.Report) {
	return func(r *status.Report) {
		r.Services[0].Outbox = status.Outbox{Rows: rows, OldestAgeSeconds: age, Advanced: advanced, Growth: growth}
	}
}

// TestJudge derives the relay state and the problems of a report from its
// observations, one rule at a time.
func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name     string
		report   status.Report
		relay    status.RelayState
		problems []string // "kind subject: detail"
	}{
		{"healthy: consumers everywhere, wait queues full, nothing poisoned or waiting to be relayed",
			healthyShop(), status.RelayIdle, nil},
		{"a handler queue without consumer",
			healthyShop(func(r *status.Report) { r.Services[0].Handlers[0].Consumers = 0 }), status.RelayIdle,
			[]string{"no-consumer shop.OnA: no consumer"}},
		{"a handler queue without consumer, with messages waiting",
			healthyShop(func(r *status.Report) { r.Services[0].Handlers[1].Consumers = 0 }), status.RelayIdle,
			[]string{"no-consumer shop.OnB: no consumer, 7 messages waiting"}},
		{"queues missing on the broker",
			healthyShop(func(r *status.Report) {
				r.Services[0].Handlers[1] = status.Queue{Name: "shop.OnB"}
				r.Services[0].Poison = status.Queue{Name: "shop.poison"}
			}), status.RelayIdle,
			[]string{
				"queue-missing shop.OnB: queue missing (no serve has declared the topology in this vhost)",
				"queue-missing shop.poison: queue missing (no serve has declared the topology in this vhost)",
			}},
		{"one poisoned message",
			healthyShop(func(r *status.Report) { r.Services[0].Poison.Messages = 1 }), status.RelayIdle,
			[]string{"poisoned shop.poison: 1 message"}},
		{"three poisoned messages",
			healthyShop(func(r *status.Report) { r.Services[0].Poison.Messages = 3 }), status.RelayIdle,
			[]string{"poisoned shop.poison: 3 messages"}},
		{"young rows the relay has not moved yet are pending, not a problem",
			healthyShop(backlog(5, 0.2, false, 5)), status.RelayPending, nil},
		{"old rows and an offset that did not move: stuck",
			healthyShop(backlog(120, 42, false, 0)), status.RelayStuck,
			[]string{"outbox-stuck shop outbox: 120 rows, oldest 42s, not moving"}},
		{"one sample: old rows are stuck by their age alone",
			healthyShop(backlog(1, 42.4, false, 0), func(r *status.Report) { r.IntervalSeconds = 0 }), status.RelayStuck,
			[]string{"outbox-stuck shop outbox: 1 row, oldest 42s, not moving"}},
		{"exactly the stuck-after age is not past it",
			healthyShop(backlog(1, 10, false, 0)), status.RelayPending, nil},
		{"old rows, the relay moving and the backlog shrinking: catching up",
			healthyShop(backlog(500, 42, true, -100)), status.RelayMoving, nil},
		{"young rows, the relay moving and the backlog growing: a burst",
			healthyShop(backlog(50, 0.5, true, 30)), status.RelayMoving, nil},
		{"old rows, the relay moving and the backlog growing: falling behind",
			healthyShop(backlog(5000, 42, true, 300)), status.RelayMoving,
			[]string{"outbox-growing shop outbox: 5000 rows, oldest 42s, growing (+300 in 1s) faster than the relay sends them"}},
		{"the relay moved everything",
			healthyShop(backlog(0, 0, true, -20)), status.RelayIdle, nil},
		{"an outbox that cannot be read",
			healthyShop(func(r *status.Report) { r.Services[0].Outbox.Error = `relation "shop.watermill_outbox" does not exist` }), status.RelayUnknown,
			[]string{`outbox-unreadable shop outbox: cannot read: relation "shop.watermill_outbox" does not exist`}},
		{"the management API unreachable: one problem, no queue judged, the outbox still judged",
			healthyShop(backlog(3, 42, false, 0), func(r *status.Report) {
				r.Broker.Reachable, r.Broker.Error = false, "unreachable: connection refused"
				r.Services[0].Handlers = []status.Queue{{Name: "shop.OnA"}, {Name: "shop.OnB"}}
				r.Services[0].Poison = status.Queue{Name: "shop.poison"}
			}), status.RelayStuck,
			[]string{
				`broker-unreachable RabbitMQ management API: cannot read http://guest:xxxxx@mq:15672 vhost "/": unreachable: connection refused`,
				"outbox-stuck shop outbox: 3 rows, oldest 42s, not moving",
			}},
		{"the database unreachable: one problem, relays unknown, queues still judged",
			healthyShop(func(r *status.Report) {
				r.Database.Reachable, r.Database.Error = false, "dial tcp: connection refused"
				r.Services[0].Handlers[0].Consumers = 0
			}), status.RelayUnknown,
			[]string{
				"database-unreachable PostgreSQL: cannot read db:5432/mallbots: dial tcp: connection refused",
				"no-consumer shop.OnA: no consumer",
			}},
		{"every kind at once, in report order: sources, then each service's queues, poison, outbox",
			healthyShop(backlog(9, 60, false, 0), func(r *status.Report) {
				r.Services[0].Handlers[0].Consumers = 0
				r.Services[0].Poison.Messages = 2
			}), status.RelayStuck,
			[]string{
				"no-consumer shop.OnA: no consumer",
				"poisoned shop.poison: 2 messages",
				"outbox-stuck shop outbox: 9 rows, oldest 1m0s, not moving",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			judged := status.Judge(tc.report)
			if got := judged.Services[0].Outbox.Relay; got != tc.relay {
				t.Errorf("relay = %q, want %q", got, tc.relay)
			}
			var got []string
			for _, p := range judged.Problems {
				got = append(got, string(p.Kind)+" "+p.String())
				if p.Kind != status.BrokerUnreachable && p.Kind != status.DatabaseUnreachable && p.Service != "shop" {
					t.Errorf("problem %v names service %q, want shop", p, p.Service)
				}
			}
			if !reflect.DeepEqual(got, tc.problems) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.problems, "\n  "))
			}
			if judged.Healthy != (len(tc.problems) == 0) {
				t.Errorf("healthy = %v with %d problems", judged.Healthy, len(tc.problems))
			}
			if tc.report.Services[0].Outbox.Relay != "" || tc.report.Problems != nil {
				t.Error("Judge modified the report it was given")
			}
		})
	}
}

// TestReportJSONFieldNames pins the JSON names `mallbots status -o json`
// promises, and that an empty list is [] rather than null.
func TestReportJSONFieldNames(t *testing.T) {
	b, err := json.Marshal(status.Judge(healthyShop()))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	keys := func(m any) []string {
		var out []string
		for k := range m.(map[string]any) {
			out = append(out, k)
		}
		return out
	}
	svc := got["services"].([]any)[0].(map[string]any)
	for _, tc := range []struct {
		what string
		obj  any
		want string
	}{
		{"report", got, "broker database healthy intervalSeconds problems services stuckAfterSeconds takenAt"},
		{"source", got["broker"], "reachable where"},
		{"service", svc, "handlers name outbox poison waits"},
		{"queue", svc["poison"], "ackPerSecond consumers deliverPerSecond exists inPerSecond messages name ready unacked"},
		{"outbox", svc["outbox"], "advanced growth oldestAgeSeconds relay rows"},
	} {
		k := keys(tc.obj)
		slices.Sort(k)
		if strings.Join(k, " ") != tc.want {
			t.Errorf("%s fields = %v, want %s", tc.what, k, tc.want)
		}
	}
	if !strings.Contains(string(b), `"problems":[]`) {
		t.Errorf("a healthy report's problems are not []: %s", b)
	}
}

func TestAge(t *testing.T) {
	for seconds, want := range map[float64]string{0: "0s", 0.2: "200ms", 0.9994: "999ms", 1.4: "1s", 42.4: "42s", 65: "1m5s", 7200: "2h0m0s"} {
		if got := status.Age(seconds); got != want {
			t.Errorf("Age(%g) = %q, want %q", seconds, got, want)
		}
	}
}
