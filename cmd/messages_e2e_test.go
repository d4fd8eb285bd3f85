package cmd

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
)

// publishTo sends body straight to queue through the default exchange,
// with the headers a relay gives an event named name, and returns its ID.
func (s *system) publishTo(queue, name string, body []byte) string {
	s.t.Helper()
	return s.send("", queue, name, "", "", body)
}

// takePoisoned takes n messages off service's poison queue, failing the
// test when they do not all arrive within timeout.
func (s *system) takePoisoned(service string, n int, timeout time.Duration) []amqp.Delivery {
	s.t.Helper()
	var out []amqp.Delivery
	for len(out) < n {
		out = append(out, s.poisoned(service, timeout))
	}
	return out
}

// tableRows counts the rows of every service's table named name (inbox,
// watermill_outbox).
func (s *system) tableRows(name string) int {
	s.t.Helper()
	rows, _ := s.db.Pool.Query(context.Background(), "SELECT table_schema FROM information_schema.tables WHERE table_name = $1", name)
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(schemas) == 0 {
		s.t.Fatalf("find the %s tables: %v (found %d)", name, err, len(schemas))
	}
	total := 0
	for _, schema := range schemas {
		total += s.count("SELECT count(*) FROM " + pgx.Identifier{schema, name}.Sanitize())
	}
	return total
}

// TestEveryHandlerPoisonsAnEmptyPayloadAtOnce sends {} under its valid
// event name straight to every handler's queue. Each is poisoned by its
// handler on its first delivery and attempt, with a reason naming the event
// and a missing field, and nothing takes effect: no inbox row, no event, no
// reply. Any retry or wait is set to take a minute, so a message poisoned
// within the deadline was never retried.
func TestEveryHandlerPoisonsAnEmptyPayloadAtOnce(t *testing.T) {
	s := startSystemWith(t, func(c *config.Config) {
		c.Retry.InitialInterval, c.Retry.MaxInterval, c.Retry.RandomizationFactor = time.Minute, time.Minute, 0
		c.Retry.MaxElapsedTime, c.Retry.Waits = 10*time.Minute, []time.Duration{time.Minute}
	})
	sent := map[string]handlerRef{} // message ID → handler
	for _, svc := range registry {
		for _, c := range svc.consumes {
			sent[s.publishTo(c.Queue, c.Topic, []byte(`{}`))] = handlerRef{service: svc.name, name: c.Queue, topic: c.Topic}
		}
	}
	if len(sent) < 40 {
		t.Fatalf("sent {} to %d handlers; the services have more", len(sent))
	}
	for _, svc := range registry {
		for _, d := range s.takePoisoned(svc.name, len(svc.consumes), 20*time.Second) {
			str := func(k string) string { v, _ := d.Headers[k].(string); return v }
			h, ok := sent[d.MessageId]
			if !ok || h.service != svc.name {
				t.Errorf("%s.poison holds message %s, which was not sent to one of its handlers", svc.name, d.MessageId)
				continue
			}
			delete(sent, d.MessageId)
			reason := str(broker.ReasonPoisonedKey)
			if str(broker.HandlerPoisonedKey) != h.name || !strings.HasPrefix(reason, "invalid "+h.topic+" payload: ") ||
				!strings.Contains(reason, "is required") {
				t.Errorf("{} to %s poisoned by %q because %q; want its handler, saying which field of %s is required",
					h.name, str(broker.HandlerPoisonedKey), reason, h.topic)
			}
			if _, redelivered := d.Headers[broker.DeliveryCountKey]; redelivered {
				t.Errorf("{} to %s was poisoned on delivery %v, not the first", h.name, d.Headers[broker.DeliveryCountKey])
			}
		}
	}
	for id, h := range sent {
		t.Errorf("{} to %s (message %s) was not poisoned", h.name, id)
	}
	if n := s.tableRows("inbox"); n != 0 {
		t.Errorf("%d inbox rows: an empty payload took effect", n)
	}
	if n := s.tableRows("watermill_outbox"); n != 0 {
		t.Errorf("%d outbox rows: an empty payload caused an event or a reply", n)
	}
}

// TestStuckMessagesDoNotDelayAHealthyOrder puts, ahead of a real checkout,
// eight messages that cannot be handled yet at the head of two queues on
// its way to approval: replies for orders without a saga
// (saga.OnCreateOrderReply) and shopping lists for a store the depot does
// not know yet (depot.OnCreateShoppingList). Each queue has four consumers,
// so eight such messages held in process would hold them all. The order is
// approved while every stuck shopping list still waits (not handled, not
// poisoned, each sent to wait at least once), and the replies, which can
// never apply, are poisoned at once. When the store arrives, the waiting
// lists are created, each once.
func TestStuckMessagesDoNotDelayAHealthyOrder(t *testing.T) {
	s := startSystemWith(t, func(c *config.Config) {
		// Whatever waits, waits for longer than the test runs.
		c.Retry.MaxRetries, c.Retry.MaxElapsedTime = 100, 10*time.Minute
		c.Retry.Waits = config.Default().Retry.Waits
	})
	m := newMall(t, s)
	sentToWait := s.tap(broker.WaitName("depot", config.Default().Retry.Waits[0]))

	unknownStore := uuid.NewString()
	stuck := map[string]bool{}
	var stuckOrders []string
	for range 8 {
		order := uuid.NewString()
		stuckOrders = append(stuckOrders, order)
		stuck[s.publish(events.CreateShoppingList{OrderID: order, Items: []events.Item{
			{StoreID: unknownStore, ProductID: uuid.NewString(), ProductName: "Pie", Price: 250, Quantity: 1},
		}}, "")] = true
	}
	strays := map[string]bool{}
	for range 8 {
		strays[s.publish(events.CreateOrderReply{OrderID: uuid.NewString(), Command: events.AuthorizeCustomerName, Success: true}, "")] = true
	}

	o := m.placeOrder(0)
	accepted := time.Now()
	m.await(o.id, "approved")
	t.Logf("checkout → approved in %s with 8 stuck shopping lists and 8 stray replies ahead", time.Since(accepted).Round(time.Millisecond))

	// At approval, every stuck list is still waiting: not handled, not
	// poisoned, and sent to wait at least once.
	for id := range stuck {
		if s.handled("depot", "depot.OnCreateShoppingList", id) {
			t.Errorf("stuck shopping list %s was handled before its store existed", id)
		}
	}
	if n := s.ready("depot.poison"); n != 0 {
		t.Errorf("depot.poison holds %d messages; the stuck lists must still wait", n)
	}
	waited := map[string]bool{}
	for len(waited) < len(stuck) {
		select {
		case d := <-sentToWait:
			if stuck[d.MessageId] {
				waited[d.MessageId] = true
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of the 8 stuck lists were sent to wait; each must have met its handler before the order's list", len(waited))
		}
	}

	for _, d := range s.takePoisoned("saga", len(strays), 20*time.Second) {
		reason, _ := d.Headers[broker.ReasonPoisonedKey].(string)
		if !strays[d.MessageId] || !strings.Contains(reason, "which has no create-order saga") {
			t.Errorf("saga.poison holds %s because %q; want each stray reply, poisoned for having no saga", d.MessageId, reason)
		}
		if _, redelivered := d.Headers[broker.DeliveryCountKey]; redelivered {
			t.Errorf("stray reply %s was poisoned on a redelivery, not at once", d.MessageId)
		}
	}

	s.publish(events.StoreCreated{StoreID: unknownStore, Name: "Pies", Location: "Level 3", Version: 1}, "")
	testkit.Eventually(t, 30*time.Second, "the waiting shopping lists are created once their store is known", func() bool {
		for id := range stuck {
			if !s.handled("depot", "depot.OnCreateShoppingList", id) {
				return false
			}
		}
		return true
	})
	if n := s.count("SELECT count(*) FROM depot.shopping_lists WHERE order_id::text = ANY($1::text[])", stuckOrders); n != 8 {
		t.Errorf("%d shopping lists for the stuck commands' orders, want 8", n)
	}
}

// TestServeReconnectsWithinItsBackoffAfterABrokerOutage runs serve behind a
// TCP proxy and cuts it long enough for the process to try twelve times to
// reconnect: with watermill-amqp's default backoff (0.5 s, growing by half
// after each attempt, up to a minute) that takes at least 40 s, and the
// wait before the next attempt would by then be over 20 s. With the bound
// it takes a few seconds. Once the proxy is restored, the process is ready
// again, an order flows (consumers and relays), and a malformed and a
// must-wait message go to the poison queue and to wait (the router's own
// publishers).
func TestServeReconnectsWithinItsBackoffAfterABrokerOutage(t *testing.T) {
	db, dsn := testkit.Database(t)
	vhost := testkit.VHost(t)
	brokerURL, err := url.Parse(vhost)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testkit.NewProxy(t, brokerURL.Host)
	s := startProcess(t, db, dsn, proxy.URL(t, vhost), func(c *config.Config) { c.Broker.ReconnectMaxBackoff = 300 * time.Millisecond })
	s.amqpURL = vhost // the test's own connections bypass the proxy
	m := newMall(t, s)

	proxy.Cut()
	testkit.Eventually(t, 30*time.Second, "/readyz reports the broker unreachable", func() bool {
		status, out, _ := s.do(http.MethodGet, "/readyz", "", nil)
		checks, _ := out["checks"].(map[string]any)
		return status == http.StatusServiceUnavailable && checks["broker"] == "unreachable"
	})
	testkit.Eventually(t, 30*time.Second, "serve tries to reconnect twelve times", func() bool { return proxy.Refused() >= 12 })
	proxy.Restore()
	testkit.Eventually(t, 30*time.Second, "/readyz answers 200 again", func() bool {
		status, _, _ := s.do(http.MethodGet, "/readyz", "", nil)
		return status == http.StatusOK
	})

	o := m.placeOrder(0)
	m.await(o.id, "approved")

	malformed := s.publishTo("saga.OnCreateOrderReply", events.CreateOrderReplyName, []byte(`{}`))
	if d := s.poisoned("saga", 30*time.Second); d.MessageId != malformed {
		t.Errorf("saga.poison holds %s, want the malformed reply %s", d.MessageId, malformed)
	}
	sentToWait := s.tap(broker.WaitName("depot", s.cfg.Retry.Waits[0]))
	waiting := s.publish(events.CreateShoppingList{OrderID: uuid.NewString(), Items: []events.Item{
		{StoreID: uuid.NewString(), ProductID: uuid.NewString(), ProductName: "Pie", Price: 250, Quantity: 1},
	}}, "")
	select {
	case d := <-sentToWait:
		if d.MessageId != waiting {
			t.Errorf("%s was sent to wait, want %s", d.MessageId, waiting)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a shopping list for an unknown store was not sent to wait after the reconnect")
	}
}
