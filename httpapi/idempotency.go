package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/mallbots/mallbots/idempotency"
)

// HeaderIdempotencyKey names the request header that makes a POST safe to
// retry; HeaderIdempotentReplayed marks a response replayed from the first
// request with that key.
const (
	HeaderIdempotencyKey     = "Idempotency-Key"
	HeaderIdempotentReplayed = "Idempotent-Replayed"
)

// maxIdempotencyKeyLen bounds an accepted key; it is stored and indexed.
const maxIdempotencyKeyLen = 255

// checkIdempotencyKey accepts 1–255 printable ASCII characters (a UUID, a
// ULID, base64…): the key is stored as text and quoted in problems, so
// control characters and bytes that are not UTF-8 are a 400, not a failed
// insert.
func checkIdempotencyKey(key string) error {
	if len(key) > maxIdempotencyKeyLen {
		return NewProblem(http.StatusBadRequest,
			fmt.Sprintf("%s is longer than %d characters", HeaderIdempotencyKey, maxIdempotencyKeyLen))
	}
	for i := range len(key) {
		if key[i] < 0x20 || key[i] > 0x7e {
			return NewProblem(http.StatusBadRequest,
				fmt.Sprintf("%s must be printable ASCII characters; byte %d is 0x%02x", HeaderIdempotencyKey, i, key[i]))
		}
	}
	return nil
}

// IdempotencyStore keeps idempotency keys (postgres.IdempotencyKeys).
type IdempotencyStore interface {
	// Run calls fn with the key's claim in one transaction carried by the
	// ctx fn receives, so the request's own writes join it. A concurrent
	// request with the same key waits until this one's transaction ends.
	// When claim.Stored is nil fn runs the request and returns the response
	// to keep (nil to keep none: the transaction, the request's writes
	// included, is rolled back).
	Run(ctx context.Context, scope, key, requestHash string,
		fn func(ctx context.Context, claim idempotency.Claim) (*idempotency.Response, error)) error
}

// errDiscard rolls back the claim of a request whose response is not kept.
var errDiscard = errors.New("idempotency: response not kept")

// Idempotency honours the Idempotency-Key header on POST requests (a key
// that is not 1–255 printable ASCII characters is a 400): the first
// request with a key runs inside a transaction that also records the key and,
// when it succeeds (2xx), its response; a retry with the same key, method,
// path and body gets that response again (with Idempotent-Replayed: true)
// instead of creating a second entity; the same key with a different body is
// a 422. A failed first request keeps nothing, so it can be retried with the
// same key. Requests without the header, and other methods, pass through.
// Give it to NewMux as route middleware, so that only a request that
// matched a route claims its key.
//
// Because the request's writes and the key commit in one transaction, a crash
// can never leave an entity created without its key recorded, or the other
// way round.
func Idempotency(store IdempotencyStore) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := r.Header.Get(HeaderIdempotencyKey)
			if r.Method != http.MethodPost || key == "" {
				next.ServeHTTP(w, r)
				return
			}
			if err := checkIdempotencyKey(key); err != nil {
				WriteError(w, r, err)
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
			if err != nil {
				WriteError(w, r, bodyReadError(err))
				return
			}
			sum := sha256.Sum256(body)
			hash := hex.EncodeToString(sum[:])
			// The escaped path is ASCII whatever bytes the client sent, so the
			// scope always fits the database's text column.
			scope := r.Method + " " + r.URL.EscapedPath()

			var respond func()
			err = store.Run(r.Context(), scope, key, hash,
				func(ctx context.Context, claim idempotency.Claim) (*idempotency.Response, error) {
					if claim.Stored != nil {
						respond = func() { replay(w, r, key, hash, claim) }
						return nil, nil
					}
					rec := &bufferedResponse{header: http.Header{}}
					req := r.WithContext(ctx)
					req.Body = io.NopCloser(bytes.NewReader(body))
					next.ServeHTTP(rec, req)
					respond = func() { rec.copyTo(w) }
					if rec.status < 200 || rec.status > 299 {
						return nil, errDiscard
					}
					return &idempotency.Response{Status: rec.status, ContentType: rec.header.Get("Content-Type"), Body: rec.body.Bytes()}, nil
				})
			if err != nil && !errors.Is(err, errDiscard) {
				WriteError(w, r, fmt.Errorf("idempotency key %q: %w", key, err))
				return
			}
			respond()
		})
	}
}

// replay answers a retry from the stored response, or with a 422 when the
// key was first used with a different request.
func replay(w http.ResponseWriter, r *http.Request, key, hash string, claim idempotency.Claim) {
	if claim.RequestHash != hash {
		WriteError(w, r, NewProblem(http.StatusUnprocessableEntity,
			fmt.Sprintf("%s %q was already used with a different request body; use a new key for a new request", HeaderIdempotencyKey, key)))
		return
	}
	if claim.Stored.ContentType != "" {
		w.Header().Set("Content-Type", claim.Stored.ContentType)
	}
	w.Header().Set(HeaderIdempotentReplayed, "true")
	w.WriteHeader(claim.Stored.Status)
	_, _ = w.Write(claim.Stored.Body)
}

// bufferedResponse holds a response until the transaction it was made in has
// ended, so a client never sees a result that was rolled back.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// copyTo sends the buffered response to w.
func (b *bufferedResponse) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}
