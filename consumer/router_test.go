package consumer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/consumer"
	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/postgres"
)

// TestInboxTurnsADuplicateDeliveryIntoANoOp delivers the same message twice:
// its effect happens once, the inbox holds one row for (handler, id), and both
// deliveries are acknowledged rather than retried, poisoned or left behind.
func TestInboxTurnsADuplicateDeliveryIntoANoOp(t *testing.T) {
	t.Parallel()
	db, svc := testkit.ServiceSchema(t)
	testkit.Exec(t, db, "CREATE TABLE "+testkit.Table(svc, "effects")+" (message_id text NOT NULL, body text NOT NULL)")
	topic := svc + ".ThingHappened"
	var calls atomic.Int64
	h := consumer.Handler{
		Service: svc,
		Name:    svc + ".OnThingHappened",
		Topic:   topic,
		Handle: func(ctx context.Context, payload []byte) error {
			calls.Add(1)
			tx, ok := postgres.TxFrom(ctx)
			if !ok {
				return errors.New("handler runs outside the inbox transaction")
			}
			_, err := tx.Exec(ctx, "INSERT INTO "+testkit.Table(svc, "effects")+" VALUES ($1, $2)",
				correlation.From(ctx).CausationID, string(payload))
			return err
		},
	}
	top := broker.Plan([]broker.Service{{Name: svc, Publishes: []string{topic}, Consumes: consumer.Subscriptions(h)}}, 20, nil)
	testkit.RemoveTopologyAtEnd(t, top)
	testkit.RunRouter(t, testkit.RouterDeps(t, db, svc, h), top)

	ch := testkit.Channel(t)
	id, sentinel := correlation.NewID(), correlation.NewID()
	headers := func(id string) amqp.Table {
		return amqp.Table{broker.MessageIDKey: id, broker.NameKey: topic, broker.CorrelationIDKey: correlation.NewID()}
	}
	testkit.Publish(t, ch, topic, "", headers(id), []byte(`{"seq":1}`))
	testkit.Publish(t, ch, topic, "", headers(id), []byte(`{"seq":1}`))
	// The handler takes its queue's messages one at a time, in order: once
	// the sentinel's effect is there, both copies were handled and acked.
	testkit.Publish(t, ch, topic, "", headers(sentinel), []byte(`{"seq":2}`))
	testkit.Eventually(t, 30*time.Second, "the sentinel message is handled", func() bool {
		return testkit.Count(t, db, "SELECT count(*) FROM "+testkit.Table(svc, "effects")+" WHERE message_id = $1", sentinel) == 1
	})

	if n := testkit.Count(t, db, "SELECT count(*) FROM "+testkit.Table(svc, "effects")+" WHERE message_id = $1", id); n != 1 {
		t.Errorf("duplicate message took effect %d times, want 1", n)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("Handle called %d times, want 2 (once for the message, once for the sentinel)", n)
	}
	if n := testkit.Count(t, db, "SELECT count(*) FROM "+testkit.Table(svc, "inbox")+" WHERE handler = $1 AND message_id = $2", h.Name, id); n != 1 {
		t.Errorf("inbox rows for (%s, %s) = %d, want 1", h.Name, id, n)
	}
	if msgs, consumers := testkit.Inspect(t, ch, h.Name); msgs != 0 || consumers != 1 {
		t.Errorf("handler queue: %d ready messages and %d consumers, want 0 and 1", msgs, consumers)
	}
	if msgs, _ := testkit.Inspect(t, ch, broker.PoisonName(svc)); msgs != 0 {
		t.Errorf("poison queue holds %d messages, want 0", msgs)
	}
}

// probeTopic is unique to this test run: consumer.On derives a handler's
// topic from its event type, so the type's name cannot come from a field.
var probeTopic = testkit.Name("msgtest") + ".Probed"

// probe is the event of the poison test; Mode steers the handler.
type probe struct {
	Mode string `json:"mode"` // "ok", "permanent", "failing" or "transient"
	Key  string `json:"key"`
}

func (probe) EventName() string { return probeTopic }

// Validate requires a key, as an event's Validate requires its IDs.
func (p probe) Validate() error {
	if p.Key == "" {
		return fmt.Errorf("invalid %s payload: key is required", probeTopic)
	}
	return nil
}

// TestConsumerPoisonsWhatRetryingCannotFix sends a handler malformed and
// failing messages straight to its queue. Each lands in the service's poison
// queue, with the reason, handler, topic and time, keeping the message ID,
// correlation ID and body, after exactly one attempt. A transient failure is
// retried until it succeeds, and the handler keeps consuming afterwards.
func TestConsumerPoisonsWhatRetryingCannotFix(t *testing.T) {
	t.Parallel()
	db, svc := testkit.ServiceSchema(t)
	testkit.Exec(t, db, "CREATE TABLE "+testkit.Table(svc, "effects")+" (key text NOT NULL)")

	var mu sync.Mutex
	calls := map[string]int{}
	var total atomic.Int64
	h := consumer.On(svc, func(ctx context.Context, e probe) error {
		total.Add(1)
		mu.Lock()
		calls[e.Key]++
		n := calls[e.Key]
		mu.Unlock()
		switch e.Mode {
		case "permanent":
			return consumer.Permanent(errors.New("rule violated: probe refused"))
		case "failing":
			return errors.New("still unavailable")
		case "transient":
			if n <= 2 {
				return errors.New("temporarily unavailable")
			}
		}
		tx, ok := postgres.TxFrom(ctx)
		if !ok {
			return errors.New("handler runs outside the inbox transaction")
		}
		_, err := tx.Exec(ctx, "INSERT INTO "+testkit.Table(svc, "effects")+" VALUES ($1)", e.Key)
		return err
	})
	if want := svc + ".OnProbed"; h.Name != want || h.Topic != probeTopic {
		t.Fatalf("On made handler %q on %q, want %q on %q", h.Name, h.Topic, want, probeTopic)
	}
	top := broker.Plan([]broker.Service{{Name: svc, Consumes: consumer.Subscriptions(h)}}, 20, nil)
	testkit.RemoveTopologyAtEnd(t, top)
	deps := testkit.RouterDeps(t, db, svc, h)
	logger, logged := testkit.CountingLogger(t)
	deps.Logger = logger
	attempts := func() int64 { return logged("rejecting malformed message") + logged("handler failed") }
	testkit.RunRouter(t, deps, top)

	ch := testkit.Channel(t)
	poisonQ := broker.PoisonName(svc)
	effects := func(key string) int {
		return testkit.Count(t, db, "SELECT count(*) FROM "+testkit.Table(svc, "effects")+" WHERE key = $1", key)
	}

	poisonCases := []struct {
		name       string
		noID       bool
		headers    amqp.Table // added to message_id, name and correlation_id
		body       string
		wantReason string
		wantCalls  int64
		// wantAttempts is 1 unless the error is retried (default 1).
		wantAttempts int64
	}{
		{name: "undecodable JSON", body: `{"mode": "ok", "key": `, wantReason: "decode " + probeTopic + " payload"},
		{name: "no message_id", noID: true, body: `{"mode":"ok","key":"no-id"}`, wantReason: "no UUID"},
		{name: "x-death table header", body: `{"mode":"ok","key":"x-death"}`,
			headers:    amqp.Table{"x-death": []any{amqp.Table{"count": int64(1), "queue": "q", "reason": "rejected"}}},
			wantReason: "header x-death is an array"},
		{name: "plain table header", body: `{"mode":"ok","key":"table"}`,
			headers: amqp.Table{"trace": amqp.Table{"hop": "a"}}, wantReason: "header trace is a table"},
		{name: "another event's name", body: `{"mode":"ok","key":"other"}`,
			headers: amqp.Table{broker.NameKey: "other.SomethingElse"}, wantReason: `unknown event "other.SomethingElse"`},
		{name: "invalid payload", body: `{"mode":"ok"}`, wantReason: "invalid " + probeTopic + " payload: key is required"},
		{name: "permanent domain error", body: `{"mode":"permanent","key":"perm"}`, wantReason: "rule violated: probe refused", wantCalls: 1},
		{name: "transient error that persists", body: `{"mode":"failing","key":"failing"}`, wantReason: "still unavailable",
			wantCalls: 1 + int64(testkit.FastRetry.MaxRetries), wantAttempts: 1 + int64(testkit.FastRetry.MaxRetries)},
	}
	for _, tc := range poisonCases {
		t.Run(tc.name, func(t *testing.T) {
			id, corr := correlation.NewID(), correlation.NewID()
			headers := amqp.Table{broker.MessageIDKey: id, broker.NameKey: probeTopic, broker.CorrelationIDKey: corr}
			if tc.noID {
				delete(headers, broker.MessageIDKey)
				id = ""
			}
			for k, v := range tc.headers {
				headers[k] = v
			}
			callsBefore, attemptsBefore := total.Load(), attempts()
			testkit.Publish(t, ch, "", h.Name, headers, []byte(tc.body))

			d := testkit.Await(t, ch, poisonQ, true, "the message reaches "+poisonQ)

			str := func(k string) string { s, _ := d.Headers[k].(string); return s }
			if r := str(broker.ReasonPoisonedKey); !strings.Contains(r, tc.wantReason) {
				t.Errorf("reason_poisoned = %q, want it to contain %q", r, tc.wantReason)
			}
			if got := str(broker.HandlerPoisonedKey); got != h.Name {
				t.Errorf("handler_poisoned = %q, want %q", got, h.Name)
			}
			if got := str(broker.TopicPoisonedKey); got != probeTopic {
				t.Errorf("topic_poisoned = %q, want %q", got, probeTopic)
			}
			if _, err := time.Parse(time.RFC3339Nano, str(broker.PoisonedAtKey)); err != nil {
				t.Errorf("poisoned_at = %#v is not RFC 3339: %v", d.Headers[broker.PoisonedAtKey], err)
			}
			if got := str(broker.MessageIDKey); got != id {
				t.Errorf("message_id = %q, want %q", got, id)
			}
			if got := str(broker.CorrelationIDKey); got != corr {
				t.Errorf("correlation_id = %q, want %q", got, corr)
			}
			if string(d.Body) != tc.body {
				t.Errorf("body = %q, want the original %q", d.Body, tc.body)
			}
			// The poison publish follows the last attempt, so these counts are final.
			if got := total.Load() - callsBefore; got != tc.wantCalls {
				t.Errorf("handler function called %d times, want %d", got, tc.wantCalls)
			}
			wantAttempts := max(tc.wantAttempts, 1)
			if got := attempts() - attemptsBefore; got != wantAttempts {
				t.Errorf("%d failed attempts, want %d", got, wantAttempts)
			}
		})
	}

	t.Run("transient error is retried", func(t *testing.T) {
		attemptsBefore := attempts()
		testkit.Publish(t, ch, "", h.Name, amqp.Table{
			broker.MessageIDKey: correlation.NewID(), broker.NameKey: probeTopic, broker.CorrelationIDKey: correlation.NewID(),
		}, []byte(`{"mode":"transient","key":"transient"}`))
		testkit.Eventually(t, 30*time.Second, "the transiently failing message takes effect", func() bool { return effects("transient") == 1 })
		mu.Lock()
		n := calls["transient"]
		mu.Unlock()
		if n != 3 {
			t.Errorf("handler function called %d times, want 3 (two failures, one success)", n)
		}
		if got := attempts() - attemptsBefore; got != 2 {
			t.Errorf("%d failed attempts, want 2", got)
		}
	})

	t.Run("still consuming", func(t *testing.T) {
		testkit.Publish(t, ch, "", h.Name, amqp.Table{
			broker.MessageIDKey: correlation.NewID(), broker.NameKey: probeTopic, broker.CorrelationIDKey: correlation.NewID(),
		}, []byte(`{"mode":"ok","key":"good"}`))
		testkit.Eventually(t, 30*time.Second, "a good message takes effect", func() bool { return effects("good") == 1 })
		// Handled in queue order: everything before it is settled.
		for _, key := range []string{"no-id", "x-death", "table", "other", "perm", "failing"} {
			if n := effects(key); n != 0 {
				t.Errorf("poisoned message %q took effect %d times", key, n)
			}
		}
		if n := effects("transient"); n != 1 {
			t.Errorf("transient message took effect %d times, want 1", n)
		}
		if msgs, _ := testkit.Inspect(t, ch, poisonQ); msgs != 0 {
			t.Errorf("poison queue holds %d more messages, want 0", msgs)
		}
		if msgs, consumers := testkit.Inspect(t, ch, h.Name); msgs != 0 || consumers != 1 {
			t.Errorf("handler queue: %d ready messages and %d consumers, want 0 and 1", msgs, consumers)
		}
	})
}
