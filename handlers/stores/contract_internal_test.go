package stores

import "github.com/mallbots/mallbots/internal/contract"

// The contract suite declares the handlers' repository again; the two must
// have the same methods.
var (
	_ repository                = contract.StoresRepository(nil)
	_ contract.StoresRepository = repository(nil)
)
