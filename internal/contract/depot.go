package contract

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/depot"
	"github.com/mallbots/mallbots/events"
)

// DepotRepository is handlers/depot's repository (postgres.Depot): shopping
// lists and the bots that shop them.
type DepotRepository interface {
	Add(ctx context.Context, l *depot.ShoppingList, evs ...events.Event) error
	Update(ctx context.Context, id string, fn func(*depot.ShoppingList, *depot.Bot) ([]events.Event, error)) error
	Assign(ctx context.Context, id string, bot *depot.Bot, fn func(*depot.ShoppingList, *depot.Bot) ([]events.Event, error)) error
	Claim(ctx context.Context, ref depot.BotRef, fn func(*depot.Bot, *depot.ShoppingList) ([]events.Event, error)) error
	Get(ctx context.Context, id string) (*depot.ShoppingList, error)
	FindByOrder(ctx context.Context, orderID string) (*depot.ShoppingList, error)
	List(ctx context.Context, status depot.Status, limit int) ([]*depot.ShoppingList, error)
	AddBot(ctx context.Context, b *depot.Bot) error
	GetBot(ctx context.Context, ref depot.BotRef) (*depot.Bot, error)
	ListBots(ctx context.Context) ([]*depot.Bot, error)
}

// depotWorld is one subtest's repository, with what it published and
// helpers to set it up.
type depotWorld struct {
	t      *testing.T
	Repo   DepotRepository
	Outbox Outbox
}

// list adds a new list for a fresh order, planned in flow (its order's
// correlation ID), with a stop at each of stores (names); available makes
// it available first. It publishes nothing.
func (w depotWorld) list(flow string, available bool, stores ...string) *depot.ShoppingList {
	w.t.Helper()
	var stops []depot.Stop
	for _, name := range stores {
		stops = append(stops, depot.RehydrateStop(depot.Store{ID: newID(), Name: name, Location: name + " street"},
			[]depot.Item{{ProductID: newID(), ProductName: "Syrup", Quantity: 2}}, false))
	}
	l, err := depot.New(newID(), newID(), stops)
	must(w.t, "new list", err)
	if available {
		_, err := l.MakeAvailable()
		must(w.t, "make available", err)
	}
	must(w.t, "add list", w.Repo.Add(Flow(flow), l))
	return l
}

// bot registers an idle bot called name.
func (w depotWorld) bot(name string) *depot.Bot {
	w.t.Helper()
	b, err := depot.NewBot(newID(), name)
	must(w.t, "new bot", err)
	must(w.t, "add bot", w.Repo.AddBot(context.Background(), b))
	return b
}

func (w depotWorld) get(id string) *depot.ShoppingList {
	w.t.Helper()
	l, err := w.Repo.Get(context.Background(), id)
	must(w.t, "get list", err)
	return l
}

func (w depotWorld) getBot(ref depot.BotRef) *depot.Bot {
	w.t.Helper()
	b, err := w.Repo.GetBot(context.Background(), ref)
	must(w.t, "get bot", err)
	return b
}

// assign is the assign use case: list id to the bot ref names, registered
// on first use, in flow.
func (w depotWorld) assign(flow, id string, ref depot.BotRef) error {
	firstUse, err := depot.NewBotFor(ref, newID())
	must(w.t, "new bot", err)
	return w.Repo.Assign(Flow(flow), id, firstUse, func(l *depot.ShoppingList, b *depot.Bot) ([]events.Event, error) {
		return []events.Event{events.ShoppingListAssigned{ShoppingID: l.ID(), OrderID: l.OrderID(), BotID: b.ID()}}, l.Assign(b)
	})
}

// claim is the claim use case: bot b claims the next list, in flow; it
// returns the list it got.
func (w depotWorld) claim(flow string, b *depot.Bot) (*depot.ShoppingList, error) {
	var got *depot.ShoppingList
	err := w.Repo.Claim(Flow(flow), b.Ref(), func(b *depot.Bot, next *depot.ShoppingList) ([]events.Event, error) {
		if err := depot.Claim(b, next); err != nil {
			return nil, err
		}
		got = next
		return []events.Event{events.ShoppingListAssigned{ShoppingID: next.ID(), OrderID: next.OrderID(), BotID: b.ID()}}, nil
	})
	return got, err
}

// complete completes list id with its bot, in flow, and returns the event.
func (w depotWorld) complete(flow, id string) events.Event {
	w.t.Helper()
	var ev events.Event
	must(w.t, "complete", w.Repo.Update(Flow(flow), id, func(l *depot.ShoppingList, b *depot.Bot) ([]events.Event, error) {
		_, err := l.Complete(b)
		ev = events.ShoppingListCompleted{ShoppingID: l.ID(), OrderID: l.OrderID()}
		return []events.Event{ev}, err
	}))
	return ev
}

func ref(t *testing.T, s string) depot.BotRef {
	t.Helper()
	r, err := depot.ParseBotRef(s)
	must(t, "parse bot ref", err)
	return r
}

// RunDepot holds the depot repository to its contract:
//
//   - Add saves a list and publishes its events in the caller's flow, which
//     the list remembers: the events of every later write of it (Update,
//     Assign, Claim) continue that flow, whoever asks. An order has one list
//     and a list one ID: a second Add fails with an error of no domain kind
//     (retried) and changes nothing.
//   - Get, FindByOrder and GetBot (by ID or external ID) return copies; an
//     unknown one is domain.ErrNotFound, and so is an Update, Assign or
//     Claim of an unknown list or bot, which then does not call fn.
//   - Update hands fn the list and, while it is assigned, its bot (nil
//     otherwise) and saves both; if fn fails nothing is saved or published.
//   - Assign registers the bot on first use, only if fn succeeds, and finds
//     it by its ID or external ID afterwards.
//   - Claim hands fn the bot and the oldest available list no concurrent
//     claim holds (nil when there is none): concurrent claims never share a
//     list.
//   - List returns up to limit lists in a status (any for the zero Status),
//     oldest first; ListBots every bot by name, then ID; AddBot of a taken
//     ID or external ID fails.
func RunDepot[R DepotRepository](t *testing.T, open func(*testing.T) (R, Outbox)) {
	world := func(t *testing.T) depotWorld {
		repo, out := open(t)
		return depotWorld{t: t, Repo: repo, Outbox: out}
	}

	t.Run("Add saves a copy; Get and FindByOrder return it", func(t *testing.T) {
		w := world(t)
		l, err := depot.New(newID(), newID(), []depot.Stop{depot.RehydrateStop(depot.Store{ID: theStore, Name: "Waffles", Location: "Level 1"},
			[]depot.Item{{ProductID: syrup.ID, ProductName: "Syrup", Quantity: 2}, {ProductID: newID(), ProductName: "Cream", Quantity: 1}}, false)})
		must(t, "new list", err)
		want := describe(l)
		created := events.ShoppingListCreated{ShoppingID: l.ID(), OrderID: l.OrderID(), Stops: 1}
		must(t, "add", w.Repo.Add(Flow("order"), l, created))
		_, err = l.MakeAvailable()
		must(t, "change the added list", err)
		byOrder, err := w.Repo.FindByOrder(context.Background(), l.OrderID())
		must(t, "find by order", err)
		for name, got := range map[string]*depot.ShoppingList{"Get": w.get(l.ID()), "FindByOrder": byOrder} {
			if describe(got) != want {
				t.Errorf("%s = %s, want %s", name, describe(got), want)
			}
		}
		assertPublished(t, w.Outbox, Event("order", created))
	})

	t.Run("an order has one list and a list one ID", func(t *testing.T) {
		w := world(t)
		l := w.list("order", false, "Waffles")
		for name, again := range map[string]func() (*depot.ShoppingList, error){
			"same order": func() (*depot.ShoppingList, error) { return depot.New(newID(), l.OrderID(), l.Stops()) },
			"same ID":    func() (*depot.ShoppingList, error) { return depot.New(l.ID(), newID(), l.Stops()) },
		} {
			a, err := again()
			must(t, "new list", err)
			err = w.Repo.Add(Flow("order"), a, events.ShoppingListCreated{ShoppingID: a.ID(), OrderID: a.OrderID(), Stops: 1})
			if err == nil {
				t.Fatalf("%s: a second list was added", name)
			}
			assertKind(t, err, nil)
			if _, err := w.Repo.FindByOrder(context.Background(), a.OrderID()); a.OrderID() != l.OrderID() && !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("%s: the refused list's order has a list (%v)", name, err)
			}
		}
		if got := w.get(l.ID()); describe(got) != describe(l) {
			t.Errorf("stored %s, want %s", describe(got), describe(l))
		}
		assertPublished(t, w.Outbox)
	})

	t.Run("unknown lists and bots are not found", func(t *testing.T) {
		w := world(t)
		ctx := context.Background()
		l := w.list("order", true, "Waffles")
		r2 := w.bot("R2")
		_, err := w.Repo.Get(ctx, newID())
		assertKind(t, err, domain.ErrNotFound)
		_, err = w.Repo.FindByOrder(ctx, newID())
		assertKind(t, err, domain.ErrNotFound)
		for _, r := range []depot.BotRef{ref(t, newID()), ref(t, "bot-9"), ref(t, "R2")} { // a name is no external ID
			_, err = w.Repo.GetBot(ctx, r)
			assertKind(t, err, domain.ErrNotFound)
		}
		assertNotFoundUncalled(t, "Update of an unknown list", func(mark func()) error {
			return w.Repo.Update(ctx, newID(), func(*depot.ShoppingList, *depot.Bot) ([]events.Event, error) { mark(); return nil, nil })
		})
		assertNotFoundUncalled(t, "Assign of an unknown list", func(mark func()) error {
			bot, err := depot.NewBotFor(ref(t, "bot-1"), newID())
			must(t, "new bot", err)
			return w.Repo.Assign(ctx, newID(), bot, func(*depot.ShoppingList, *depot.Bot) ([]events.Event, error) { mark(); return nil, nil })
		})
		if _, err := w.Repo.GetBot(ctx, ref(t, "bot-1")); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Assign of an unknown list registered its bot (%v)", err)
		}
		assertNotFoundUncalled(t, "Claim by an unknown bot", func(mark func()) error {
			return w.Repo.Claim(ctx, ref(t, newID()), func(*depot.Bot, *depot.ShoppingList) ([]events.Event, error) { mark(); return nil, nil })
		})
		if got := w.get(l.ID()); got.Status() != depot.StatusAvailable || w.getBot(r2.Ref()).Status() != depot.BotIdle {
			t.Errorf("the known list and bot changed: %s, %s", describe(got), describe(w.getBot(r2.Ref())))
		}
		assertPublished(t, w.Outbox)
	})

	t.Run("Update hands fn the assigned list's bot, saves both, in the list's flow", func(t *testing.T) {
		w := world(t)
		l := w.list("order", true, "Waffles", "Bolts")
		r2 := w.bot("R2")
		must(t, "assign", w.assign("staff", l.ID(), r2.Ref()))
		assigned := Event("order", events.ShoppingListAssigned{ShoppingID: l.ID(), OrderID: l.OrderID(), BotID: r2.ID()})
		for _, stop := range l.Stops() {
			must(t, "pick up", w.Repo.Update(Flow("bot"), l.ID(), func(l *depot.ShoppingList, b *depot.Bot) ([]events.Event, error) {
				if b == nil || b.ID() != r2.ID() || b.ShoppingID() != l.ID() {
					return nil, fmt.Errorf("fn got bot %v, want %s busy with the list", b, r2.ID())
				}
				return nil, l.PickUp(stop.Store().ID)
			}))
		}
		completed := w.complete("bot", l.ID())
		got := w.get(l.ID())
		if got.Status() != depot.StatusCompleted || got.BotID() != r2.ID() || got.Version() != 6 {
			t.Errorf("list %s, want completed by %s at version 6", describe(got), r2.ID())
		}
		if b := w.getBot(r2.Ref()); b.Status() != depot.BotIdle || b.ShoppingID() != "" || b.Version() != 3 {
			t.Errorf("bot %s, want idle again at version 3", describe(b))
		}
		must(t, "update a completed list", w.Repo.Update(Flow("bot"), l.ID(), func(_ *depot.ShoppingList, b *depot.Bot) ([]events.Event, error) {
			if b != nil {
				return nil, fmt.Errorf("fn got bot %s for a completed list, want none", b.ID())
			}
			return nil, nil
		}))
		assertPublished(t, w.Outbox, assigned, Event("order", completed))
	})

	t.Run("Update whose fn fails saves and publishes nothing", func(t *testing.T) {
		w := world(t)
		l := w.list("order", true, "Waffles")
		r2 := w.bot("R2")
		must(t, "assign", w.assign("staff", l.ID(), r2.Ref()))
		list, bot := w.get(l.ID()), w.getBot(r2.Ref())
		errRule := fmt.Errorf("%w: a rule says no", domain.ErrConflict)
		err := w.Repo.Update(Flow("saga"), l.ID(), func(l *depot.ShoppingList, b *depot.Bot) ([]events.Event, error) {
			_, err := l.Cancel(b)
			must(t, "cancel", err)
			return []events.Event{events.ShoppingListCanceled{ShoppingID: l.ID(), OrderID: l.OrderID()}}, errRule
		})
		if !errors.Is(err, errRule) {
			t.Errorf("error %v, want fn's %v", err, errRule)
		}
		if describe(w.get(l.ID())) != describe(list) || describe(w.getBot(r2.Ref())) != describe(bot) {
			t.Errorf("a failed Update changed the list or its bot: %s, %s", describe(w.get(l.ID())), describe(w.getBot(r2.Ref())))
		}
		assertPublished(t, w.Outbox, Event("order", events.ShoppingListAssigned{ShoppingID: l.ID(), OrderID: l.OrderID(), BotID: r2.ID()}))
	})

	t.Run("Assign registers a bot on first use, only if fn succeeds", func(t *testing.T) {
		w := world(t)
		pending := w.list("order-1", false, "Waffles")
		assertKind(t, w.assign("staff", pending.ID(), ref(t, "bot-1")), domain.ErrConflict)
		if _, err := w.Repo.GetBot(context.Background(), ref(t, "bot-1")); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("a refused first use registered the bot (%v)", err)
		}
		first := w.list("order-2", true, "Waffles")
		must(t, "first use", w.assign("staff", first.ID(), ref(t, "bot-1")))
		b := w.getBot(ref(t, "bot-1"))
		if b.ExternalID() != "bot-1" || b.Name() != "bot-1" || b.Status() != depot.BotBusy || b.ShoppingID() != first.ID() {
			t.Errorf("bot-1 = %s, want external ID and name bot-1, busy with %s", describe(b), first.ID())
		}
		if byID := w.getBot(ref(t, b.ID())); describe(byID) != describe(b) {
			t.Errorf("bot by ID = %s, by external ID %s", describe(byID), describe(b))
		}
		completed := w.complete("bot", first.ID())
		next := w.list("order-3", true, "Bolts")
		must(t, "second use", w.assign("staff", next.ID(), ref(t, "bot-1")))
		if again := w.getBot(ref(t, "bot-1")); again.ID() != b.ID() || again.ShoppingID() != next.ID() {
			t.Errorf("bot-1 on its second list = %s, want bot %s busy with %s", describe(again), b.ID(), next.ID())
		}
		bots, err := w.Repo.ListBots(context.Background())
		must(t, "list bots", err)
		if len(bots) != 1 {
			t.Errorf("%d bots, want bot-1 once", len(bots))
		}
		assertPublished(t, w.Outbox,
			Event("order-2", events.ShoppingListAssigned{ShoppingID: first.ID(), OrderID: first.OrderID(), BotID: b.ID()}),
			Event("order-2", completed),
			Event("order-3", events.ShoppingListAssigned{ShoppingID: next.ID(), OrderID: next.OrderID(), BotID: b.ID()}))
	})

	t.Run("Claim gives a bot the oldest available list", func(t *testing.T) {
		w := world(t)
		w.list("order-0", false, "Waffles")
		oldest, newer := w.list("order-1", true, "Waffles"), w.list("order-2", true, "Bolts")
		r2, c3, k9 := w.bot("R2"), w.bot("C3"), w.bot("K9")
		for _, c := range []struct {
			bot  *depot.Bot
			want *depot.ShoppingList
		}{{r2, oldest}, {c3, newer}} {
			got, err := w.claim("bot", c.bot)
			must(t, "claim", err)
			if got.ID() != c.want.ID() {
				t.Errorf("%s claimed %s, want %s", c.bot.Name(), got.ID(), c.want.ID())
			}
			if b := w.getBot(c.bot.Ref()); b.ShoppingID() != c.want.ID() || w.get(c.want.ID()).BotID() != c.bot.ID() {
				t.Errorf("after the claim bot %s, list %s", describe(b), describe(w.get(c.want.ID())))
			}
		}
		if _, err := w.claim("bot", k9); !errors.Is(err, depot.ErrNoneAvailable) {
			t.Errorf("claim with no list available: %v, want fn to get none (depot.ErrNoneAvailable)", err)
		}
		assertPublished(t, w.Outbox,
			Event("order-1", events.ShoppingListAssigned{ShoppingID: oldest.ID(), OrderID: oldest.OrderID(), BotID: r2.ID()}),
			Event("order-2", events.ShoppingListAssigned{ShoppingID: newer.ID(), OrderID: newer.OrderID(), BotID: c3.ID()}))
	})

	t.Run("concurrent claims never share a list", func(t *testing.T) {
		w := world(t)
		const lists, bots = 3, 6
		for i := range lists {
			w.list(fmt.Sprint("order-", i), true, "Waffles")
		}
		got := make([]*depot.ShoppingList, bots)
		errs := make([]error, bots)
		var wg sync.WaitGroup
		for i := range bots {
			b := w.bot(fmt.Sprint("bot ", i))
			wg.Go(func() { got[i], errs[i] = w.claim("bot", b) })
		}
		wg.Wait()
		claimed := map[string]bool{}
		for i, err := range errs {
			switch {
			case err == nil && claimed[got[i].ID()]:
				t.Errorf("list %s was claimed twice", got[i].ID())
			case err == nil:
				claimed[got[i].ID()] = true
			case !errors.Is(err, depot.ErrNoneAvailable):
				t.Errorf("claim: %v", err)
			}
		}
		if len(claimed) != lists {
			t.Errorf("%d lists claimed, want all %d", len(claimed), lists)
		}
	})

	t.Run("List returns lists in a status, oldest first, up to a limit", func(t *testing.T) {
		w := world(t)
		var ids []string
		for i := range 4 {
			ids = append(ids, w.list("order", i%2 == 0, "Waffles").ID())
		}
		for _, c := range []struct {
			status depot.Status
			limit  int
			want   []string
		}{
			{depot.Status{}, 10, ids},
			{depot.StatusAvailable, 10, []string{ids[0], ids[2]}},
			{depot.StatusPending, 10, []string{ids[1], ids[3]}},
			{depot.StatusPending, 1, []string{ids[1]}},
			{depot.StatusCanceled, 10, nil},
		} {
			got, err := w.Repo.List(context.Background(), c.status, c.limit)
			must(t, "list", err)
			var gotIDs []string
			for _, l := range got {
				gotIDs = append(gotIDs, l.ID())
			}
			if strings.Join(gotIDs, " ") != strings.Join(c.want, " ") {
				t.Errorf("List(%q, %d) = %v, want %v", c.status, c.limit, gotIDs, c.want)
			}
		}
	})

	t.Run("ListBots sorts by name, then ID; AddBot of a taken ID fails", func(t *testing.T) {
		w := world(t)
		zed, ada1, ada2 := w.bot("Zed"), w.bot("Ada"), w.bot("Ada")
		if ada2.ID() < ada1.ID() {
			ada1, ada2 = ada2, ada1
		}
		first, err := depot.NewBotFor(ref(t, "X-1"), newID())
		must(t, "new bot", err)
		must(t, "add a bot with an external ID", w.Repo.AddBot(context.Background(), first))
		sameExternal, err := depot.NewBotFor(ref(t, "X-1"), newID())
		must(t, "new bot", err)
		for _, taken := range []*depot.Bot{depot.RehydrateBot(zed.ID(), "", "Other", depot.BotIdle, "", 1), sameExternal} {
			if err := w.Repo.AddBot(context.Background(), taken); err == nil {
				t.Errorf("AddBot of %s, whose ID or external ID is taken, succeeded", describe(taken))
			}
		}
		bots, err := w.Repo.ListBots(context.Background())
		must(t, "list bots", err)
		var got, want []string
		for _, b := range bots {
			got = append(got, describe(b))
		}
		for _, b := range []*depot.Bot{ada1, ada2, first, zed} {
			want = append(want, describe(b))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("ListBots =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}
