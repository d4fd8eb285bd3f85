package contract

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/basket"
	"github.com/mallbots/mallbots/domain/catalog"
	"github.com/mallbots/mallbots/events"
)

// BasketsRepository is handlers/baskets' repository (postgres.Baskets),
// each write publishing its events with it.
type BasketsRepository = UpdateFn[*basket.Basket]

// syrup is a product as the baskets' catalog cache holds it.
var syrup = catalog.Product{ID: "00000000-0000-4000-8000-0000000000a1", StoreID: theStore, StoreName: "Waffles", Name: "Syrup", Price: 499}

// RunBaskets holds the baskets repository to its contract: baskets are
// UpdateFn aggregates born in a flow, which their later events continue
// (see runAggregate), which keep their lines in order; and one payment
// pays for one basket's checkout, however many try at once: the others'
// Updates fail with basket.ErrPaymentUsed and change nothing.
func RunBaskets[R BasketsRepository](t *testing.T, open func(*testing.T) (R, Outbox)) {
	runAggregate(t, aggregate[*basket.Basket]{
		kind: "basket",
		fresh: func(t *testing.T, id string) (*basket.Basket, events.Event) {
			b, err := basket.New(id, catalog.Customer{ID: newID(), Enabled: true})
			must(t, "basket.New", err)
			return b, events.BasketStarted{BasketID: id, CustomerID: b.CustomerID()}
		},
		change: func(b *basket.Basket) (events.Event, error) {
			err := b.AddItem(syrup, 1)
			return events.BasketItemAdded{BasketID: b.ID(), Item: events.Item(b.Items()[0])}, err
		},
		// A checked-out basket keeps its lines in order.
		samples: func(*testing.T) map[string]*basket.Basket {
			crepe := catalog.Product{ID: newID(), StoreID: newID(), StoreName: "Crêperie", Name: "Crêpe", Price: 1250}
			full := basket.Rehydrate(newID(), newID(), newID(), basket.StatusCheckedOut, []basket.Item{
				{StoreID: crepe.StoreID, StoreName: crepe.StoreName, ProductID: crepe.ID, ProductName: crepe.Name, Price: crepe.Price, Quantity: 3},
				{StoreID: syrup.StoreID, StoreName: syrup.StoreName, ProductID: syrup.ID, ProductName: syrup.Name, Price: syrup.Price, Quantity: 1},
			}, 9)
			return map[string]*basket.Basket{full.ID(): full}
		},
		state: describe[basket.Basket], version: (*basket.Basket).Version, inFlow: true,
	}, trio[*basket.Basket](open))

	t.Run("one payment pays for one basket's checkout", func(t *testing.T) {
		repo, out := open(t)
		paymentID := newID()
		const n = 4
		ids := make([]string, n)
		for i := range ids {
			ids[i] = newID()
			bk := basket.Rehydrate(ids[i], newID(), "", basket.StatusOpen, []basket.Item{{StoreID: syrup.StoreID,
				StoreName: syrup.StoreName, ProductID: syrup.ID, ProductName: syrup.Name, Price: syrup.Price, Quantity: 1}}, 2)
			must(t, "add", repo.Add(context.Background(), bk))
		}
		checkout := func(id string) error {
			return repo.Update(Flow("kiosk"), id, func(bk *basket.Basket) ([]events.Event, error) {
				return []events.Event{events.BasketCheckedOut{BasketID: bk.ID(), CustomerID: bk.CustomerID(), PaymentID: paymentID}},
					bk.Checkout(catalog.Payment{ID: paymentID, CustomerID: bk.CustomerID()})
			})
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() { errs[i] = checkout(id) })
		}
		wg.Wait()
		won := ""
		for i, err := range errs {
			if err == nil {
				if won != "" {
					t.Fatalf("baskets %s and %s both checked out with payment %s", won, ids[i], paymentID)
				}
				won = ids[i]
				continue
			}
			if !errors.Is(err, basket.ErrPaymentUsed) {
				t.Errorf("checkout %d: %v, want basket.ErrPaymentUsed", i, err)
			}
			assertKind(t, err, domain.ErrConflict)
			lost, err := repo.Get(context.Background(), ids[i])
			must(t, "get", err)
			if lost.Status() != basket.StatusOpen || lost.PaymentID() != "" || lost.Version() != 2 {
				t.Errorf("a refused checkout changed basket %s", describe(lost))
			}
		}
		winner, err := repo.Get(context.Background(), won)
		must(t, "get the winner", err)
		assertPublished(t, out, Event("kiosk", events.BasketCheckedOut{BasketID: won, CustomerID: winner.CustomerID(), PaymentID: paymentID}))
	})
}
