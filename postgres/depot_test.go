package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/depot"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
)

func newDepot(t *testing.T) (*postgres.Depot, *postgres.DB) {
	t.Helper()
	db, _ := testkit.Database(t)
	return postgres.NewDepot(db, outbox.New("depot", nil)), db
}

// plannedList returns a new pending list for a fresh order with a stop at
// each of stores.
func plannedList(t *testing.T, stores ...depot.Store) *depot.ShoppingList {
	t.Helper()
	known := map[string]depot.Store{}
	var lines []depot.Line
	for i, s := range stores {
		known[s.ID] = s
		lines = append(lines, depot.Line{StoreID: s.ID, ProductID: uuid.NewString(), ProductName: fmt.Sprintf("Product %d", i), Quantity: i + 1})
	}
	stops, err := depot.Plan(lines, known)
	if err != nil {
		t.Fatal(err)
	}
	l, err := depot.New(uuid.NewString(), uuid.NewString(), stops)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newStore(name string) depot.Store {
	return depot.Store{ID: uuid.NewString(), Name: name, Location: name + " street"}
}

// addList stores l; when available it is made available first.
func addList(t *testing.T, repo *postgres.Depot, l *depot.ShoppingList, available bool) {
	t.Helper()
	if available {
		if _, err := l.MakeAvailable(); err != nil {
			t.Fatal(err)
		}
	}
	if err := repo.Add(context.Background(), l); err != nil {
		t.Fatalf("Add: %v", err)
	}
}

func addBot(t *testing.T, repo *postgres.Depot, name string) *depot.Bot {
	t.Helper()
	b, err := depot.NewBot(uuid.NewString(), name)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.AddBot(context.Background(), b); err != nil {
		t.Fatalf("AddBot: %v", err)
	}
	return b
}

func requireKind(t *testing.T, err, kind error, what string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: err = %v, want it to wrap %v", what, err, kind)
	}
}

func requireCompleted(t *testing.T, repo *postgres.Depot, id, botID string, version int64) {
	t.Helper()
	got, err := repo.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status() != depot.StatusCompleted || got.BotID() != botID || got.Version() != version {
		t.Errorf("list = %s by %q v%d, want completed by %s v%d", got.Status(), got.BotID(), got.Version(), botID, version)
	}
	for _, s := range got.Stops() {
		if !s.PickedUp() {
			t.Errorf("stop at %s not picked up", s.Store().Name)
		}
	}
}

func botRef(t *testing.T, s string) depot.BotRef {
	t.Helper()
	ref, err := depot.ParseBotRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// assignTo is what the assign use case does: it names the bot by ref and
// registers it on first use.
func assignTo(ctx context.Context, repo *postgres.Depot, listID string, ref depot.BotRef) error {
	firstUse, err := depot.NewBotFor(ref, uuid.NewString())
	if err != nil {
		return err
	}
	return repo.Assign(ctx, listID, firstUse, func(l *depot.ShoppingList, b *depot.Bot) ([]events.Event, error) {
		return []events.Event{events.ShoppingListAssigned{ShoppingID: l.ID(), OrderID: l.OrderID(), BotID: b.ID()}}, l.Assign(b)
	})
}

// TestDepotAssignRegistersABotOnFirstUse: the book's sequence on the
// repository. A bot named by an external ID no one registered is registered
// with the assignment, found by that external ID and by its ID afterwards,
// and reused; a refused assignment registers nothing; concurrent first uses
// of one external ID register one bot.
func TestDepotAssignRegistersABotOnFirstUse(t *testing.T) {
	t.Parallel()
	repo, db := newDepot(t)
	ctx := context.Background()
	bots := func() int {
		var n int
		if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM depot.bots").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	pending := plannedList(t, newStore("A"))
	addList(t, repo, pending, false)
	err := assignTo(ctx, repo, pending.ID(), botRef(t, "bot-1"))
	requireKind(t, err, depot.ErrNotAvailable, "first use on a pending list")
	if n := bots(); n != 0 {
		t.Fatalf("%d bots after a refused first use, want none", n)
	}

	// First use, then completing without a stop reported.
	l := plannedList(t, newStore("A"), newStore("B"))
	addList(t, repo, l, true)
	if err := assignTo(ctx, repo, l.ID(), botRef(t, "bot-1")); err != nil {
		t.Fatalf("first use: %v", err)
	}
	b, err := repo.GetBot(ctx, botRef(t, "bot-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := domain.ParseID(b.ID()); !ok || b.ExternalID() != "bot-1" || b.Name() != "bot-1" || b.Status() != depot.BotBusy || b.ShoppingID() != l.ID() {
		t.Errorf("bot-1 = {%s %q %q %s %q}, want a UUID, external ID and name bot-1, busy with %s",
			b.ID(), b.ExternalID(), b.Name(), b.Status(), b.ShoppingID(), l.ID())
	}
	if byID, err := repo.GetBot(ctx, botRef(t, b.ID())); err != nil || byID.ExternalID() != "bot-1" {
		t.Errorf("GetBot by its ID = %v, %v", byID, err)
	}
	complete := func() (changed bool) {
		err := repo.Update(ctx, l.ID(), func(l *depot.ShoppingList, b *depot.Bot) ([]events.Event, error) {
			c, err := l.Complete(b)
			changed = c
			if err != nil || !c {
				return nil, err
			}
			return []events.Event{events.ShoppingListCompleted{ShoppingID: l.ID(), OrderID: l.OrderID()}}, nil
		})
		if err != nil {
			t.Fatalf("complete: %v", err)
		}
		return changed
	}
	if !complete() || complete() {
		t.Errorf("completing twice: want a change the first time only")
	}
	requireCompleted(t, repo, l.ID(), b.ID(), 4) // planned, available, assigned, completed

	// The next list goes to the same bot; a UUID no one registered becomes
	// a bot with that ID.
	next := plannedList(t, newStore("C"))
	addList(t, repo, next, true)
	if err := assignTo(ctx, repo, next.ID(), botRef(t, "bot-1")); err != nil {
		t.Fatalf("second use: %v", err)
	}
	if again, _ := repo.GetBot(ctx, botRef(t, "bot-1")); again.ID() != b.ID() || again.ShoppingID() != next.ID() {
		t.Errorf("bot-1 on its second list = %s busy with %q, want %s with %s", again.ID(), again.ShoppingID(), b.ID(), next.ID())
	}
	third := plannedList(t, newStore("D"))
	addList(t, repo, third, true)
	unknown := uuid.NewString()
	if err := assignTo(ctx, repo, third.ID(), botRef(t, strings.ToUpper(unknown))); err != nil {
		t.Fatalf("first use of a UUID: %v", err)
	}
	if byID, err := repo.GetBot(ctx, botRef(t, unknown)); err != nil || byID.ExternalID() != "" || byID.ShoppingID() != third.ID() {
		t.Errorf("bot %s = %v, %v; want it registered under that ID, shopping %s", unknown, byID, err, third.ID())
	}
	if n := bots(); n != 2 {
		t.Errorf("%d bots, want 2 (bot-1 once, and %s)", n, unknown)
	}

	// Concurrent first uses of bot-2 on several lists: one bot, one list.
	var lists []string
	for range 4 {
		l := plannedList(t, newStore("E"))
		addList(t, repo, l, true)
		lists = append(lists, l.ID())
	}
	errs := make(chan error, len(lists))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, id := range lists {
		wg.Go(func() {
			<-start
			errs <- assignTo(ctx, repo, id, botRef(t, "bot-2"))
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	var ok, busy int
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, depot.ErrBotBusy):
			busy++
		default:
			t.Errorf("concurrent first use: %v", err)
		}
	}
	var registered int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM depot.bots WHERE external_id = 'bot-2'").Scan(&registered); err != nil {
		t.Fatal(err)
	}
	if ok != 1 || busy != len(lists)-1 || registered != 1 {
		t.Errorf("concurrent first uses: %d assigned, %d busy, %d bots bot-2; want 1, %d, 1", ok, busy, registered, len(lists)-1)
	}
}

func TestDepotUpdateFnErrorOrNoChangeWritesNothing(t *testing.T) {
	t.Parallel()
	repo, db := newDepot(t)
	ctx := context.Background()
	l := plannedList(t, newStore("Waffles"))
	addList(t, repo, l, false)
	xmin := func() string {
		var x string
		if err := db.Pool.QueryRow(ctx, "SELECT xmin::text FROM depot.shopping_lists WHERE id = $1", l.ID()).Scan(&x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	before := xmin()

	boom := errors.New("boom")
	err := repo.Update(ctx, l.ID(), func(l *depot.ShoppingList, _ *depot.Bot) ([]events.Event, error) {
		_, _ = l.MakeAvailable()
		return []events.Event{events.ShoppingListAvailable{ShoppingID: l.ID()}}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v, want fn's error", err)
	}
	// A no-op (canceling a canceled list, say) is not written back either.
	if err := repo.Update(ctx, l.ID(), func(*depot.ShoppingList, *depot.Bot) ([]events.Event, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if after := xmin(); after != before {
		t.Errorf("row rewritten (xmin %s → %s) by a failed or empty change", before, after)
	}
	if got, _ := repo.Get(ctx, l.ID()); got.Status() != depot.StatusPending || got.Version() != 1 {
		t.Errorf("list = %s v%d, want pending v1", got.Status(), got.Version())
	}
	if msgs := readOutbox(t, db, "depot"); len(msgs) != 0 {
		t.Errorf("outbox = %+v, want empty", msgs)
	}

	called := false
	err = repo.Update(ctx, uuid.NewString(), func(*depot.ShoppingList, *depot.Bot) ([]events.Event, error) { called = true; return nil, nil })
	if !errors.Is(err, domain.ErrNotFound) || called {
		t.Errorf("Update of a missing list: err %v, fn called %t; want ErrNotFound without fn", err, called)
	}
}

// claim is what the claim use case does: depot.Claim and, on success, the
// list it got.
func claim(ctx context.Context, repo *postgres.Depot, botID string) (*depot.ShoppingList, error) {
	ref, err := depot.ParseBotRef(botID)
	if err != nil {
		return nil, err
	}
	var got *depot.ShoppingList
	err = repo.Claim(ctx, ref, func(b *depot.Bot, next *depot.ShoppingList) ([]events.Event, error) {
		if err := depot.Claim(b, next); err != nil {
			return nil, err
		}
		got = next
		return []events.Event{events.ShoppingListAssigned{ShoppingID: next.ID(), OrderID: next.OrderID(), BotID: b.ID()}}, nil
	})
	return got, err
}

func TestDepotConcurrentClaimsNeverShareAList(t *testing.T) {
	t.Parallel()
	repo, db := newDepot(t)
	ctx := context.Background()
	const lists, bots = 5, 12
	for range lists {
		addList(t, repo, plannedList(t, newStore("S")), true)
	}
	var botIDs []string
	for i := range bots {
		botIDs = append(botIDs, addBot(t, repo, fmt.Sprintf("bot %d", i)).ID())
	}

	// Every bot claims twice at once; all claims start together.
	type result struct {
		bot, list string
		err       error
	}
	results := make(chan result, 2*bots)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, id := range append(botIDs, botIDs...) {
		wg.Go(func() {
			<-start
			l, err := claim(ctx, repo, id)
			r := result{bot: id, err: err}
			if l != nil {
				r.list = l.ID()
			}
			results <- r
		})
	}
	close(start)
	wg.Wait()
	close(results)

	listOf := map[string]string{} // list → bot
	botOf := map[string]string{}  // bot → list
	var none, busy int
	for r := range results {
		switch {
		case r.err == nil:
			if other, ok := listOf[r.list]; ok {
				t.Errorf("list %s handed to bots %s and %s", r.list, other, r.bot)
			}
			if other, ok := botOf[r.bot]; ok {
				t.Errorf("bot %s got lists %s and %s", r.bot, other, r.list)
			}
			listOf[r.list], botOf[r.bot] = r.bot, r.list
		case errors.Is(r.err, depot.ErrNoneAvailable):
			none++
		case errors.Is(r.err, depot.ErrBotBusy):
			busy++
		default:
			t.Errorf("claim by %s: %v", r.bot, r.err)
		}
	}
	if len(listOf) != lists {
		t.Errorf("%d claims succeeded, want one per list (%d); %d found none, %d were busy", len(listOf), lists, none, busy)
	}
	// What the database holds agrees: every list assigned to the bot that
	// got it, each such bot busy with it, and one event per claim.
	var assigned, busyBots, events int
	err := db.Pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM depot.shopping_lists l JOIN depot.bots b ON b.id = l.bot_id AND b.shopping_id = l.id
			WHERE l.status = 'assigned' AND b.status = 'busy'),
		(SELECT count(*) FROM depot.bots WHERE status = 'busy'),
		(SELECT count(*) FROM depot.watermill_outbox)`).Scan(&assigned, &busyBots, &events)
	if err != nil {
		t.Fatal(err)
	}
	if assigned != lists || busyBots != lists || events != lists {
		t.Errorf("database: %d lists assigned to their busy bots, %d busy bots, %d events; want %d of each", assigned, busyBots, events, lists)
	}
}

func TestDepotCancelAssignedFreesTheBot(t *testing.T) {
	t.Parallel()
	repo, _ := newDepot(t)
	ctx := context.Background()
	l := plannedList(t, newStore("A"))
	addList(t, repo, l, true)
	bot := addBot(t, repo, "R2")
	if _, err := claim(ctx, repo, bot.ID()); err != nil {
		t.Fatal(err)
	}
	err := repo.Update(ctx, l.ID(), func(l *depot.ShoppingList, b *depot.Bot) ([]events.Event, error) {
		_, err := l.Cancel(b)
		return nil, err
	})
	if err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if b, _ := repo.GetBot(ctx, bot.Ref()); b.Status() != depot.BotIdle {
		t.Errorf("bot is %s after its list was canceled, want idle", b.Status())
	}
	// The freed bot may claim again: nothing is available now.
	_, err = claim(ctx, repo, bot.ID())
	requireKind(t, err, depot.ErrNoneAvailable, "claim after the cancel")
}

func TestDepotCacheStoresAreVersioned(t *testing.T) {
	t.Parallel()
	db, _ := testkit.Database(t)
	cache := postgres.NewDepotCache(db)
	ctx := context.Background()
	a, b, c := uuid.NewString(), uuid.NewString(), uuid.NewString()
	stores := func(ids ...string) map[string]depot.Store {
		got, err := cache.Stores(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	requireNoError(t, cache.SetStore(ctx, a, "Waffles", "Level 1", 1))
	// StoreRebranded v2 overtakes StoreCreated v1 of store b: known by name
	// only, which is not enough for a stop.
	requireNoError(t, cache.SetStoreName(ctx, b, "Bolts & Nuts", 2))
	if got := stores(a, b, c); !reflect.DeepEqual(got, map[string]depot.Store{a: {ID: a, Name: "Waffles", Location: "Level 1"}}) {
		t.Errorf("Stores = %v, want only a", got)
	}
	requireNoError(t, cache.SetStore(ctx, b, "Bolts", "Level 2", 1))
	requireNoError(t, cache.SetStore(ctx, b, "Bolts", "Level 2", 1)) // redelivery
	requireNoError(t, cache.SetStoreName(ctx, a, "Crêpes", 3))
	requireNoError(t, cache.SetStoreName(ctx, a, "Pancakes", 2)) // stale
	requireNoError(t, cache.SetStore(ctx, a, "Waffles", "Level 1", 1))
	want := map[string]depot.Store{a: {ID: a, Name: "Crêpes", Location: "Level 1"}, b: {ID: b, Name: "Bolts & Nuts", Location: "Level 2"}}
	if got := stores(a, b, c); !reflect.DeepEqual(got, want) {
		t.Errorf("Stores = %v, want %v", got, want)
	}

	upper := strings.ToUpper(a)
	if got := stores(upper); got[upper] != want[a] {
		t.Errorf("Stores(%s) = %v, want store a under the ID as given", upper, got)
	}
}
