package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain"
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

// cachedProduct returns a product as the catalog cache would, with fresh IDs.
func cachedProduct(name string, price int64) catalog.Product {
	return catalog.Product{ID: uuid.NewString(), StoreID: uuid.NewString(), StoreName: "Store of " + name, Name: name, Price: price}
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

// assertBasket fails unless the stored basket equals want, field by field.
func assertBasket(t *testing.T, repo *postgres.Baskets, want *basket.Basket) {
	t.Helper()
	got, err := repo.Get(context.Background(), want.ID())
	if err != nil {
		t.Fatalf("get basket %s: %v", want.ID(), err)
	}
	type view struct {
		ID, CustomerID, PaymentID string
		Status                    basket.Status
		Items                     []basket.Item
		Version                   int64
	}
	items := func(b *basket.Basket) []basket.Item {
		if len(b.Items()) == 0 {
			return nil // no lines, whether stored as [] or never added
		}
		return b.Items()
	}
	g := view{got.ID(), got.CustomerID(), got.PaymentID(), got.Status(), items(got), got.Version()}
	w := view{want.ID(), want.CustomerID(), want.PaymentID(), want.Status(), items(want), want.Version()}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("stored basket = %+v\nwant %+v", g, w)
	}
}

func TestBasketsAddGetRoundTrip(t *testing.T) {
	t.Parallel()
	db, repo := newBaskets(t)
	ctx := context.Background()

	b := startBasket(t, repo)
	assertBasket(t, repo, b)

	rows := readOutbox(t, db, "baskets")
	if len(rows) != 1 || rows[0].DestinationTopic != events.BasketStartedName {
		t.Fatalf("outbox = %+v, want one BasketStarted", rows)
	}
	var started events.BasketStarted
	if err := json.Unmarshal(rows[0].Payload, &started); err != nil || started != (events.BasketStarted{BasketID: b.ID(), CustomerID: b.CustomerID()}) {
		t.Errorf("payload = %+v (%v)", started, err)
	}

	// A checked-out basket with lines survives the trip whole, lines in order.
	p1, p2 := cachedProduct("Syrup", 499), cachedProduct("Crêpe", 1250)
	full := basket.Rehydrate(uuid.NewString(), uuid.NewString(), uuid.NewString(), basket.StatusCheckedOut, []basket.Item{
		{StoreID: p2.StoreID, StoreName: p2.StoreName, ProductID: p2.ID, ProductName: p2.Name, Price: p2.Price, Quantity: 3},
		{StoreID: p1.StoreID, StoreName: p1.StoreName, ProductID: p1.ID, ProductName: p1.Name, Price: p1.Price, Quantity: 1},
	}, 9)
	if err := repo.Add(ctx, full); err != nil {
		t.Fatal(err)
	}
	assertBasket(t, repo, full)
}

func TestBasketsUnknownIsNotFound(t *testing.T) {
	t.Parallel()
	_, repo := newBaskets(t)
	id := uuid.NewString()
	_, err := repo.Get(context.Background(), id)
	requireNotFound(t, err, "basket "+id)
	called := false
	err = repo.Update(context.Background(), id, func(*basket.Basket) ([]events.Event, error) {
		called = true
		return nil, nil
	})
	requireNotFound(t, err, "basket "+id)
	if called {
		t.Error("Update called fn for a basket that does not exist")
	}
}

func TestBasketsUpdateSavesAndPublishes(t *testing.T) {
	t.Parallel()
	db, repo := newBaskets(t)
	ctx := context.Background()
	b := startBasket(t, repo)
	syrup, crepe := cachedProduct("Syrup", 499), cachedProduct("Crêpe", 1250)
	paymentID := uuid.NewString()

	steps := []func(*basket.Basket) ([]events.Event, error){
		func(b *basket.Basket) ([]events.Event, error) {
			return []events.Event{events.BasketItemAdded{BasketID: b.ID()}}, b.AddItem(syrup, 2)
		},
		func(b *basket.Basket) ([]events.Event, error) {
			return []events.Event{events.BasketItemAdded{BasketID: b.ID()}}, b.AddItem(crepe, 1)
		},
		func(b *basket.Basket) ([]events.Event, error) {
			return []events.Event{events.BasketItemRemoved{BasketID: b.ID(), ProductID: syrup.ID, Quantity: 1}}, b.RemoveItem(syrup.ID, 1)
		},
		func(b *basket.Basket) ([]events.Event, error) {
			return []events.Event{events.BasketCheckedOut{BasketID: b.ID(), PaymentID: paymentID}},
				b.Checkout(catalog.Payment{ID: paymentID, CustomerID: b.CustomerID()})
		},
	}
	want := basket.Rehydrate(b.ID(), b.CustomerID(), "", basket.StatusOpen, nil, 1)
	for i, fn := range steps {
		if err := repo.Update(ctx, b.ID(), fn); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if _, err := fn(want); err != nil {
			t.Fatalf("step %d on the expected basket: %v", i, err)
		}
		assertBasket(t, repo, want)
	}
	if want.PaymentID() != paymentID || want.Status() != basket.StatusCheckedOut || len(want.Items()) != 2 {
		t.Fatalf("the steps did not end in a checked-out basket: %+v", want)
	}

	var topics []string
	for _, r := range readOutbox(t, db, "baskets") {
		topics = append(topics, r.DestinationTopic)
	}
	wantTopics := []string{events.BasketStartedName, events.BasketItemAddedName, events.BasketItemAddedName, events.BasketItemRemovedName, events.BasketCheckedOutName}
	if !reflect.DeepEqual(topics, wantTopics) {
		t.Errorf("outbox topics = %v, want %v", topics, wantTopics)
	}
}

func TestBasketsFailedUpdateChangesAndPublishesNothing(t *testing.T) {
	t.Parallel()
	db, repo := newBaskets(t)
	ctx := context.Background()
	b := startBasket(t, repo)
	syrup := cachedProduct("Syrup", 499)
	if err := repo.Update(ctx, b.ID(), func(b *basket.Basket) ([]events.Event, error) { return nil, b.AddItem(syrup, 2) }); err != nil {
		t.Fatal(err)
	}
	before, err := repo.Get(ctx, b.ID())
	if err != nil {
		t.Fatal(err)
	}
	published := len(readOutbox(t, db, "baskets"))

	boom := errors.New("boom")
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"fn fails after changing the basket", func() error {
			return repo.Update(ctx, b.ID(), func(b *basket.Basket) ([]events.Event, error) {
				if err := b.AddItem(syrup, 1); err != nil {
					return nil, err
				}
				return []events.Event{events.BasketItemAdded{BasketID: b.ID()}}, boom
			})
		}, boom},
		{"domain rule", func() error {
			return repo.Update(ctx, b.ID(), func(b *basket.Basket) ([]events.Event, error) {
				return nil, b.RemoveItem(syrup.ID, 3)
			})
		}, basket.ErrRemoveTooMany},
		{"outer transaction rolls back", func() error {
			return db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
				err := repo.Update(ctx, b.ID(), func(b *basket.Basket) ([]events.Event, error) {
					return []events.Event{events.BasketCanceled{BasketID: b.ID()}}, b.Cancel()
				})
				if err != nil {
					return err
				}
				return boom
			})
		}, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			assertBasket(t, repo, before)
			if n := len(readOutbox(t, db, "baskets")); n != published {
				t.Errorf("outbox has %d rows after a failed update, want %d", n, published)
			}
		})
	}
}

func TestBasketsConcurrentUpdatesLoseNothing(t *testing.T) {
	t.Parallel()
	db, repo := newBaskets(t)
	ctx := context.Background()
	b := startBasket(t, repo)
	syrup := cachedProduct("Syrup", 499)

	// Without the row lock two kiosk taps would both read quantity k and
	// both save k+1.
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- repo.Update(ctx, b.ID(), func(b *basket.Basket) ([]events.Event, error) {
				return []events.Event{events.BasketItemAdded{BasketID: b.ID()}}, b.AddItem(syrup, 1)
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := repo.Get(ctx, b.ID())
	if err != nil {
		t.Fatal(err)
	}
	if items := got.Items(); len(items) != 1 || items[0].Quantity != n || got.Version() != 1+n {
		t.Errorf("basket holds %+v at version %d, want one line of %d at version %d", items, got.Version(), n, 1+n)
	}
	if rows := readOutbox(t, db, "baskets"); len(rows) != 1+n {
		t.Errorf("outbox has %d rows, want %d", len(rows), 1+n)
	}
}

// TestBasketsOnePaymentPaysForOneBasket races baskets to check out with one
// payment: exactly one wins, and the others are refused with
// basket.ErrPaymentUsed, unchanged and with nothing published.
func TestBasketsOnePaymentPaysForOneBasket(t *testing.T) {
	t.Parallel()
	db, repo := newBaskets(t)
	ctx := context.Background()
	syrup := cachedProduct("Syrup", 499)
	const n = 6
	baskets := make([]*basket.Basket, n)
	for i := range baskets {
		b, err := basket.New(uuid.NewString(), catalog.Customer{ID: uuid.NewString(), Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.AddItem(syrup, 1); err != nil {
			t.Fatal(err)
		}
		if err := repo.Add(ctx, b); err != nil {
			t.Fatal(err)
		}
		baskets[i] = b
	}
	paymentID := uuid.NewString()
	checkout := func(b *basket.Basket) error {
		return repo.Update(ctx, b.ID(), func(b *basket.Basket) ([]events.Event, error) {
			return []events.Event{events.BasketCheckedOut{BasketID: b.ID(), PaymentID: paymentID}},
				b.Checkout(catalog.Payment{ID: paymentID, CustomerID: b.CustomerID()})
		})
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, b := range baskets {
		wg.Go(func() { errs[i] = checkout(b) })
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, basket.ErrPaymentUsed) && errors.Is(err, domain.ErrConflict):
			assertBasket(t, repo, baskets[i])
		default:
			t.Errorf("checkout %d: err = %v, want nil or ErrPaymentUsed", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d baskets checked out with one payment, want 1", won)
	}
	if rows := readOutbox(t, db, "baskets"); len(rows) != 1 || rows[0].DestinationTopic != events.BasketCheckedOutName {
		t.Errorf("outbox holds %d rows, want the winner's BasketCheckedOut alone", len(rows))
	}
	// A checkout long after the winner's commit is refused the same way.
	late, err := basket.New(uuid.NewString(), catalog.Customer{ID: uuid.NewString(), Enabled: true})
	if err == nil {
		err = errors.Join(late.AddItem(syrup, 1), repo.Add(ctx, late))
	}
	requireNoError(t, err)
	if err := checkout(late); !errors.Is(err, basket.ErrPaymentUsed) || !strings.Contains(err.Error(), "payment "+paymentID+" pays for another basket's checkout") {
		t.Errorf("late checkout: err = %v, want ErrPaymentUsed naming the payment", err)
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
