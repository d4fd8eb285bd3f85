package cmd

import (
	"bytes"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/replay"
)

// poisoned builds a poisoned message as replay decodes it.
func poisoned(id, handler, topic, reason string, at time.Time) replay.PoisonMessage {
	return replay.PoisonMessage{Service: strings.Split(handler, ".")[0], ID: id, Handler: handler, Topic: topic,
		Reason: reason, PoisonedAt: at, FirstFailedAt: at}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	msgs := []replay.PoisonMessage{
		poisoned("01900000-0000-7000-8000-000000000001", "shop.OnA", "shop.A",
			"product 01900000-0000-7000-8000-0000000000aa is not in the shop catalog cache yet, and this reason goes on and on", replayNow.Add(-90*time.Second)),
		{Service: "shop", Reason: "undecodable\nsecond line", PoisonedAt: replayNow.Add(-50 * time.Hour), FirstFailedAt: replayNow.Add(-72 * time.Hour), ReplayCount: 3},
	}
	msgs[0].FirstFailedAt = replayNow.Add(-3 * time.Hour)
	var buf bytes.Buffer
	if err := writeTable(&buf, msgs, replayNow); err != nil {
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
	msgs := []replay.PoisonMessage{
		poisoned("m1", "shop.OnA", "shop.A", "product 01900000-0000-7000-8000-000000000001 is not cached", at(-10)),
		poisoned("m2", "shop.OnB", "shop.B", "decode failed at offset 12", at(-30)),
		poisoned("m3", "shop.OnA", "shop.A", "product 01900000-0000-7000-8000-000000000002 is not cached", at(-20)),
		poisoned("m4", "shop.OnB", "shop.B", "decode failed at offset 99", at(-5)),
		poisoned("m5", "shop.OnA", "shop.A", "timeout", at(-1)),
	}
	groups := replay.Group(msgs)
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
	if err := writeList(&buf, []string{"shop", "other"}, msgs, replayNow); err != nil {
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
		broker.MessageIDKey: "m1", broker.ReasonPoisonedKey: "boom", broker.HandlerPoisonedKey: "shop.OnA",
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
			if err := writeMessage(&buf, replay.DecodePoisoned("shop", d)); err != nil {
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
