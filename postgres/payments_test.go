package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
)

func newPayments(t *testing.T) (*postgres.DB, *postgres.Payments) {
	t.Helper()
	db, _ := testkit.Database(t)
	return db, postgres.NewPayments(db, outbox.New("payments", nil))
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

func newInvoice(t *testing.T, orderID, paymentID string) *payment.Invoice {
	t.Helper()
	inv, err := payment.NewInvoice(uuid.NewString(), orderID, paymentID, 2500)
	if err != nil {
		t.Fatal(err)
	}
	return inv
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
	if topics := readOutbox(t, db, "payments"); len(topics) != 1 {
		t.Errorf("outbox = %v, want one InvoiceCreated", topics)
	}
}
