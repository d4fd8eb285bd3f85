package payments_test

import (
	"testing"

	"github.com/mallbots/mallbots/internal/contract"
)

// TestFakeKeepsTheContracts holds the fake the handler tests run on to the
// contracts postgres.Payments and postgres.Publisher keep, on one outbox
// (postgres/contract_test.go).
func TestFakeKeepsTheContracts(t *testing.T) {
	contract.RunPayments(t, func(*testing.T) (*fakeRepo, contract.Outbox) { return newFakeRepo().opened() })
	contract.RunPublisher(t, func(*testing.T) (*fakeRepo, contract.Outbox) { return newFakeRepo().opened() })
}
