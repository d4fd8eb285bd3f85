package messaging_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/messaging"
)

var replayNow = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

func TestParseTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "2025-03-10T08:30:00Z", want: time.Date(2025, 3, 10, 8, 30, 0, 0, time.UTC)},
		{in: "2025-03-10T10:30:00+02:00", want: time.Date(2025, 3, 10, 8, 30, 0, 0, time.UTC)},
		{in: "2025-03-10T08:30:00.250Z", want: time.Date(2025, 3, 10, 8, 30, 0, 250_000_000, time.UTC)},
		{in: "2025-03-01", want: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
		{in: "2h", want: replayNow.Add(-2 * time.Hour)},
		{in: " 90m ", want: replayNow.Add(-90 * time.Minute)},
		{in: "1h30m", want: replayNow.Add(-90 * time.Minute)},
		{in: "7d", want: replayNow.Add(-7 * 24 * time.Hour)},
		{in: "0s", want: replayNow},
		{in: "yesterday", wantErr: true},
		{in: "-2h", wantErr: true},
		{in: "2x", wantErr: true},
		{in: "1.5d", wantErr: true},
		{in: "-1d", wantErr: true},
		{in: "2025-13-01", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := messaging.ParseTime(tt.in, replayNow)
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), "RFC 3339") {
				t.Errorf("ParseTime(%q) = %v, %v; want an error naming the accepted forms", tt.in, got, err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v in UTC", tt.in, got, err, tt.want)
		}
	}
}

// poisoned builds a poisoned message as replay decodes it.
func poisoned(id, handler, topic, reason string, at time.Time) messaging.PoisonMessage {
	return messaging.PoisonMessage{Service: strings.Split(handler, ".")[0], ID: id, Handler: handler, Topic: topic,
		Reason: reason, PoisonedAt: at, FirstFailedAt: at}
}

func TestSelection(t *testing.T) {
	t.Parallel()
	at := func(min int) time.Time { return replayNow.Add(time.Duration(min) * time.Minute) }
	msgs := []messaging.PoisonMessage{
		poisoned("m1", "shop.OnA", "shop.A", "product 1 is not in the cache yet", at(-50)),
		poisoned("m2", "shop.OnB", "shop.B", "decode shop.B payload: unexpected EOF", at(-40)),
		poisoned("m3", "shop.OnA", "shop.A", "Product 3 Is Not In The Cache Yet", at(-30)),
		poisoned("m4", "shop.OnA", "shop.A", "timeout", at(-20)),
		poisoned("m5", "shop.OnB", "shop.B", "product 5 is not in the cache yet", at(-10)),
	}
	tests := []struct {
		name string
		sel  messaging.Selection
		want string
	}{
		{name: "everything", sel: messaging.Selection{}, want: "m1 m2 m3 m4 m5"},
		{name: "handler", sel: messaging.Selection{Handlers: []string{"shop.OnA"}}, want: "m1 m3 m4"},
		{name: "two handlers", sel: messaging.Selection{Handlers: []string{"shop.OnA", "shop.OnB"}}, want: "m1 m2 m3 m4 m5"},
		{name: "topic", sel: messaging.Selection{Topics: []string{"shop.B"}}, want: "m2 m5"},
		{name: "ids keep queue order", sel: messaging.Selection{IDs: []string{"m4", "m1"}}, want: "m1 m4"},
		{name: "unknown id", sel: messaging.Selection{IDs: []string{"m9"}}, want: ""},
		{name: "error ignores case", sel: messaging.Selection{Error: "NOT IN THE CACHE"}, want: "m1 m3 m5"},
		{name: "since is inclusive", sel: messaging.Selection{Since: at(-30)}, want: "m3 m4 m5"},
		{name: "until is inclusive", sel: messaging.Selection{Until: at(-40)}, want: "m1 m2"},
		{name: "window", sel: messaging.Selection{Since: at(-45), Until: at(-15)}, want: "m2 m3 m4"},
		{name: "limit takes the first matches", sel: messaging.Selection{Error: "cache", Limit: 2}, want: "m1 m3"},
		{name: "all criteria at once", sel: messaging.Selection{Handlers: []string{"shop.OnA"}, Topics: []string{"shop.A"},
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
	if !(messaging.Selection{}).IsZero() || (messaging.Selection{Limit: 1}).IsZero() {
		t.Error("IsZero must hold for the empty selection only")
	}
	got := messaging.Selection{Handlers: []string{"shop.OnA"}, Error: `not "found"`, Since: at(-30), Limit: 3}.String()
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
		want     messaging.PoisonMessage
	}{
		{
			name: "poisoned by the consumer",
			delivery: amqp.Delivery{MessageId: id, Headers: amqp.Table{
				messaging.MessageIDKey: id, messaging.NameKey: "shop.A", messaging.CorrelationIDKey: "corr", messaging.CausationIDKey: "cause",
				messaging.ReasonPoisonedKey: "boom", messaging.HandlerPoisonedKey: "shop.OnA", messaging.TopicPoisonedKey: "shop.A",
				messaging.PoisonedAtKey: poisonedAt,
			}},
			want: messaging.PoisonMessage{ID: id, Handler: "shop.OnA", Topic: "shop.A", Reason: "boom",
				PoisonedAt: parse(poisonedAt), FirstFailedAt: parse(poisonedAt), CorrelationID: "corr", CausationID: "cause"},
		},
		{
			name: "replayed before, failed again",
			delivery: amqp.Delivery{Headers: amqp.Table{
				messaging.MessageIDKey: id, messaging.ReasonPoisonedKey: "boom", messaging.HandlerPoisonedKey: "shop.OnA",
				messaging.TopicPoisonedKey: "shop.A", messaging.PoisonedAtKey: poisonedAt,
				messaging.ReplayCountKey: "2", messaging.FirstPoisonedAtKey: firstAt,
			}},
			want: messaging.PoisonMessage{ID: id, Handler: "shop.OnA", Topic: "shop.A", Reason: "boom",
				PoisonedAt: parse(poisonedAt), FirstFailedAt: parse(firstAt), ReplayCount: 2},
		},
		{
			name: "dead-lettered by the broker's delivery limit",
			delivery: amqp.Delivery{MessageId: id, Headers: amqp.Table{
				messaging.MessageIDKey: id, messaging.NameKey: "shop.A",
				"x-death": []any{amqp.Table{"count": int64(1), "exchange": "shop.A", "queue": "shop.OnA", "reason": "delivery_limit",
					"routing-keys": []any{""}, "time": dlxTime}},
				"x-first-death-queue": "shop.OnA", "x-first-death-reason": "delivery_limit", "x-first-death-exchange": "shop.A",
			}},
			want: messaging.PoisonMessage{ID: id, Handler: "shop.OnA", Topic: "shop.A", DeadLettered: true,
				Reason:     "dead-lettered by the broker from shop.OnA: delivery_limit (delivered too often without an ack: it may crash or hang its consumer)",
				PoisonedAt: dlxTime.UTC(), FirstFailedAt: dlxTime.UTC()},
		},
		{
			name: "dead-lettered after a replay through the default exchange",
			delivery: amqp.Delivery{Headers: amqp.Table{
				messaging.MessageIDKey: id, messaging.NameKey: "shop.A", messaging.ReplayCountKey: "1",
				"x-death": []any{amqp.Table{"count": int64(1), "exchange": "", "queue": "shop.OnA", "reason": "delivery_limit", "time": dlxTime}},
			}},
			want: messaging.PoisonMessage{ID: id, Handler: "shop.OnA", Topic: "shop.A", DeadLettered: true, ReplayCount: 1,
				Reason:     "dead-lettered by the broker from shop.OnA: delivery_limit (delivered too often without an ack: it may crash or hang its consumer)",
				PoisonedAt: dlxTime.UTC(), FirstFailedAt: dlxTime.UTC()},
		},
		{
			name: "dead-lettered by the delivery limit after it waited",
			delivery: amqp.Delivery{Headers: amqp.Table{
				messaging.MessageIDKey: id, messaging.NameKey: "shop.A", messaging.WaitCountKey: "2",
				"x-death": []any{
					amqp.Table{"count": int64(1), "exchange": "", "queue": "shop.OnA", "reason": "delivery_limit", "time": dlxTime},
					amqp.Table{"count": int64(2), "exchange": "shop.wait.1s", "queue": "shop.wait.1s", "reason": "expired", "time": dlxTime},
				},
				"x-first-death-queue": "shop.wait.1s",
			}},
			want: messaging.PoisonMessage{ID: id, Handler: "shop.OnA", Topic: "shop.A", DeadLettered: true,
				Reason:     "dead-lettered by the broker from shop.OnA: delivery_limit (delivered too often without an ack: it may crash or hang its consumer)",
				PoisonedAt: dlxTime.UTC(), FirstFailedAt: dlxTime.UTC()},
		},
		{
			name: "headers of the wrong types never break decoding",
			delivery: amqp.Delivery{MessageId: id, Timestamp: dlxTime, Headers: amqp.Table{
				messaging.MessageIDKey: int64(7), messaging.ReasonPoisonedKey: amqp.Table{"a": "b"},
				messaging.HandlerPoisonedKey: []byte("shop.OnA"), messaging.ReplayCountKey: int32(3),
				messaging.PoisonedAtKey: "not a time", "x-death": "not an array",
			}},
			want: messaging.PoisonMessage{ID: id, PoisonedAt: dlxTime.UTC(), FirstFailedAt: dlxTime.UTC()},
		},
		{
			name: "x-death entries of the wrong types are skipped",
			delivery: amqp.Delivery{Headers: amqp.Table{
				"x-death":             []any{"junk", amqp.Table{"queue": int64(1)}, amqp.Table{"queue": "shop.OnB", "reason": "rejected"}},
				"x-first-death-queue": "shop.OnB",
			}},
			want: messaging.PoisonMessage{Handler: "shop.OnB", DeadLettered: true, Reason: "dead-lettered by the broker from shop.OnB: rejected"},
		},
		{
			name:     "nothing at all",
			delivery: amqp.Delivery{},
			want:     messaging.PoisonMessage{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := messaging.DecodePoisoned("shop", tt.delivery)
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

func equalPoison(a, b messaging.PoisonMessage) bool {
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
			messaging.MessageIDKey: id, messaging.NameKey: "shop.A", messaging.CorrelationIDKey: "corr", messaging.CausationIDKey: "cause",
			messaging.ProducerKey: "shop", messaging.OccurredAtKey: "2025-03-10T10:00:00Z", "traceparent": "00-abc-def-01",
			messaging.ReasonPoisonedKey: "boom", messaging.HandlerPoisonedKey: "shop.OnA", messaging.TopicPoisonedKey: "shop.A",
			"subscriber_poisoned": "sub", messaging.PoisonedAtKey: "2025-03-10T11:00:00Z", messaging.DeliveryCountKey: "4",
			messaging.ReplayCountKey: "1", messaging.FirstPoisonedAtKey: "2025-03-09T10:00:00Z",
			"x-death": []any{amqp.Table{"queue": "shop.OnA"}}, "x-first-death-queue": "shop.OnA", "x-last-death-reason": "rejected",
			"x-delivery-count": int64(3),
			// It waited before it was poisoned; replayed, it may wait afresh.
			messaging.WaitCountKey: "6", messaging.WaitingSinceKey: "2025-03-10T10:59:00Z", messaging.WaitReasonKey: "not found: x",
		},
	}
	m := messaging.DecodePoisoned("shop", d)
	pub := messaging.Redelivery(m, replayNow)

	if pub.MessageId != id || pub.Headers[messaging.MessageIDKey] != id {
		t.Errorf("message ID property %q, header %v; want both %s", pub.MessageId, pub.Headers[messaging.MessageIDKey], id)
	}
	if string(pub.Body) != `{"x":1}` || pub.ContentType != "application/json" || pub.CorrelationId != "prop-corr" || pub.AppId != "app" ||
		!pub.Timestamp.Equal(d.Timestamp) {
		t.Errorf("body and properties not kept: %+v", pub)
	}
	if pub.DeliveryMode != amqp.Persistent || pub.UserId != "" || pub.Expiration != "" {
		t.Errorf("delivery mode %d, user-id %q, expiration %q; want persistent, none, none", pub.DeliveryMode, pub.UserId, pub.Expiration)
	}
	want := map[string]string{
		messaging.NameKey: "shop.A", messaging.CorrelationIDKey: "corr", messaging.CausationIDKey: "cause", messaging.ProducerKey: "shop",
		messaging.OccurredAtKey: "2025-03-10T10:00:00Z", "traceparent": "00-abc-def-01",
		messaging.ReplayCountKey: "2", messaging.ReplayedAtKey: "2025-03-10T12:00:00Z", messaging.FirstPoisonedAtKey: "2025-03-09T10:00:00Z",
	}
	for k, v := range want {
		if pub.Headers[k] != v {
			t.Errorf("header %s = %#v, want %q", k, pub.Headers[k], v)
		}
	}
	for k := range pub.Headers {
		if _, ok := want[k]; !ok && k != messaging.MessageIDKey {
			t.Errorf("header %s = %#v is carried over; the failure record and broker bookkeeping must be left out", k, pub.Headers[k])
		}
	}

	// The first replay stamps first_poisoned_at from poisoned_at.
	first := messaging.DecodePoisoned("shop", amqp.Delivery{Headers: amqp.Table{
		messaging.MessageIDKey: id, messaging.PoisonedAtKey: "2025-03-10T11:00:00Z", messaging.HandlerPoisonedKey: "shop.OnA", messaging.ReasonPoisonedKey: "boom",
	}})
	pub = messaging.Redelivery(first, replayNow)
	if pub.Headers[messaging.ReplayCountKey] != "1" || pub.Headers[messaging.FirstPoisonedAtKey] != "2025-03-10T11:00:00Z" {
		t.Errorf("first replay headers %v; want replay_count 1 and first_poisoned_at from poisoned_at", pub.Headers)
	}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	msgs := []messaging.PoisonMessage{
		poisoned("01900000-0000-7000-8000-000000000001", "shop.OnA", "shop.A",
			"product 01900000-0000-7000-8000-0000000000aa is not in the shop catalog cache yet, and this reason goes on and on", replayNow.Add(-90*time.Second)),
		{Service: "shop", Reason: "undecodable\nsecond line", PoisonedAt: replayNow.Add(-50 * time.Hour), FirstFailedAt: replayNow.Add(-72 * time.Hour), ReplayCount: 3},
	}
	msgs[0].FirstFailedAt = replayNow.Add(-3 * time.Hour)
	var buf bytes.Buffer
	if err := messaging.WriteTable(&buf, msgs, replayNow); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("table has %d lines, want a header and 2 rows:\n%s", len(lines), buf.String())
	}
	wantHeader := []string{"ID", "SERVICE", "HANDLER", "TOPIC", "ERROR", "FIRST", "FAILED", "AGE", "REPLAYS"}
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != strings.Join(wantHeader, " ") {
		t.Errorf("header = %q, want %q", got, wantHeader)
	}
	for _, want := range []string{
		"01900000-0000-7000-8000-000000000001", "shop.OnA", "shop.A",
		"product 01900000-0000-7000-8000-0000000000aa is not in the…", "2025-03-10T09:00:00Z", " 1m30s ", " 0",
	} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row 1 lacks %q:\n%s", want, lines[1])
		}
	}
	for _, want := range []string{"undecodable …", "2025-03-07T12:00:00Z", " 2d2h ", " 3"} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("row 2 lacks %q:\n%s", want, lines[2])
		}
	}
	if got := strings.Fields(lines[2]); got[0] != "-" || got[2] != "-" || got[3] != "-" {
		t.Errorf("row 2 = %q: a missing ID, handler and topic must show as -", got)
	}
	// Columns line up: each row's error starts where the header's does.
	col := strings.Index(lines[0], "ERROR")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[col:], "product") && !strings.HasPrefix(l[col:], "undecodable") {
			t.Errorf("error column misaligned at %d in %q", col, l)
		}
	}
}

func TestWriteListGroupsByHandlerAndErrorOldestFirst(t *testing.T) {
	t.Parallel()
	at := func(min int) time.Time { return replayNow.Add(time.Duration(min) * time.Minute) }
	msgs := []messaging.PoisonMessage{
		poisoned("m1", "shop.OnA", "shop.A", "product 01900000-0000-7000-8000-000000000001 is not cached", at(-10)),
		poisoned("m2", "shop.OnB", "shop.B", "decode failed at offset 12", at(-30)),
		poisoned("m3", "shop.OnA", "shop.A", "product 01900000-0000-7000-8000-000000000002 is not cached", at(-20)),
		poisoned("m4", "shop.OnB", "shop.B", "decode failed at offset 99", at(-5)),
		poisoned("m5", "shop.OnA", "shop.A", "timeout", at(-1)),
	}
	groups := messaging.Group(msgs)
	type g struct {
		handler, err string
		n            int
	}
	want := []g{
		{"shop.OnB", "decode failed at offset <n>", 2},
		{"shop.OnA", "product <id> is not cached", 2},
		{"shop.OnA", "timeout", 1},
	}
	if len(groups) != len(want) {
		t.Fatalf("groups = %+v, want %+v", groups, want)
	}
	for i, w := range want {
		if groups[i].Handler != w.handler || groups[i].Error != w.err || groups[i].Count != w.n {
			t.Errorf("group %d = %+v, want %+v", i, groups[i], w)
		}
	}
	if !groups[0].Oldest.Equal(at(-30)) || !groups[1].Oldest.Equal(at(-20)) {
		t.Errorf("oldest = %v, %v; want the oldest message of each group", groups[0].Oldest, groups[1].Oldest)
	}

	var buf bytes.Buffer
	if err := messaging.WriteList(&buf, []string{"shop", "other"}, msgs, replayNow); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"shop.poison  5", "other.poison  0", "HANDLER", "shop.OnB  2  2025-03-10T11:30:00Z (30m0s ago)  decode failed at offset <n>"} {
		if !strings.Contains(strings.Join(strings.Fields(out), "  "), strings.Join(strings.Fields(want), "  ")) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "shop.OnB") > strings.Index(out, "timeout") {
		t.Errorf("groups are not oldest first:\n%s", out)
	}
}

func TestWriteMessage(t *testing.T) {
	t.Parallel()
	base := amqp.Delivery{MessageId: "m1", ContentType: "application/json", DeliveryMode: amqp.Persistent, Headers: amqp.Table{
		messaging.MessageIDKey: "m1", messaging.ReasonPoisonedKey: "boom", messaging.HandlerPoisonedKey: "shop.OnA",
		"x-death": []any{amqp.Table{"queue": "shop.OnA", "count": int64(2)}}, "retries": int32(4),
	}}
	tests := []struct {
		name string
		body []byte
		want []string
	}{
		{name: "JSON is pretty-printed", body: []byte(`{"productId":"p1","price":999}`),
			want: []string{"payload (30 bytes)", "{\n  \"price\": 999,\n  \"productId\": \"p1\"\n}"}},
		{name: "anything else is escaped", body: []byte("\xff\xfe{\"broken\": \n\x00"),
			want: []string{"payload (15 bytes)", `"\xff\xfe{\"broken\": \n\x00"   (not JSON; shown escaped)`}},
		{name: "an empty body says so", body: nil, want: []string{"payload (0 bytes)", `""   (not JSON; shown escaped)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := base
			d.Body = tt.body
			var buf bytes.Buffer
			if err := messaging.WriteMessage(&buf, messaging.DecodePoisoned("shop", d)); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, w := range append(tt.want, "message m1 in shop.poison", "handler", "shop.OnA", "error", "boom",
				"content_type", "application/json", "delivery_mode", "retries", "4 (a number (4))", "x-death", "(an array)") {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
