package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/postgres"
)

// probeDB returns a fresh database with a table tx_probe(v) to write into.
func probeDB(t *testing.T) *postgres.DB {
	t.Helper()
	db, _ := testkit.Database(t)
	if _, err := db.Pool.Exec(context.Background(), `CREATE TABLE tx_probe (v TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	return db
}

func insertProbe(ctx context.Context, tx pgx.Tx, v string) error {
	_, err := tx.Exec(ctx, `INSERT INTO tx_probe (v) VALUES ($1)`, v)
	return err
}

// committed reports whether v is visible outside any transaction.
func committed(t *testing.T, db *postgres.DB, v string) bool {
	t.Helper()
	var ok bool
	if err := db.Pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM tx_probe WHERE v = $1)`, v).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// releaseOnCleanup rolls back *tx when the test ends, before testkit closes
// the pool: should Transact ever leak a transaction, the test then fails on
// noConnectionHeld instead of hanging in pool.Close.
func releaseOnCleanup(t *testing.T, tx *pgx.Tx) {
	t.Cleanup(func() {
		if *tx != nil {
			_ = (*tx).Rollback(context.Background())
		}
	})
}

// noConnectionHeld fails unless every pool connection is back in the pool.
func noConnectionHeld(t *testing.T, db *postgres.DB) {
	t.Helper()
	testkit.Eventually(t, 5*time.Second, "Transact returned its connection to the pool", func() bool {
		return db.Pool.Stat().AcquiredConns() == 0
	})
}

func TestTransactCommitsOnNil(t *testing.T) {
	t.Parallel()
	db := probeDB(t)
	err := db.Transact(context.Background(), func(ctx context.Context, tx pgx.Tx) error {
		if got, ok := postgres.TxFrom(ctx); !ok || got != tx {
			t.Errorf("TxFrom inside Transact = %v, %v; want the transaction fn received", got, ok)
		}
		return insertProbe(ctx, tx, "a")
	})
	if err != nil {
		t.Fatalf("Transact: %v", err)
	}
	if !committed(t, db, "a") {
		t.Error("a row written by a successful fn was not committed")
	}
	noConnectionHeld(t, db)
}

func TestTransactRollsBackOnError(t *testing.T) {
	t.Parallel()
	db := probeDB(t)
	boom := errors.New("boom")
	var seen pgx.Tx
	releaseOnCleanup(t, &seen)
	err := db.Transact(context.Background(), func(ctx context.Context, tx pgx.Tx) error {
		seen = tx
		if err := insertProbe(ctx, tx, "b"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Transact: %v, want fn's error", err)
	}
	if committed(t, db, "b") {
		t.Error("a row written by a failing fn was committed")
	}
	noConnectionHeld(t, db)
}

func TestTransactRollsBackOnPanicAndRepanics(t *testing.T) {
	t.Parallel()
	db := probeDB(t)
	var recovered any
	var seen pgx.Tx
	releaseOnCleanup(t, &seen)
	func() {
		defer func() { recovered = recover() }()
		_ = db.Transact(context.Background(), func(ctx context.Context, tx pgx.Tx) error {
			seen = tx
			if err := insertProbe(ctx, tx, "c"); err != nil {
				return err
			}
			panic("kaboom")
		})
	}()
	if recovered != "kaboom" {
		t.Fatalf("recovered %v, want Transact to re-panic with fn's value", recovered)
	}
	if committed(t, db, "c") {
		t.Error("a row written by a panicking fn was committed")
	}
	noConnectionHeld(t, db)
}

func TestTransactReturnsCommitError(t *testing.T) {
	t.Parallel()
	db := probeDB(t)
	// A deferred unique constraint is checked at COMMIT, after fn succeeded.
	if _, err := db.Pool.Exec(context.Background(),
		`CREATE TABLE tx_deferred (v TEXT, CONSTRAINT tx_deferred_v UNIQUE (v) DEFERRABLE INITIALLY DEFERRED)`); err != nil {
		t.Fatal(err)
	}
	var seen pgx.Tx
	releaseOnCleanup(t, &seen)
	err := db.Transact(context.Background(), func(ctx context.Context, tx pgx.Tx) error {
		seen = tx
		_, err := tx.Exec(ctx, `INSERT INTO tx_deferred (v) VALUES ('x'), ('x')`)
		return err
	})
	if err == nil {
		t.Fatal("Transact succeeded although COMMIT must fail")
	}
	var n int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM tx_deferred`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows after a failed commit, want 0", n)
	}
	noConnectionHeld(t, db)
}

func TestTransactNested(t *testing.T) {
	t.Parallel()
	db := probeDB(t)
	outerFails := errors.New("outer fails")
	innerFails := errors.New("inner fails")

	cases := []struct {
		name     string
		innerErr error
		outerErr error // returned by the outer fn after a successful inner
		wantErr  error
		wantRows bool
	}{
		{name: "outer commits both", wantRows: true},
		{name: "outer failure rolls back the inner write", outerErr: outerFails, wantErr: outerFails},
		{name: "inner failure propagates and rolls back both", innerErr: innerFails, wantErr: innerFails},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			outerV, innerV := tc.name+"/outer", tc.name+"/inner"
			err := db.Transact(context.Background(), func(ctx context.Context, outer pgx.Tx) error {
				if err := insertProbe(ctx, outer, outerV); err != nil {
					return err
				}
				err := db.Transact(ctx, func(ctx context.Context, inner pgx.Tx) error {
					if inner != outer {
						t.Error("nested Transact opened its own transaction instead of joining the outer one")
					}
					if err := insertProbe(ctx, inner, innerV); err != nil {
						return err
					}
					return tc.innerErr
				})
				if err != nil {
					return err
				}
				// The inner Transact must leave the commit to the outer one.
				if committed(t, db, innerV) || committed(t, db, outerV) {
					t.Error("a nested Transact committed the shared transaction")
				}
				return tc.outerErr
			})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Transact: %v, want %v", err, tc.wantErr)
			}
			for _, v := range []string{outerV, innerV} {
				if got := committed(t, db, v); got != tc.wantRows {
					t.Errorf("row %q committed = %v, want %v", v, got, tc.wantRows)
				}
			}
		})
	}
}

func TestTxFromOutsideTransact(t *testing.T) {
	t.Parallel()
	if tx, ok := postgres.TxFrom(context.Background()); ok || tx != nil {
		t.Errorf("TxFrom(context.Background()) = %v, %v; want nil, false", tx, ok)
	}
}
