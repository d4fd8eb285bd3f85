package orders

import "github.com/mallbots/mallbots/internal/contract"

// The contract suites declare this package's interfaces again. Each pair is
// converted both ways, which compiles only while the two have the same
// methods.
var _ = []any{
	repository(contract.OrdersRepository(nil)), contract.OrdersRepository(repository(nil)),
	publisher(contract.Publisher(nil)), contract.Publisher(publisher(nil)),
	catalogCache(contract.CatalogCache(nil)), contract.CatalogCache(catalogCache(nil)),
}
