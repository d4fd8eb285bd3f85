package search

import "github.com/mallbots/mallbots/internal/contract"

// The contract suite declares the handlers' repository again; the two must
// have the same methods.
var (
	_ repository                = contract.SearchRepository(nil)
	_ contract.SearchRepository = repository(nil)
)
