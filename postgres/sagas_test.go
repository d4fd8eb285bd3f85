package postgres_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

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

func sagaTopics(t *testing.T, db *postgres.DB) []string {
	t.Helper()
	var topics []string
	for _, r := range readOutbox(t, db, "saga") {
		topics = append(topics, r.DestinationTopic)
	}
	return topics
}

// handle returns an Update fn that feeds r to the saga and sends cmd when
// the saga moved.
func sagaReplyFn(r saga.Reply, cmd events.Event) func(*saga.CreateOrder) ([]events.Event, error) {
	return func(s *saga.CreateOrder) ([]events.Event, error) {
		moved, err := s.Handle(r)
		if err != nil || !moved {
			return nil, err
		}
		return []events.Event{cmd}, nil
	}
}

func TestSagasAddGetRoundTrip(t *testing.T) {
	t.Parallel()
	db, repo := newSagas(t)
	ctx := context.Background()
	s := startSaga(t)
	st := s.State()
	cmd := events.AuthorizeCustomer{OrderID: st.OrderID, CustomerID: st.CustomerID}
	if err := repo.Add(ctx, s, cmd); err != nil {
		t.Fatal(err)
	}
	got, err := repo.Get(ctx, st.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	gotSt := got.State()
	if gotSt.UpdatedAt.IsZero() || time.Since(gotSt.UpdatedAt) > time.Minute {
		t.Errorf("updatedAt = %s, want about now", gotSt.UpdatedAt)
	}
	gotSt.UpdatedAt = time.Time{}
	if !reflect.DeepEqual(gotSt, st) {
		t.Errorf("loaded %+v, want %+v", gotSt, st)
	}
	if topics := sagaTopics(t, db); !reflect.DeepEqual(topics, []string{events.AuthorizeCustomerName}) {
		t.Errorf("outbox = %v", topics)
	}

	// A saga deep into compensation round-trips every field.
	moves := []saga.Reply{{Step: saga.StepAuthorizeCustomer, Success: true},
		{Step: saga.StepCreateShoppingList, Success: true, ShoppingID: "list-1"},
		{Step: saga.StepConfirmPayment, Success: true},
		{Step: saga.StepInitiateShopping, Reason: "list canceled"},
		{Step: saga.StepCancelShoppingList, Reason: "already completed"}}
	for _, r := range moves {
		if err := repo.Update(ctx, st.OrderID, sagaReplyFn(r, cmd)); err != nil {
			t.Fatal(err)
		}
	}
	got, err = repo.Get(ctx, st.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	gotSt = got.State()
	if gotSt.Step != saga.StepVoidPayment || gotSt.Status != saga.StatusCompensating || gotSt.ShoppingID != "list-1" || !gotSt.PaymentConfirmed ||
		gotSt.Reason != "initiateShopping failed: list canceled" || !reflect.DeepEqual(gotSt.CompensationFailures, []string{"cancelShoppingList: already completed"}) ||
		gotSt.Version != 6 || !reflect.DeepEqual(gotSt.Items, sagaItems) {
		t.Errorf("loaded %+v", gotSt)
	}

	// So does the cancel, of a saga running or of one canceled before it
	// started.
	cancel := func(s *saga.CreateOrder) ([]events.Event, error) {
		s.Cancel()
		return nil, nil
	}
	if err := repo.Update(ctx, st.OrderID, cancel); err != nil {
		t.Fatal(err)
	}
	early, err := saga.StartCanceled(uuid.NewString(), uuid.NewString(), uuid.NewString())
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Add(ctx, early); err != nil {
		t.Fatal(err)
	}
	for _, want := range []saga.State{{OrderID: st.OrderID, Step: saga.StepVoidPayment, Status: saga.StatusCompensating, Version: 7},
		{OrderID: early.OrderID(), Step: saga.StepDone, Status: saga.StatusCanceled, Reason: "order canceled", Version: 1}} {
		got, err := repo.Get(ctx, want.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		if gotSt := got.State(); !gotSt.OrderCanceled || gotSt.Step != want.Step || gotSt.Status != want.Status || gotSt.Version != want.Version ||
			want.Reason != "" && gotSt.Reason != want.Reason {
			t.Errorf("loaded %+v, want canceled at %s %s v%d", gotSt, want.Step, want.Status, want.Version)
		}
	}
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
	if topics := sagaTopics(t, db); len(topics) != 2 {
		t.Errorf("outbox = %v, want one command per saga", topics)
	}
}

func TestSagasUnknownIsNotFound(t *testing.T) {
	t.Parallel()
	_, repo := newSagas(t)
	id := uuid.NewString()
	if _, err := repo.Get(context.Background(), id); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Get: err = %v, want ErrNotFound", err)
	}
	err := repo.Update(context.Background(), id, sagaReplyFn(saga.Reply{Step: saga.StepAuthorizeCustomer, Success: true}, nil))
	if !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Update: err = %v, want ErrNotFound", err)
	}
}

func TestSagasStaleReplyRewritesNothing(t *testing.T) {
	t.Parallel()
	db, repo := newSagas(t)
	ctx := context.Background()
	s := startSaga(t)
	if err := repo.Add(ctx, s); err != nil {
		t.Fatal(err)
	}
	before, _ := repo.Get(ctx, s.OrderID())
	err := repo.Update(ctx, s.OrderID(), sagaReplyFn(saga.Reply{Step: saga.StepConfirmPayment, Success: true}, events.InitiateShopping{}))
	if err != nil {
		t.Fatal(err)
	}
	after, _ := repo.Get(ctx, s.OrderID())
	if !reflect.DeepEqual(after.State(), before.State()) {
		t.Errorf("a stale reply rewrote the saga: %+v → %+v", before.State(), after.State())
	}
	if topics := sagaTopics(t, db); len(topics) != 0 {
		t.Errorf("outbox = %v, want nothing", topics)
	}
}

func TestSagasConcurrentDuplicateRepliesMoveOnce(t *testing.T) {
	t.Parallel()
	db, repo := newSagas(t)
	ctx := context.Background()
	s := startSaga(t)
	if err := repo.Add(ctx, s); err != nil {
		t.Fatal(err)
	}
	// The same reply delivered under several message IDs at once: the row
	// lock serialises them and only the first finds the step it answers.
	const n = 6
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- repo.Update(ctx, s.OrderID(), sagaReplyFn(saga.Reply{Step: saga.StepAuthorizeCustomer, Success: true},
				events.CreateShoppingList{OrderID: s.OrderID()}))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, _ := repo.Get(ctx, s.OrderID())
	if got.Step() != saga.StepCreateShoppingList || got.State().Version != 2 {
		t.Errorf("saga at %s v%d, want createShoppingList v2", got.Step(), got.State().Version)
	}
	if topics := sagaTopics(t, db); !reflect.DeepEqual(topics, []string{events.CreateShoppingListName}) {
		t.Errorf("outbox = %v, want one CreateShoppingList", topics)
	}
}
