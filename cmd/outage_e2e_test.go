package cmd

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/saga"
	"github.com/mallbots/mallbots/internal/testkit"
)

// retryBudget is how long shortRetries retries a message before it gives up
// and poisons it.
const retryBudget = time.Second

// shortRetries gives up on a message after retryBudget, so that a test can
// keep a service down for longer than any message waiting on it is retried.
// A handler may wait on a held inbox (holdInbox) for minutes.
func shortRetries(cfg *config.Config) {
	cfg.Retry.MaxRetries, cfg.Retry.InitialInterval, cfg.Retry.MaxInterval = 5, 20*time.Millisecond, 100*time.Millisecond
	cfg.Retry.MaxElapsedTime = retryBudget
	cfg.HandlerTimeout = 2 * time.Minute
}

// holdInbox keeps every consumer of service from getting past its first
// statement until release is called: it locks the service's inbox against
// inserts, and each consumer's transaction starts by inserting the message's
// inbox row. The messages wait in the consumers' hands, unanswered, as if
// the service were slow. The lock takes no transaction ID, so the outbox
// relays, which wait for older transaction IDs, go on relaying; only the
// held service's relay would wait, if its once-a-minute pruning of the
// inbox fell within the hold (tests hold for seconds, within their first
// minute). release is safe to call twice; the test's cleanup calls it too.
func (s *system) holdInbox(t *testing.T, service string) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+service+".inbox IN SHARE MODE"); err != nil {
		t.Fatalf("hold the %s inbox: %v", service, err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if err := tx.Rollback(ctx); err != nil {
				t.Errorf("release the %s inbox: %v", service, err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// sagaOutage is the whole mall with the saga in a process of its own, which
// the test stops and starts again, as a deployment running each service in
// its own container would see it crash and come back.
type sagaOutage struct {
	t         *testing.T
	rest      *system   // every other service
	sagas     []*system // the saga's processes, the current one last
	m         *mall
	stoppedAt time.Time
}

func startSagaOutage(t *testing.T) *sagaOutage {
	t.Helper()
	var others []string
	for _, name := range serviceNames() {
		if name != saga.Service {
			others = append(others, name)
		}
	}
	o := &sagaOutage{t: t, rest: startSystemWith(t, shortRetries, others...)}
	o.startSaga()
	o.m = newMall(t, o.rest)
	// The depot must know the stores before a test holds its inbox, or a
	// shopping list could overtake them and be retried out.
	testkit.Eventually(t, 30*time.Second, "the depot knows the stores", func() bool {
		return o.rest.count("SELECT count(*) FROM depot.stores_cache WHERE location IS NOT NULL") == len(o.m.cat.Stores)
	})
	return o
}

func (o *sagaOutage) startSaga() {
	o.t.Helper()
	o.sagas = append(o.sagas, startProcess(o.t, o.rest.db, o.rest.cfg.DatabaseURL, o.rest.amqpURL, shortRetries, saga.Service))
}

// stopSaga shuts the saga's process down.
func (o *sagaOutage) stopSaga() {
	o.t.Helper()
	o.sagas[len(o.sagas)-1].stop()
	o.stoppedAt = time.Now()
}

// restartSaga starts the saga again once it has been down for three retry
// budgets: every message that could only succeed once the saga acts has
// been retried for as long as it will be by then. (Nothing can be polled
// for here: the point is the length of the outage.)
func (o *sagaOutage) restartSaga() {
	o.t.Helper()
	time.Sleep(time.Until(o.stoppedAt.Add(3 * retryBudget)))
	o.startSaga()
}

// sagaRow is an order's saga as stored (readable while no saga process
// runs).
type sagaRow struct {
	step, status, reason, shoppingID string
	compensationFailures             []string
}

func (o *sagaOutage) sagaAt(orderID string) sagaRow {
	o.t.Helper()
	var r sagaRow
	err := o.rest.db.Pool.QueryRow(context.Background(), `SELECT step, status, coalesce(data->>'reason', ''), coalesce(data->>'shoppingId', ''),
		ARRAY(SELECT jsonb_array_elements_text(coalesce(data->'compensationFailures', '[]'))) FROM saga.create_order WHERE order_id = $1`,
		orderID).Scan(&r.step, &r.status, &r.reason, &r.shoppingID, &r.compensationFailures)
	if err != nil && !strings.Contains(err.Error(), "no rows") {
		o.t.Fatal(err)
	}
	return r
}

// awaitSaga polls the order's saga until it is at step with status.
func (o *sagaOutage) awaitSaga(orderID, step, status string) sagaRow {
	o.t.Helper()
	var r sagaRow
	testkit.Eventually(o.t, 30*time.Second, "saga of "+orderID+" at "+step+", "+status, func() bool {
		r = o.sagaAt(orderID)
		return r.step == step && r.status == status
	})
	return r
}

// assertNothingPoisoned checks that no service's poison queue holds a
// message.
func (o *sagaOutage) assertNothingPoisoned() {
	o.t.Helper()
	for _, name := range serviceNames() {
		if n := o.rest.ready(name + ".poison"); n != 0 {
			o.t.Errorf("%s.poison holds %d messages, want none", name, n)
		}
	}
}

// assertNoOperatorAlarm checks that no process logged a warning or an
// error calling for an operator.
func (o *sagaOutage) assertNoOperatorAlarm() {
	o.t.Helper()
	for _, s := range append([]*system{o.rest}, o.sagas...) {
		for _, line := range strings.Split(s.warnings.String(), "\n") {
			if strings.Contains(line, "operator") {
				o.t.Errorf("a process called for an operator: %s", line)
			}
		}
	}
}

// TestShoppingCompletedWhileTheSagaIsDown is issue 9's defect 10: the saga
// made the shopping list available and went down before approving the
// order; a bot completed the list meanwhile. The order must still become
// ready, then completed, once the saga is back, with nothing poisoned.
func TestShoppingCompletedWhileTheSagaIsDown(t *testing.T) {
	o := startSagaOutage(t)
	m := o.m
	// Stop the saga between InitiateShopping and its reply: payments holds
	// it at confirmPayment while the depot's inbox is taken, then the
	// depot holds it at initiateShopping until the saga is down.
	releasePayments := o.rest.holdInbox(t, "payments")
	placed := m.placeOrder(0)
	o.awaitSaga(placed.id, "confirmPayment", "running")
	releaseDepot := o.rest.holdInbox(t, "depot")
	releasePayments()
	shoppingID := o.awaitSaga(placed.id, "initiateShopping", "running").shoppingID
	o.stopSaga()
	releaseDepot()

	m.eventually("/api/depot/shopping/"+shoppingID, "shoppingList", "status", "available")
	m.shop(shoppingID)
	// orders is done with ShoppingListCompleted once it has acknowledged it
	// or given up on it.
	testkit.Eventually(t, 30*time.Second, "orders handled ShoppingListCompleted", func() bool {
		return o.rest.count("SELECT count(*) FROM orders.inbox WHERE handler = 'orders.OnShoppingListCompleted'") == 1 ||
			o.rest.ready("orders.poison") > 0
	})
	if got := m.get("/api/ordering/"+placed.id, "order"); got["status"] != "pending" {
		t.Fatalf("order = %v, want still pending while the saga is down", got)
	}

	o.restartSaga()
	ready := m.await(placed.id, "ready")
	if ready.ShoppingID != shoppingID || ready.InvoiceID == "" {
		t.Errorf("ready order = %+v, want shopped with %s and an invoice", ready, shoppingID)
	}
	m.eventually("/api/payments/invoices/"+ready.InvoiceID, "invoice", "status", "pending")
	if err := m.api.PayInvoice(context.Background(), ready.InvoiceID); err != nil {
		t.Fatal(err)
	}
	m.await(placed.id, "completed")
	want := []string{events.OrderCreatedName, events.OrderShoppingCompletedName, events.OrderApprovedName, events.OrderReadiedName,
		events.OrderCompletedName}
	if got := m.history(placed.id); !slices.Equal(got, want) {
		t.Errorf("history = %v, want %v", got, want)
	}
	m.awaitNotifications(placed.customerID, placed.id, "created", "ready", "completed")
	m.eventually("/api/search/orders/"+placed.id, "order", "status", "completed")
	o.assertNothingPoisoned()
	o.assertNoOperatorAlarm()
}

// TestCancelWhileTheSagaIsDown is issue 9's defect 12: the customer cancels
// the order while its saga, stopped, awaits the reply to each forward step
// in turn. Once back, the saga must learn of the cancel before the reply
// (the step's service is held until it has), send no further forward step,
// undo what it did once (no RejectOrder: the order is canceled, not
// rejected) and end canceled, while depot and payments react to
// OrderCanceled themselves; nothing is poisoned and no operator is called.
// In the last case the reply waits for the saga too, and either may come
// first: if the reply does, the saga goes on until it takes the cancel (a
// step or more, as fast as the other services answer), and undoes what
// those steps did as well.
func TestCancelWhileTheSagaIsDown(t *testing.T) {
	// hold keeps service's consumers waiting until the saga awaits step.
	type hold struct{ service, step string }
	steps := []string{"authorizeCustomer", "createShoppingList", "confirmPayment", "initiateShopping", "approveOrder"}
	forward := []string{events.AuthorizeCustomerName, events.CreateShoppingListName, events.ConfirmPaymentName,
		events.InitiateShoppingName, events.ApproveOrderName}
	tests := []struct {
		name  string
		step  string
		holds []hold // the last holds the step's own service
		// replyWaits releases the step's service before the saga is back.
		replyWaits bool
	}{
		{"at authorizeCustomer", "authorizeCustomer", []hold{{"customers", "authorizeCustomer"}}, false},
		{"at createShoppingList", "createShoppingList", []hold{{"depot", "createShoppingList"}}, false},
		{"at confirmPayment", "confirmPayment", []hold{{"payments", "confirmPayment"}}, false},
		{"at initiateShopping", "initiateShopping", []hold{{"payments", "confirmPayment"}, {"depot", "initiateShopping"}}, false},
		{"at approveOrder", "approveOrder", []hold{{"customers", "authorizeCustomer"}, {"orders", "approveOrder"}}, false},
		{"at createShoppingList, its reply waiting too", "createShoppingList", []hold{{"depot", "createShoppingList"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := startSagaOutage(t)
			m := o.m
			release := o.rest.holdInbox(t, tt.holds[0].service)
			placed := m.placeOrder(0)
			o.awaitSaga(placed.id, tt.holds[0].step, "running")
			for _, h := range tt.holds[1:] {
				next := o.rest.holdInbox(t, h.service)
				release()
				release = next
				o.awaitSaga(placed.id, h.step, "running")
			}
			o.stopSaga()
			if err := m.api.Do(context.Background(), http.MethodDelete, "/api/ordering/"+placed.id, nil, nil); err != nil {
				t.Fatalf("cancel a pending order: %v", err)
			}
			if tt.replyWaits {
				release()
				testkit.Eventually(t, 30*time.Second, "the reply waits for the saga", func() bool {
					return o.rest.ready("saga.OnCreateOrderReply") == 1
				})
			}
			o.restartSaga()
			if !tt.replyWaits {
				o.awaitSaga(placed.id, tt.step, "compensating")
				release()
			}

			end := o.awaitSaga(placed.id, "done", "canceled")
			if end.reason != "order canceled" || len(end.compensationFailures) != 0 {
				t.Errorf("saga ended with reason %q and compensation failures %q, want \"order canceled\" and none", end.reason, end.compensationFailures)
			}
			// sent is how many forward steps went out: up to the step held,
			// or further when the reply came before the cancel.
			got := o.rest.sagaCommands(placed.id)
			sent := slices.Index(steps, tt.step) + 1
			for tt.replyWaits && sent < len(forward) && sent < len(got) && got[sent] == forward[sent] {
				sent++
			}
			if sent > slices.Index(steps, tt.step)+1 {
				t.Logf("the saga took the reply before the cancel and sent %d forward steps", sent)
			}
			want := slices.Clone(forward[:sent])
			lists, voids, payment := 0, 0, "authorized"
			if sent > slices.Index(forward, events.CreateShoppingListName) {
				want, lists = append(want, events.CancelShoppingListName), 1
			}
			if sent > slices.Index(forward, events.ConfirmPaymentName) {
				want, voids, payment = append(want, events.VoidPaymentName), 1, "voided"
			}
			if !slices.Equal(got, want) {
				t.Errorf("commands sent = %v, want %v", got, want)
			}
			m.await(placed.id, "canceled")
			if got := m.history(placed.id); !slices.Equal(got, []string{events.OrderCreatedName, events.OrderCanceledName}) {
				t.Errorf("history = %v, want created and canceled only", got)
			}
			if end.shoppingID != "" {
				m.eventually("/api/depot/shopping/"+end.shoppingID, "shoppingList", "status", "canceled")
			}
			if n := o.rest.count("SELECT count(*) FROM depot.shopping_lists WHERE order_id = $1 AND status <> 'canceled'", placed.id); n != 0 {
				t.Errorf("%d shopping lists of the canceled order are not canceled", n)
			}
			m.eventually("/api/payments/"+placed.paymentID, "payment", "status", payment)
			// The saga's compensations and the cancel's own consumers act on
			// the same list and payment; each is undone once.
			if n := o.rest.orderOutboxCount("depot", events.ShoppingListCanceledName, placed.id); n != lists {
				t.Errorf("%d ShoppingListCanceled published, want %d", n, lists)
			}
			if n := o.rest.orderOutboxCount("payments", events.PaymentVoidedName, placed.id); n != voids {
				t.Errorf("%d PaymentVoided published, want %d", n, voids)
			}
			m.awaitNotifications(placed.customerID, placed.id, "created", "canceled")
			m.eventually("/api/search/orders/"+placed.id, "order", "status", "canceled")
			o.assertNothingPoisoned()
			o.assertNoOperatorAlarm()
		})
	}
}
