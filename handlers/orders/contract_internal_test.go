package orders

import "github.com/mallbots/mallbots/internal/contract"

// The contract suites declare the handlers' interfaces again; each pair must
// have the same methods.
var (
	_ repository                = contract.OrdersRepository(nil)
	_ contract.OrdersRepository = repository(nil)
	_ publisher                 = contract.Publisher(nil)
	_ contract.Publisher        = publisher(nil)
	_ catalogCache              = contract.CatalogCache(nil)
	_ contract.CatalogCache     = catalogCache(nil)
)
