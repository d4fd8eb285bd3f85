package saga

import "github.com/mallbots/mallbots/internal/contract"

// The contract suite declares the handlers' repository again; the two must
// have the same methods.
var (
	_ repository              = contract.SagaRepository(nil)
	_ contract.SagaRepository = repository(nil)
)
