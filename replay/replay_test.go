package replay_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/consumer"
	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
	"github.com/mallbots/mallbots/replay"
)

// replayService plans a service with handlers OnA (topic A) and OnB (topic
// B), declares its topology with deliveryLimit and removes it at the end.
func replayService(t *testing.T, deliveryLimit int) (db *postgres.DB, svc string, a, b consumer.Handler, ch *amqp.Channel) {
	t.Helper()
	db, svc = testkit.ServiceSchema(t)
	a = consumer.Handler{Service: svc, Name: svc + ".OnA", Topic: svc + ".A", Handle: testkit.NopHandle}
	b = consumer.Handler{Service: svc, Name: svc + ".OnB", Topic: svc + ".B", Handle: testkit.NopHandle}
	top := broker.Plan([]broker.Service{{Name: svc, Publishes: []string{a.Topic, b.Topic}, Consumes: consumer.Subscriptions(a, b)}}, deliveryLimit, nil)
	testkit.RemoveTopologyAtEnd(t, top)
	ch = testkit.Channel(t)
	if err := top.Declare(ch); err != nil {
		t.Fatalf("declare topology: %v", err)
	}
	return db, svc, a, b, ch
}

// poisonHeaders are the headers a message poisoned by handler h carries.
func poisonHeaders(h consumer.Handler, id, reason string) amqp.Table {
	return amqp.Table{
		broker.MessageIDKey: id, broker.NameKey: h.Topic, broker.CorrelationIDKey: "corr-" + id,
		broker.CausationIDKey: "cause-" + id, broker.ProducerKey: "test",
		broker.ReasonPoisonedKey: reason, broker.HandlerPoisonedKey: h.Name, broker.TopicPoisonedKey: h.Topic,
		"subscriber_poisoned": "sub", broker.PoisonedAtKey: time.Now().UTC().Format(time.RFC3339Nano),
	}
}

func ids(ds []amqp.Delivery) string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprint(d.Headers[broker.MessageIDKey]))
	}
	return strings.Join(out, " ")
}

// TestReplayRedeliversToTheFailedHandlerOnly replays one handler's poisoned
// messages: they reach that handler's queue alone, in order, with their IDs
// and headers and a replay count; another consumer of the same topic sees
// nothing; the other messages stay in the poison queue in their order; a
// message for a handler that no longer exists stays too; and everything is
// in the audit trail.
func TestReplayRedeliversToTheFailedHandlerOnly(t *testing.T) {
	t.Parallel()
	db, svc, a, b, ch := replayService(t, 20)
	tap := testkit.Listen(t, ch, a.Topic)
	poison := broker.PoisonName(svc)
	gone := consumer.Handler{Service: svc, Name: svc + ".OnGone", Topic: a.Topic}
	order := []consumer.Handler{a, b, a, b, gone, b, a}
	var all []string
	for i, h := range order {
		id := fmt.Sprintf("m%d", i)
		all = append(all, id)
		testkit.Publish(t, ch, poison, "", poisonHeaders(h, id, "boom "+id), []byte(fmt.Sprintf(`{"seq":%d}`, i)))
	}
	testkit.AwaitQueue(t, ch, poison, len(order))

	conn := testkit.Connection(t)
	q, err := replay.ReadPoisonQueues(context.Background(), conn, []string{svc})
	if err != nil {
		t.Fatalf("ReadPoisonQueues: %v", err)
	}
	defer q.Close()
	var read []string
	for _, m := range q.Messages() {
		read = append(read, m.ID)
	}
	if got := strings.Join(read, " "); got != strings.Join(all, " ") {
		t.Fatalf("read %q, want every message in queue order %q", got, all)
	}
	if _, err := replay.ReadPoisonQueues(context.Background(), testkit.Connection(t), []string{svc}); err == nil || !strings.Contains(err.Error(), "exclusive use") {
		t.Errorf("a second reader of %s got %v, want it refused as in exclusive use", poison, err)
	}

	sel := replay.Selection{Handlers: []string{a.Name, gone.Name}}
	selected := sel.Select(q.Messages())
	var progress []string
	res, err := q.Apply(context.Background(), selected, replay.ApplyOptions{
		Action: replay.ActionReplay, Audit: replay.NewAudit(db.Pool), Actor: "tester", Selection: sel.String(),
		Handlers: []string{a.Name, b.Name},
		Progress: func(m replay.PoisonMessage, err error) {
			progress = append(progress, fmt.Sprintf("%s:%v", m.ID, err == nil))
		},
	})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if res.Succeeded != 3 || res.Failed != 1 {
		t.Errorf("Apply = %+v, want 3 re-delivered and 1 failed (the handler that is gone)", res)
	}
	if got := strings.Join(progress, " "); got != "m0:true m2:true m4:false m6:true" {
		t.Errorf("progress = %q", got)
	}
	q.Close()

	got := testkit.Drain(t, ch, a.Name)
	if ids(got) != "m0 m2 m6" {
		t.Fatalf("%s received %q, want m0 m2 m6 in order", a.Name, ids(got))
	}
	for _, d := range got {
		id := d.MessageId
		want := map[string]string{
			broker.MessageIDKey: id, broker.NameKey: a.Topic, broker.CorrelationIDKey: "corr-" + id,
			broker.CausationIDKey: "cause-" + id, broker.ProducerKey: "test", broker.ReplayCountKey: "1",
		}
		for k, v := range want {
			if d.Headers[k] != v {
				t.Errorf("message %s header %s = %#v, want %q", id, k, d.Headers[k], v)
			}
		}
		for _, k := range []string{broker.ReasonPoisonedKey, broker.HandlerPoisonedKey, broker.PoisonedAtKey} {
			if _, ok := d.Headers[k]; ok {
				t.Errorf("message %s still carries %s", id, k)
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(d.Headers[broker.ReplayedAtKey])); err != nil {
			t.Errorf("message %s replayed_at = %#v", id, d.Headers[broker.ReplayedAtKey])
		}
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(d.Headers[broker.FirstPoisonedAtKey])); err != nil {
			t.Errorf("message %s first_poisoned_at = %#v", id, d.Headers[broker.FirstPoisonedAtKey])
		}
		if d.DeliveryMode != amqp.Persistent {
			t.Errorf("message %s is not persistent", id)
		}
	}
	if n, _ := testkit.Inspect(t, ch, tap); n != 0 {
		t.Errorf("another consumer of %s received %d replayed messages, want 0", a.Topic, n)
	}
	if n, _ := testkit.Inspect(t, ch, b.Name); n != 0 {
		t.Errorf("%s received %d messages, want 0", b.Name, n)
	}
	if left := ids(testkit.Drain(t, ch, poison)); left != "m1 m3 m4 m5" {
		t.Errorf("poison queue keeps %q, want m1 m3 m4 m5 in their order", left)
	}

	var action, actor, selection, result string
	var succeeded, failed int
	err = db.Pool.QueryRow(context.Background(), "SELECT action, actor, selection, succeeded, failed, result FROM replay.runs WHERE id = $1", res.RunID).
		Scan(&action, &actor, &selection, &succeeded, &failed, &result)
	if err != nil {
		t.Fatalf("read the audited run: %v", err)
	}
	if action != "replay" || actor != "tester" || selection != sel.String() || succeeded != 3 || failed != 1 || !strings.Contains(result, "1 of 4 messages failed") {
		t.Errorf("audited run = %s by %s (%s): %d ok, %d failed, %q", action, actor, selection, succeeded, failed, result)
	}
	rows, err := db.Pool.Query(context.Background(), "SELECT message_id || ':' || outcome || ':' || convert_from(payload, 'UTF8') FROM replay.messages WHERE run_id = $1 ORDER BY id", res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	var audited []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		audited = append(audited, s)
	}
	want := `m0:redelivered:{"seq":0} m2:redelivered:{"seq":2} m4:failed:{"seq":4} m6:redelivered:{"seq":6}`
	if got := strings.Join(audited, " "); got != want {
		t.Errorf("audited messages %q, want %q", got, want)
	}
}

// TestReplayReadsWhatTheBrokerDeadLettered: a message that its consumer
// never acknowledges is dead-lettered by the quorum queue's delivery limit
// (the backstop) with only an x-death header. replay finds its handler and
// topic there and re-delivers it without the broker's bookkeeping, which
// the consumer would otherwise reject as undecodable.
func TestReplayReadsWhatTheBrokerDeadLettered(t *testing.T) {
	t.Parallel()
	_, svc, a, _, ch := replayService(t, 1)
	id := correlation.NewID()
	testkit.Publish(t, ch, a.Topic, "", amqp.Table{broker.MessageIDKey: id, broker.NameKey: a.Topic, broker.CorrelationIDKey: "corr"}, []byte(`{"crash":true}`))
	poison := broker.PoisonName(svc)
	// A consumer that dies before acking, over and over.
	testkit.Eventually(t, 30*time.Second, "the broker dead-letters the message", func() bool {
		if d, ok, err := ch.Get(a.Name, false); err == nil && ok {
			_ = d.Nack(false, true)
		}
		n, _ := testkit.Inspect(t, ch, poison)
		return n == 1
	})

	q, err := replay.ReadPoisonQueues(context.Background(), testkit.Connection(t), []string{svc})
	if err != nil {
		t.Fatalf("ReadPoisonQueues: %v", err)
	}
	defer q.Close()
	m := q.Messages()[0]
	if m.ID != id || m.Handler != a.Name || m.Topic != a.Topic || !m.DeadLettered || !strings.Contains(m.Reason, "delivery_limit") || m.PoisonedAt.IsZero() {
		t.Fatalf("decoded %+v; want its ID, handler %s and topic %s from x-death, a delivery_limit reason and a time", m, a.Name, a.Topic)
	}
	if _, ok := m.Delivery.Headers["x-death"]; !ok {
		t.Fatalf("headers %v lack x-death: not dead-lettered by the broker?", m.Delivery.Headers)
	}
	if err := q.Redeliver(m, time.Now()); err != nil {
		t.Fatalf("Redeliver: %v", err)
	}
	q.Close()
	got := testkit.Drain(t, ch, a.Name)
	if len(got) != 1 || got[0].MessageId != id || string(got[0].Body) != `{"crash":true}` {
		t.Fatalf("%s received %v", a.Name, got)
	}
	for k, v := range got[0].Headers {
		if _, isString := v.(string); !isString && k != "x-delivery-count" {
			t.Errorf("re-delivered header %s = %#v is not a string: the consumer would poison it as undecodable", k, v)
		}
	}
	if got[0].Headers[broker.ReplayCountKey] != "1" || got[0].Headers[broker.CorrelationIDKey] != "corr" {
		t.Errorf("re-delivered headers %v", got[0].Headers)
	}
	if n, _ := testkit.Inspect(t, ch, poison); n != 0 {
		t.Errorf("poison queue holds %d messages, want 0", n)
	}
}

// TestReplayedMessageThatFailsAgainKeepsItsReplayCount runs the real
// consumer router: a message it poisons, replayed while the fault persists,
// is poisoned again with replay_count 1, then 2, and with the time it first
// failed.
func TestReplayedMessageThatFailsAgainKeepsItsReplayCount(t *testing.T) {
	t.Parallel()
	db, svc := testkit.ServiceSchema(t)
	h := consumer.Handler{Service: svc, Name: svc + ".OnA", Topic: svc + ".A",
		Handle: func(context.Context, []byte) error { return consumer.Permanent(errors.New("still broken")) }}
	top := broker.Plan([]broker.Service{{Name: svc, Consumes: consumer.Subscriptions(h)}}, 20, nil)
	testkit.RemoveTopologyAtEnd(t, top)
	testkit.RunRouter(t, testkit.RouterDeps(t, db, svc, h), top)
	ch := testkit.Channel(t)
	poison := broker.PoisonName(svc)
	id := correlation.NewID()
	testkit.Publish(t, ch, h.Topic, "", amqp.Table{broker.MessageIDKey: id, broker.NameKey: h.Topic, broker.CorrelationIDKey: "corr"}, []byte(`{}`))
	testkit.AwaitQueue(t, ch, poison, 1)

	var first time.Time
	for round := 1; round <= 2; round++ {
		q, err := replay.ReadPoisonQueues(context.Background(), testkit.Connection(t), []string{svc})
		if err != nil {
			t.Fatalf("ReadPoisonQueues: %v", err)
		}
		m := q.Messages()[0]
		if round == 1 {
			first = m.PoisonedAt
		}
		if m.ReplayCount != round-1 || !m.FirstFailedAt.Equal(first) || m.Reason != "still broken" || m.CorrelationID != "corr" {
			t.Fatalf("round %d read %+v; want replay count %d, first failure %v", round, m, round-1, first)
		}
		res, err := q.Apply(context.Background(), q.Messages(), replay.ApplyOptions{
			Action: replay.ActionReplay, Audit: replay.NewAudit(db.Pool), Actor: "tester", Handlers: []string{h.Name}})
		q.Close()
		if err != nil || res.Succeeded != 1 {
			t.Fatalf("Apply = %+v, %v", res, err)
		}
		testkit.AwaitQueue(t, ch, poison, 1)
	}
	d, ok, err := ch.Get(poison, true)
	if err != nil || !ok {
		t.Fatalf("get from %s: %v %v", poison, ok, err)
	}
	m := replay.DecodePoisoned(svc, d)
	if m.ID != id || m.ReplayCount != 2 || !m.FirstFailedAt.Equal(first) || !m.PoisonedAt.After(first) || m.Handler != h.Name {
		t.Errorf("after two replays the poisoned message reads %+v; want replay count 2, first failure %v", m, first)
	}
}

// TestDiscardRecordsTheMessageInFull discards a message whose payload can
// never be decoded: the audit trail holds its bytes and headers exactly, and
// it is gone from the poison queue.
func TestDiscardRecordsTheMessageInFull(t *testing.T) {
	t.Parallel()
	db, svc, a, _, ch := replayService(t, 20)
	poison := broker.PoisonName(svc)
	body := []byte("\xff\xfe{\"productId\": \x00")
	headers := poisonHeaders(a, "bad", "decode payload: invalid character")
	headers["x-death"] = []any{amqp.Table{"queue": a.Name, "count": int64(1), "time": time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)}}
	// PostgreSQL text and jsonb refuse these; the record must not.
	headers["note"] = "nul\x00 and invalid \xff"
	headers[broker.ReasonPoisonedKey] = "decode payload: invalid character \xff"
	testkit.Publish(t, ch, poison, "", headers, body)
	testkit.Publish(t, ch, poison, "", poisonHeaders(a, "keep", "boom"), []byte(`{}`))
	testkit.AwaitQueue(t, ch, poison, 2)

	q, err := replay.ReadPoisonQueues(context.Background(), testkit.Connection(t), []string{svc})
	if err != nil {
		t.Fatalf("ReadPoisonQueues: %v", err)
	}
	defer q.Close()
	sel := replay.Selection{IDs: []string{"bad"}}
	res, err := q.Apply(context.Background(), sel.Select(q.Messages()), replay.ApplyOptions{
		Action: replay.ActionDiscard, Audit: replay.NewAudit(db.Pool), Actor: "tester", Selection: sel.String()})
	if err != nil || res.Succeeded != 1 {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	q.Close()
	if left := ids(testkit.Drain(t, ch, poison)); left != "keep" {
		t.Errorf("poison queue keeps %q, want only the message not selected", left)
	}

	var payload []byte
	var outcome, handler string
	var hdrs map[string]any
	err = db.Pool.QueryRow(context.Background(), `SELECT payload, outcome, handler, headers FROM replay.messages WHERE run_id = $1 AND message_id = 'bad'`, res.RunID).
		Scan(&payload, &outcome, &handler, &hdrs)
	if err != nil {
		t.Fatalf("read the audited message: %v", err)
	}
	if string(payload) != string(body) || outcome != "discarded" || handler != a.Name {
		t.Errorf("audited payload %q (%s, %s), want %q discarded from %s", payload, outcome, handler, body, a.Name)
	}
	if hdrs[broker.ReasonPoisonedKey] != "decode payload: invalid character \uFFFD" || hdrs["note"] != "nul\\x00 and invalid \uFFFD" {
		t.Errorf("audited headers %v lack the reason or the note, made storable", hdrs)
	}
	death, _ := json.Marshal(hdrs["x-death"])
	if !strings.Contains(string(death), `"queue":"`+a.Name+`"`) || !strings.Contains(string(death), "2025-03-10T12:00:00Z") {
		t.Errorf("audited x-death = %s", death)
	}
}

// TestPoisonQueueCloseRequeuesInOrder: closing without acting gives every
// message back in its place, so listing or a dry run changes nothing.
func TestPoisonQueueCloseRequeuesInOrder(t *testing.T) {
	t.Parallel()
	_, svc, a, _, ch := replayService(t, 20)
	poison := broker.PoisonName(svc)
	for i := range 5 {
		id := fmt.Sprintf("m%d", i)
		testkit.Publish(t, ch, poison, "", poisonHeaders(a, id, "boom"), nil)
	}
	testkit.AwaitQueue(t, ch, poison, 5)
	for range 2 {
		q, err := replay.ReadPoisonQueues(context.Background(), testkit.Connection(t), []string{svc})
		if err != nil {
			t.Fatalf("ReadPoisonQueues: %v", err)
		}
		if len(q.Messages()) != 5 {
			t.Fatalf("read %d messages, want 5", len(q.Messages()))
		}
		q.Close()
	}
	if got := ids(testkit.Drain(t, ch, poison)); got != "m0 m1 m2 m3 m4" {
		t.Errorf("after two reads the queue holds %q, want m0 … m4 in order", got)
	}
	if _, err := replay.ReadPoisonQueues(context.Background(), testkit.Connection(t), []string{testkit.Name("nosvc")}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("reading a missing poison queue = %v, want an error saying it does not exist", err)
	}
}

// TestReplayLogRedeliversAsTheRelayPublished re-delivers a topic's events
// from the outbox event log to one handler's queue: in commit order, each
// exactly as the relay published it plus replay_count and replayed_at,
// filtered by topic, time and limit, and audited; the topic's exchange sees
// nothing.
func TestReplayLogRedeliversAsTheRelayPublished(t *testing.T) {
	t.Parallel()
	db, svc := testkit.ServiceSchema(t)
	topic, other := svc+".ThingHappened", svc+".OtherThing"
	h := consumer.Handler{Service: svc, Name: svc + ".OnThingHappened", Topic: topic, Handle: testkit.NopHandle}
	top := broker.Plan([]broker.Service{{Name: svc, Publishes: []string{topic, other}, Consumes: consumer.Subscriptions(h)}}, 20, nil)
	testkit.RemoveTopologyAtEnd(t, top)
	ch := testkit.Channel(t)
	if err := top.Declare(ch); err != nil {
		t.Fatal(err)
	}
	tap := testkit.Listen(t, ch, topic)
	ev := func(seq int64) testkit.Thing { return testkit.Thing{Topic: topic, Seq: seq} }
	testkit.Commit(t, db, svc, ev(1), testkit.Thing{Topic: other, Seq: 100}, ev(2))
	testkit.Commit(t, db, svc, ev(3))
	testkit.Commit(t, db, svc, testkit.Thing{Topic: other, Seq: 101}, ev(4))
	testkit.AwaitRelayable(t, db, svc, 6)
	relay := outbox.NewRelay(svc, db.Pool, testkit.Broker(t), top, nil,
		outbox.RelayConfig{BatchSize: 100, PollInterval: 20 * time.Millisecond, Retention: 7 * 24 * time.Hour}, nil, testkit.Logger(t))
	if n, err := relay.RelayBatch(context.Background()); err != nil || n != 6 {
		t.Fatalf("RelayBatch = %d, %v", n, err)
	}
	relayed := testkit.Drain(t, ch, tap)
	if len(relayed) != 4 {
		t.Fatalf("the relay published %d events of %s, want 4", len(relayed), topic)
	}
	testkit.Drain(t, ch, h.Name)

	log := outbox.NewEventLog(db.Pool)
	conn := testkit.Connection(t)
	var progress []int
	res, err := replay.FromLog(context.Background(), conn, log, replay.FromLogOptions{
		Query: outbox.LogQuery{Topic: topic}, Handler: h.Name, Audit: replay.NewAudit(db.Pool), Actor: "tester",
		Selection: "--handler=" + h.Name, Progress: func(done, total int) { progress = append(progress, done, total) },
	})
	if err != nil || res.Total != 4 || res.Redelivered != 4 || res.First != relayed[0].MessageId || res.Last != relayed[3].MessageId {
		t.Fatalf("ReplayLog = %+v, %v; want all 4 events", res, err)
	}
	if fmt.Sprint(progress) != "[0 4 4 4]" {
		t.Errorf("progress = %v, want the start and one confirmed window of 4", progress)
	}
	got := testkit.Drain(t, ch, h.Name)
	if len(got) != 4 {
		t.Fatalf("%s received %d events, want 4", h.Name, len(got))
	}
	for i, d := range got {
		r := relayed[i]
		if d.MessageId != r.MessageId || string(d.Body) != string(r.Body) || d.ContentType != r.ContentType || d.DeliveryMode != r.DeliveryMode {
			t.Errorf("event %d = %s %s, want it as relayed: %s %s", i, d.MessageId, d.Body, r.MessageId, r.Body)
		}
		if testkit.DecodeThing(t, d).Seq != int64(i+1) {
			t.Errorf("event %d has seq %d: not in commit order", i, testkit.DecodeThing(t, d).Seq)
		}
		for k, v := range r.Headers {
			if d.Headers[k] != v {
				t.Errorf("event %d header %s = %#v, relayed as %#v", i, k, d.Headers[k], v)
			}
		}
		// The quorum queue adds x-delivery-count; the relay's tap is classic.
		delete(d.Headers, "x-delivery-count")
		if d.Headers[broker.ReplayCountKey] != "1" || d.Headers[broker.ReplayedAtKey] == nil || len(d.Headers) != len(r.Headers)+2 {
			t.Errorf("event %d headers %v, want the relayed ones plus replay_count 1 and replayed_at", i, d.Headers)
		}
	}
	if n, _ := testkit.Inspect(t, ch, tap); n != 0 {
		t.Errorf("the topic's exchange delivered %d replayed events to another queue, want 0", n)
	}
	var result string
	var succeeded int
	if err := db.Pool.QueryRow(context.Background(), "SELECT result, succeeded FROM replay.runs WHERE id = $1 AND action = 'from-log' AND target = $2", res.RunID, h.Name).Scan(&result, &succeeded); err != nil {
		t.Fatalf("read the audited run: %v", err)
	}
	if succeeded != 4 || !strings.Contains(result, "first "+res.First) {
		t.Errorf("audited run: %d succeeded, %q", succeeded, result)
	}

	// Time and limit filters.
	testkit.Exec(t, db, `UPDATE `+testkit.Table(svc, "watermill_outbox")+` SET created_at = created_at - interval '2 days'
		WHERE "offset" IN (SELECT "offset" FROM `+testkit.Table(svc, "watermill_outbox")+` ORDER BY transaction_id, "offset" LIMIT 3)`)
	now := time.Now()
	for _, tc := range []struct {
		name string
		q    outbox.LogQuery
		want []int64
	}{
		{"since", outbox.LogQuery{Topic: topic, Since: now.Add(-time.Hour)}, []int64{3, 4}},
		{"until", outbox.LogQuery{Topic: topic, Until: now.Add(-time.Hour)}, []int64{1, 2}},
		{"limit", outbox.LogQuery{Topic: topic, Limit: 3}, []int64{1, 2, 3}},
		{"nothing", outbox.LogQuery{Topic: topic, Since: now.Add(time.Hour)}, nil},
	} {
		n, err := log.Count(context.Background(), tc.q)
		var seqs []int64
		_, eachErr := log.Each(context.Background(), tc.q, func(e outbox.LoggedEvent) error {
			var th testkit.Thing
			_ = json.Unmarshal(e.Publishing.Body, &th)
			seqs = append(seqs, th.Seq)
			return nil
		})
		if err != nil || eachErr != nil || n != len(tc.want) || fmt.Sprint(seqs) != fmt.Sprint(tc.want) {
			t.Errorf("%s: Count = %d (%v), Each = %v (%v); want %v", tc.name, n, err, seqs, eachErr, tc.want)
		}
	}
	if _, err := log.Count(context.Background(), outbox.LogQuery{Topic: "nosuchservice.Thing"}); err == nil || !strings.Contains(err.Error(), "no event log") {
		t.Errorf("Count of an unknown producer = %v, want a clear error", err)
	}
}
