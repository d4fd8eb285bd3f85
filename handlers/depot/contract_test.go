package depot_test

import (
	"testing"

	"github.com/mallbots/mallbots/internal/contract"
)

// TestFakesKeepTheContracts holds the fakes the handler tests run on to the
// contracts postgres.Depot, postgres.DepotCache and postgres.Publisher keep
// (postgres/contract_test.go).
func TestFakesKeepTheContracts(t *testing.T) {
	contract.RunDepot(t, func(*testing.T) contract.Depot {
		f := newFakeRepo()
		return contract.Depot{Repo: f, Outbox: f.log.Outbox()}
	})
	contract.RunDepotStoreCache(t, func(*testing.T) contract.DepotStoreCache { return newFakeCache() })
	contract.RunPublisher(t, func(*testing.T) (contract.Publisher, contract.Outbox) {
		f := newFakeRepo()
		return &fakePublisher{repo: f}, f.log.Outbox()
	})
}
