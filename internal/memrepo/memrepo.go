// Package memrepo is the in-memory stand-in the handler tests use for the
// postgres UpdateFn repositories: tables that keep copies of aggregates, and
// one ordered log of the events their writes publish, as the real
// repositories publish into their service's outbox in the write's own
// transaction, under the correlation ID of the flow they belong to. Like
// the real ones, a write whose fn fails saves and publishes nothing, and
// internal/contract holds both to the same suites. It depends on domain,
// events, correlation and internal/contract only, so any handler test may
// use it.
package memrepo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/contract"
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

	mu      sync.Mutex
	records []record
}

// record is one published event with the correlation ID it was published
// under.
type record struct {
	event events.Event
	flow  string
}

// fail asks Fail about op; the caller holds l.mu.
func (l *Log) fail(op Op) error {
	if l.Fail == nil {
		return nil
	}
	return l.Fail(op)
}

// Publish appends evs to the log in ctx's flow, as a publisher writing into
// the same outbox as the tables does, or fails with Fail's answer.
func (l *Log) Publish(ctx context.Context, evs ...events.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.fail(OpPublish); err != nil {
		return err
	}
	l.append(ctx, evs)
	return nil
}

// append records evs in ctx's flow; the caller holds l.mu.
func (l *Log) append(ctx context.Context, evs []events.Event) {
	flow := correlation.From(ctx).CorrelationID
	for _, e := range evs {
		l.records = append(l.records, record{event: e, flow: flow})
	}
}

// Published returns a copy of every event published so far, in order (nil
// when there are none).
func (l *Log) Published() []events.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []events.Event
	for _, r := range l.records {
		out = append(out, r.event)
	}
	return out
}

// Forget drops every event published so far: for a test that builds its
// world through the code under test and then looks only at what follows.
func (l *Log) Forget() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = nil
}

// Outbox returns the log as the contract suites read an outbox: every event
// with the correlation ID it was published under.
func (l *Log) Outbox() contract.Outbox {
	return func(*testing.T) []contract.Published {
		l.mu.Lock()
		defer l.mu.Unlock()
		var out []contract.Published
		for _, r := range l.records {
			out = append(out, contract.Event(r.flow, r.event))
		}
		return out
	}
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
	// flows holds the flow each aggregate was added in, when the table
	// continues flows (ContinueFlows); nil otherwise.
	flows map[string]string
	// rules are the table's constraints (Constrain).
	rules []func(agg, other T) error
}

// NewTable returns an empty table publishing into log. kind names the
// aggregate in error messages ("basket"), id returns an aggregate's ID, and
// clone returns an independent copy of one (usually through the domain's
// Rehydrate).
func NewTable[T any](log *Log, kind string, id func(T) string, clone func(T) T) *Table[T] {
	return &Table[T]{log: log, kind: kind, id: id, clone: clone, rows: map[string]T{}}
}

// ContinueFlows makes t remember the flow (correlation ID) each aggregate is
// added in, and publish the events of its Updates and Removes in that flow,
// whoever asks: what the postgres repositories of aggregates born in a flow
// do (a basket, an invoice). It returns t, and is for setting up the table
// before its first use.
func (t *Table[T]) ContinueFlows() *Table[T] {
	t.flows = map[string]string{}
	return t
}

// Constrain adds rule to the table's constraints, which a write must keep
// to store an aggregate, as a unique index would: rule is asked about the
// aggregate the write would store and each other stored aggregate, and its
// first error fails the write, which then changes nothing. It returns t, and
// is for setting up the table before its first use.
func (t *Table[T]) Constrain(rule func(agg, other T) error) *Table[T] {
	t.rules = append(t.rules, rule)
	return t
}

// check asks the table's rules about agg and every other stored aggregate;
// the caller holds the lock.
func (t *Table[T]) check(agg T) error {
	for _, id := range t.ids() {
		if id == t.id(agg) {
			continue
		}
		for _, rule := range t.rules {
			if err := rule(agg, t.rows[id]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Add stores a copy of agg and appends evs to the log in ctx's flow. It
// fails, changing nothing, with Log.Fail's answer, or with an error of no
// domain kind ("basket <id> exists") when an aggregate with agg's ID is
// stored, as a primary key refuses it, or with a constraint's error.
func (t *Table[T]) Add(ctx context.Context, agg T, evs []events.Event) error {
	id := t.id(agg)
	return t.Insert(ctx, agg, evs, func(stored T) error {
		if t.id(stored) == id {
			return fmt.Errorf("%s %s exists", t.kind, id)
		}
		return nil
	})
}

// Insert is Add with the caller's uniqueness rule instead of the ID's
// (which the rule must include): it fails, changing nothing, with
// Log.Fail's answer, with the first error conflict returns for a stored
// aggregate (asked in ID order) or with a constraint's error.
func (t *Table[T]) Insert(ctx context.Context, agg T, evs []events.Event, conflict func(stored T) error) error {
	t.log.mu.Lock()
	defer t.log.mu.Unlock()
	if err := t.log.fail(OpAdd); err != nil {
		return err
	}
	for _, id := range t.ids() {
		if err := conflict(t.rows[id]); err != nil {
			return err
		}
	}
	if err := t.check(agg); err != nil {
		return err
	}
	t.rows[t.id(agg)] = t.clone(agg)
	if t.flows != nil {
		t.flows[t.id(agg)] = correlation.From(ctx).CorrelationID
	}
	t.log.append(ctx, evs)
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
// copy and appends the events fn returns to the log, in ctx's flow or, when
// the table continues flows, the aggregate's. It fails, changing nothing,
// with Log.Fail's answer, with an error wrapping domain.ErrNotFound
// ("basket <id>") when there is no such aggregate, with fn's error as it
// is, or with a constraint's error about fn's copy.
func (t *Table[T]) Update(ctx context.Context, id string, fn func(T) ([]events.Event, error)) error {
	return t.write(ctx, OpUpdate, id, fn, func(work T) { t.rows[id] = work })
}

// Remove is Update that deletes aggregate id instead of storing fn's copy
// when fn succeeds.
func (t *Table[T]) Remove(ctx context.Context, id string, fn func(T) ([]events.Event, error)) error {
	return t.write(ctx, OpRemove, id, fn, func(T) { delete(t.rows, id) })
}

// write runs fn on a copy of aggregate id and, if fn succeeds, calls keep
// with that copy and appends fn's events, all under the lock.
func (t *Table[T]) write(ctx context.Context, op Op, id string, fn func(T) ([]events.Event, error), keep func(work T)) error {
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
	if op != OpRemove {
		if err := t.check(work); err != nil {
			return err
		}
	}
	keep(work)
	t.log.append(correlation.Continue(ctx, t.flows[id]), evs)
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
