package search_test

import (
	"testing"

	"github.com/mallbots/mallbots/internal/contract"
)

// TestFakeKeepsTheRepositoryContract holds the fake the handler tests run on
// to the contract postgres.Search keeps (postgres/contract_test.go).
func TestFakeKeepsTheRepositoryContract(t *testing.T) {
	contract.RunSearch(t, func(*testing.T) *fakeRepo { return newFakeRepo() })
}
