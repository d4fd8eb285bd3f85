// Package memrepo is the in-memory stand-in the handler tests use for the
// postgres UpdateFn repositories: tables that keep copies of aggregates, and
// one ordered log of the events their writes publish, as the real
// repositories publish into their service's outbox in the write's own
// transaction. Like the real ones, a write whose fn fails saves and
// publishes nothing. It depends on the standard library, domain and events
// only, so any handler test may use it.
package memrepo

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/events"
)

// Op names the kind of call Log.Fail is asked about.
type Op string

// The calls Log.Fail is asked about. Put, Stored and Published are the
// tests' own accessors and are never failed.
const (
	OpAdd     Op = "add" // Table.Add and Table.Insert
	OpUpdate  Op = "update"
	OpRemove  Op = "remove"
	OpGet     Op = "get"
	OpList    Op = "list"
	OpPublish Op = "publish"
)

// Log is the ordered record of every event published through it or its
// tables, standing in for one service's outbox. Its mutex serialises every
// call on the Log and its tables, so a write and its events are one step,
// as the real repositories' transaction makes them. The zero Log is ready to
// use; it must not be copied after first use.
type Log struct {
	// Fail, when not nil, is asked before every Publish and every Add,
	// Insert, Update, Remove, Get and List of the Log's tables, with the
	// lock held; a non-nil answer is returned as the call's error, and the
	// call changes nothing. Tests set it to inject infrastructure failures
	// (a lost connection), before the Log is used.
	Fail func(op Op) error

	mu     sync.Mutex
	events []events.Event
}

// fail asks Fail about op; the caller holds l.mu.
func (l *Log) fail(op Op) error {
	if l.Fail == nil {
		return nil
	}
	return l.Fail(op)
}

// Publish appends evs to the log, as a publisher writing into the same
// outbox as the tables does, or fails with Fail's answer.
func (l *Log) Publish(evs ...events.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.fail(OpPublish); err != nil {
		return err
	}
	l.events = append(l.events, evs...)
	return nil
}

// Published returns a copy of every event published so far, in order (nil
// when there are none).
func (l *Log) Published() []events.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// Table keeps copies of one kind of aggregate by ID and publishes its
// writes' events into its Log. Every aggregate that goes in or comes out is
// a copy made by the table's clone func, so a test holding one cannot change
// what is stored behind the repository's back.
type Table[T any] struct {
	log   *Log
	kind  string
	id    func(T) string
	clone func(T) T
	rows  map[string]T
}

// NewTable returns an empty table publishing into log. kind names the
// aggregate in error messages ("basket"), id returns an aggregate's ID, and
// clone returns an independent copy of one (usually through the domain's
// Rehydrate).
func NewTable[T any](log *Log, kind string, id func(T) string, clone func(T) T) *Table[T] {
	return &Table[T]{log: log, kind: kind, id: id, clone: clone, rows: map[string]T{}}
}

// Add stores a copy of agg and appends evs to the log. It fails, changing
// nothing, with Log.Fail's answer, or with an error wrapping
// domain.ErrConflict ("basket <id> exists") when an aggregate with agg's ID
// is stored.
func (t *Table[T]) Add(agg T, evs []events.Event) error {
	id := t.id(agg)
	return t.Insert(agg, evs, func(stored T) error {
		if t.id(stored) == id {
			return fmt.Errorf("%w: %s %s exists", domain.ErrConflict, t.kind, id)
		}
		return nil
	})
}

// Insert is Add with the caller's uniqueness rule instead of the ID's: it
// fails, changing nothing, with Log.Fail's answer or with the first error
// conflict returns for a stored aggregate (asked in ID order). A nil
// conflict accepts any aggregate, replacing a stored one with agg's ID.
func (t *Table[T]) Insert(agg T, evs []events.Event, conflict func(stored T) error) error {
	t.log.mu.Lock()
	defer t.log.mu.Unlock()
	if err := t.log.fail(OpAdd); err != nil {
		return err
	}
	if conflict != nil {
		for _, id := range t.ids() {
			if err := conflict(t.rows[id]); err != nil {
				return err
			}
		}
	}
	t.rows[t.id(agg)] = t.clone(agg)
	t.log.events = append(t.log.events, evs...)
	return nil
}

// Put stores a copy of agg as it is, replacing any with its ID, and
// publishes nothing. It is for setting up a test's world and never fails.
func (t *Table[T]) Put(agg T) {
	t.log.mu.Lock()
	defer t.log.mu.Unlock()
	t.rows[t.id(agg)] = t.clone(agg)
}

// Update runs fn on a copy of aggregate id; if fn succeeds it stores that
// copy and appends the events fn returns to the log. It fails, changing
// nothing, with Log.Fail's answer, with an error wrapping domain.ErrNotFound
// ("basket <id>") when there is no such aggregate, or with fn's error as it
// is.
func (t *Table[T]) Update(id string, fn func(T) ([]events.Event, error)) error {
	return t.write(OpUpdate, id, fn, func(work T) { t.rows[id] = work })
}

// Remove is Update that deletes aggregate id instead of storing fn's copy
// when fn succeeds.
func (t *Table[T]) Remove(id string, fn func(T) ([]events.Event, error)) error {
	return t.write(OpRemove, id, fn, func(T) { delete(t.rows, id) })
}

// write runs fn on a copy of aggregate id and, if fn succeeds, calls keep
// with that copy and appends fn's events, all under the lock.
func (t *Table[T]) write(op Op, id string, fn func(T) ([]events.Event, error), keep func(work T)) error {
	t.log.mu.Lock()
	defer t.log.mu.Unlock()
	if err := t.log.fail(op); err != nil {
		return err
	}
	stored, ok := t.rows[id]
	if !ok {
		return fmt.Errorf("%w: %s %s", domain.ErrNotFound, t.kind, id)
	}
	work := t.clone(stored)
	evs, err := fn(work)
	if err != nil {
		return err
	}
	keep(work)
	t.log.events = append(t.log.events, evs...)
	return nil
}

// Get returns a copy of aggregate id. It fails with Log.Fail's answer, or
// with an error wrapping domain.ErrNotFound ("basket <id>") when there is no
// such aggregate; the T it then returns is the zero value.
func (t *Table[T]) Get(id string) (T, error) {
	t.log.mu.Lock()
	defer t.log.mu.Unlock()
	var zero T
	if err := t.log.fail(OpGet); err != nil {
		return zero, err
	}
	stored, ok := t.rows[id]
	if !ok {
		return zero, fmt.Errorf("%w: %s %s", domain.ErrNotFound, t.kind, id)
	}
	return t.clone(stored), nil
}

// List returns copies of the stored aggregates keep accepts (all of them
// when keep is nil), in ID order, or fails with Log.Fail's answer.
func (t *Table[T]) List(keep func(T) bool) ([]T, error) {
	t.log.mu.Lock()
	defer t.log.mu.Unlock()
	if err := t.log.fail(OpList); err != nil {
		return nil, err
	}
	var out []T
	for _, id := range t.ids() {
		if keep == nil || keep(t.rows[id]) {
			out = append(out, t.clone(t.rows[id]))
		}
	}
	return out, nil
}

// Stored returns a copy of aggregate id and true, or the zero T and false
// when there is none. It is for a test's assertions and never fails.
func (t *Table[T]) Stored(id string) (T, bool) {
	t.log.mu.Lock()
	defer t.log.mu.Unlock()
	stored, ok := t.rows[id]
	if !ok {
		var zero T
		return zero, false
	}
	return t.clone(stored), true
}

// ids returns the stored IDs in order; the caller holds the lock.
func (t *Table[T]) ids() []string {
	return slices.Sorted(maps.Keys(t.rows))
}
