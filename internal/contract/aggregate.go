package contract

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/events"
)

// UpdateFn is how a repository keeps one kind of aggregate T: Add, Update
// (the UpdateFn: fn changes the aggregate and names the events to publish)
// and Get, as the handlers declare it.
type UpdateFn[T any] interface {
	Add(ctx context.Context, agg T, evs ...events.Event) error
	Update(ctx context.Context, id string, fn func(T) ([]events.Event, error)) error
	Get(ctx context.Context, id string) (T, error)
}

// aggregate describes one kind of aggregate that a repository stores with
// the UpdateFn trio Add, Update and Get: enough to hold every such
// repository to the contract they share.
type aggregate[T any] struct {
	// kind names the aggregate in the subtests ("store").
	kind string
	// fresh returns a new aggregate with ID id, as its constructor makes
	// it, and the event its creation publishes.
	fresh func(t *testing.T, id string) (T, events.Event)
	// change makes one valid change to agg, moving its version on, and
	// returns the event it publishes.
	change func(agg T) (events.Event, error)
	// changes is how many changes in a row change can make to a fresh
	// aggregate; 0 for any number.
	changes int
	// state returns everything the repository keeps of agg, to compare.
	state   func(agg T) string
	version func(agg T) int64
	// taken is what Add of a taken ID wraps, besides its kind; nil asks for
	// an error of no domain kind: IDs are new UUIDs, so a taken one is a
	// fault, not a client's conflict.
	taken, takenKind error
	// inFlow says Update's events continue the flow the aggregate was added
	// in (its creator's correlation ID) rather than the caller's.
	inFlow bool
	// samples returns aggregates, by ID, in states fresh does not reach,
	// which the repository must keep whole too; nil for none.
	samples func(t *testing.T) map[string]T
}

// methods are one implementation's Add, Update and Get of an aggregate,
// whatever their names, with what it has published.
type methods[T any] struct {
	add    func(context.Context, T, ...events.Event) error
	update func(context.Context, string, func(T) ([]events.Event, error)) error
	get    func(context.Context, string) (T, error)
	out    Outbox
}

// trio opens a repository with open and returns its Add, Update and Get of
// T, with what it has published.
func trio[T any, R UpdateFn[T]](open func(*testing.T) (R, Outbox)) func(*testing.T) methods[T] {
	return func(t *testing.T) methods[T] {
		repo, out := open(t)
		return methods[T]{add: repo.Add, update: repo.Update, get: repo.Get, out: out}
	}
}

// runAggregate runs the UpdateFn contract for a against fresh
// implementations that open returns:
//
//   - Add saves a copy of the aggregate and publishes its events, in the
//     caller's flow; Add of a taken ID fails and changes nothing.
//   - Get returns a copy; an unknown ID is domain.ErrNotFound.
//   - Update runs fn on the stored aggregate, saves what fn did and
//     publishes fn's events; if fn fails, nothing is saved or published and
//     Update returns fn's error; an unknown ID is domain.ErrNotFound and fn
//     is not called.
//   - Concurrent Updates of one aggregate lose no change: each fn sees the
//     previous one's result, and their events are published in the order
//     the changes were made.
func runAggregate[T any](t *testing.T, a aggregate[T], open func(t *testing.T) methods[T]) {
	// added stores a new aggregate in flow "creator" and returns it with
	// the event its creation published.
	added := func(t *testing.T, m methods[T]) (string, T, Published) {
		t.Helper()
		id := newID()
		agg, ev := a.fresh(t, id)
		must(t, "add "+a.kind, m.add(Flow("creator"), agg, ev))
		stored, err := m.get(context.Background(), id)
		must(t, "get "+a.kind, err)
		return id, stored, Event("creator", ev)
	}
	assertStored := func(t *testing.T, m methods[T], id, want string) {
		t.Helper()
		got, err := m.get(context.Background(), id)
		must(t, "get "+a.kind, err)
		if a.state(got) != want {
			t.Errorf("stored %s:\n\t%s\nwant\n\t%s", a.kind, a.state(got), want)
		}
	}

	t.Run(a.kind+"/Add saves a copy and publishes in the caller's flow", func(t *testing.T) {
		m := open(t)
		id := newID()
		agg, ev := a.fresh(t, id)
		want := a.state(agg)
		must(t, "add", m.add(Flow("creator"), agg, ev))
		_, err := a.change(agg) // the caller's copy is not the stored one
		must(t, "change the added value", err)
		assertStored(t, m, id, want)
		assertPublished(t, m.out, Event("creator", ev))
	})

	if a.samples != nil {
		t.Run(a.kind+"/keeps every field", func(t *testing.T) {
			m := open(t)
			for id, agg := range a.samples(t) {
				must(t, "add", m.add(context.Background(), agg))
				assertStored(t, m, id, a.state(agg))
			}
		})
	}

	t.Run(a.kind+"/Add of a taken ID fails and changes nothing", func(t *testing.T) {
		m := open(t)
		id, stored, created := added(t, m)
		again, ev := a.fresh(t, id)
		if _, err := a.change(again); err != nil {
			t.Fatal(err)
		}
		err := m.add(Flow("again"), again, ev)
		if a.taken != nil && !errors.Is(err, a.taken) {
			t.Errorf("error %v, want %v", err, a.taken)
		}
		assertKind(t, err, a.takenKind)
		assertStored(t, m, id, a.state(stored))
		assertPublished(t, m.out, created)
	})

	t.Run(a.kind+"/Get returns a copy", func(t *testing.T) {
		m := open(t)
		id, stored, _ := added(t, m)
		want := a.state(stored)
		if _, err := a.change(stored); err != nil {
			t.Fatal(err)
		}
		assertStored(t, m, id, want)
	})

	t.Run(a.kind+"/unknown ID is not found", func(t *testing.T) {
		m := open(t)
		id := newID()
		_, err := m.get(context.Background(), id)
		assertKind(t, err, domain.ErrNotFound)
		assertNotFoundUncalled(t, "Update of an unknown ID", func(mark func()) error {
			return m.update(Flow("updater"), id, func(T) ([]events.Event, error) { mark(); return nil, nil })
		})
		assertPublished(t, m.out)
	})

	t.Run(a.kind+"/Update saves fn's change and publishes its events", func(t *testing.T) {
		m := open(t)
		id, stored, created := added(t, m)
		var ev events.Event
		var want string
		must(t, "update", m.update(Flow("updater"), id, func(agg T) ([]events.Event, error) {
			if a.state(agg) != a.state(stored) {
				return nil, fmt.Errorf("fn got %s, want the stored %s", a.state(agg), a.state(stored))
			}
			var err error
			ev, err = a.change(agg)
			want = a.state(agg)
			return []events.Event{ev}, err
		}))
		assertStored(t, m, id, want)
		flow := "updater"
		if a.inFlow {
			flow = "creator"
		}
		assertPublished(t, m.out, created, Event(flow, ev))
	})

	t.Run(a.kind+"/Update whose fn fails saves and publishes nothing", func(t *testing.T) {
		m := open(t)
		id, stored, created := added(t, m)
		errRule := fmt.Errorf("%w: a rule says no", domain.ErrConflict)
		err := m.update(Flow("updater"), id, func(agg T) ([]events.Event, error) {
			ev, err := a.change(agg)
			if err != nil {
				return nil, err
			}
			return []events.Event{ev}, errRule
		})
		if !errors.Is(err, errRule) {
			t.Errorf("error %v, want fn's %v", err, errRule)
		}
		assertStored(t, m, id, a.state(stored))
		assertPublished(t, m.out, created)
	})

	n := 6
	if a.changes != 0 {
		n = a.changes
	}
	if n < 2 {
		return // one change cannot race another
	}
	t.Run(a.kind+"/concurrent Updates lose nothing", func(t *testing.T) {
		m := open(t)
		id, stored, created := added(t, m)
		var wg sync.WaitGroup
		var mu sync.Mutex
		made := []Published{created} // the changes in the order fn made them
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				errs <- m.update(Flow("creator"), id, func(agg T) ([]events.Event, error) {
					ev, err := a.change(agg)
					mu.Lock()
					defer mu.Unlock()
					made = append(made, Event("creator", ev))
					return []events.Event{ev}, err
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, "concurrent update", err)
		}
		got, err := m.get(context.Background(), id)
		must(t, "get", err)
		if v := a.version(got); v != a.version(stored)+int64(n) {
			t.Errorf("version %d after %d updates of version %d: changes were lost", v, n, a.version(stored))
		}
		// Each fn saw the one before it, and the events went out in the
		// order the changes were made.
		assertPublished(t, m.out, made...)
	})
}
