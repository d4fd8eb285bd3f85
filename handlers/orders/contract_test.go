package orders_test

import (
	"testing"

	"github.com/mallbots/mallbots/internal/contract"
	"github.com/mallbots/mallbots/internal/fakecatalog"
)

// TestFakesKeepTheContracts holds the fakes the handler tests run on to the
// contracts postgres.Orders, postgres.Publisher and postgres.CatalogCache
// keep (postgres/contract_test.go).
func TestFakesKeepTheContracts(t *testing.T) {
	contract.RunOrders(t, func(*testing.T) *fakeStore { return newFakeStore() })
	contract.RunPublisher(t, func(*testing.T) (*fakeReplies, contract.Outbox) { return (&fakeReplies{}).opened() })
	contract.RunCatalogCache(t, func(*testing.T) *fakecatalog.Cache { return fakecatalog.New() })
}
