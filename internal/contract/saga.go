package contract

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/saga"
	"github.com/mallbots/mallbots/events"
)

// SagaRepository is handlers/saga's repository (postgres.Sagas), keyed by
// order ID, each write publishing the commands it is given with it.
type SagaRepository = UpdateFn[*saga.CreateOrder]

// sagaState describes everything a repository keeps of s but when it was
// stored, which the repository sets.
func sagaState(s *saga.CreateOrder) string {
	st := s.State()
	st.UpdatedAt = time.Time{}
	return fmt.Sprintf("%+v", st)
}

// forward moves s one forward step on and returns the command it sends
// next.
func forward(s *saga.CreateOrder) (events.Event, error) {
	st := s.State()
	if _, err := s.Handle(saga.Reply{Step: st.Step, Success: true, ShoppingID: theList}); err != nil {
		return nil, err
	}
	st = s.State()
	switch st.Step {
	case saga.StepCreateShoppingList:
		return events.CreateShoppingList{OrderID: st.OrderID, Items: []events.Item{events.Item(st.Items[0])}}, nil
	case saga.StepConfirmPayment:
		return events.ConfirmPayment{OrderID: st.OrderID, PaymentID: st.PaymentID, CustomerID: st.CustomerID, Amount: st.Total}, nil
	case saga.StepInitiateShopping:
		return events.InitiateShopping{OrderID: st.OrderID, ShoppingID: st.ShoppingID}, nil
	}
	return events.ApproveOrder{OrderID: st.OrderID, ShoppingID: st.ShoppingID}, nil
}

// theList is the shopping list the depot creates in the saga subtests.
const theList = "00000000-0000-4000-8000-0000000000c1"

// RunSagas holds the saga repository to its contract: sagas are UpdateFn
// aggregates keyed by their order (see runAggregate), Add of a second saga
// for an order failing with saga.ErrExists (kind domain.ErrConflict); a saga
// keeps every field of its state; Update rewrites the saga only when fn
// moved it on (its version grew), so a stale reply leaves it as it was,
// when it was stored included; UpdatedAt is set when the saga is stored.
func RunSagas[R SagaRepository](t *testing.T, open func(*testing.T) (R, Outbox)) {
	items := []saga.Item{{StoreID: theStore, StoreName: "Waffles", ProductID: syrup.ID, ProductName: "Syrup", Price: 499, Quantity: 2}}
	runAggregate(t, aggregate[*saga.CreateOrder]{
		kind: "saga",
		fresh: func(t *testing.T, orderID string) (*saga.CreateOrder, events.Event) {
			s, err := saga.Start(orderID, newID(), newID(), items, 998)
			must(t, "saga.Start", err)
			return s, events.AuthorizeCustomer{OrderID: orderID, CustomerID: s.State().CustomerID}
		},
		change: forward, changes: 4,
		state: sagaState, version: func(s *saga.CreateOrder) int64 { return s.State().Version },
		taken: saga.ErrExists, takenKind: domain.ErrConflict,
		// One deep into compensation, one canceled before it started.
		samples: func(t *testing.T) map[string]*saga.CreateOrder {
			deep := saga.Rehydrate(saga.State{OrderID: newID(), CustomerID: newID(), PaymentID: newID(), Items: items, Total: 998,
				Step: saga.StepVoidPayment, Status: saga.StatusCompensating, ShoppingID: theList, PaymentConfirmed: true,
				Reason: "initiateShopping failed: list canceled", OrderCanceled: true,
				CompensationFailures: []string{"cancelShoppingList: already completed"}, Version: 6})
			early, err := saga.StartCanceled(newID(), newID(), newID())
			must(t, "start canceled", err)
			return map[string]*saga.CreateOrder{deep.OrderID(): deep, early.OrderID(): early}
		},
	}, trio[*saga.CreateOrder](open))

	t.Run("Update that does not move the saga rewrites nothing", func(t *testing.T) {
		repo, out := open(t)
		ctx := context.Background()
		fresh, err := saga.Start(newID(), newID(), newID(), items, 998)
		must(t, "start", err)
		must(t, "add", repo.Add(ctx, fresh))
		added, err := repo.Get(ctx, fresh.OrderID())
		must(t, "get", err)
		if added.State().UpdatedAt.IsZero() {
			t.Error("Add did not set UpdatedAt")
		}
		must(t, "update with a stale reply", repo.Update(Flow("reply"), fresh.OrderID(), func(s *saga.CreateOrder) ([]events.Event, error) {
			_, err := s.Handle(saga.Reply{Step: saga.StepConfirmPayment, Success: true})
			return nil, err
		}))
		got, err := repo.Get(ctx, fresh.OrderID())
		must(t, "get", err)
		if sagaState(got) != sagaState(added) || !got.State().UpdatedAt.Equal(added.State().UpdatedAt) {
			t.Errorf("a stale reply rewrote the saga: %+v, was %+v", got.State(), added.State())
		}

		must(t, "update", repo.Update(Flow("reply"), fresh.OrderID(), func(s *saga.CreateOrder) ([]events.Event, error) {
			_, err := forward(s)
			return nil, err
		}))
		got, err = repo.Get(ctx, fresh.OrderID())
		must(t, "get", err)
		if got.State().UpdatedAt.Before(added.State().UpdatedAt) {
			t.Errorf("UpdatedAt went back from %s to %s", added.State().UpdatedAt, got.State().UpdatedAt)
		}
		assertPublished(t, out)
	})
}
