package depot

import "github.com/mallbots/mallbots/internal/contract"

// The contract suites declare the handlers' interfaces again; each pair must
// have the same methods.
var (
	_ repository               = contract.DepotRepository(nil)
	_ contract.DepotRepository = repository(nil)
	_ storeCache               = contract.DepotStoreCache(nil)
	_ contract.DepotStoreCache = storeCache(nil)
	_ publisher                = contract.Publisher(nil)
	_ contract.Publisher       = publisher(nil)
)
