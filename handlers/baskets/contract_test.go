package baskets_test

import (
	"testing"

	"github.com/mallbots/mallbots/internal/contract"
)

// TestFakeKeepsTheRepositoryContract holds the fake the handler tests run on
// to the contract postgres.Baskets keeps (postgres/contract_test.go).
func TestFakeKeepsTheRepositoryContract(t *testing.T) {
	contract.RunBaskets(t, func(*testing.T) contract.Baskets {
		f := newFakeRepo()
		return contract.Baskets{Repo: f, Outbox: f.log.Outbox()}
	})
}
