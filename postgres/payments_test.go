package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/messaging"
	"github.com/mallbots/mallbots/postgres"
)

func newPayments(t *testing.T) (*postgres.DB, *postgres.Payments) {
	t.Helper()
	db, _ := testkit.Database(t)
	return db, postgres.NewPayments(db, messaging.NewOutbox("payments"))
}

// addPayment stores an authorized payment of amount cents and returns it.
func addPayment(t *testing.T, repo *postgres.Payments, amount int64) *payment.Payment {
	t.Helper()
	p, err := payment.New(uuid.NewString(), uuid.NewString(), amount)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Add(context.Background(), p); err != nil {
		t.Fatalf("add payment: %v", err)
	}
	return p
}

func getPayment(t *testing.T, repo *postgres.Payments, id string) *payment.Payment {
	t.Helper()
	p, err := repo.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get payment %s: %v", id, err)
	}
	return p
}

// outboxTopics lists the destination topics of service's outbox rows, in order.
func outboxTopics(t *testing.T, db *postgres.DB, service string) []string {
	t.Helper()
	var topics []string
	for _, r := range readOutbox(t, db, service) {
		topics = append(topics, r.DestinationTopic)
	}
	return topics
}

func confirmFn(orderID, customerID string, amount int64) func(*payment.Payment) ([]events.Event, error) {
	return func(p *payment.Payment) ([]events.Event, error) {
		if _, err := p.Confirm(orderID, customerID, amount); err != nil {
			return nil, err
		}
		return []events.Event{events.PaymentConfirmed{PaymentID: p.ID(), OrderID: orderID, Amount: p.Amount()}}, nil
	}
}

func TestPaymentsRoundTrip(t *testing.T) {
	t.Parallel()
	db, repo := newPayments(t)
	ctx := context.Background()
	p, err := payment.New(uuid.NewString(), uuid.NewString(), 1050)
	if err != nil {
		t.Fatal(err)
	}
	authorized := events.PaymentAuthorized{PaymentID: p.ID(), CustomerID: p.CustomerID(), Amount: 1050}
	if err := repo.Add(ctx, p, authorized); err != nil {
		t.Fatal(err)
	}
	if got := getPayment(t, repo, p.ID()); *got != *p {
		t.Fatalf("stored payment = %+v, want %+v", got, p)
	}

	orderID := uuid.NewString()
	if err := repo.Update(ctx, p.ID(), confirmFn(orderID, p.CustomerID(), 1050)); err != nil {
		t.Fatal(err)
	}
	got := getPayment(t, repo, p.ID())
	if got.Status() != payment.StatusConfirmed || got.OrderID() != orderID || got.Version() != 2 {
		t.Fatalf("after confirm: %s for %q v%d", got.Status(), got.OrderID(), got.Version())
	}
	err = repo.Update(ctx, p.ID(), func(p *payment.Payment) ([]events.Event, error) {
		_, err := p.Void(orderID)
		return []events.Event{events.PaymentVoided{PaymentID: p.ID(), OrderID: orderID, Reason: "test"}}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	got = getPayment(t, repo, p.ID())
	if got.Status() != payment.StatusVoided || got.OrderID() != orderID || got.Version() != 3 {
		t.Fatalf("after void: %s for %q v%d, want voided keeping the order, v3", got.Status(), got.OrderID(), got.Version())
	}

	rows := readOutbox(t, db, "payments")
	want := []string{events.PaymentAuthorizedName, events.PaymentConfirmedName, events.PaymentVoidedName}
	if topics := outboxTopics(t, db, "payments"); len(topics) != 3 || topics[0] != want[0] || topics[1] != want[1] || topics[2] != want[2] {
		t.Fatalf("outbox topics = %v, want %v", topics, want)
	}
	var first events.PaymentAuthorized
	if err := json.Unmarshal(rows[0].Payload, &first); err != nil || first != authorized {
		t.Errorf("outbox payload = %+v (%v), want %+v", first, err, authorized)
	}
}

// IDs reach the repository validated (by the HTTP edge, or with the
// message's payload), so an unknown one is the only kind there is.
func TestPaymentsUnknownIDIsNotFound(t *testing.T) {
	t.Parallel()
	db, repo := newPayments(t)
	ctx := context.Background()
	for _, id := range []string{uuid.NewString(), strings.ToUpper(uuid.NewString())} {
		// Inside one transaction, as in a consumer: not finding a row must
		// leave the transaction usable.
		err := db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
			if _, err := repo.Get(ctx, id); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("Get(%q) = %v, want ErrNotFound", id, err)
			}
			called := false
			err := repo.Update(ctx, id, func(*payment.Payment) ([]events.Event, error) { called = true; return nil, nil })
			if !errors.Is(err, domain.ErrNotFound) || called {
				t.Errorf("Update(%q) = %v (fn called %t), want ErrNotFound without calling fn", id, err, called)
			}
			if _, err := repo.GetInvoice(ctx, id); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("GetInvoice(%q) = %v, want ErrNotFound", id, err)
			}
			err = repo.UpdateInvoice(ctx, id, func(*payment.Invoice) ([]events.Event, error) { return nil, nil })
			if !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("UpdateInvoice(%q) = %v, want ErrNotFound", id, err)
			}
			if invs, err := repo.InvoicesOfOrder(ctx, id); err != nil || len(invs) != 0 {
				t.Errorf("InvoicesOfOrder(%q) = %v, %v; want none", id, invs, err)
			}
			// The transaction is still usable.
			return repo.Add(ctx, mustPayment(t))
		})
		if err != nil {
			t.Fatalf("transaction after lookups of %q: %v", id, err)
		}
	}
}

func mustPayment(t *testing.T) *payment.Payment {
	t.Helper()
	p, err := payment.New(uuid.NewString(), uuid.NewString(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPaymentsNoOpUpdateWritesNothing(t *testing.T) {
	t.Parallel()
	db, repo := newPayments(t)
	ctx := context.Background()
	p := addPayment(t, repo, 1000)
	xmin := func() string {
		var x string
		if err := db.Pool.QueryRow(ctx, "SELECT xmin::text FROM payments.payments WHERE id = $1", p.ID()).Scan(&x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	before := xmin()
	// Voiding an unused authorization is a no-op.
	err := repo.Update(ctx, p.ID(), func(p *payment.Payment) ([]events.Event, error) {
		_, err := p.Void(uuid.NewString())
		return nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if after := xmin(); after != before {
		t.Errorf("a no-op update rewrote the row (xmin %s → %s)", before, after)
	}
}

func TestPaymentsFailedUpdateChangesAndPublishesNothing(t *testing.T) {
	t.Parallel()
	db, repo := newPayments(t)
	ctx := context.Background()
	p := addPayment(t, repo, 1000)
	err := repo.Update(ctx, p.ID(), confirmFn(uuid.NewString(), p.CustomerID(), 1200))
	if !errors.Is(err, payment.ErrAmountMismatch) {
		t.Fatalf("err = %v, want ErrAmountMismatch", err)
	}
	if got := getPayment(t, repo, p.ID()); *got != *p {
		t.Errorf("payment = %+v after a refused confirm, want %+v", got, p)
	}
	if topics := outboxTopics(t, db, "payments"); len(topics) != 0 {
		t.Errorf("outbox = %v after a refused confirm, want empty", topics)
	}
}

func TestPaymentsConcurrentConfirmsByTwoOrdersOneWins(t *testing.T) {
	t.Parallel()
	db, repo := newPayments(t)
	ctx := context.Background()
	p := addPayment(t, repo, 1000)

	// Without the row lock both would load the authorized payment and both
	// confirm it; with it the second sees the first's order and is refused.
	orders := []string{uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()}
	errs := make([]error, len(orders))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, order := range orders {
		wg.Go(func() {
			<-start
			errs[i] = repo.Update(ctx, p.ID(), confirmFn(order, p.CustomerID(), 1000))
		})
	}
	close(start)
	wg.Wait()

	var winner string
	for i, err := range errs {
		switch {
		case err == nil && winner == "":
			winner = orders[i]
		case err == nil:
			t.Errorf("orders %s and %s both confirmed the payment", winner, orders[i])
		case !errors.Is(err, payment.ErrAlreadyUsed):
			t.Errorf("order %s: err = %v, want ErrAlreadyUsed", orders[i], err)
		}
	}
	got := getPayment(t, repo, p.ID())
	if winner == "" || got.OrderID() != winner || got.Status() != payment.StatusConfirmed || got.Version() != 2 {
		t.Errorf("payment = %s for %q v%d, want confirmed for the one winner %q at v2", got.Status(), got.OrderID(), got.Version(), winner)
	}
	if topics := outboxTopics(t, db, "payments"); len(topics) != 1 || topics[0] != events.PaymentConfirmedName {
		t.Errorf("outbox = %v, want one PaymentConfirmed", topics)
	}
}

func newInvoice(t *testing.T, orderID, paymentID string) *payment.Invoice {
	t.Helper()
	inv, err := payment.NewInvoice(uuid.NewString(), orderID, paymentID, 2500)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestInvoicesRoundTrip(t *testing.T) {
	t.Parallel()
	db, repo := newPayments(t)
	ctx := context.Background()
	orderID := uuid.NewString()
	inv := newInvoice(t, orderID, uuid.NewString())
	created := events.InvoiceCreated{InvoiceID: inv.ID(), OrderID: orderID, PaymentID: inv.PaymentID(), Amount: 2500}
	if err := repo.AddInvoice(ctx, inv, created); err != nil {
		t.Fatal(err)
	}
	got, err := repo.GetInvoice(ctx, inv.ID())
	if err != nil || *got != *inv {
		t.Fatalf("GetInvoice = %+v, %v; want %+v", got, err, inv)
	}
	list, err := repo.InvoicesOfOrder(ctx, orderID)
	if err != nil || len(list) != 1 || *list[0] != *inv {
		t.Fatalf("InvoicesOfOrder = %v, %v; want the one invoice", list, err)
	}
	if list, err := repo.InvoicesOfOrder(ctx, uuid.NewString()); err != nil || len(list) != 0 {
		t.Errorf("InvoicesOfOrder(other order) = %v, %v; want none", list, err)
	}

	err = repo.UpdateInvoice(ctx, inv.ID(), func(inv *payment.Invoice) ([]events.Event, error) {
		return []events.Event{events.InvoicePaid{InvoiceID: inv.ID(), OrderID: orderID, Amount: inv.Amount()}}, inv.Pay(inv.Amount())
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := repo.GetInvoice(ctx, inv.ID()); got.Status() != payment.InvoicePaid || got.Version() != 2 {
		t.Errorf("after pay: %s v%d, want paid v2", got.Status(), got.Version())
	}
	err = repo.UpdateInvoice(ctx, inv.ID(), func(inv *payment.Invoice) ([]events.Event, error) {
		return []events.Event{events.InvoicePaid{}}, inv.Pay(inv.Amount())
	})
	if !errors.Is(err, payment.ErrInvoicePaid) {
		t.Errorf("paying twice: err = %v, want ErrInvoicePaid", err)
	}
	if topics := outboxTopics(t, db, "payments"); len(topics) != 2 || topics[0] != events.InvoiceCreatedName || topics[1] != events.InvoicePaidName {
		t.Errorf("outbox = %v, want InvoiceCreated, InvoicePaid", topics)
	}
}

func TestAddInvoiceTwiceKeepsTheTransactionUsable(t *testing.T) {
	t.Parallel()
	db, repo := newPayments(t)
	ctx := context.Background()
	orderID := uuid.NewString()
	inv := newInvoice(t, orderID, uuid.NewString())
	created := events.InvoiceCreated{InvoiceID: inv.ID(), OrderID: orderID}

	err := db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
		if err := repo.AddInvoice(ctx, inv, created); err != nil {
			return err
		}
		for name, dup := range map[string]*payment.Invoice{
			"same invoice":                inv,
			"another invoice, same order": newInvoice(t, orderID, inv.PaymentID()),
		} {
			err := repo.AddInvoice(ctx, dup, created)
			if !errors.Is(err, payment.ErrInvoiceExists) || !errors.Is(err, domain.ErrConflict) {
				t.Errorf("%s: err = %v, want ErrInvoiceExists", name, err)
			}
		}
		// The consumer goes on in the same transaction after a duplicate.
		_, err := repo.GetInvoice(ctx, inv.ID())
		return err
	})
	if err != nil {
		t.Fatalf("transaction: %v", err)
	}
	if list, _ := repo.InvoicesOfOrder(ctx, orderID); len(list) != 1 || list[0].ID() != inv.ID() {
		t.Errorf("invoices of the order = %v, want only %s", list, inv.ID())
	}
	if topics := outboxTopics(t, db, "payments"); len(topics) != 1 {
		t.Errorf("outbox = %v, want one InvoiceCreated", topics)
	}
}

func TestConcurrentAddInvoiceForOneOrderStoresOne(t *testing.T) {
	t.Parallel()
	db, repo := newPayments(t)
	ctx := context.Background()
	orderID, paymentID := uuid.NewString(), uuid.NewString()
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			inv := newInvoice(t, orderID, paymentID)
			errs[i] = repo.AddInvoice(ctx, inv, events.InvoiceCreated{InvoiceID: inv.ID(), OrderID: orderID})
		})
	}
	close(start)
	wg.Wait()
	stored := 0
	for _, err := range errs {
		switch {
		case err == nil:
			stored++
		case !errors.Is(err, payment.ErrInvoiceExists):
			t.Errorf("err = %v, want nil or ErrInvoiceExists", err)
		}
	}
	if stored != 1 {
		t.Errorf("%d invoices stored for one order, want 1", stored)
	}
	if topics := outboxTopics(t, db, "payments"); len(topics) != 1 {
		t.Errorf("outbox = %v, want one InvoiceCreated", topics)
	}
}
