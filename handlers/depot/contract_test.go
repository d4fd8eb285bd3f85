package depot_test

import (
	"testing"

	"github.com/mallbots/mallbots/internal/contract"
)

// TestFakesKeepTheContracts holds the fakes the handler tests run on to the
// contracts postgres.Depot, postgres.DepotCache and postgres.Publisher keep
// (postgres/contract_test.go).
func TestFakesKeepTheContracts(t *testing.T) {
	contract.RunDepot(t, func(*testing.T) (*fakeRepo, contract.Outbox) { return newFakeRepo().opened() })
	contract.RunDepotStoreCache(t, func(*testing.T) *fakeCache { return newFakeCache() })
	contract.RunPublisher(t, func(*testing.T) (*fakePublisher, contract.Outbox) { return (&fakePublisher{}).opened() })
}
