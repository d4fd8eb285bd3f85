package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/saga"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
)

func newSagas(t *testing.T) (*postgres.DB, *postgres.Sagas) {
	t.Helper()
	db, _ := testkit.Database(t)
	return db, postgres.NewSagas(db, outbox.New("saga", nil))
}

var sagaItems = []saga.Item{{StoreID: uuid.NewString(), StoreName: "Robo Parts", ProductID: uuid.NewString(), ProductName: "Servo", Price: 999, Quantity: 2}}

func startSaga(t *testing.T) *saga.CreateOrder {
	t.Helper()
	s, err := saga.Start(uuid.NewString(), uuid.NewString(), uuid.NewString(), sagaItems, 1998)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSagasAddExistingIsErrExistsAndKeepsTheTransaction(t *testing.T) {
	t.Parallel()
	db, repo := newSagas(t)
	ctx := context.Background()
	s := startSaga(t)
	if err := repo.Add(ctx, s, events.AuthorizeCustomer{OrderID: s.OrderID()}); err != nil {
		t.Fatal(err)
	}
	other := startSaga(t)
	err := db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
		err := repo.Add(ctx, s, events.AuthorizeCustomer{OrderID: s.OrderID()})
		if !errors.Is(err, saga.ErrExists) || !errors.Is(err, domain.ErrConflict) {
			t.Errorf("second Add: err = %v, want ErrExists", err)
		}
		return repo.Add(ctx, other, events.AuthorizeCustomer{OrderID: other.OrderID()})
	})
	if err != nil {
		t.Fatalf("the transaction did not survive the duplicate: %v", err)
	}
	if topics := readOutbox(t, db, "saga"); len(topics) != 2 {
		t.Errorf("outbox = %v, want one command per saga", topics)
	}
}
