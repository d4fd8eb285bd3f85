package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain/basket"
	"github.com/mallbots/mallbots/domain/catalog"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
)

func newBaskets(t *testing.T) (*postgres.DB, *postgres.Baskets) {
	t.Helper()
	db, _ := testkit.Database(t)
	return db, postgres.NewBaskets(db, outbox.New("baskets", nil))
}

// startBasket stores a new open basket and returns it.
func startBasket(t *testing.T, repo *postgres.Baskets) *basket.Basket {
	t.Helper()
	b, err := basket.New(uuid.NewString(), catalog.Customer{ID: uuid.NewString(), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Add(context.Background(), b, events.BasketStarted{BasketID: b.ID(), CustomerID: b.CustomerID()}); err != nil {
		t.Fatalf("add basket: %v", err)
	}
	return b
}

// assertBasket fails unless the stored basket equals want.
func assertBasket(t *testing.T, repo *postgres.Baskets, want *basket.Basket) {
	t.Helper()
	got, err := repo.Get(context.Background(), want.ID())
	if err != nil {
		t.Fatalf("get basket %s: %v", want.ID(), err)
	}
	if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *want) {
		t.Errorf("stored basket = %+v\nwant %+v", *got, *want)
	}
}

// TestBasketsUpdateJoinsTheCallersTransaction: what the contract suite
// (TestBasketsKeepTheContract) cannot ask of a fake. Update joins the
// transaction in ctx, so its row and its outbox row vanish with it.
func TestBasketsUpdateJoinsTheCallersTransaction(t *testing.T) {
	t.Parallel()
	db, repo := newBaskets(t)
	ctx := context.Background()
	b := startBasket(t, repo)
	boom := errors.New("boom")
	err := db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
		err := repo.Update(ctx, b.ID(), func(b *basket.Basket) ([]events.Event, error) {
			return []events.Event{events.BasketCanceled{BasketID: b.ID()}}, b.Cancel()
		})
		if err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	assertBasket(t, repo, b)
	if n := len(readOutbox(t, db, "baskets")); n != 1 {
		t.Errorf("outbox has %d rows after the rollback, want BasketStarted alone", n)
	}
}

func TestBasketsTableGuardsItsShape(t *testing.T) {
	t.Parallel()
	db, _ := newBaskets(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, sql string
	}{
		{"unknown status", `INSERT INTO baskets.baskets (id, customer_id, status, version) VALUES (gen_random_uuid(), gen_random_uuid(), 'closed', 1)`},
		{"checked out without a payment", `INSERT INTO baskets.baskets (id, customer_id, status, version) VALUES (gen_random_uuid(), gen_random_uuid(), 'checked_out', 1)`},
		{"open with a payment", `INSERT INTO baskets.baskets (id, customer_id, payment_id, status, version) VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'open', 1)`},
		{"items not an array", `INSERT INTO baskets.baskets (id, customer_id, status, items, version) VALUES (gen_random_uuid(), gen_random_uuid(), 'open', '{}', 1)`},
	} {
		if _, err := db.Pool.Exec(ctx, tc.sql); err == nil {
			t.Errorf("%s: insert succeeded, want a check violation", tc.name)
		}
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO baskets.baskets (id, customer_id, status, version) VALUES (gen_random_uuid(), gen_random_uuid(), 'open', 1)`); err != nil {
		t.Errorf("a well-formed open basket was refused: %v", err)
	}
}
