package memrepo_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/contract"
	"github.com/mallbots/mallbots/internal/memrepo"
)

// thing is a minimal aggregate: an ID and a value a write may change.
type thing struct {
	id    string
	value int
}

// bumped is the event a test write publishes.
type bumped struct{ ID string }

func (bumped) EventName() string { return "test.Bumped" }

func newTable(log *memrepo.Log, kind string) *memrepo.Table[*thing] {
	return memrepo.NewTable(log, kind, func(t *thing) string { return t.id }, func(t *thing) *thing {
		c := *t
		return &c
	})
}

var ctx = context.Background()

func bump(to int) func(*thing) ([]events.Event, error) {
	return func(t *thing) ([]events.Event, error) {
		t.value = to
		return []events.Event{bumped{t.id}}, nil
	}
}

func assertPublished(t *testing.T, log *memrepo.Log, want ...events.Event) {
	t.Helper()
	if got := log.Published(); !slices.Equal(got, want) {
		t.Fatalf("published %v, want %v", got, want)
	}
}

func assertValue(t *testing.T, tbl *memrepo.Table[*thing], id string, want int) {
	t.Helper()
	got, ok := tbl.Stored(id)
	if !ok || got.value != want {
		t.Fatalf("stored %s = %v (%v), want value %d", id, got, ok, want)
	}
}

func TestTableKeepsCopiesAndPublishesInOrder(t *testing.T) {
	var log memrepo.Log
	things, others := newTable(&log, "thing"), newTable(&log, "other")
	a := &thing{id: "a", value: 1}
	if err := things.Add(ctx, a, []events.Event{bumped{"a"}}); err != nil {
		t.Fatal(err)
	}
	a.value = 99
	if err := others.Add(ctx, &thing{id: "a"}, []events.Event{bumped{"other a"}}); err != nil {
		t.Fatalf("same ID in another table: %v", err)
	}
	if err := things.Update(ctx, "a", bump(2)); err != nil {
		t.Fatal(err)
	}
	got, err := things.Get("a")
	if err != nil || got.value != 2 {
		t.Fatalf("Get = %v, %v; want value 2", got, err)
	}
	got.value = 42
	assertValue(t, things, "a", 2)
	if err := log.Publish(ctx, bumped{"direct"}); err != nil {
		t.Fatal(err)
	}
	assertPublished(t, &log, bumped{"a"}, bumped{"other a"}, bumped{"a"}, bumped{"direct"})
}

func TestTableFailuresChangeNothing(t *testing.T) {
	errRule := errors.New("rule broken")
	sameValue := func(t, other *thing) error {
		if t.value == other.value {
			return errRule
		}
		return nil
	}
	for _, tt := range []struct {
		name  string
		write func(*memrepo.Table[*thing]) error
		want  error // matched with errors.Is; nil for any error
		text  string
	}{
		{"Add of a stored ID", func(tbl *memrepo.Table[*thing]) error {
			return tbl.Add(ctx, &thing{id: "a", value: 5}, []events.Event{bumped{"a"}})
		}, nil, "thing a exists"},
		{"Insert refused by its rule", func(tbl *memrepo.Table[*thing]) error {
			return tbl.Insert(ctx, &thing{id: "b", value: 1}, []events.Event{bumped{"b"}}, func(stored *thing) error {
				if stored.value == 1 {
					return errRule
				}
				return nil
			})
		}, errRule, "rule broken"},
		{"Update of a missing ID", func(tbl *memrepo.Table[*thing]) error { return tbl.Update(ctx, "b", bump(5)) },
			domain.ErrNotFound, "not found: thing b"},
		{"Update whose fn fails", func(tbl *memrepo.Table[*thing]) error {
			return tbl.Update(ctx, "a", func(t *thing) ([]events.Event, error) {
				t.value = 5
				return []events.Event{bumped{"a"}}, errRule
			})
		}, errRule, "rule broken"},
		{"Remove whose fn fails", func(tbl *memrepo.Table[*thing]) error {
			return tbl.Remove(ctx, "a", func(*thing) ([]events.Event, error) { return []events.Event{bumped{"a"}}, errRule })
		}, errRule, "rule broken"},
		{"Update breaking a constraint", func(tbl *memrepo.Table[*thing]) error {
			tbl.Put(&thing{id: "c", value: 7})
			return tbl.Constrain(sameValue).Update(ctx, "a", bump(7))
		}, errRule, "rule broken"},
		{"Add breaking a constraint", func(tbl *memrepo.Table[*thing]) error {
			return tbl.Constrain(sameValue).Add(ctx, &thing{id: "b", value: 1}, []events.Event{bumped{"b"}})
		}, errRule, "rule broken"},
		{"Remove of a missing ID", func(tbl *memrepo.Table[*thing]) error { return tbl.Remove(ctx, "b", bump(5)) },
			domain.ErrNotFound, "not found: thing b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var log memrepo.Log
			things := newTable(&log, "thing")
			things.Put(&thing{id: "a", value: 1})
			err := tt.write(things)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || err.Error() != tt.text {
				t.Fatalf("error %v, want %q matching %v", err, tt.text, tt.want)
			}
			assertValue(t, things, "a", 1)
			if _, ok := things.Stored("b"); ok {
				t.Error("b was stored")
			}
			assertPublished(t, &log)
		})
	}
}

func TestTableContinuesFlows(t *testing.T) {
	var log memrepo.Log
	flowing := newTable(&log, "thing").ContinueFlows()
	plain := newTable(&log, "other")
	if err := flowing.Add(contract.Flow("born"), &thing{id: "a"}, []events.Event{bumped{"a"}}); err != nil {
		t.Fatal(err)
	}
	if err := plain.Add(contract.Flow("born"), &thing{id: "a"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := flowing.Update(contract.Flow("later"), "a", bump(2)); err != nil {
		t.Fatal(err)
	}
	if err := plain.Update(contract.Flow("later"), "a", bump(2)); err != nil {
		t.Fatal(err)
	}
	if err := log.Publish(contract.Flow("direct"), bumped{"direct"}); err != nil {
		t.Fatal(err)
	}
	got := log.Outbox()(t)
	want := []contract.Published{contract.Event("born", bumped{"a"}), contract.Event("born", bumped{"a"}),
		contract.Event("later", bumped{"a"}), contract.Event("direct", bumped{"direct"})}
	if !slices.Equal(got, want) {
		t.Errorf("outbox %v, want %v", got, want)
	}
	log.Forget()
	assertPublished(t, &log)
}

func TestTableRemoveAndList(t *testing.T) {
	var log memrepo.Log
	things := newTable(&log, "thing")
	for _, th := range []*thing{{id: "c", value: 3}, {id: "a", value: 1}, {id: "b", value: 2}} {
		things.Put(th)
	}
	if err := things.Remove(ctx, "b", bump(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := things.Get("b"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Get of a removed thing: %v, want ErrNotFound", err)
	}
	all, err := things.List(nil)
	if err != nil || len(all) != 2 || all[0].id != "a" || all[1].id != "c" {
		t.Fatalf("List(nil) = %v, %v; want a, c in ID order", all, err)
	}
	all[0].value = 42
	assertValue(t, things, "a", 1)
	big, err := things.List(func(t *thing) bool { return t.value > 1 })
	if err != nil || len(big) != 1 || big[0].id != "c" {
		t.Fatalf("List(value > 1) = %v, %v; want c", big, err)
	}
	assertPublished(t, &log, bumped{"b"})
}

func TestLogFailAnswersTheCallsItIsAskedAbout(t *testing.T) {
	errDown := errors.New("connection reset by peer")
	var log memrepo.Log
	things := newTable(&log, "thing")
	things.Put(&thing{id: "a", value: 1})
	var asked []memrepo.Op
	log.Fail = func(op memrepo.Op) error {
		asked = append(asked, op)
		return errDown
	}
	calls := map[memrepo.Op]error{
		memrepo.OpAdd:     things.Add(ctx, &thing{id: "b"}, []events.Event{bumped{"b"}}),
		memrepo.OpUpdate:  things.Update(ctx, "a", bump(2)),
		memrepo.OpRemove:  things.Remove(ctx, "a", bump(2)),
		memrepo.OpPublish: log.Publish(ctx, bumped{"x"}),
	}
	_, calls[memrepo.OpGet] = things.Get("a")
	_, calls[memrepo.OpList] = things.List(nil)
	for op, err := range calls {
		if !errors.Is(err, errDown) {
			t.Errorf("%s: %v, want the injected error", op, err)
		}
	}
	if len(asked) != len(calls) {
		t.Errorf("Fail asked about %v, want each of the %d calls once", asked, len(calls))
	}
	things.Put(&thing{id: "c"})
	if _, ok := things.Stored("c"); !ok {
		t.Error("Put or Stored was failed")
	}
	assertValue(t, things, "a", 1)
	assertPublished(t, &log)
}
