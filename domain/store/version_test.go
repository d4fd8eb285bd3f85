package store_test

import (
	"testing"

	"github.com/mallbots/mallbots/domain/store"
)

func TestVersionCountsAcceptedChanges(t *testing.T) {
	s, err := store.New("s1", "Shop", "L1")
	if err != nil {
		t.Fatal(err)
	}
	if s.Version() != 1 {
		t.Fatalf("new store version = %d, want 1", s.Version())
	}
	_ = s.EnableParticipation()
	_ = s.EnableParticipation() // rejected: no new version
	_ = s.Rebrand("Shop 2")
	if s.Version() != 3 {
		t.Errorf("after two accepted changes and one rejected, version = %d, want 3", s.Version())
	}

	p, err := store.NewProduct("p1", "s1", "Bolt", "", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	_ = p.IncreasePrice(50)
	_ = p.DecreasePrice(1000) // rejected
	_ = p.DecreasePrice(25)
	_ = p.Rebrand("Nut", "")
	if p.Version() != 4 || p.Price() != 125 {
		t.Errorf("product version = %d price = %d, want 4 and 125", p.Version(), p.Price())
	}
	if got := store.RehydrateProduct("p1", "s1", "Bolt", "", "", 100, 9).Version(); got != 9 {
		t.Errorf("rehydrated version = %d, want 9", got)
	}
}
