package depot_test

import (
	"reflect"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/depot"
	"github.com/mallbots/mallbots/internal/domaintest"
)

var (
	waffles = depot.Store{ID: "s1", Name: "Waffles", Location: "Level 1"}
	bolts   = depot.Store{ID: "s2", Name: "Bolts", Location: "Level 2"}
	known   = map[string]depot.Store{"s1": waffles, "s2": bolts}
)

// stopView is a stop as plain data, for comparing.
type stopView struct {
	Store    depot.Store
	Items    []depot.Item
	PickedUp bool
}

func viewStops(stops []depot.Stop) []stopView {
	out := make([]stopView, len(stops))
	for i, s := range stops {
		out[i] = stopView{s.Store(), s.Items(), s.PickedUp()}
	}
	return out
}

func TestPlan(t *testing.T) {
	syrup := depot.Line{StoreID: "s1", ProductID: "p1", ProductName: "Syrup", Quantity: 2}
	bolt := depot.Line{StoreID: "s2", ProductID: "p2", ProductName: "Bolt", Quantity: 10}
	cone := depot.Line{StoreID: "s1", ProductID: "p3", ProductName: "Cone", Quantity: 1}
	tests := []struct {
		name              string
		lines             []depot.Line
		stores            map[string]depot.Store
		wantErr, wantKind error
		wantIDs           []string
		want              []stopView
	}{
		{name: "one stop per store in first-appearance order, items in order",
			lines: []depot.Line{syrup, bolt, cone}, stores: known, wantIDs: []string{"s1", "s2"},
			want: []stopView{
				{Store: waffles, Items: []depot.Item{{"p1", "Syrup", 2}, {"p3", "Cone", 1}}},
				{Store: bolts, Items: []depot.Item{{"p2", "Bolt", 10}}},
			}},
		{name: "same product twice at a store is one item with the sum",
			lines: []depot.Line{syrup, cone, syrup}, stores: known, wantIDs: []string{"s1"},
			want: []stopView{{Store: waffles, Items: []depot.Item{{"p1", "Syrup", 4}, {"p3", "Cone", 1}}}}},
		{name: "no lines", lines: nil, stores: known,
			wantErr: depot.ErrNoItems, wantKind: domain.ErrInvalid},
		{name: "blank store", lines: []depot.Line{syrup, {StoreID: " ", ProductID: "p", Quantity: 1}}, stores: known,
			wantErr: depot.ErrStoreIDRequired, wantKind: domain.ErrInvalid},
		{name: "blank product", lines: []depot.Line{{StoreID: "s1", Quantity: 1}}, stores: known,
			wantErr: depot.ErrProductIDRequired, wantKind: domain.ErrInvalid},
		{name: "zero quantity", lines: []depot.Line{{StoreID: "s1", ProductID: "p", Quantity: 0}}, stores: known,
			wantErr: depot.ErrQuantityNotPositive, wantKind: domain.ErrInvalid},
		{name: "negative quantity", lines: []depot.Line{{StoreID: "s1", ProductID: "p", Quantity: -3}}, stores: known,
			wantErr: depot.ErrQuantityNotPositive, wantKind: domain.ErrInvalid},
		{name: "a store the depot has not heard of", lines: []depot.Line{syrup, bolt},
			stores: map[string]depot.Store{"s1": waffles}, wantIDs: []string{"s1", "s2"},
			wantErr: depot.ErrStoreUnknown, wantKind: domain.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, idsErr := depot.StoreIDs(tt.lines)
			if !reflect.DeepEqual(ids, tt.wantIDs) {
				t.Errorf("StoreIDs = %v, want %v", ids, tt.wantIDs)
			}
			if tt.wantKind == domain.ErrInvalid {
				domaintest.AssertErr(t, idsErr, tt.wantErr, tt.wantKind)
			} else {
				domaintest.AssertErr(t, idsErr, nil, nil)
			}

			stops, err := depot.Plan(tt.lines, tt.stores)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if got := viewStops(stops); tt.wantErr == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Plan = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestPlanNamesTheBadLineAndTheMissingStore(t *testing.T) {
	_, err := depot.Plan([]depot.Line{{StoreID: "s1", ProductID: "p", Quantity: 1}, {StoreID: "s1", ProductID: "q", Quantity: -1}}, known)
	if err == nil || err.Error() != "invalid: quantity must be greater than zero: item 2 has quantity -1" {
		t.Errorf("err = %v", err)
	}
	_, err = depot.Plan([]depot.Line{{StoreID: "s9", ProductID: "p", Quantity: 1}}, known)
	if err == nil || err.Error() != "not found: store is not known to the depot yet: store s9" {
		t.Errorf("err = %v", err)
	}
}

func TestStopsAreValues(t *testing.T) {
	stops, err := depot.Plan([]depot.Line{{StoreID: "s1", ProductID: "p1", Quantity: 1}}, known)
	if err != nil {
		t.Fatal(err)
	}
	items := stops[0].Items()
	items[0].Quantity = 99
	if got := stops[0].Items()[0].Quantity; got != 1 {
		t.Errorf("changing Items() changed the stop: quantity %d", got)
	}
	l, err := depot.New("l1", "o1", stops)
	if err != nil {
		t.Fatal(err)
	}
	l.Stops()[0] = depot.RehydrateStop(bolts, nil, true)
	if got := l.Stops()[0]; got.Store() != waffles || got.PickedUp() {
		t.Errorf("changing Stops() changed the list: %+v", viewStops(l.Stops()))
	}
}
