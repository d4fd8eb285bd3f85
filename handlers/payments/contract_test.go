package payments_test

import (
	"testing"

	"github.com/mallbots/mallbots/internal/contract"
)

// TestFakeKeepsTheContracts holds the fake the handler tests run on to the
// contracts postgres.Payments and postgres.Publisher keep
// (postgres/contract_test.go).
func TestFakeKeepsTheContracts(t *testing.T) {
	contract.RunPayments(t, func(*testing.T) contract.Payments {
		f := newFakeRepo()
		return contract.Payments{Repo: f, Outbox: f.log.Outbox()}
	})
	contract.RunPublisher(t, func(*testing.T) (contract.Publisher, contract.Outbox) {
		f := newFakeRepo()
		return f, f.log.Outbox()
	})
}
