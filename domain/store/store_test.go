package store_test

import (
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/store"
	"github.com/mallbots/mallbots/internal/domaintest"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name                   string
		id, sName, location    string
		wantErr, wantKind      error
		wantName, wantLocation string
	}{
		{name: "valid", id: "s1", sName: "Bot Shop", location: "Level 1, Unit 4",
			wantName: "Bot Shop", wantLocation: "Level 1, Unit 4"},
		{name: "trims name and location", id: "s1", sName: " \t Bot  Shop\n", location: "  Level 1  ",
			wantName: "Bot  Shop", wantLocation: "Level 1"},
		{name: "name at limit in multibyte runes", id: "s1", sName: strings.Repeat("é", store.MaxNameLen), location: "L1",
			wantName: strings.Repeat("é", store.MaxNameLen), wantLocation: "L1"},
		{name: "name at limit after trimming", id: "s1", sName: "  " + strings.Repeat("a", store.MaxNameLen) + "  ", location: "L1",
			wantName: strings.Repeat("a", store.MaxNameLen), wantLocation: "L1"},
		{name: "location at limit", id: "s1", sName: "Shop", location: strings.Repeat("ü", store.MaxLocationLen),
			wantName: "Shop", wantLocation: strings.Repeat("ü", store.MaxLocationLen)},
		{name: "empty id", id: "", sName: "Shop", location: "L1",
			wantErr: store.ErrIDRequired, wantKind: domain.ErrInvalid},
		{name: "whitespace id", id: " \t", sName: "Shop", location: "L1",
			wantErr: store.ErrIDRequired, wantKind: domain.ErrInvalid},
		{name: "empty name", id: "s1", sName: "", location: "L1",
			wantErr: store.ErrNameRequired, wantKind: domain.ErrInvalid},
		{name: "whitespace name", id: "s1", sName: " \n\t ", location: "L1",
			wantErr: store.ErrNameRequired, wantKind: domain.ErrInvalid},
		{name: "name too long", id: "s1", sName: strings.Repeat("é", store.MaxNameLen+1), location: "L1",
			wantErr: store.ErrNameTooLong, wantKind: domain.ErrInvalid},
		{name: "empty location", id: "s1", sName: "Shop", location: "",
			wantErr: store.ErrLocationRequired, wantKind: domain.ErrInvalid},
		{name: "whitespace location", id: "s1", sName: "Shop", location: "   ",
			wantErr: store.ErrLocationRequired, wantKind: domain.ErrInvalid},
		{name: "location too long", id: "s1", sName: "Shop", location: strings.Repeat("a", store.MaxLocationLen+1),
			wantErr: store.ErrLocationTooLong, wantKind: domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.New(tt.id, tt.sName, tt.location)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if tt.wantErr != nil {
				if s != nil {
					t.Errorf("got store %+v with error, want nil", s)
				}
				return
			}
			if s.ID() != tt.id {
				t.Errorf("ID() = %q, want %q", s.ID(), tt.id)
			}
			if s.Name() != tt.wantName {
				t.Errorf("Name() = %q, want %q", s.Name(), tt.wantName)
			}
			if s.Location() != tt.wantLocation {
				t.Errorf("Location() = %q, want %q", s.Location(), tt.wantLocation)
			}
			if s.Participating() {
				t.Error("new store participates, want not participating")
			}
		})
	}
}

func TestNewNameTooLongReportsLength(t *testing.T) {
	_, err := store.New("s1", strings.Repeat("a", 120), "L1")
	if err == nil || !strings.Contains(err.Error(), "store name is too long: 120 characters, at most 100") {
		t.Fatalf("error = %v, want it to name the store name and its length", err)
	}
}

func TestRehydrate(t *testing.T) {
	for _, participating := range []bool{true, false} {
		// Rehydrate trusts storage: a blank name must come back as stored.
		s := store.Rehydrate("s1", "", " Level 2 ", participating, 3)
		if s.ID() != "s1" || s.Name() != "" || s.Location() != " Level 2 " || s.Participating() != participating {
			t.Errorf("Rehydrate(..., %t) = {%q %q %q %t}", participating,
				s.ID(), s.Name(), s.Location(), s.Participating())
		}
	}
}

func TestRebrand(t *testing.T) {
	tests := []struct {
		name              string
		newName           string
		wantErr, wantKind error
		wantName          string
	}{
		{name: "new name", newName: "Robo Mart", wantName: "Robo Mart"},
		{name: "trims", newName: "  Robo Mart\t", wantName: "Robo Mart"},
		{name: "identical name is allowed", newName: "Bot Shop", wantName: "Bot Shop"},
		{name: "at limit", newName: strings.Repeat("x", store.MaxNameLen), wantName: strings.Repeat("x", store.MaxNameLen)},
		{name: "empty", newName: "", wantErr: store.ErrNameRequired, wantKind: domain.ErrInvalid, wantName: "Bot Shop"},
		{name: "whitespace", newName: " \t\n", wantErr: store.ErrNameRequired, wantKind: domain.ErrInvalid, wantName: "Bot Shop"},
		{name: "too long", newName: strings.Repeat("x", store.MaxNameLen+1), wantErr: store.ErrNameTooLong, wantKind: domain.ErrInvalid, wantName: "Bot Shop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.New("s1", "Bot Shop", "L1")
			if err != nil {
				t.Fatal(err)
			}
			domaintest.AssertErr(t, s.Rebrand(tt.newName), tt.wantErr, tt.wantKind)
			if s.Name() != tt.wantName {
				t.Errorf("Name() = %q, want %q", s.Name(), tt.wantName)
			}
		})
	}
}

func TestParticipation(t *testing.T) {
	type step struct {
		enable            bool // true: EnableParticipation, false: DisableParticipation
		wantErr, wantKind error
		wantParticipating bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "enable then disable", steps: []step{
			{enable: true, wantParticipating: true},
			{enable: false, wantParticipating: false},
		}},
		{name: "enable twice", steps: []step{
			{enable: true, wantParticipating: true},
			{enable: true, wantErr: store.ErrAlreadyParticipating, wantKind: domain.ErrConflict, wantParticipating: true},
		}},
		{name: "disable a new store", steps: []step{
			{enable: false, wantErr: store.ErrNotParticipating, wantKind: domain.ErrConflict, wantParticipating: false},
		}},
		{name: "disable twice", steps: []step{
			{enable: true, wantParticipating: true},
			{enable: false, wantParticipating: false},
			{enable: false, wantErr: store.ErrNotParticipating, wantKind: domain.ErrConflict, wantParticipating: false},
		}},
		{name: "enable again after disable", steps: []step{
			{enable: true, wantParticipating: true},
			{enable: false, wantParticipating: false},
			{enable: true, wantParticipating: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.New("s1", "Bot Shop", "L1")
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range tt.steps {
				var err error
				if st.enable {
					err = s.EnableParticipation()
				} else {
					err = s.DisableParticipation()
				}
				domaintest.AssertErr(t, err, st.wantErr, st.wantKind)
				if s.Participating() != st.wantParticipating {
					t.Errorf("step %d: Participating() = %t, want %t", i, s.Participating(), st.wantParticipating)
				}
			}
		})
	}
}

func TestParticipationRulesApplyToRehydratedStores(t *testing.T) {
	domaintest.AssertErr(t, store.Rehydrate("s1", "Shop", "L1", true, 3).EnableParticipation(),
		store.ErrAlreadyParticipating, domain.ErrConflict)
	domaintest.AssertErr(t, store.Rehydrate("s1", "Shop", "L1", false, 3).DisableParticipation(),
		store.ErrNotParticipating, domain.ErrConflict)
}
