package migrations_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/migrations"
)

// TestOneBasketPerPaymentOnADatabaseWithEarlierDuplicates applies migration
// 0018 to a database where, as checkout allowed before it, three baskets
// were checked out with one payment: the migration succeeds, keeps them, and
// no basket may be checked out with that payment again.
func TestOneBasketPerPaymentOnADatabaseWithEarlierDuplicates(t *testing.T) {
	t.Parallel()
	db, _ := testkit.Database(t)
	ctx := context.Background()
	exec := func(sql string, args ...any) error {
		_, err := db.Pool.Exec(ctx, sql, args...)
		return err
	}
	// The database as it was before 0018.
	if err := exec(`DROP INDEX baskets.baskets_one_basket_per_payment; DROP TABLE baskets.payments_cache;
		DELETE FROM public.mallbots_schema_migrations WHERE version = '0018_baskets_payments'`); err != nil {
		t.Fatal(err)
	}
	payment := uuid.NewString()
	checkedOut := `INSERT INTO baskets.baskets (id, customer_id, payment_id, status, version) VALUES ($1, $2, $3, 'checked_out', 2)`
	for range 3 {
		if err := exec(checkedOut, uuid.NewString(), uuid.NewString(), payment); err != nil {
			t.Fatal(err)
		}
	}
	if err := exec(checkedOut, uuid.NewString(), uuid.NewString(), uuid.NewString()); err != nil {
		t.Fatal(err)
	}

	applied, err := migrations.Migrate(ctx, db.Pool)
	if err != nil || len(applied) != 1 || applied[0] != "0018_baskets_payments" {
		t.Fatalf("Migrate = %v, %v; want 0018 applied", applied, err)
	}
	var n int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM baskets.baskets WHERE payment_id = $1", payment).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d baskets keep the payment (%v), want the 3 from before", n, err)
	}
	if err := exec(checkedOut, uuid.NewString(), uuid.NewString(), payment); err == nil {
		t.Error("a new checkout with the payment was stored, want the index to refuse it")
	}
	if err := exec(checkedOut, uuid.NewString(), uuid.NewString(), uuid.NewString()); err != nil {
		t.Errorf("a checkout with a fresh payment was refused: %v", err)
	}
}
