package saga_test

import (
	"testing"

	"github.com/mallbots/mallbots/internal/contract"
)

// TestFakeKeepsTheRepositoryContract holds the fake the handler tests run on
// to the contract postgres.Sagas keeps (postgres/contract_test.go).
func TestFakeKeepsTheRepositoryContract(t *testing.T) {
	contract.RunSagas(t, func(*testing.T) (*fakeRepo, contract.Outbox) { return newFixture().repo.opened() })
}
