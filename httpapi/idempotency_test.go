package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/idempotency"
)

// memoryKeys is an in-memory IdempotencyStore; it keeps what Run returns.
type memoryKeys struct {
	hashes    map[string]string
	responses map[string]*idempotency.Response
	runs      int
}

func (m *memoryKeys) Run(ctx context.Context, scope, key, hash string,
	fn func(context.Context, idempotency.Claim) (*idempotency.Response, error),
) error {
	m.runs++
	id := scope + "|" + key
	if stored, ok := m.responses[id]; ok {
		_, err := fn(ctx, idempotency.Claim{Stored: stored, RequestHash: m.hashes[id]})
		return err
	}
	resp, err := fn(ctx, idempotency.Claim{})
	if err != nil {
		return err
	}
	m.hashes[id], m.responses[id] = hash, resp
	return nil
}

func TestIdempotency(t *testing.T) {
	keys := &memoryKeys{hashes: map[string]string{}, responses: map[string]*idempotency.Response{}}
	created := 0
	h := httpapi.Idempotency(keys)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "fail") {
			httpapi.WriteError(w, r, httpapi.NewProblem(http.StatusUnprocessableEntity, "no"))
			return
		}
		created++
		httpapi.Created(w, strings.Repeat("a", created))
	}))
	send := func(method, path, key, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if key != "" {
			req.Header.Set(httpapi.HeaderIdempotencyKey, key)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	first := send(http.MethodPost, "/things", "k1", `{"n":1}`)
	again := send(http.MethodPost, "/things", "k1", `{"n":1}`)
	if first.Code != http.StatusCreated || again.Code != http.StatusCreated || again.Body.String() != first.Body.String() {
		t.Fatalf("retry answered %d %s, want the first answer %d %s", again.Code, again.Body, first.Code, first.Body)
	}
	if again.Header().Get(httpapi.HeaderIdempotentReplayed) != "true" || again.Header().Get("Content-Type") != "application/json" {
		t.Errorf("replayed headers = %v", again.Header())
	}
	if created != 1 {
		t.Errorf("handler ran %d times for one key, want 1", created)
	}
	readProblem(t, send(http.MethodPost, "/things", "k1", `{"n":2}`), http.StatusUnprocessableEntity)

	if rec := send(http.MethodPost, "/other", "k1", `{"n":1}`); rec.Code != http.StatusCreated || created != 2 {
		t.Errorf("the same key on another path is another request: %d, created %d", rec.Code, created)
	}
	readProblem(t, send(http.MethodPost, "/fail", "k2", `{}`), http.StatusUnprocessableEntity)
	if _, kept := keys.responses["POST /fail|k2"]; kept {
		t.Error("a failed request's response was kept")
	}

	runs := keys.runs
	send(http.MethodPost, "/things", "", `{}`)
	send(http.MethodPut, "/things", "k3", `{}`)
	if keys.runs != runs {
		t.Error("requests without a key, or not POST, must pass through")
	}
	readProblem(t, send(http.MethodPost, "/things", strings.Repeat("k", 256), `{}`), http.StatusBadRequest)
	runs = keys.runs
	for _, bad := range []string{"\xff\xfe", "caf\xc3\xa9", "a\x00b", "a\x7fb"} {
		readProblem(t, send(http.MethodPost, "/things", bad, `{}`), http.StatusBadRequest)
	}
	if keys.runs != runs {
		t.Error("a key that is not printable ASCII reached the store")
	}

	// The scope is the escaped path: whatever bytes the path holds, it is
	// ASCII text the database can store.
	send(http.MethodPost, "/things/%ff%00", "k4", `{}`)
	if _, kept := keys.responses["POST /things/%ff%00|k4"]; !kept {
		t.Errorf("scopes kept: %v, want POST /things/%%ff%%00", keys.responses)
	}
}
