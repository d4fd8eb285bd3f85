package stores_test

import (
	"testing"

	"github.com/mallbots/mallbots/internal/contract"
)

// TestFakeKeepsTheRepositoryContract holds the fake the handler tests run on
// to the contract postgres.Stores keeps (postgres/contract_test.go).
func TestFakeKeepsTheRepositoryContract(t *testing.T) {
	contract.RunStores(t, func(*testing.T) (*fakeRepo, contract.Outbox) { return newFakeRepo().opened() })
}
