package messaging_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/messaging"
)

func nopHandle(context.Context, []byte) error { return nil }

// twoHandlers describes a service that publishes A and consumes A and B.
func twoHandlers(svc string) []messaging.Service {
	return []messaging.Service{{
		Name:      svc,
		Publishes: []string{svc + ".A"},
		Handlers: []messaging.Handler{
			{Service: svc, Name: svc + ".OnA", Topic: svc + ".A", Handle: nopHandle},
			{Service: svc, Name: svc + ".OnB", Topic: svc + ".B", Handle: nopHandle},
		},
	}}
}

// TestTopologyDeclaresWhatItPlans declares a service's topology and reads it
// back from the management API: every exchange, queue and binding of the
// plan exists on the broker with the planned type and arguments.
func TestTopologyDeclaresWhatItPlans(t *testing.T) {
	t.Parallel()
	testkit.Require(t, "RabbitMQ management API", managementURL(t))
	svc := testkit.Name("svc")
	top := messaging.Plan(twoHandlers(svc), 20)
	removeTopologyAtEnd(t, top)
	if err := top.Declare(rabbit(t)); err != nil {
		t.Fatalf("Declare: %v", err)
	}
	if err := top.Declare(rabbit(t)); err != nil {
		t.Fatalf("Declare again (must be idempotent): %v", err)
	}
	if len(top.Exchanges) != 3 || len(top.Queues) != 3 || len(top.Bindings) != 3 {
		t.Fatalf("plan has %d exchanges, %d queues, %d bindings; want 3 of each", len(top.Exchanges), len(top.Queues), len(top.Bindings))
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
		want := map[string]any{"x-queue-type": "classic"}
		if q.Name != messaging.PoisonName(svc) {
			want = map[string]any{"x-queue-type": "quorum", "x-delivery-limit": float64(20), "x-dead-letter-exchange": messaging.PoisonName(svc)}
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
	other := messaging.Plan(twoHandlers(testkit.Name("svc")), 20) // never declared
	missing, err := other.Check(conn)
	if err != nil || len(missing) != len(other.Exchanges)+len(other.Queues) {
		t.Errorf("Check of an undeclared topology = %q, %v; want every exchange and queue missing", missing, err)
	}

	// A queue cannot change its arguments: re-declaring with another delivery
	// limit fails with advice rather than silently keeping the old one.
	err = messaging.Plan(twoHandlers(svc), 21).Declare(rabbit(t))
	if err == nil || !strings.Contains(err.Error(), "drain and delete it") {
		t.Errorf("Declare with another delivery limit = %v, want the drain-and-delete advice", err)
	}
}

func TestTopologyPlan(t *testing.T) {
	t.Parallel()
	top := messaging.Plan(twoHandlers("shop"), 7)

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
		if (messaging.Topology{}).HasConsumers("shop.A") {
			t.Error("the zero Topology has consumers")
		}
	})

	t.Run("Write", func(t *testing.T) {
		var buf bytes.Buffer
		if err := top.Write(&buf); err != nil {
			t.Fatalf("Write: %v", err)
		}
		out := buf.String()
		lines := strings.Split(out, "\n")
		hasLine := func(fields ...string) bool {
			for _, l := range lines {
				if strings.Join(strings.Fields(l), " ") == strings.Join(fields, " ") {
					return true
				}
			}
			return false
		}
		wantLines := [][]string{
			{"EXCHANGE", "TYPE", "PUBLISHED", "BY"},
			{"shop.A", "fanout", "shop"},
			{"shop.B", "fanout", "-"},
			{"shop.poison", "fanout", "shop"},
			{"QUEUE", "TYPE", "DEAD-LETTERS", "TO", "DELIVERY", "LIMIT"},
			{"shop.OnA", "quorum", "shop.poison", "7"},
			{"shop.OnB", "quorum", "shop.poison", "7"},
			{"shop.poison", "classic", "-", "-"},
			{"shop.A", "→", "shop.OnA"},
			{"shop.B", "→", "shop.OnB"},
			{"shop.poison", "→", "shop.poison"},
		}
		for _, w := range wantLines {
			if !hasLine(w...) {
				t.Errorf("output lacks the line %q:\n%s", strings.Join(w, " "), out)
			}
		}
	})

	t.Run("Arguments", func(t *testing.T) {
		for _, q := range top.Queues {
			args := q.Arguments()
			if args["x-queue-type"] != q.Type {
				t.Errorf("queue %s: x-queue-type = %v, want %s", q.Name, args["x-queue-type"], q.Type)
			}
			if q.Type == "quorum" && (args["x-delivery-limit"] != int64(7) || args["x-dead-letter-exchange"] != "shop.poison") {
				t.Errorf("queue %s arguments = %v, want delivery limit 7 and dead-lettering to shop.poison", q.Name, args)
			}
			if q.Type == "classic" && len(args) != 1 {
				t.Errorf("poison queue %s arguments = %v, want only its type", q.Name, args)
			}
		}
	})
}
