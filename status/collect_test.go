package status_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/status"
)

// password is in the connection strings of the tests below; no report or
// error may show it.
const password = "s3cret-pw"

// problemLines writes r's problems as "kind subject: detail".
func problemLines(r status.Report) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, string(p.Kind)+" "+p.String())
	}
	return out
}

func names(qs []status.Queue) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.Name
	}
	return out
}

// TestGatherReadsTheBrokerAndTheOutbox runs a service's topology on a vhost
// of its own, with messages ready, held and poisoned and rows committed to
// its outbox while no relay runs: the report shows each figure from the
// real management API and database, judges the relay stuck, and once a
// relay runs, sees it move the rows.
func TestGatherReadsTheBrokerAndTheOutbox(t *testing.T) {
	db, svc := testkit.ServiceSchema(t)
	vhost := testkit.VHost(t)
	spec := broker.Service{Name: svc, Consumes: []broker.Subscription{
		{Queue: svc + ".OnB", Topic: svc + ".B"}, {Queue: svc + ".OnA", Topic: svc + ".A"},
	}}
	top := broker.Plan([]broker.Service{spec}, 5, []time.Duration{time.Second, 100 * time.Millisecond})
	conn, err := amqp.Dial(vhost)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := top.Declare(ch); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		testkit.Publish(t, ch, svc+".A", "", nil, []byte(`{}`))
	}
	for range 2 {
		testkit.Publish(t, ch, broker.PoisonName(svc), "", nil, []byte(`{}`))
	}
	// A consumer that takes one message of svc.OnA and holds it.
	held, err := conn.Channel()
	if err == nil {
		err = held.Qos(1, 0, false)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := held.Consume(svc+".OnA", "", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	testkit.Commit(t, db, svc, testkit.Thing{Topic: svc + ".A", Seq: 1}, testkit.Thing{Topic: svc + ".A", Seq: 2})

	management, err := status.NewManagement(testkit.ManagementURL, vhost)
	if err != nil {
		t.Fatal(err)
	}
	c := status.New(status.Config{Services: []broker.Service{spec}, Management: management, DB: db.Pool, StuckAfter: time.Second})
	ctx := context.Background()
	var r status.Report
	// The management API's statistics lag by up to its collection interval.
	testkit.Eventually(t, 30*time.Second, "the report shows the queues' figures and a stuck relay", func() bool {
		r, err = c.Gather(ctx, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		s := r.Services[0]
		a := s.Handlers[0]
		return a.Messages == 3 && a.Ready == 2 && a.Unacked == 1 && a.Consumers == 1 &&
			s.Poison.Messages == 2 && s.Outbox.Relay == status.RelayStuck
	})
	s := r.Services[0]
	if !r.Broker.Reachable || !r.Database.Reachable || r.IntervalSeconds < 0.1 || r.StuckAfterSeconds != 1 {
		t.Errorf("report header = %+v %+v interval %g stuck-after %g", r.Broker, r.Database, r.IntervalSeconds, r.StuckAfterSeconds)
	}
	if !strings.Contains(r.Broker.Where, "guest:xxxxx@127.0.0.1:15672") || !strings.Contains(r.Broker.Where, strings.TrimPrefix(vhost[strings.LastIndex(vhost, "/"):], "/")) {
		t.Errorf("broker where = %q, want the masked URL and the vhost", r.Broker.Where)
	}
	if got, want := names(s.Handlers), []string{svc + ".OnA", svc + ".OnB"}; !reflect.DeepEqual(got, want) {
		t.Errorf("handlers = %v, want %v (sorted)", got, want)
	}
	if got, want := names(s.Waits), []string{svc + ".wait.100ms", svc + ".wait.1s"}; !reflect.DeepEqual(got, want) {
		t.Errorf("waits = %v, want %v (shortest first)", got, want)
	}
	if b := s.Handlers[1]; !b.Exists || b.Consumers != 0 || b.Messages != 0 {
		t.Errorf("%s = %+v, want it existing, empty, without consumer", b.Name, b)
	}
	if o := s.Outbox; o.Rows != 2 || o.OldestAt == nil || o.OldestAgeSeconds <= 1 || o.Advanced || o.Growth != 0 {
		t.Errorf("outbox = %+v, want 2 rows older than 1s, not moving", o)
	}
	want := []string{
		"no-consumer " + svc + ".OnB: no consumer",
		"poisoned " + svc + ".poison: 2 messages",
		"outbox-stuck " + svc + " outbox: 2 rows, oldest ",
	}
	got := problemLines(r)
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || !strings.HasPrefix(got[2], want[2]) || !strings.HasSuffix(got[2], ", not moving") {
		t.Errorf("problems:\n  %s\nwant:\n  %s…", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	// A relay starts between two samples: the second sees it has moved
	// the rows.
	first := c.Sample(ctx)
	relay := outbox.NewRelay(svc, db.Pool, testkit.BrokerAt(t, vhost), top, nil,
		outbox.RelayConfig{BatchSize: 10, PollInterval: 50 * time.Millisecond, Retention: time.Hour}, nil, testkit.Logger(t))
	testkit.RunRelay(t, relay)
	testkit.Eventually(t, 30*time.Second, "the relay is seen moving the rows", func() bool {
		r = c.Compare(first, c.Sample(ctx))
		o := r.Services[0].Outbox
		return o.Rows == 0 && o.Advanced && o.Growth == -2 && o.Relay == status.RelayIdle
	})
	for _, p := range r.Problems {
		if p.Kind == status.OutboxStuck {
			t.Errorf("the relay moved everything, yet: %s", p)
		}
	}
	// With no earlier sample, a sample is compared with itself.
	if r := c.Compare(status.Sample{}, c.Sample(ctx)); r.IntervalSeconds != 0 || r.Services[0].Outbox.Advanced {
		t.Errorf("compared with a zero sample: interval %g, outbox %+v; want one sample", r.IntervalSeconds, r.Services[0].Outbox)
	}
}

// TestGatherReportsWhatItCannotRead: a source that cannot be read, or a
// service's outbox that is not there, is a problem of its own, named with
// its cause and without a password, and the rest of the report is filled.
func TestGatherReportsWhatItCannotRead(t *testing.T) {
	db, svc := testkit.ServiceSchema(t)
	vhost := testkit.VHost(t)
	down := testkit.ClosedAddr(t)
	ctx := context.Background()
	good, err := status.NewManagement(testkit.ManagementURL, vhost)
	if err != nil {
		t.Fatal(err)
	}
	unreachable, err := status.NewManagement("http://guest:"+password+"@"+down, vhost)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, fmt.Sprintf("postgres://u:%s@%s/x?sslmode=disable", password, down))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	specs := []broker.Service{{Name: svc}, {Name: "nosuch"}}

	t.Run("management API down", func(t *testing.T) {
		r, err := status.New(status.Config{Services: specs, Management: unreachable, DB: db.Pool, StuckAfter: time.Second}).Gather(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := problemLines(r)
		if r.Broker.Reachable || len(got) != 2 ||
			!strings.HasPrefix(got[0], "broker-unreachable RabbitMQ management API: cannot read http://guest:xxxxx@"+down) ||
			!strings.Contains(got[0], "unreachable: dial tcp") ||
			!strings.HasPrefix(got[1], `outbox-unreadable nosuch outbox: cannot read: no outbox tables in schema "nosuch" (has `+"`mallbots migrate`"+` run on this database?)`) {
			t.Errorf("problems:\n  %s", strings.Join(got, "\n  "))
		}
		if o := r.Services[0].Outbox; o.Relay != status.RelayIdle {
			t.Errorf("%s outbox = %+v, want it read and idle", svc, o)
		}
		if strings.Contains(fmt.Sprint(r), password) {
			t.Errorf("the report shows the password: %+v", r)
		}
	})
	t.Run("database down", func(t *testing.T) {
		r, err := status.New(status.Config{Services: specs, Management: good, DB: pool, StuckAfter: time.Second}).Gather(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := problemLines(r)
		if r.Database.Reachable || r.Database.Where != down+"/x" || len(got) == 0 ||
			!strings.HasPrefix(got[0], "database-unreachable PostgreSQL: cannot read "+down+"/x: ") {
			t.Errorf("database %+v, problems:\n  %s", r.Database, strings.Join(got, "\n  "))
		}
		// The vhost is new: the broker was read, and has none of the queues.
		if !r.Broker.Reachable || !strings.Contains(strings.Join(got, "\n"), "queue-missing "+svc+".poison") {
			t.Errorf("broker %+v, problems:\n  %s", r.Broker, strings.Join(got, "\n  "))
		}
		if r.Services[0].Outbox.Relay != status.RelayUnknown || strings.Contains(fmt.Sprint(r), password) {
			t.Errorf("report = %+v, want the relays unknown and no password", r)
		}
	})
}

// TestManagementErrorsNameTheCause: what went wrong with the management API
// is said plainly, and never with the password.
func TestManagementErrorsNameTheCause(t *testing.T) {
	notTheAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>Welcome to nginx!</body></html>")
	}))
	t.Cleanup(notTheAPI.Close)
	api := strings.TrimPrefix(testkit.ManagementURL, "http://")
	if i := strings.LastIndex(api, "@"); i >= 0 {
		api = api[i+1:]
	}
	for _, tc := range []struct {
		name, endpoint, amqpURL, want string
	}{
		{"wrong password", "http://guest:" + password + "@" + api, testkit.AMQPURL, "401 Unauthorized: the credentials were refused"},
		{"no such vhost", testkit.ManagementURL, "amqp://guest:" + password + "@127.0.0.1:5672/nosuch_vhost", `404 Not Found: no vhost "nosuch_vhost" there`},
		{"nothing listening", "http://guest:" + password + "@" + testkit.ClosedAddr(t), testkit.AMQPURL, "unreachable: dial tcp"},
		{"not the management API", strings.Replace(notTheAPI.URL, "http://", "http://guest:"+password+"@", 1), testkit.AMQPURL, "the answer is not the management API's list of queues (text/html): <html><body>Welcome"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := status.NewManagement(tc.endpoint, tc.amqpURL)
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Queues(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Queues() = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error()+m.Where(), password) {
				t.Errorf("the password shows: %v; %s", err, m.Where())
			}
		})
	}
	if _, err := status.NewManagement("ftp://guest:"+password+"@mq", testkit.AMQPURL); err == nil || strings.Contains(err.Error(), password) ||
		!strings.Contains(err.Error(), "ftp://guest:xxxxx@mq") {
		t.Errorf("an ftp URL: %v, want it refused, redacted", err)
	}
}
