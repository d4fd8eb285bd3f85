package search

import "github.com/mallbots/mallbots/internal/contract"

// The contract suites declare this package's interfaces again. Each pair is
// converted both ways, which compiles only while the two have the same
// methods.
var _ = []any{
	repository(contract.SearchRepository(nil)), contract.SearchRepository(repository(nil)),
}
