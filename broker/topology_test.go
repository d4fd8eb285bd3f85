package broker_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/internal/testkit"
)

// twoHandlers describes a service that publishes A and consumes A and B.
func twoHandlers(svc string) []broker.Service {
	return []broker.Service{{
		Name:      svc,
		Publishes: []string{svc + ".A"},
		Consumes: []broker.Subscription{
			{Queue: svc + ".OnA", Topic: svc + ".A"},
			{Queue: svc + ".OnB", Topic: svc + ".B"},
		},
	}}
}

// waits are the wait delays of the topology tests.
var waits = []time.Duration{200 * time.Millisecond, 5 * time.Second, 90 * time.Second, time.Hour}

// TestTopologyDeclaresWhatItPlans declares a service's topology and reads it
// back from the management API: every exchange, queue and binding of the
// plan exists on the broker with the planned type and arguments.
func TestTopologyDeclaresWhatItPlans(t *testing.T) {
	t.Parallel()
	testkit.Require(t, "RabbitMQ management API", managementURL(t))
	svc := testkit.Name("svc")
	top := broker.Plan(twoHandlers(svc), 20, waits[:2])
	testkit.RemoveTopologyAtEnd(t, top)
	if err := top.Declare(testkit.Channel(t)); err != nil {
		t.Fatalf("Declare: %v", err)
	}
	if err := top.Declare(testkit.Channel(t)); err != nil {
		t.Fatalf("Declare again (must be idempotent): %v", err)
	}
	if len(top.Exchanges) != 5 || len(top.Queues) != 5 || len(top.Bindings) != 5 {
		t.Fatalf("plan has %d exchanges, %d queues, %d bindings; want 5 of each", len(top.Exchanges), len(top.Queues), len(top.Bindings))
	}

	vhost := url.PathEscape("/")
	for _, e := range top.Exchanges {
		var got struct {
			Type    string `json:"type"`
			Durable bool   `json:"durable"`
		}
		if code := management(t, "/exchanges/"+vhost+"/"+url.PathEscape(e.Name), &got); code != http.StatusOK {
			t.Errorf("exchange %s: management API says %d", e.Name, code)
			continue
		}
		if got.Type != "fanout" || !got.Durable {
			t.Errorf("exchange %s is %s, durable=%v; want a durable fanout", e.Name, got.Type, got.Durable)
		}
	}
	for _, q := range top.Queues {
		var got struct {
			Durable   bool           `json:"durable"`
			Arguments map[string]any `json:"arguments"`
		}
		if code := management(t, "/queues/"+vhost+"/"+url.PathEscape(q.Name), &got); code != http.StatusOK {
			t.Errorf("queue %s: management API says %d", q.Name, code)
			continue
		}
		want := map[string]any{"x-queue-type": "quorum", "x-delivery-limit": float64(20), "x-dead-letter-exchange": broker.PoisonName(svc)}
		switch q.Name {
		case broker.PoisonName(svc):
			want = map[string]any{"x-queue-type": "classic"}
		case broker.WaitName(svc, waits[0]):
			want = map[string]any{"x-queue-type": "quorum", "x-message-ttl": float64(200), "x-dead-letter-exchange": "",
				"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish", "x-delivery-limit": nil}
		case broker.WaitName(svc, waits[1]):
			want = map[string]any{"x-queue-type": "quorum", "x-message-ttl": float64(5000), "x-dead-letter-exchange": ""}
		}
		if !got.Durable {
			t.Errorf("queue %s is not durable", q.Name)
		}
		for k, v := range want {
			if got.Arguments[k] != v {
				t.Errorf("queue %s argument %s = %#v, want %#v", q.Name, k, got.Arguments[k], v)
			}
		}
	}
	for _, b := range top.Bindings {
		var got []struct {
			Source      string `json:"source"`
			Destination string `json:"destination"`
		}
		path := "/bindings/" + vhost + "/e/" + url.PathEscape(b.Exchange) + "/q/" + url.PathEscape(b.Queue)
		if code := management(t, path, &got); code != http.StatusOK || len(got) == 0 {
			t.Errorf("binding %s → %s: management API says %d with %d bindings", b.Exchange, b.Queue, code, len(got))
		}
	}

	conn, err := amqp.Dial(testkit.AMQPURL)
	if err != nil {
		t.Fatalf("dial RabbitMQ: %v", err)
	}
	defer conn.Close()
	if missing, err := top.Check(conn); err != nil || len(missing) != 0 {
		t.Errorf("Check after Declare = %q, %v; want nothing missing", missing, err)
	}
	other := broker.Plan(twoHandlers(testkit.Name("svc")), 20, waits[:1]) // never declared
	missing, err := other.Check(conn)
	if err != nil || len(missing) != len(other.Exchanges)+len(other.Queues) {
		t.Errorf("Check of an undeclared topology = %q, %v; want every exchange and queue missing", missing, err)
	}

	// A queue cannot change its arguments: re-declaring with another delivery
	// limit fails with advice rather than silently keeping the old one.
	err = broker.Plan(twoHandlers(svc), 21, nil).Declare(testkit.Channel(t))
	if err == nil || !strings.Contains(err.Error(), "drain and delete it") {
		t.Errorf("Declare with another delivery limit = %v, want the drain-and-delete advice", err)
	}
}

func TestTopologyPlan(t *testing.T) {
	t.Parallel()
	quiet := broker.Service{Name: "quiet", Publishes: []string{"quiet.Q"}} // publishes, consumes nothing
	top := broker.Plan(append(twoHandlers("shop"), quiet), 7, waits)

	t.Run("HasConsumers", func(t *testing.T) {
		tests := []struct {
			topic string
			want  bool
		}{
			{"shop.A", true},       // published and consumed
			{"shop.B", true},       // consumed only
			{"shop.C", false},      // unknown
			{"shop.poison", false}, // nobody's handler reads the poison queue
		}
		for _, tt := range tests {
			if got := top.HasConsumers(tt.topic); got != tt.want {
				t.Errorf("HasConsumers(%q) = %v, want %v", tt.topic, got, tt.want)
			}
		}
		if (broker.Topology{}).HasConsumers("shop.A") {
			t.Error("the zero Topology has consumers")
		}
	})

	t.Run("waits from the shortest", func(t *testing.T) {
		var got []string
		for _, q := range top.Queues {
			if q.Wait > 0 {
				got = append(got, q.Name)
			}
		}
		if want := "shop.wait.200ms shop.wait.5s shop.wait.1m30s shop.wait.1h"; strings.Join(got, " ") != want {
			t.Errorf("wait queues %v, want %s", got, want)
		}
	})

	t.Run("Arguments", func(t *testing.T) {
		for _, q := range top.Queues {
			args := q.Arguments()
			if args["x-queue-type"] != q.Type {
				t.Errorf("queue %s: x-queue-type = %v, want %s", q.Name, args["x-queue-type"], q.Type)
			}
			switch {
			case q.Wait > 0:
				want := amqp.Table{"x-queue-type": "quorum", "x-message-ttl": q.Wait.Milliseconds(), "x-dead-letter-exchange": "",
					"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
				if fmt.Sprint(args) != fmt.Sprint(want) {
					t.Errorf("wait queue %s arguments = %v, want %v", q.Name, args, want)
				}
			case q.Type == "quorum" && (args["x-delivery-limit"] != int64(7) || args["x-dead-letter-exchange"] != "shop.poison"):
				t.Errorf("queue %s arguments = %v, want delivery limit 7 and dead-lettering to shop.poison", q.Name, args)
			}
			if q.Type == "classic" && len(args) != 1 {
				t.Errorf("poison queue %s arguments = %v, want only its type", q.Name, args)
			}
		}
	})
}

// managementURL is the RabbitMQ management API next to testkit.AMQPURL.
func managementURL(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(testkit.AMQPURL)
	if err != nil {
		t.Fatalf("parse AMQP URL: %v", err)
	}
	return fmt.Sprintf("http://%s:15672", u.Hostname())
}

// management GETs path from the management API into out and returns the status.
func management(t *testing.T, path string, out any) int {
	t.Helper()
	u, _ := url.Parse(testkit.AMQPURL)
	pass, _ := u.User.Password()
	req, err := http.NewRequest(http.MethodGet, managementURL(t)+"/api"+path, nil)
	if err != nil {
		t.Fatalf("request %s: %v", path, err)
	}
	req.SetBasicAuth(u.User.Username(), pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("decode %s: %v", path, err)
		}
	}
	return resp.StatusCode
}
