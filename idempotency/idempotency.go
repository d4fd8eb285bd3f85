// Package idempotency is what an Idempotency-Key is kept with: the
// vocabulary shared by the HTTP edge that honours the key (httpapi) and the
// store that keeps it (postgres), so that neither imports the other. It is
// stdlib only.
package idempotency

// Response is the response to the first request with a key, kept to answer
// its retries.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// Claim is what a store found for a key: either the response kept for an
// earlier request (Stored), or nothing, in which case this request claimed
// the key and runs within the claim's transaction.
type Claim struct {
	// Stored is the earlier request's response; nil when this request claimed
	// the key.
	Stored *Response
	// RequestHash is the hash of the earlier request, to compare with this
	// one's.
	RequestHash string
}
