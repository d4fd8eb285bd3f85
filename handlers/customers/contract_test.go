package customers_test

import (
	"testing"

	"github.com/mallbots/mallbots/internal/contract"
)

// TestFakesKeepTheContracts holds the fakes the handler tests run on to the
// contracts postgres.Customers and postgres.Publisher keep
// (postgres/contract_test.go).
func TestFakesKeepTheContracts(t *testing.T) {
	contract.RunCustomers(t, func(*testing.T) contract.Customers {
		f := newFakeRepo()
		return contract.Customers{Repo: f, Outbox: f.log.Outbox()}
	})
	contract.RunPublisher(t, func(*testing.T) (contract.Publisher, contract.Outbox) {
		p := &fakePublisher{}
		return p, p.log.Outbox()
	})
}
