package replay_test

import (
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/replay"
)

var replayNow = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// poisoned builds a poisoned message as replay decodes it.
func poisoned(id, handler, topic, reason string, at time.Time) replay.PoisonMessage {
	return replay.PoisonMessage{Service: strings.Split(handler, ".")[0], ID: id, Handler: handler, Topic: topic,
		Reason: reason, PoisonedAt: at, FirstFailedAt: at}
}

func TestSelection(t *testing.T) {
	t.Parallel()
	at := func(min int) time.Time { return replayNow.Add(time.Duration(min) * time.Minute) }
	msgs := []replay.PoisonMessage{
		poisoned("m1", "shop.OnA", "shop.A", "product 1 is not in the cache yet", at(-50)),
		poisoned("m2", "shop.OnB", "shop.B", "decode shop.B payload: unexpected EOF", at(-40)),
		poisoned("m3", "shop.OnA", "shop.A", "Product 3 Is Not In The Cache Yet", at(-30)),
		poisoned("m4", "shop.OnA", "shop.A", "timeout", at(-20)),
		poisoned("m5", "shop.OnB", "shop.B", "product 5 is not in the cache yet", at(-10)),
	}
	tests := []struct {
		name string
		sel  replay.Selection
		want string
	}{
		{name: "everything", sel: replay.Selection{}, want: "m1 m2 m3 m4 m5"},
		{name: "handler", sel: replay.Selection{Handlers: []string{"shop.OnA"}}, want: "m1 m3 m4"},
		{name: "two handlers", sel: replay.Selection{Handlers: []string{"shop.OnA", "shop.OnB"}}, want: "m1 m2 m3 m4 m5"},
		{name: "topic", sel: replay.Selection{Topics: []string{"shop.B"}}, want: "m2 m5"},
		{name: "ids keep queue order", sel: replay.Selection{IDs: []string{"m4", "m1"}}, want: "m1 m4"},
		{name: "unknown id", sel: replay.Selection{IDs: []string{"m9"}}, want: ""},
		{name: "error ignores case", sel: replay.Selection{Error: "NOT IN THE CACHE"}, want: "m1 m3 m5"},
		{name: "since is inclusive", sel: replay.Selection{Since: at(-30)}, want: "m3 m4 m5"},
		{name: "until is inclusive", sel: replay.Selection{Until: at(-40)}, want: "m1 m2"},
		{name: "window", sel: replay.Selection{Since: at(-45), Until: at(-15)}, want: "m2 m3 m4"},
		{name: "limit takes the first matches", sel: replay.Selection{Error: "cache", Limit: 2}, want: "m1 m3"},
		{name: "all criteria at once", sel: replay.Selection{Handlers: []string{"shop.OnA"}, Topics: []string{"shop.A"},
			Error: "cache", Since: at(-35), Limit: 5}, want: "m3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids []string
			for _, m := range tt.sel.Select(msgs) {
				ids = append(ids, m.ID)
			}
			if got := strings.Join(ids, " "); got != tt.want {
				t.Errorf("Select = %q, want %q", got, tt.want)
			}
		})
	}
	if !(replay.Selection{}).IsZero() || (replay.Selection{Limit: 1}).IsZero() {
		t.Error("IsZero must hold for the empty selection only")
	}
	got := replay.Selection{Handlers: []string{"shop.OnA"}, Error: `not "found"`, Since: at(-30), Limit: 3}.String()
	if want := `--handler=shop.OnA --error="not \"found\"" --since=2025-03-10T11:30:00Z --limit=3`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

func TestDecodePoisoned(t *testing.T) {
	t.Parallel()
	const id = "01900000-0000-7000-8000-000000000001"
	poisonedAt := "2025-03-10T11:00:00.5Z"
	firstAt := "2025-03-09T10:00:00Z"
	dlxTime := time.Date(2025, 3, 10, 11, 30, 0, 0, time.Local)
	tests := []struct {
		name     string
		delivery amqp.Delivery
		want     replay.PoisonMessage
	}{
		{
			name: "poisoned by the consumer",
			delivery: amqp.Delivery{MessageId: id, Headers: amqp.Table{
				broker.MessageIDKey: id, broker.NameKey: "shop.A", broker.CorrelationIDKey: "corr", broker.CausationIDKey: "cause",
				broker.ReasonPoisonedKey: "boom", broker.HandlerPoisonedKey: "shop.OnA", broker.TopicPoisonedKey: "shop.A",
				broker.PoisonedAtKey: poisonedAt,
			}},
			want: replay.PoisonMessage{ID: id, Handler: "shop.OnA", Topic: "shop.A", Reason: "boom",
				PoisonedAt: parse(poisonedAt), FirstFailedAt: parse(poisonedAt), CorrelationID: "corr", CausationID: "cause"},
		},
		{
			name: "replayed before, failed again",
			delivery: amqp.Delivery{Headers: amqp.Table{
				broker.MessageIDKey: id, broker.ReasonPoisonedKey: "boom", broker.HandlerPoisonedKey: "shop.OnA",
				broker.TopicPoisonedKey: "shop.A", broker.PoisonedAtKey: poisonedAt,
				broker.ReplayCountKey: "2", broker.FirstPoisonedAtKey: firstAt,
			}},
			want: replay.PoisonMessage{ID: id, Handler: "shop.OnA", Topic: "shop.A", Reason: "boom",
				PoisonedAt: parse(poisonedAt), FirstFailedAt: parse(firstAt), ReplayCount: 2},
		},
		{
			name: "dead-lettered by the broker's delivery limit",
			delivery: amqp.Delivery{MessageId: id, Headers: amqp.Table{
				broker.MessageIDKey: id, broker.NameKey: "shop.A",
				"x-death": []any{amqp.Table{"count": int64(1), "exchange": "shop.A", "queue": "shop.OnA", "reason": "delivery_limit",
					"routing-keys": []any{""}, "time": dlxTime}},
				"x-first-death-queue": "shop.OnA", "x-first-death-reason": "delivery_limit", "x-first-death-exchange": "shop.A",
			}},
			want: replay.PoisonMessage{ID: id, Handler: "shop.OnA", Topic: "shop.A", DeadLettered: true,
				Reason:     "dead-lettered by the broker from shop.OnA: delivery_limit (delivered too often without an ack: it may crash or hang its consumer)",
				PoisonedAt: dlxTime.UTC(), FirstFailedAt: dlxTime.UTC()},
		},
		{
			name: "dead-lettered after a replay through the default exchange",
			delivery: amqp.Delivery{Headers: amqp.Table{
				broker.MessageIDKey: id, broker.NameKey: "shop.A", broker.ReplayCountKey: "1",
				"x-death": []any{amqp.Table{"count": int64(1), "exchange": "", "queue": "shop.OnA", "reason": "delivery_limit", "time": dlxTime}},
			}},
			want: replay.PoisonMessage{ID: id, Handler: "shop.OnA", Topic: "shop.A", DeadLettered: true, ReplayCount: 1,
				Reason:     "dead-lettered by the broker from shop.OnA: delivery_limit (delivered too often without an ack: it may crash or hang its consumer)",
				PoisonedAt: dlxTime.UTC(), FirstFailedAt: dlxTime.UTC()},
		},
		{
			name: "dead-lettered by the delivery limit after it waited",
			delivery: amqp.Delivery{Headers: amqp.Table{
				broker.MessageIDKey: id, broker.NameKey: "shop.A", broker.WaitCountKey: "2",
				"x-death": []any{
					amqp.Table{"count": int64(1), "exchange": "", "queue": "shop.OnA", "reason": "delivery_limit", "time": dlxTime},
					amqp.Table{"count": int64(2), "exchange": "shop.wait.1s", "queue": "shop.wait.1s", "reason": "expired", "time": dlxTime},
				},
				"x-first-death-queue": "shop.wait.1s",
			}},
			want: replay.PoisonMessage{ID: id, Handler: "shop.OnA", Topic: "shop.A", DeadLettered: true,
				Reason:     "dead-lettered by the broker from shop.OnA: delivery_limit (delivered too often without an ack: it may crash or hang its consumer)",
				PoisonedAt: dlxTime.UTC(), FirstFailedAt: dlxTime.UTC()},
		},
		{
			name: "headers of the wrong types never break decoding",
			delivery: amqp.Delivery{MessageId: id, Timestamp: dlxTime, Headers: amqp.Table{
				broker.MessageIDKey: int64(7), broker.ReasonPoisonedKey: amqp.Table{"a": "b"},
				broker.HandlerPoisonedKey: []byte("shop.OnA"), broker.ReplayCountKey: int32(3),
				broker.PoisonedAtKey: "not a time", "x-death": "not an array",
			}},
			want: replay.PoisonMessage{ID: id, PoisonedAt: dlxTime.UTC(), FirstFailedAt: dlxTime.UTC()},
		},
		{
			name: "x-death entries of the wrong types are skipped",
			delivery: amqp.Delivery{Headers: amqp.Table{
				"x-death":             []any{"junk", amqp.Table{"queue": int64(1)}, amqp.Table{"queue": "shop.OnB", "reason": "rejected"}},
				"x-first-death-queue": "shop.OnB",
			}},
			want: replay.PoisonMessage{Handler: "shop.OnB", DeadLettered: true, Reason: "dead-lettered by the broker from shop.OnB: rejected"},
		},
		{
			name:     "nothing at all",
			delivery: amqp.Delivery{},
			want:     replay.PoisonMessage{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := replay.DecodePoisoned("shop", tt.delivery)
			want := tt.want
			want.Service, want.Delivery = "shop", tt.delivery
			got.Delivery, want.Delivery = amqp.Delivery{}, amqp.Delivery{}
			if !equalPoison(got, want) {
				t.Errorf("decoded\n  %+v\nwant\n  %+v", got, want)
			}
		})
	}
}

func parse(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func equalPoison(a, b replay.PoisonMessage) bool {
	return a.Service == b.Service && a.ID == b.ID && a.Handler == b.Handler && a.Topic == b.Topic && a.Reason == b.Reason &&
		a.PoisonedAt.Equal(b.PoisonedAt) && a.FirstFailedAt.Equal(b.FirstFailedAt) && a.ReplayCount == b.ReplayCount &&
		a.CorrelationID == b.CorrelationID && a.CausationID == b.CausationID && a.DeadLettered == b.DeadLettered
}

func TestRedelivery(t *testing.T) {
	t.Parallel()
	const id = "01900000-0000-7000-8000-000000000001"
	d := amqp.Delivery{
		MessageId: id, ContentType: "application/json", DeliveryMode: amqp.Transient, CorrelationId: "prop-corr",
		UserId: "someone-else", Expiration: "60000", Timestamp: replayNow.Add(-time.Hour), AppId: "app", Body: []byte(`{"x":1}`),
		Headers: amqp.Table{
			broker.MessageIDKey: id, broker.NameKey: "shop.A", broker.CorrelationIDKey: "corr", broker.CausationIDKey: "cause",
			broker.ProducerKey: "shop", broker.OccurredAtKey: "2025-03-10T10:00:00Z", "traceparent": "00-abc-def-01",
			broker.ReasonPoisonedKey: "boom", broker.HandlerPoisonedKey: "shop.OnA", broker.TopicPoisonedKey: "shop.A",
			"subscriber_poisoned": "sub", broker.PoisonedAtKey: "2025-03-10T11:00:00Z", broker.DeliveryCountKey: "4",
			broker.ReplayCountKey: "1", broker.FirstPoisonedAtKey: "2025-03-09T10:00:00Z",
			"x-death": []any{amqp.Table{"queue": "shop.OnA"}}, "x-first-death-queue": "shop.OnA", "x-last-death-reason": "rejected",
			"x-delivery-count": int64(3),
			// It waited before it was poisoned; replayed, it may wait afresh.
			broker.WaitCountKey: "6", broker.WaitingSinceKey: "2025-03-10T10:59:00Z", broker.WaitReasonKey: "not found: x",
		},
	}
	m := replay.DecodePoisoned("shop", d)
	pub := replay.Redelivery(m, replayNow)

	if pub.MessageId != id || pub.Headers[broker.MessageIDKey] != id {
		t.Errorf("message ID property %q, header %v; want both %s", pub.MessageId, pub.Headers[broker.MessageIDKey], id)
	}
	if string(pub.Body) != `{"x":1}` || pub.ContentType != "application/json" || pub.CorrelationId != "prop-corr" || pub.AppId != "app" ||
		!pub.Timestamp.Equal(d.Timestamp) {
		t.Errorf("body and properties not kept: %+v", pub)
	}
	if pub.DeliveryMode != amqp.Persistent || pub.UserId != "" || pub.Expiration != "" {
		t.Errorf("delivery mode %d, user-id %q, expiration %q; want persistent, none, none", pub.DeliveryMode, pub.UserId, pub.Expiration)
	}
	want := map[string]string{
		broker.NameKey: "shop.A", broker.CorrelationIDKey: "corr", broker.CausationIDKey: "cause", broker.ProducerKey: "shop",
		broker.OccurredAtKey: "2025-03-10T10:00:00Z", "traceparent": "00-abc-def-01",
		broker.ReplayCountKey: "2", broker.ReplayedAtKey: "2025-03-10T12:00:00Z", broker.FirstPoisonedAtKey: "2025-03-09T10:00:00Z",
	}
	for k, v := range want {
		if pub.Headers[k] != v {
			t.Errorf("header %s = %#v, want %q", k, pub.Headers[k], v)
		}
	}
	for k := range pub.Headers {
		if _, ok := want[k]; !ok && k != broker.MessageIDKey {
			t.Errorf("header %s = %#v is carried over; the failure record and broker bookkeeping must be left out", k, pub.Headers[k])
		}
	}

	// The first replay stamps first_poisoned_at from poisoned_at.
	first := replay.DecodePoisoned("shop", amqp.Delivery{Headers: amqp.Table{
		broker.MessageIDKey: id, broker.PoisonedAtKey: "2025-03-10T11:00:00Z", broker.HandlerPoisonedKey: "shop.OnA", broker.ReasonPoisonedKey: "boom",
	}})
	pub = replay.Redelivery(first, replayNow)
	if pub.Headers[broker.ReplayCountKey] != "1" || pub.Headers[broker.FirstPoisonedAtKey] != "2025-03-10T11:00:00Z" {
		t.Errorf("first replay headers %v; want replay_count 1 and first_poisoned_at from poisoned_at", pub.Headers)
	}
}
