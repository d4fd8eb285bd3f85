package contract

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/order"
)

// OrdersRepository is handlers/orders' repository (postgres.Orders): the
// orders' event store.
type OrdersRepository interface {
	Add(ctx context.Context, o *order.Order, evs []order.Event) error
	Update(ctx context.Context, id string, fn func(*order.Order) ([]order.Event, error)) error
	Get(ctx context.Context, id string) (*order.Order, error)
	History(ctx context.Context, id string) ([]order.Recorded, error)
}

// orderState describes what an order is, but when.
func orderState(o *order.Order) string {
	return fmt.Sprintf("%s customer=%s payment=%s shopping=%s invoice=%s items=%+v total=%d %s reason=%q v%d",
		o.ID(), o.CustomerID(), o.PaymentID(), o.ShoppingID(), o.InvoiceID(), o.Items(), o.Total(), o.Status(), o.Reason(), o.Version())
}

// RunOrders holds the orders event store to its contract, on what its
// handlers see of it (the events it publishes for them are postgres.Orders'
// own mapping, tested in postgres):
//
//   - Add stores a new order's events as versions 1, 2, …; an order whose ID
//     is taken fails with order.ErrExists (kind domain.ErrConflict) and
//     stores nothing.
//   - History returns the stored events oldest first, each with its version
//     and when it was stored (never going back); Get folds them, CreatedAt
//     and UpdatedAt being the first's and the last's times.
//   - Update runs fn on the order as stored and appends fn's events after
//     it; if fn fails or returns none, nothing is stored; an unknown order
//     is domain.ErrNotFound and fn is not called.
//   - Concurrent Updates lose nothing: each fn's events follow the ones
//     stored before, on an order that includes them (the store may run fn
//     again to get there, so fn has no other effects).
func RunOrders[R OrdersRepository](t *testing.T, open func(*testing.T) R) {
	items := []order.Item{{StoreID: theStore, StoreName: "Waffles", ProductID: syrup.ID, ProductName: "Syrup", Price: 499, Quantity: 2}}
	added := func(t *testing.T, repo OrdersRepository) *order.Order {
		t.Helper()
		o, evs, err := order.New(newID(), newID(), newID(), items)
		must(t, "new order", err)
		must(t, "add", repo.Add(context.Background(), o, evs))
		return o
	}
	history := func(t *testing.T, repo OrdersRepository, id string) []order.Event {
		t.Helper()
		h, err := repo.History(context.Background(), id)
		must(t, "history", err)
		out := make([]order.Event, len(h))
		for i, r := range h {
			if r.Version != int64(i+1) || r.OccurredAt.IsZero() || i > 0 && r.OccurredAt.Before(h[i-1].OccurredAt) {
				t.Errorf("event %d is version %d stored at %s, after %+v", i+1, r.Version, r.OccurredAt, h[:i])
			}
			out[i] = r.Event
		}
		o, err := repo.Get(context.Background(), id)
		must(t, "get", err)
		if !o.CreatedAt().Equal(h[0].OccurredAt) || !o.UpdatedAt().Equal(h[len(h)-1].OccurredAt) {
			t.Errorf("order created at %s, updated at %s; its history spans %s to %s", o.CreatedAt(), o.UpdatedAt(), h[0].OccurredAt, h[len(h)-1].OccurredAt)
		}
		return out
	}
	assertHistory := func(t *testing.T, repo OrdersRepository, id string, want ...order.Event) {
		t.Helper()
		if got := history(t, repo, id); !reflect.DeepEqual(got, want) {
			t.Errorf("history %#v, want %#v", got, want)
		}
	}
	assertOrder := func(t *testing.T, repo OrdersRepository, want *order.Order) {
		t.Helper()
		got, err := repo.Get(context.Background(), want.ID())
		must(t, "get", err)
		if orderState(got) != orderState(want) {
			t.Errorf("stored %s, want %s", orderState(got), orderState(want))
		}
	}

	t.Run("Add stores the order's events", func(t *testing.T) {
		repo := open(t)
		o, evs, err := order.New(newID(), newID(), newID(), items)
		must(t, "new order", err)
		must(t, "add", repo.Add(context.Background(), o, evs))
		assertOrder(t, repo, o)
		assertHistory(t, repo, o.ID(), evs...)
	})

	t.Run("Add of a taken ID is order.ErrExists", func(t *testing.T) {
		repo := open(t)
		o := added(t, repo)
		again, evs, err := order.New(o.ID(), newID(), newID(), items)
		must(t, "new order", err)
		err = repo.Add(context.Background(), again, evs)
		if !errors.Is(err, order.ErrExists) {
			t.Errorf("error %v, want order.ErrExists", err)
		}
		assertKind(t, err, domain.ErrConflict)
		assertOrder(t, repo, o)
	})

	t.Run("unknown order is not found", func(t *testing.T) {
		repo := open(t)
		id := newID()
		_, err := repo.Get(context.Background(), id)
		assertKind(t, err, domain.ErrNotFound)
		_, err = repo.History(context.Background(), id)
		assertKind(t, err, domain.ErrNotFound)
		assertNotFoundUncalled(t, "Update of an unknown order", func(mark func()) error {
			return repo.Update(context.Background(), id, func(*order.Order) ([]order.Event, error) { mark(); return nil, nil })
		})
	})

	t.Run("Update appends fn's events", func(t *testing.T) {
		repo := open(t)
		o := added(t, repo)
		created := history(t, repo, o.ID())[0]
		shoppingID, invoiceID := theList, newID()
		var want []order.Event
		for _, cmd := range []func(*order.Order) ([]order.Event, error){
			func(o *order.Order) ([]order.Event, error) { return o.Ready(shoppingID, invoiceID) },
			func(o *order.Order) ([]order.Event, error) { return o.Approve(shoppingID) }, // Approved, then Readied
		} {
			must(t, "update", repo.Update(Flow("saga"), o.ID(), func(stored *order.Order) ([]order.Event, error) {
				if orderState(stored) != orderState(o) {
					return nil, fmt.Errorf("fn got %s, want the stored %s", orderState(stored), orderState(o))
				}
				evs, err := cmd(stored)
				if err == nil {
					_, err = cmd(o)
				}
				want = append(want, evs...)
				return evs, err
			}))
		}
		assertOrder(t, repo, o)
		assertHistory(t, repo, o.ID(), append([]order.Event{created}, want...)...)
		if o.Status() != order.StatusReady || len(want) != 3 {
			t.Fatalf("the commands left the order %s after %d events, want ready after 3", o.Status(), len(want))
		}
	})

	t.Run("Update whose fn fails or decides nothing stores nothing", func(t *testing.T) {
		repo := open(t)
		o := added(t, repo)
		created := history(t, repo, o.ID())[0]
		errRule := fmt.Errorf("%w: a rule says no", domain.ErrConflict)
		err := repo.Update(Flow("customer"), o.ID(), func(o *order.Order) ([]order.Event, error) {
			evs, err := o.Cancel()
			must(t, "cancel", err)
			return evs, errRule
		})
		if !errors.Is(err, errRule) {
			t.Errorf("error %v, want fn's %v", err, errRule)
		}
		must(t, "update deciding nothing", repo.Update(Flow("customer"), o.ID(), func(*order.Order) ([]order.Event, error) {
			return nil, nil
		}))
		assertOrder(t, repo, o)
		assertHistory(t, repo, o.ID(), created)
	})

	t.Run("concurrent Updates lose nothing", func(t *testing.T) {
		repo := open(t)
		o := added(t, repo)
		created := history(t, repo, o.ID())[0]
		// Four writers: each may lose the race to each of the others once,
		// which the store's retries absorb.
		const n = 4
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				// A raw event that says which version fn saw.
				errs <- repo.Update(Flow("saga"), o.ID(), func(o *order.Order) ([]order.Event, error) {
					return []order.Event{order.Rejected{Reason: strconv.FormatInt(o.Version(), 10)}}, nil
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, "concurrent update", err)
		}
		want := []order.Event{created}
		for v := 1; v <= n; v++ {
			want = append(want, order.Rejected{Reason: strconv.Itoa(v)})
		}
		assertHistory(t, repo, o.ID(), want...)
	})
}
