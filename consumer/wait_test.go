package consumer_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/consumer"
	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/postgres"
	"github.com/mallbots/mallbots/replay"
)

// errNotYet is the wait tests' "the data has not arrived yet".
var errNotYet = errors.New("not yet: the row this message needs is missing")

// waitingService is a service whose handler OnA applies a message once its
// key is in the service's ready table and fails with errNotYet until then;
// its router lets such messages wait in the broker with waits and budget,
// handling one message at a time. It returns the handler, a channel, the
// count of logged waits and functions that release a key and count a key's
// effects.
func waitingService(t *testing.T, waits []time.Duration, budget time.Duration, declareWaits bool, deliveryLimit int) (
	db *postgres.DB, svc string, h consumer.Handler, ch *amqp.Channel, waited func() int64, release func(key string), effects func(key string) int) {
	t.Helper()
	db, svc = testkit.ServiceSchema(t)
	testkit.Exec(t, db, "CREATE TABLE "+testkit.Table(svc, "ready")+" (key text PRIMARY KEY)")
	testkit.Exec(t, db, "CREATE TABLE "+testkit.Table(svc, "effects")+" (key text NOT NULL)")
	h = consumer.Handler{Service: svc, Name: svc + ".OnA", Topic: svc + ".A", Handle: func(ctx context.Context, payload []byte) error {
		key := string(payload)
		tx, _ := postgres.TxFrom(ctx)
		var ready bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+testkit.Table(svc, "ready")+" WHERE key = $1)", key).Scan(&ready); err != nil {
			return err
		}
		if !ready {
			return fmt.Errorf("message %s: %w", key, errNotYet)
		}
		_, err := tx.Exec(ctx, "INSERT INTO "+testkit.Table(svc, "effects")+" VALUES ($1)", key)
		return err
	}}
	planned := waits
	if !declareWaits {
		planned = nil
	}
	top := broker.Plan([]broker.Service{{Name: svc, Publishes: []string{h.Topic}, Consumes: consumer.Subscriptions(h)}}, deliveryLimit, planned)
	testkit.RemoveTopologyAtEnd(t, top)
	if !declareWaits {
		testkit.RemoveAtEnd(t, nil, []string{broker.WaitName(svc, waits[0])}) // in case a wait queue were declared after all
	}
	deps := testkit.RouterDeps(t, db, svc, h)
	deps.Retry.Waits, deps.Retry.MaxElapsedTime = waits, budget
	deps.MustWait = func(err error) bool { return errors.Is(err, errNotYet) }
	deps.Consumers, deps.Prefetch = 1, 1
	logger, logged := testkit.CountingLogger(t)
	deps.Logger = logger
	testkit.RunRouter(t, deps, top)
	waited = func() int64 { return logged("message must wait; it comes back to its handler later") }
	release = func(key string) { testkit.Exec(t, db, "INSERT INTO "+testkit.Table(svc, "ready")+" VALUES ($1)", key) }
	effects = func(key string) int {
		return testkit.Count(t, db, "SELECT count(*) FROM "+testkit.Table(svc, "effects")+" WHERE key = $1", key)
	}
	return db, svc, h, testkit.Channel(t), waited, release, effects
}

func publishKey(t *testing.T, ch *amqp.Channel, h consumer.Handler, key string) string {
	t.Helper()
	id := correlation.NewID()
	testkit.Publish(t, ch, "", h.Name, amqp.Table{broker.MessageIDKey: id, broker.NameKey: h.Topic, broker.CorrelationIDKey: "corr-" + key}, []byte(key))
	return id
}

// TestAMessageThatMustWaitHoldsNoConsumer gives a handler that handles one
// message at a time a message whose data is missing, then one whose data is
// there: the second is handled while the first waits in the broker, which
// hands it back to the handler's queue until its data arrives; then it is
// handled once. The wait publish carries the handler's queue as routing key,
// the message's ID and headers, and the wait headers.
func TestAMessageThatMustWaitHoldsNoConsumer(t *testing.T) {
	t.Parallel()
	waits := []time.Duration{50 * time.Millisecond, 200 * time.Millisecond}
	db, svc, h, ch, waited, release, effects := waitingService(t, waits, time.Minute, true, 20)
	// A test queue bound to the first wait exchange sees what is sent to wait.
	spy := testkit.Name("spy")
	testkit.RemoveAtEnd(t, nil, []string{spy})
	if _, err := ch.QueueDeclare(spy, false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(spy, "", broker.WaitName(svc, waits[0]), false, nil); err != nil {
		t.Fatal(err)
	}

	late := publishKey(t, ch, h, "late")
	publishKey(t, ch, h, "now-1")
	release("now-1")
	publishKey(t, ch, h, "now-2")
	release("now-2")
	testkit.Eventually(t, 30*time.Second, "the messages behind the waiting one are handled", func() bool {
		return effects("now-1") == 1 && effects("now-2") == 1
	})
	testkit.Eventually(t, 30*time.Second, "the waiting message came back and waited again", func() bool { return waited() >= 2 })
	if n := effects("late"); n != 0 {
		t.Fatalf("the message whose data is missing took effect %d times", n)
	}
	if n, _ := testkit.Inspect(t, ch, broker.PoisonName(svc)); n != 0 {
		t.Fatalf("%d messages poisoned, want none", n)
	}

	d := testkit.Await(t, ch, spy, true, "the spy sees the first wait")
	str := func(k string) string { s, _ := d.Headers[k].(string); return s }
	if d.RoutingKey != h.Name || d.MessageId != late || str(broker.MessageIDKey) != late || str(broker.CorrelationIDKey) != "corr-late" ||
		string(d.Body) != "late" {
		t.Errorf("wait publish: routing key %q, message %s (%s), correlation %q, body %q; want %s, %s, corr-late, late",
			d.RoutingKey, d.MessageId, str(broker.MessageIDKey), str(broker.CorrelationIDKey), d.Body, h.Name, late)
	}
	if str(broker.WaitCountKey) != "1" || !strings.Contains(str(broker.WaitReasonKey), errNotYet.Error()) {
		t.Errorf("wait_count %q, wait_reason %q; want 1 and the handler's error", str(broker.WaitCountKey), str(broker.WaitReasonKey))
	}
	if _, err := time.Parse(time.RFC3339Nano, str(broker.WaitingSinceKey)); err != nil {
		t.Errorf("waiting_since = %q: %v", str(broker.WaitingSinceKey), err)
	}

	release("late")
	testkit.Eventually(t, 30*time.Second, "the waiting message is handled once its data arrived", func() bool { return effects("late") == 1 })
	if n := testkit.Count(t, db, "SELECT count(*) FROM "+testkit.Table(svc, "inbox")+" WHERE message_id = $1", late); n != 1 {
		t.Errorf("inbox holds the waited message %d times, want 1", n)
	}
}

// TestAMessageWaitsNoLongerThanTheBudget: a message whose data never
// arrives is poisoned once its next wait would end past the retry budget,
// with the handler's error and its wait headers, and no broker bookkeeping.
// Replayed once its data is there, it gets a whole budget again and is
// handled.
func TestAMessageWaitsNoLongerThanTheBudget(t *testing.T) {
	t.Parallel()
	waits := []time.Duration{100 * time.Millisecond, 300 * time.Millisecond}
	db, svc, h, ch, waited, release, effects := waitingService(t, waits, time.Second, true, 20)
	id := publishKey(t, ch, h, "never")
	poison := broker.PoisonName(svc)
	d := testkit.Await(t, ch, poison, false, "the message is poisoned")
	_ = d.Nack(false, true) // back in place, for the replay below
	str := func(k string) string { s, _ := d.Headers[k].(string); return s }
	reason := str(broker.ReasonPoisonedKey)
	if d.MessageId != id || str(broker.HandlerPoisonedKey) != h.Name || !strings.Contains(reason, errNotYet.Error()) ||
		!strings.Contains(reason, "still missing after") {
		t.Errorf("poisoned %s by %q because %q; want %s by %s, with the handler's error and the waits", d.MessageId,
			str(broker.HandlerPoisonedKey), reason, id, h.Name)
	}
	n, err := strconv.Atoi(str(broker.WaitCountKey))
	if err != nil || n < 2 || int64(n) != waited() {
		t.Errorf("wait_count = %q, %d waits logged; want the same count, at least 2", str(broker.WaitCountKey), waited())
	}
	for k := range d.Headers {
		if strings.HasPrefix(k, "x-") {
			t.Errorf("poisoned message carries the broker's %s header", k)
		}
	}

	release("never")
	q, err := replay.ReadPoisonQueues(context.Background(), testkit.Connection(t), []string{svc})
	if err != nil {
		t.Fatalf("ReadPoisonQueues: %v", err)
	}
	defer q.Close()
	if len(q.Messages()) != 1 {
		t.Fatalf("poison queue holds %d messages, want 1", len(q.Messages()))
	}
	if err := q.Redeliver(q.Messages()[0], time.Now()); err != nil {
		t.Fatalf("Redeliver: %v", err)
	}
	testkit.Eventually(t, 30*time.Second, "the replayed message is handled", func() bool { return effects("never") == 1 })
	if n := testkit.Count(t, db, "SELECT count(*) FROM "+testkit.Table(svc, "inbox")+" WHERE message_id = $1", id); n != 1 {
		t.Errorf("inbox holds the replayed message %d times, want 1", n)
	}
}

// TestAWaitTheBrokerCannotTakeIsNotPoisoned: when the wait cannot be
// published (here its exchange was never declared), the message is not
// poisoned for it: the delivery goes back to its queue, until the broker's
// delivery limit dead-letters it, as it does any message its consumer never
// settles.
func TestAWaitTheBrokerCannotTakeIsNotPoisoned(t *testing.T) {
	t.Parallel()
	_, svc, h, ch, _, _, effects := waitingService(t, []time.Duration{time.Second}, time.Minute, false, 3)
	id := publishKey(t, ch, h, "stuck")
	poison := broker.PoisonName(svc)
	d := testkit.Await(t, ch, poison, true, "the broker dead-letters the message")
	m := replay.DecodePoisoned(svc, d)
	if m.ID != id || !m.DeadLettered || !strings.Contains(m.Reason, "delivery_limit") || m.Handler != h.Name {
		t.Errorf("poisoned %+v; want %s dead-lettered by the broker's delivery limit from %s, not poisoned by the consumer", m, id, h.Name)
	}
	if n := effects("stuck"); n != 0 {
		t.Errorf("the message took effect %d times", n)
	}
}
