package baskets_test

import (
	"testing"

	"github.com/mallbots/mallbots/internal/contract"
)

// TestFakesKeepTheContracts holds the fakes the handler tests run on to the
// contracts postgres.Baskets and postgres.BasketsCache keep
// (postgres/contract_test.go).
func TestFakesKeepTheContracts(t *testing.T) {
	contract.RunBaskets(t, func(*testing.T) (*fakeRepo, contract.Outbox) { return newFakeRepo().opened() })
	contract.RunCatalogCache(t, func(*testing.T) *fakeCache { return newFakeCache() })
	contract.RunBasketsCache(t, func(*testing.T) *fakeCache { return newFakeCache() })
}
