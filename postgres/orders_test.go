package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/order"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/orders"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
)

func newOrders(t *testing.T) (*postgres.DB, *postgres.Orders) {
	t.Helper()
	db, _ := testkit.Database(t)
	return db, postgres.NewOrders(db, outbox.New("orders", nil), orders.Published)
}

var orderItems = []order.Item{
	{StoreID: "0190a5e1-0000-7000-8000-0000000000a1", StoreName: "Robo Parts", ProductID: "0190a5e1-0000-7000-8000-0000000000b1", ProductName: "Servo", Price: 999, Quantity: 2},
	{StoreID: "0190a5e1-0000-7000-8000-0000000000a2", StoreName: "Bolts", ProductID: "0190a5e1-0000-7000-8000-0000000000b2", ProductName: "M3 bolt", Price: 5, Quantity: 10},
}

// newPendingOrder returns a new pending order with fresh IDs and its events.
func newPendingOrder(t *testing.T, id string) (*order.Order, []order.Event) {
	t.Helper()
	o, evs, err := order.New(id, uuid.NewString(), uuid.NewString(), orderItems)
	if err != nil {
		t.Fatal(err)
	}
	return o, evs
}

// addOrder stores a new pending order and returns it.
func addOrder(t *testing.T, repo *postgres.Orders) *order.Order {
	t.Helper()
	o, evs := newPendingOrder(t, uuid.NewString())
	if err := repo.Add(context.Background(), o, evs); err != nil {
		t.Fatalf("add order: %v", err)
	}
	return o
}

// orderHistoryOf returns order id's stored events, checking their versions
// and that their times never go back: a writer that lost a race appends
// after the winner, so its events were stored after the winner's, however
// early its transaction began.
func orderHistoryOf(t *testing.T, repo *postgres.Orders, id string) []order.Event {
	t.Helper()
	h, err := repo.History(context.Background(), id)
	if err != nil {
		t.Fatalf("history of %s: %v", id, err)
	}
	out := make([]order.Event, len(h))
	for i, r := range h {
		if r.Version != int64(i+1) || r.OccurredAt.IsZero() || i > 0 && r.OccurredAt.Before(h[i-1].OccurredAt) {
			t.Errorf("event %d: version %d at %s, after %s", i, r.Version, r.OccurredAt, h[max(i-1, 0)].OccurredAt)
		}
		out[i] = r.Event
	}
	return out
}

// orderOutbox decodes the orders outbox: topic and payload of each row.
func orderOutbox(t *testing.T, db *postgres.DB) ([]string, []json.RawMessage) {
	t.Helper()
	var topics []string
	var payloads []json.RawMessage
	for _, r := range readOutbox(t, db, "orders") {
		topics = append(topics, r.DestinationTopic)
		payloads = append(payloads, r.Payload)
	}
	return topics, payloads
}

func decodeOrderPayload[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %T: %v; %s", v, err, raw)
	}
	return v
}

func TestOrdersAddLoadsBackAndPublishesOrderCreated(t *testing.T) {
	t.Parallel()
	db, repo := newOrders(t)
	o := addOrder(t, repo)

	got, err := repo.Get(context.Background(), o.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.ID() != o.ID() || got.CustomerID() != o.CustomerID() || got.PaymentID() != o.PaymentID() || got.Total() != 2048 ||
		got.Status() != order.StatusPending || got.Version() != 1 || !reflect.DeepEqual(got.Items(), orderItems) {
		t.Errorf("loaded order = %s %s %s total %d %s v%d %v", got.ID(), got.CustomerID(), got.PaymentID(), got.Total(), got.Status(), got.Version(), got.Items())
	}
	if got.CreatedAt().IsZero() || !got.UpdatedAt().Equal(got.CreatedAt()) {
		t.Errorf("createdAt %s updatedAt %s, want both the time of the one event", got.CreatedAt(), got.UpdatedAt())
	}
	want := order.Created{ID: o.ID(), CustomerID: o.CustomerID(), PaymentID: o.PaymentID(), Items: orderItems, Total: 2048}
	if h := orderHistoryOf(t, repo, o.ID()); !reflect.DeepEqual(h, []order.Event{want}) {
		t.Errorf("history = %#v", h)
	}

	topics, payloads := orderOutbox(t, db)
	if !reflect.DeepEqual(topics, []string{events.OrderCreatedName}) {
		t.Fatalf("outbox topics = %v", topics)
	}
	created := decodeOrderPayload[events.OrderCreated](t, payloads[0])
	if created.OrderID != o.ID() || created.CustomerID != o.CustomerID() || created.PaymentID != o.PaymentID() || created.Total != 2048 ||
		len(created.Items) != 2 || created.Items[1] != (events.Item{StoreID: orderItems[1].StoreID, StoreName: "Bolts",
		ProductID: orderItems[1].ProductID, ProductName: "M3 bolt", Price: 5, Quantity: 10}) {
		t.Errorf("OrderCreated = %+v", created)
	}
	var name string
	if err := db.Pool.QueryRow(context.Background(), "SELECT name FROM orders.events WHERE order_id = $1", o.ID()).Scan(&name); err != nil || name != events.OrderCreatedName {
		t.Errorf("stored name = %q (%v), want the wire name %s", name, err, events.OrderCreatedName)
	}
}

func TestOrdersUpdateAppendsAndPublishesWhatEachEventMeans(t *testing.T) {
	t.Parallel()
	db, repo := newOrders(t)
	ctx := context.Background()
	o := addOrder(t, repo)
	shoppingID, invoiceID := uuid.NewString(), uuid.NewString()

	for _, cmd := range []func(*order.Order) ([]order.Event, error){
		func(o *order.Order) ([]order.Event, error) { return o.Approve(shoppingID) },
		func(o *order.Order) ([]order.Event, error) { return o.Approve(shoppingID) }, // redelivered: no event
		func(o *order.Order) ([]order.Event, error) { return o.Ready(shoppingID, invoiceID) },
		func(o *order.Order) ([]order.Event, error) { return o.Complete(invoiceID) },
	} {
		if err := repo.Update(ctx, o.ID(), cmd); err != nil {
			t.Fatal(err)
		}
	}
	got, err := repo.Get(ctx, o.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Status() != order.StatusCompleted || got.ShoppingID() != shoppingID || got.InvoiceID() != invoiceID || got.Version() != 4 {
		t.Errorf("order = %s shopping %s invoice %s v%d", got.Status(), got.ShoppingID(), got.InvoiceID(), got.Version())
	}
	if !got.UpdatedAt().After(got.CreatedAt()) && !got.UpdatedAt().Equal(got.CreatedAt()) {
		t.Errorf("updatedAt %s before createdAt %s", got.UpdatedAt(), got.CreatedAt())
	}
	h := orderHistoryOf(t, repo, o.ID())
	if want := []order.Event{order.Approved{ShoppingID: shoppingID}, order.Readied{InvoiceID: invoiceID}, order.Completed{}}; !reflect.DeepEqual(h[1:], want) {
		t.Errorf("history after Created = %#v, want %#v", h[1:], want)
	}

	topics, payloads := orderOutbox(t, db)
	if want := []string{events.OrderCreatedName, events.OrderApprovedName, events.OrderReadiedName, events.OrderCompletedName}; !reflect.DeepEqual(topics, want) {
		t.Fatalf("outbox topics = %v, want %v", topics, want)
	}
	if got := decodeOrderPayload[events.OrderApproved](t, payloads[1]); got != (events.OrderApproved{OrderID: o.ID(), CustomerID: o.CustomerID(), ShoppingID: shoppingID}) {
		t.Errorf("OrderApproved = %+v", got)
	}
	if got := decodeOrderPayload[events.OrderReadied](t, payloads[2]); got != (events.OrderReadied{OrderID: o.ID(), CustomerID: o.CustomerID(), PaymentID: o.PaymentID(), InvoiceID: invoiceID, Total: 2048}) {
		t.Errorf("OrderReadied = %+v", got)
	}
	if got := decodeOrderPayload[events.OrderCompleted](t, payloads[3]); got != (events.OrderCompleted{OrderID: o.ID(), CustomerID: o.CustomerID(), InvoiceID: invoiceID}) {
		t.Errorf("OrderCompleted = %+v", got)
	}
}

// TestOrdersStoreAShoppingCompletedWithoutPublishingIt: a list completed
// before the approval is stored, told to nobody, and folded back; the
// approval then publishes OrderApproved and OrderReadied in that order.
func TestOrdersStoreAShoppingCompletedWithoutPublishingIt(t *testing.T) {
	t.Parallel()
	db, repo := newOrders(t)
	o, shoppingID, invoiceID := addOrder(t, repo), uuid.NewString(), uuid.NewString()
	ctx := t.Context()
	if err := repo.Update(ctx, o.ID(), func(o *order.Order) ([]order.Event, error) { return o.Ready(shoppingID, invoiceID) }); err != nil {
		t.Fatal(err)
	}
	if topics, _ := orderOutbox(t, db); !reflect.DeepEqual(topics, []string{events.OrderCreatedName}) {
		t.Errorf("outbox topics = %v, want only OrderCreated: the memo is not published", topics)
	}
	var name, data string
	err := db.Pool.QueryRow(ctx, "SELECT name, data::text FROM orders.events WHERE order_id = $1 AND version = 2", o.ID()).Scan(&name, &data)
	if err != nil || name != events.OrderShoppingCompletedName || !strings.Contains(data, invoiceID) {
		t.Errorf("stored %q %s (%v), want %s with the invoice", name, data, err, events.OrderShoppingCompletedName)
	}
	if err := repo.Update(ctx, o.ID(), func(o *order.Order) ([]order.Event, error) { return o.Approve(shoppingID) }); err != nil {
		t.Fatal(err)
	}
	want := []order.Event{order.ShoppingCompleted{ShoppingID: shoppingID, InvoiceID: invoiceID}, order.Approved{ShoppingID: shoppingID},
		order.Readied{InvoiceID: invoiceID}}
	if h := orderHistoryOf(t, repo, o.ID()); !reflect.DeepEqual(h[1:], want) {
		t.Errorf("history after Created = %#v, want %#v", h[1:], want)
	}
	topics, payloads := orderOutbox(t, db)
	if want := []string{events.OrderCreatedName, events.OrderApprovedName, events.OrderReadiedName}; !reflect.DeepEqual(topics, want) {
		t.Fatalf("outbox topics = %v, want %v", topics, want)
	}
	if got := decodeOrderPayload[events.OrderReadied](t, payloads[2]); got != (events.OrderReadied{OrderID: o.ID(), CustomerID: o.CustomerID(), PaymentID: o.PaymentID(), InvoiceID: invoiceID, Total: 2048}) {
		t.Errorf("OrderReadied = %+v", got)
	}
	if got, err := repo.Get(ctx, o.ID()); err != nil || got.Status() != order.StatusReady || got.Version() != 4 {
		t.Errorf("order = %v (%v), want ready at version 4", got, err)
	}
}

func TestOrdersPublishRejectedAndCanceled(t *testing.T) {
	t.Parallel()
	db, repo := newOrders(t)
	ctx := context.Background()
	rejected, canceled := addOrder(t, repo), addOrder(t, repo)
	shoppingID := uuid.NewString()
	if err := repo.Update(ctx, rejected.ID(), func(o *order.Order) ([]order.Event, error) { return o.Reject("payment declined") }); err != nil {
		t.Fatal(err)
	}
	if err := repo.Update(ctx, canceled.ID(), func(o *order.Order) ([]order.Event, error) { return o.Approve(shoppingID) }); err != nil {
		t.Fatal(err)
	}
	if err := repo.Update(ctx, canceled.ID(), func(o *order.Order) ([]order.Event, error) { return o.Cancel() }); err != nil {
		t.Fatal(err)
	}
	_, payloads := orderOutbox(t, db)
	if len(payloads) != 5 {
		t.Fatalf("outbox has %d rows, want 5", len(payloads))
	}
	if got := decodeOrderPayload[events.OrderRejected](t, payloads[2]); got != (events.OrderRejected{OrderID: rejected.ID(), CustomerID: rejected.CustomerID(), Reason: "payment declined"}) {
		t.Errorf("OrderRejected = %+v", got)
	}
	if got := decodeOrderPayload[events.OrderCanceled](t, payloads[4]); got != (events.OrderCanceled{OrderID: canceled.ID(), CustomerID: canceled.CustomerID(), PaymentID: canceled.PaymentID(), ShoppingID: shoppingID}) {
		t.Errorf("OrderCanceled = %+v", got)
	}
	if o, _ := repo.Get(ctx, rejected.ID()); o.Reason() != "payment declined" {
		t.Errorf("reason = %q after loading", o.Reason())
	}
}

func TestOrdersAddExistingIsErrExistsAndKeepsTheTransaction(t *testing.T) {
	t.Parallel()
	db, repo := newOrders(t)
	ctx := context.Background()
	o := addOrder(t, repo)
	again, againEvs := newPendingOrder(t, o.ID())
	other, otherEvs := newPendingOrder(t, uuid.NewString())
	// As in a consumer: the duplicate is noticed inside a transaction that
	// goes on and commits other work.
	err := db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
		if err := repo.Add(ctx, again, againEvs); !errors.Is(err, order.ErrExists) || !errors.Is(err, domain.ErrConflict) {
			t.Errorf("Add of an existing order: err = %v, want ErrExists", err)
		}
		return repo.Add(ctx, other, otherEvs)
	})
	if err != nil {
		t.Fatalf("the transaction did not survive the duplicate: %v", err)
	}
	if got, _ := repo.Get(ctx, o.ID()); got.CustomerID() != o.CustomerID() || got.Version() != 1 {
		t.Errorf("the existing order changed: customer %s v%d", got.CustomerID(), got.Version())
	}
	if _, err := repo.Get(ctx, other.ID()); err != nil {
		t.Errorf("the other order was not committed: %v", err)
	}
	if topics, _ := orderOutbox(t, db); len(topics) != 2 {
		t.Errorf("outbox has %v, want the two OrderCreated", topics)
	}
}

func TestOrdersFailedOrEmptyUpdatesStoreNothing(t *testing.T) {
	t.Parallel()
	db, repo := newOrders(t)
	ctx := context.Background()
	o := addOrder(t, repo)
	if err := repo.Update(ctx, o.ID(), func(o *order.Order) ([]order.Event, error) { return o.Reject("out of stock") }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	// Raw events below bypass the rules: the repository must not store
	// them when fn or the surrounding transaction fails.
	canceled := []order.Event{order.Canceled{}}
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"rule refused", func() error {
			return repo.Update(ctx, o.ID(), func(o *order.Order) ([]order.Event, error) { return o.Complete(uuid.NewString()) })
		}, order.ErrNotReady},
		{"fn fails with events", func() error {
			return repo.Update(ctx, o.ID(), func(*order.Order) ([]order.Event, error) { return canceled, boom })
		}, boom},
		{"no events", func() error {
			return repo.Update(ctx, o.ID(), func(o *order.Order) ([]order.Event, error) { return o.Reject("again") })
		}, nil},
		{"outer transaction rolls back", func() error {
			return db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
				if err := repo.Update(ctx, o.ID(), func(*order.Order) ([]order.Event, error) { return canceled, nil }); err != nil {
					return err
				}
				return boom
			})
		}, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if h := orderHistoryOf(t, repo, o.ID()); len(h) != 2 {
				t.Errorf("history has %d events, want 2 (created, rejected)", len(h))
			}
			if topics, _ := orderOutbox(t, db); len(topics) != 2 {
				t.Errorf("outbox = %v, want 2 rows", topics)
			}
		})
	}
}

// raceOrderOnce returns an Update fn that, the first time it runs, lets another
// writer append interloper to the order and commit before running cmd; it
// counts its calls in calls.
func raceOrderOnce(t *testing.T, repo *postgres.Orders, id string, interloper, cmd func(*order.Order) ([]order.Event, error), calls *int) func(*order.Order) ([]order.Event, error) {
	return func(o *order.Order) ([]order.Event, error) {
		*calls++
		if *calls == 1 {
			done := make(chan error)
			// Another goroutine with a context of its own: a separate
			// transaction that commits before this one appends.
			go func() { done <- repo.Update(context.Background(), id, interloper) }()
			if err := <-done; err != nil {
				t.Errorf("the interloper failed: %v", err)
			}
		}
		return cmd(o)
	}
}

func TestOrdersConcurrentWriters(t *testing.T) {
	t.Parallel()
	shoppingID := uuid.NewString()
	approve := func(o *order.Order) ([]order.Event, error) { return o.Approve(shoppingID) }
	cancel := func(o *order.Order) ([]order.Event, error) { return o.Cancel() }
	tests := []struct {
		name              string
		interloper, loser func(*order.Order) ([]order.Event, error)
		inConsumerTx      bool
		wantErr, wantKind error
		wantHistory       []order.Event
	}{
		{name: "the loser re-runs its command on the winner's state and appends after it",
			interloper: approve, loser: cancel,
			wantHistory: []order.Event{order.Approved{ShoppingID: shoppingID}, order.Canceled{}}},
		{name: "the loser's command no longer applies: the rule's conflict",
			interloper: cancel, loser: approve, wantErr: order.ErrNotPending, wantKind: domain.ErrConflict,
			wantHistory: []order.Event{order.Canceled{}}},
		{name: "both cancel: the retry finds it done",
			interloper: cancel, loser: cancel, wantHistory: []order.Event{order.Canceled{}}},
		{name: "inside a consumer's transaction the retry still works",
			interloper: approve, loser: cancel, inConsumerTx: true,
			wantHistory: []order.Event{order.Approved{ShoppingID: shoppingID}, order.Canceled{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, repo := newOrders(t)
			ctx := context.Background()
			o := addOrder(t, repo)
			calls := 0
			fn := raceOrderOnce(t, repo, o.ID(), tt.interloper, tt.loser, &calls)
			var err error
			if tt.inConsumerTx {
				err = db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, "INSERT INTO orders.inbox (handler, message_id) VALUES ('test', 'm1')"); err != nil {
						return err
					}
					return repo.Update(ctx, o.ID(), fn)
				})
			} else {
				err = repo.Update(ctx, o.ID(), fn)
			}
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || !errors.Is(err, tt.wantKind)) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if calls != 2 {
				t.Errorf("the loser's command ran %d times, want 2 (lost the race, then retried)", calls)
			}
			if h := orderHistoryOf(t, repo, o.ID()); !reflect.DeepEqual(h[1:], tt.wantHistory) {
				t.Errorf("history after Created = %#v, want %#v", h[1:], tt.wantHistory)
			}
			if topics, _ := orderOutbox(t, db); len(topics) != 1+len(tt.wantHistory) {
				t.Errorf("outbox = %v, want one row per stored event", topics)
			}
			if tt.inConsumerTx {
				var n int
				if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM orders.inbox WHERE message_id = 'm1'").Scan(&n); err != nil || n != 1 {
					t.Errorf("inbox row committed = %d (%v), want 1", n, err)
				}
			}
		})
	}
}

func TestOrdersGiveUpOnAnOrderThatKeepsChanging(t *testing.T) {
	t.Parallel()
	db, repo := newOrders(t)
	ctx := context.Background()
	o := addOrder(t, repo)
	calls := 0
	// Every attempt loses: each time, another writer appends first. The
	// events are raw (rules bypassed) so that there is always one to add.
	err := repo.Update(ctx, o.ID(), func(*order.Order) ([]order.Event, error) {
		calls++
		done := make(chan error)
		go func() {
			done <- repo.Update(context.Background(), o.ID(), func(*order.Order) ([]order.Event, error) {
				return []order.Event{order.Rejected{Reason: "interloper"}}, nil
			})
		}()
		if err := <-done; err != nil {
			t.Errorf("the interloper failed: %v", err)
		}
		return []order.Event{order.Canceled{}}, nil
	})
	if !errors.Is(err, order.ErrConcurrentChange) || !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("err = %v, want ErrConcurrentChange (a 409)", err)
	}
	if calls != 5 {
		t.Errorf("fn ran %d times, want 5 attempts", calls)
	}
	if h := orderHistoryOf(t, repo, o.ID()); len(h) != 6 {
		t.Errorf("history has %d events, want Created and the 5 interlopers'", len(h))
	}
	if topics, _ := orderOutbox(t, db); len(topics) != 6 {
		t.Errorf("outbox has %d rows, want 6", len(topics))
	}
}
