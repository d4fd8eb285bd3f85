package depot_test

import (
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/depot"
	"github.com/mallbots/mallbots/internal/domaintest"
)

const listVersion = 5

// fixture returns list l1 of order o1 in status with two stops (at s1 and
// s2, both picked up when picked), and bot b1: busy with the list when the
// list is assigned, idle otherwise.
func fixture(status depot.Status, picked bool) (*depot.ShoppingList, *depot.Bot) {
	stops := []depot.Stop{
		depot.RehydrateStop(waffles, []depot.Item{{"p1", "Syrup", 2}}, picked),
		depot.RehydrateStop(bolts, []depot.Item{{"p2", "Bolt", 10}}, picked),
	}
	botID := ""
	bot := depot.RehydrateBot("b1", "", "R2", depot.BotIdle, "", 2)
	switch status {
	case depot.StatusAssigned:
		botID = "b1"
		bot = depot.RehydrateBot("b1", "", "R2", depot.BotBusy, "l1", 2)
	case depot.StatusCompleted:
		botID = "b1"
	}
	return depot.Rehydrate("l1", "o1", status, botID, stops, listVersion), bot
}

var (
	pending   = depot.StatusPending
	available = depot.StatusAvailable
	assigned  = depot.StatusAssigned
	completed = depot.StatusCompleted
	canceled  = depot.StatusCanceled
)

// transition is one call on a fixture list and what it must leave behind.
type transition struct {
	name              string
	from              depot.Status
	picked            bool
	call              func(l *depot.ShoppingList, b *depot.Bot) error
	wantErr, wantKind error
	wantStatus        depot.Status
	wantChanged       bool // the list's version went up by one
	wantBot           depot.BotStatus
	wantBotChanged    bool // the bot's version went up by one
}

func runTransitions(t *testing.T, tests []transition) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, b := fixture(tt.from, tt.picked)
			botBefore := b.Status()
			domaintest.AssertErr(t, tt.call(l, b), tt.wantErr, tt.wantKind)
			if l.Status() != tt.wantStatus {
				t.Errorf("status = %s, want %s", l.Status(), tt.wantStatus)
			}
			if got, want := l.Version(), int64(listVersion)+btoi(tt.wantChanged); got != want {
				t.Errorf("list version = %d, want %d", got, want)
			}
			wantBot := tt.wantBot
			if wantBot == (depot.BotStatus{}) {
				wantBot = botBefore
			}
			if b.Status() != wantBot {
				t.Errorf("bot status = %s, want %s", b.Status(), wantBot)
			}
			if got, want := b.Version(), 2+btoi(tt.wantBotChanged); got != want {
				t.Errorf("bot version = %d, want %d", got, want)
			}
			if (b.Status() == depot.BotBusy) != (b.ShoppingID() != "") {
				t.Errorf("bot is %s with shopping id %q", b.Status(), b.ShoppingID())
			}
		})
	}
}

// changing adapts a method that reports whether it changed the list into a
// transition call, checking the report against the list's version, which a
// change moves up by exactly one (runTransitions checks by how much).
func changing(t *testing.T, op func(*depot.ShoppingList, *depot.Bot) (bool, error)) func(*depot.ShoppingList, *depot.Bot) error {
	return func(l *depot.ShoppingList, b *depot.Bot) error {
		before := l.Version()
		changed, err := op(l, b)
		if changed != (l.Version() != before) {
			t.Errorf("changed = %t, but the version went from %d to %d", changed, before, l.Version())
		}
		return err
	}
}

func btoi(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func TestMakeAvailable(t *testing.T) {
	makeAvailable := changing(t, func(l *depot.ShoppingList, _ *depot.Bot) (bool, error) { return l.MakeAvailable() })
	runTransitions(t, []transition{
		{name: "pending becomes available", from: pending, call: makeAvailable, wantStatus: available, wantChanged: true},
		{name: "available again is a no-op", from: available, call: makeAvailable, wantStatus: available},
		{name: "assigned stays assigned", from: assigned, call: makeAvailable, wantStatus: assigned},
		{name: "completed stays completed", from: completed, picked: true, call: makeAvailable, wantStatus: completed},
		{name: "canceled is refused", from: canceled, call: makeAvailable, wantStatus: canceled,
			wantErr: depot.ErrCanceled, wantKind: domain.ErrConflict},
	})
}

func TestAssign(t *testing.T) {
	assign := func(l *depot.ShoppingList, b *depot.Bot) error { return l.Assign(b) }
	busy := func(l *depot.ShoppingList, _ *depot.Bot) error {
		return l.Assign(depot.RehydrateBot("b2", "", "C3", depot.BotBusy, "l9", 4))
	}
	runTransitions(t, []transition{
		{name: "available to an idle bot", from: available, call: assign, wantStatus: assigned, wantChanged: true,
			wantBot: depot.BotBusy, wantBotChanged: true},
		{name: "available to a busy bot", from: available, call: busy, wantStatus: available,
			wantErr: depot.ErrBotBusy, wantKind: domain.ErrConflict},
		{name: "pending", from: pending, call: assign, wantStatus: pending,
			wantErr: depot.ErrNotAvailable, wantKind: domain.ErrConflict},
		{name: "assigned already", from: assigned, call: func(l *depot.ShoppingList, _ *depot.Bot) error {
			return l.Assign(depot.RehydrateBot("b2", "", "C3", depot.BotIdle, "", 2))
		}, wantStatus: assigned, wantErr: depot.ErrNotAvailable, wantKind: domain.ErrConflict},
		{name: "completed", from: completed, picked: true, call: assign, wantStatus: completed,
			wantErr: depot.ErrNotAvailable, wantKind: domain.ErrConflict},
		{name: "canceled", from: canceled, call: assign, wantStatus: canceled,
			wantErr: depot.ErrNotAvailable, wantKind: domain.ErrConflict},
	})

	l, b := fixture(available, false)
	if err := l.Assign(b); err != nil {
		t.Fatal(err)
	}
	if l.BotID() != "b1" || b.ShoppingID() != "l1" {
		t.Errorf("after Assign: list bot %q, bot list %q; want b1 and l1", l.BotID(), b.ShoppingID())
	}
}

func TestClaim(t *testing.T) {
	idle := depot.RehydrateBot("b2", "", "C3", depot.BotIdle, "", 2)
	busy := depot.RehydrateBot("b3", "", "K9", depot.BotBusy, "l9", 2)
	tests := []struct {
		name              string
		bot               *depot.Bot
		next              depot.Status // zero: no list
		wantErr, wantKind error
	}{
		{name: "idle bot, available list", bot: idle, next: available},
		{name: "idle bot, nothing available", bot: idle, wantErr: depot.ErrNoneAvailable, wantKind: domain.ErrNotFound},
		{name: "busy bot, available list", bot: busy, next: available, wantErr: depot.ErrBotBusy, wantKind: domain.ErrConflict},
		{name: "busy bot, nothing available: busy wins", bot: busy, wantErr: depot.ErrBotBusy, wantKind: domain.ErrConflict},
		{name: "idle bot, list no longer available", bot: idle, next: canceled, wantErr: depot.ErrNotAvailable, wantKind: domain.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := depot.RehydrateBot(tt.bot.ID(), tt.bot.ExternalID(), tt.bot.Name(), tt.bot.Status(), tt.bot.ShoppingID(), tt.bot.Version())
			var next *depot.ShoppingList
			if tt.next != (depot.Status{}) {
				next, _ = fixture(tt.next, false)
			}
			domaintest.AssertErr(t, depot.Claim(b, next), tt.wantErr, tt.wantKind)
			if tt.wantErr == nil && (next.Status() != assigned || next.BotID() != b.ID() || b.ShoppingID() != next.ID()) {
				t.Errorf("after Claim: list %s bot %q, bot list %q", next.Status(), next.BotID(), b.ShoppingID())
			}
			if tt.wantErr != nil && b.Version() != tt.bot.Version() {
				t.Errorf("refused claim changed the bot")
			}
		})
	}
}

func TestPickUp(t *testing.T) {
	pickUp := func(storeID string) func(*depot.ShoppingList, *depot.Bot) error {
		return func(l *depot.ShoppingList, _ *depot.Bot) error { return l.PickUp(storeID) }
	}
	runTransitions(t, []transition{
		{name: "a stop of an assigned list", from: assigned, call: pickUp("s2"), wantStatus: assigned, wantChanged: true},
		{name: "a stop picked up already is a no-op", from: assigned, picked: true, call: pickUp("s2"), wantStatus: assigned},
		{name: "a store with no stop", from: assigned, call: pickUp("s9"), wantStatus: assigned,
			wantErr: depot.ErrStopNotFound, wantKind: domain.ErrNotFound},
		{name: "pending", from: pending, call: pickUp("s1"), wantStatus: pending,
			wantErr: depot.ErrNotAssigned, wantKind: domain.ErrConflict},
		{name: "available", from: available, call: pickUp("s1"), wantStatus: available,
			wantErr: depot.ErrNotAssigned, wantKind: domain.ErrConflict},
		{name: "completed", from: completed, picked: true, call: pickUp("s1"), wantStatus: completed,
			wantErr: depot.ErrNotAssigned, wantKind: domain.ErrConflict},
		{name: "canceled", from: canceled, call: pickUp("s1"), wantStatus: canceled,
			wantErr: depot.ErrNotAssigned, wantKind: domain.ErrConflict},
	})

	l, _ := fixture(assigned, false)
	if err := l.PickUp("s2"); err != nil {
		t.Fatal(err)
	}
	if s := l.Stops(); s[0].PickedUp() || !s[1].PickedUp() {
		t.Errorf("picked up = %t, %t; want only the stop at s2", s[0].PickedUp(), s[1].PickedUp())
	}
}

func TestComplete(t *testing.T) {
	complete := changing(t, (*depot.ShoppingList).Complete)
	runTransitions(t, []transition{
		{name: "every stop picked up", from: assigned, picked: true, call: complete, wantStatus: completed, wantChanged: true,
			wantBot: depot.BotIdle, wantBotChanged: true},
		{name: "no stop reported: all picked up now (the book's bots)", from: assigned, call: complete, wantStatus: completed,
			wantChanged: true, wantBot: depot.BotIdle, wantBotChanged: true},
		{name: "another bot", from: assigned, picked: true, call: func(l *depot.ShoppingList, _ *depot.Bot) error {
			_, err := l.Complete(depot.RehydrateBot("b2", "", "C3", depot.BotBusy, "l1", 2))
			return err
		}, wantStatus: assigned, wantErr: depot.ErrWrongBot, wantKind: domain.ErrConflict},
		{name: "no bot", from: assigned, call: func(l *depot.ShoppingList, _ *depot.Bot) error {
			_, err := l.Complete(nil)
			return err
		}, wantStatus: assigned, wantErr: depot.ErrWrongBot, wantKind: domain.ErrConflict},
		{name: "pending", from: pending, call: complete, wantStatus: pending,
			wantErr: depot.ErrNotAssigned, wantKind: domain.ErrConflict},
		{name: "available", from: available, call: complete, wantStatus: available,
			wantErr: depot.ErrNotAssigned, wantKind: domain.ErrConflict},
		{name: "completed again is a no-op", from: completed, picked: true, call: complete, wantStatus: completed},
		{name: "completed again needs no bot", from: completed, picked: true, call: func(l *depot.ShoppingList, _ *depot.Bot) error {
			_, err := l.Complete(nil)
			return err
		}, wantStatus: completed},
		{name: "canceled", from: canceled, call: complete, wantStatus: canceled,
			wantErr: depot.ErrNotAssigned, wantKind: domain.ErrConflict},
	})

	// Stops reported one by one stay picked up; the rest are picked up by
	// completing, and only then.
	l, b := fixture(assigned, false)
	if err := l.PickUp("s2"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Complete(depot.RehydrateBot("b2", "", "C3", depot.BotBusy, "l1", 2)); err == nil {
		t.Fatal("another bot completed the list")
	}
	if s := l.Stops(); s[0].PickedUp() || !s[1].PickedUp() {
		t.Errorf("after a refused complete: picked up = %t, %t; want only s2", s[0].PickedUp(), s[1].PickedUp())
	}
	if _, err := l.Complete(b); err != nil {
		t.Fatal(err)
	}
	for _, s := range l.Stops() {
		if !s.PickedUp() {
			t.Errorf("completed list has stop at %s not picked up", s.Store().ID)
		}
	}
}

func TestCancel(t *testing.T) {
	cancel := changing(t, (*depot.ShoppingList).Cancel)
	withoutBot := func(l *depot.ShoppingList, _ *depot.Bot) error {
		_, err := l.Cancel(nil)
		return err
	}
	runTransitions(t, []transition{
		{name: "pending", from: pending, call: cancel, wantStatus: canceled, wantChanged: true},
		{name: "pending needs no bot", from: pending, call: withoutBot, wantStatus: canceled, wantChanged: true},
		{name: "available", from: available, call: cancel, wantStatus: canceled, wantChanged: true},
		{name: "assigned frees the bot", from: assigned, call: cancel, wantStatus: canceled, wantChanged: true,
			wantBot: depot.BotIdle, wantBotChanged: true},
		{name: "assigned without its bot", from: assigned, call: withoutBot, wantStatus: assigned,
			wantErr: depot.ErrWrongBot, wantKind: domain.ErrConflict},
		{name: "canceled again is a no-op", from: canceled, call: cancel, wantStatus: canceled},
		{name: "completed is refused", from: completed, picked: true, call: cancel, wantStatus: completed,
			wantErr: depot.ErrCompleted, wantKind: domain.ErrConflict},
	})

	l, b := fixture(assigned, false)
	if _, err := l.Cancel(b); err != nil {
		t.Fatal(err)
	}
	if l.BotID() != "b1" {
		t.Errorf("canceled list's bot = %q, want b1 kept for the record", l.BotID())
	}
}

func TestCheckOrder(t *testing.T) {
	l, _ := fixture(pending, false)
	domaintest.AssertErr(t, l.CheckOrder("o1"), nil, nil)
	domaintest.AssertErr(t, l.CheckOrder("o2"), depot.ErrWrongOrder, domain.ErrConflict)
	domaintest.AssertErr(t, l.CheckOrder(""), depot.ErrWrongOrder, domain.ErrConflict)
}

func TestNew(t *testing.T) {
	stops, err := depot.Plan([]depot.Line{{StoreID: "s1", ProductID: "p1", Quantity: 1}, {StoreID: "s2", ProductID: "p2", Quantity: 1}}, known)
	if err != nil {
		t.Fatal(err)
	}
	picked := depot.RehydrateStop(waffles, []depot.Item{{"p1", "Syrup", 1}}, true)
	tests := []struct {
		name              string
		id, orderID       string
		stops             []depot.Stop
		wantErr, wantKind error
	}{
		{name: "valid", id: "l1", orderID: "o1", stops: stops},
		{name: "stops arrive not picked up", id: "l1", orderID: "o1", stops: []depot.Stop{picked}},
		{name: "blank id", id: " ", orderID: "o1", stops: stops, wantErr: depot.ErrIDRequired, wantKind: domain.ErrInvalid},
		{name: "blank order", id: "l1", orderID: "", stops: stops, wantErr: depot.ErrOrderIDRequired, wantKind: domain.ErrInvalid},
		{name: "no stops", id: "l1", orderID: "o1", wantErr: depot.ErrNoItems, wantKind: domain.ErrInvalid},
		{name: "two stops at one store", id: "l1", orderID: "o1", stops: []depot.Stop{stops[0], stops[1], stops[0]},
			wantErr: depot.ErrDuplicateStop, wantKind: domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := depot.New(tt.id, tt.orderID, tt.stops)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if tt.wantErr != nil {
				if l != nil {
					t.Errorf("got list with error")
				}
				return
			}
			if l.ID() != tt.id || l.OrderID() != tt.orderID || l.Status() != pending || l.BotID() != "" || l.Version() != 1 {
				t.Errorf("New = {%s %s %s %q v%d}", l.ID(), l.OrderID(), l.Status(), l.BotID(), l.Version())
			}
			if len(l.Stops()) != len(tt.stops) {
				t.Fatalf("%d stops, want %d", len(l.Stops()), len(tt.stops))
			}
			for _, s := range l.Stops() {
				if s.PickedUp() {
					t.Errorf("new list has stop at %s picked up", s.Store().ID)
				}
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	for _, s := range []depot.Status{pending, available, assigned, completed, canceled} {
		got, err := depot.ParseStatus(s.String())
		if err != nil || got != s {
			t.Errorf("ParseStatus(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []depot.BotStatus{depot.BotIdle, depot.BotBusy} {
		got, err := depot.ParseBotStatus(s.String())
		if err != nil || got != s {
			t.Errorf("ParseBotStatus(%q) = %v, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "Pending", "done"} {
		_, err := depot.ParseStatus(bad)
		domaintest.AssertErr(t, err, depot.ErrUnknownStatus, domain.ErrInvalid)
		_, err = depot.ParseBotStatus(bad)
		domaintest.AssertErr(t, err, depot.ErrUnknownStatus, domain.ErrInvalid)
	}
}

func TestAWholeShoppingTrip(t *testing.T) {
	stops, err := depot.Plan([]depot.Line{{StoreID: "s1", ProductID: "p1", Quantity: 1}, {StoreID: "s2", ProductID: "p2", Quantity: 3}}, known)
	if err != nil {
		t.Fatal(err)
	}
	l, err := depot.New("l1", "o1", stops)
	if err != nil {
		t.Fatal(err)
	}
	b, err := depot.NewBot("b1", "R2")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"make available", func() error { _, err := l.MakeAvailable(); return err }},
		{"claim", func() error { return depot.Claim(b, l) }},
		{"pick up s2", func() error { return l.PickUp("s2") }},
		{"pick up s1", func() error { return l.PickUp("s1") }},
		{"complete", func() error { _, err := l.Complete(b); return err }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	if l.Status() != completed || l.Version() != 6 || b.Status() != depot.BotIdle || b.ShoppingID() != "" || b.Version() != 3 {
		t.Errorf("after the trip: list %s v%d, bot %s %q v%d; want completed v6, idle \"\" v3",
			l.Status(), l.Version(), b.Status(), b.ShoppingID(), b.Version())
	}
}
