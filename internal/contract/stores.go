package contract

import (
	"context"
	"fmt"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/store"
	"github.com/mallbots/mallbots/events"
)

// StoresRepository is handlers/stores' repository (postgres.Stores): stores
// and their products, each write publishing its events with it.
type StoresRepository interface {
	UpdateFn[*store.Store]
	List(ctx context.Context, participatingOnly bool) ([]*store.Store, error)
	AddProduct(ctx context.Context, p *store.Product, evs ...events.Event) error
	UpdateProduct(ctx context.Context, id string, fn func(*store.Product) ([]events.Event, error)) error
	RemoveProduct(ctx context.Context, id string, fn func(*store.Product) ([]events.Event, error)) error
	GetProduct(ctx context.Context, id string) (*store.Product, error)
	Catalog(ctx context.Context, storeID string) ([]*store.Product, error)
}

// describe returns everything *v holds, unexported fields included: the
// state a repository must keep of an aggregate.
func describe[T any](v *T) string { return fmt.Sprintf("%+v", *v) }

// theStore is the store the product subtests sell from.
const theStore = "00000000-0000-4000-8000-00000000000a"

// RunStores holds the stores repository to its contract: stores and
// products are UpdateFn aggregates (see runAggregate); AddProduct needs its
// store; RemoveProduct deletes what fn agrees to; List and Catalog sort by
// name, then ID.
func RunStores[R StoresRepository](t *testing.T, open func(*testing.T) (R, Outbox)) {
	runAggregate(t, aggregate[*store.Store]{
		kind: "store",
		fresh: func(t *testing.T, id string) (*store.Store, events.Event) {
			s, err := store.New(id, "Waffles", "Level 1")
			must(t, "store.New", err)
			return s, events.StoreCreated{StoreID: id, Name: s.Name(), Location: s.Location(), Version: s.Version()}
		},
		change: func(s *store.Store) (events.Event, error) {
			err := s.Rebrand(fmt.Sprintf("Waffles %d", s.Version()))
			return events.StoreRebranded{StoreID: s.ID(), Name: s.Name(), Version: s.Version()}, err
		},
		state: describe[store.Store], version: (*store.Store).Version,
	}, trio[*store.Store](open))

	openWithStore := func(t *testing.T) (StoresRepository, Outbox) {
		repo, out := open(t)
		must(t, "add the store", repo.Add(context.Background(), store.Rehydrate(theStore, "Waffles", "Level 1", false, 1)))
		return repo, out
	}
	runAggregate(t, aggregate[*store.Product]{
		kind: "product",
		fresh: func(t *testing.T, id string) (*store.Product, events.Event) {
			p, err := store.NewProduct(id, theStore, "Syrup", "Maple", "S-1", 499)
			must(t, "store.NewProduct", err)
			return p, events.ProductAdded{ProductID: id, StoreID: theStore, Name: p.Name(), Description: p.Description(),
				SKU: p.SKU(), Price: p.Price(), Version: p.Version()}
		},
		change: func(p *store.Product) (events.Event, error) {
			err := p.IncreasePrice(1)
			return events.ProductPriceIncreased{ProductID: p.ID(), StoreID: p.StoreID(), Delta: 1, Price: p.Price(), Version: p.Version()}, err
		},
		state: describe[store.Product], version: (*store.Product).Version,
	}, func(t *testing.T) methods[*store.Product] {
		repo, out := openWithStore(t)
		return methods[*store.Product]{add: repo.AddProduct, update: repo.UpdateProduct, get: repo.GetProduct, out: out}
	})

	t.Run("AddProduct to an unknown store is not found", func(t *testing.T) {
		repo, out := open(t)
		p, err := store.NewProduct(newID(), theStore, "Syrup", "", "", 499)
		must(t, "new product", err)
		err = repo.AddProduct(Flow("staff"), p, events.ProductAdded{ProductID: p.ID(), StoreID: theStore, Name: "Syrup", Price: 499, Version: 1})
		assertKind(t, err, domain.ErrNotFound)
		_, err = repo.GetProduct(context.Background(), p.ID())
		assertKind(t, err, domain.ErrNotFound)
		assertPublished(t, out)
	})

	t.Run("RemoveProduct deletes what fn agrees to", func(t *testing.T) {
		repo, out := openWithStore(t)
		ctx := context.Background()
		keep, gone := addProduct(t, repo, "Cream"), addProduct(t, repo, "Syrup")
		removed := events.ProductRemoved{ProductID: gone.ID(), StoreID: theStore, Version: 2}
		errNo := fmt.Errorf("%w: not today", domain.ErrConflict)
		err := repo.RemoveProduct(Flow("staff"), gone.ID(), func(p *store.Product) ([]events.Event, error) {
			return []events.Event{removed}, errNo
		})
		assertKind(t, err, domain.ErrConflict)
		if _, err := repo.GetProduct(ctx, gone.ID()); err != nil {
			t.Fatalf("RemoveProduct whose fn failed removed the product: %v", err)
		}
		assertPublished(t, out)

		must(t, "remove", repo.RemoveProduct(Flow("staff"), gone.ID(), func(p *store.Product) ([]events.Event, error) {
			return []events.Event{removed}, nil
		}))
		_, err = repo.GetProduct(ctx, gone.ID())
		assertKind(t, err, domain.ErrNotFound)
		assertProducts(t, repo, keep)
		assertPublished(t, out, Event("staff", removed))

		assertNotFoundUncalled(t, "RemoveProduct of a removed product", func(mark func()) error {
			return repo.RemoveProduct(Flow("staff"), gone.ID(), func(*store.Product) ([]events.Event, error) { mark(); return nil, nil })
		})
	})

	t.Run("Catalog lists the store's products by name, then ID", func(t *testing.T) {
		repo, _ := openWithStore(t)
		other := store.Rehydrate(newID(), "Bolts", "Level 2", false, 1)
		must(t, "add another store", repo.Add(context.Background(), other))
		assertProducts(t, repo)
		p, err := store.NewProduct(newID(), other.ID(), "Bolt", "", "", 10)
		must(t, "new product", err)
		must(t, "add another store's product", repo.AddProduct(context.Background(), p))
		syrup1, cream := addProduct(t, repo, "Syrup"), addProduct(t, repo, "Cream")
		syrup2 := addProduct(t, repo, "Syrup")
		if syrup2.ID() < syrup1.ID() {
			syrup1, syrup2 = syrup2, syrup1
		}
		assertProducts(t, repo, cream, syrup1, syrup2)

		_, err = repo.Catalog(context.Background(), newID())
		assertKind(t, err, domain.ErrNotFound)
	})

	t.Run("List sorts stores by name, then ID, participating only on demand", func(t *testing.T) {
		repo, _ := open(t)
		ctx := context.Background()
		list := func(participatingOnly bool) string {
			t.Helper()
			got, err := repo.List(ctx, participatingOnly)
			must(t, "list", err)
			out := ""
			for _, st := range got {
				out += describe(st) + "\n"
			}
			return out
		}
		if got := list(false); got != "" {
			t.Errorf("List of no stores = %s, want nothing", got)
		}
		ids := []string{newID(), newID()}
		if ids[1] < ids[0] {
			ids[0], ids[1] = ids[1], ids[0]
		}
		bolts := store.Rehydrate(newID(), "Bolts", "Level 2", true, 2)
		waffles1 := store.Rehydrate(ids[0], "Waffles", "Level 1", false, 1)
		waffles2 := store.Rehydrate(ids[1], "Waffles", "Level 3", true, 2)
		for _, st := range []*store.Store{waffles2, bolts, waffles1} {
			must(t, "add", repo.Add(ctx, st))
		}
		if got, want := list(false), describe(bolts)+"\n"+describe(waffles1)+"\n"+describe(waffles2)+"\n"; got != want {
			t.Errorf("List(all) =\n%swant\n%s", got, want)
		}
		if got, want := list(true), describe(bolts)+"\n"+describe(waffles2)+"\n"; got != want {
			t.Errorf("List(participating) =\n%swant\n%s", got, want)
		}
	})
}

// addProduct adds a product called name to theStore, publishing nothing.
func addProduct(t *testing.T, repo StoresRepository, name string) *store.Product {
	t.Helper()
	p, err := store.NewProduct(newID(), theStore, name, "", "", 100)
	must(t, "new product", err)
	must(t, "add product", repo.AddProduct(context.Background(), p))
	return p
}

// assertProducts fails t unless theStore's catalog is want, in order.
func assertProducts(t *testing.T, repo StoresRepository, want ...*store.Product) {
	t.Helper()
	got, err := repo.Catalog(context.Background(), theStore)
	must(t, "catalog", err)
	if len(got) != len(want) {
		t.Fatalf("catalog has %d products, want %d", len(got), len(want))
	}
	for i := range want {
		if describe(got[i]) != describe(want[i]) {
			t.Errorf("catalog[%d] = %s, want %s", i, describe(got[i]), describe(want[i]))
		}
	}
}
