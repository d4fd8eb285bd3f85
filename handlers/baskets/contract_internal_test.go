package baskets

import "github.com/mallbots/mallbots/internal/contract"

// The contract suites declare the handlers' interfaces again; each pair must
// have the same methods.
var (
	_ repository                  = contract.BasketsRepository(nil)
	_ contract.BasketsRepository  = repository(nil)
	_ cacheRepository             = contract.BasketsCacheWrites(nil)
	_ contract.BasketsCacheWrites = cacheRepository(nil)
	_ catalogReader               = contract.BasketsCacheReads(nil)
	_ contract.BasketsCacheReads  = catalogReader(nil)
)
