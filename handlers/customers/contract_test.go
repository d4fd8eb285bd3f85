package customers_test

import (
	"testing"

	"github.com/mallbots/mallbots/internal/contract"
)

// TestFakesKeepTheContracts holds the fakes the handler tests run on to the
// contracts postgres.Customers and postgres.Publisher keep
// (postgres/contract_test.go).
func TestFakesKeepTheContracts(t *testing.T) {
	contract.RunCustomers(t, func(*testing.T) (*fakeRepo, contract.Outbox) { return newFakeRepo().opened() })
	contract.RunPublisher(t, func(*testing.T) (*fakePublisher, contract.Outbox) { return (&fakePublisher{}).opened() })
}
