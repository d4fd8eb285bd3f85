package cmd

import (
	"net/http"
	"sync"
	"testing"
)

func TestIdempotencyKeyOnCreatingPosts(t *testing.T) {
	s := startSystem(t, "stores")
	key := func(k string) http.Header { return http.Header{"Idempotency-Key": {k}} }
	const body = `{"name":"Waffles","location":"Level 1"}`

	first := s.mustCreate("/api/stores", body, key("create-waffles"))
	status, out, hdr := s.do(http.MethodPost, "/api/stores", body, key("create-waffles"))
	if status != http.StatusCreated || out["id"] != first {
		t.Fatalf("retry with the same key = %d %v, want 201 with the first id %s", status, out, first)
	}
	if hdr.Get("Idempotent-Replayed") != "true" {
		t.Errorf("a replayed response carries Idempotent-Replayed: true, got %q", hdr.Get("Idempotent-Replayed"))
	}
	if n := s.count("SELECT count(*) FROM stores.stores"); n != 1 {
		t.Errorf("stores after a retried POST = %d, want 1", n)
	}

	status, out, _ = s.do(http.MethodPost, "/api/stores", `{"name":"Crêpes","location":"Level 2"}`, key("create-waffles"))
	if status != http.StatusUnprocessableEntity {
		t.Errorf("same key, different body = %d %v, want 422", status, out)
	}

	// A failed first request keeps nothing: the key can be used again.
	status, _, _ = s.do(http.MethodPost, "/api/stores", `{"name":"","location":"Level 3"}`, key("retry-after-fix"))
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid store = %d, want 422", status)
	}
	s.mustCreate("/api/stores", `{"name":"Tea","location":"Level 3"}`, key("retry-after-fix"))

	// Requests racing with one key create one entity and all see its id.
	var wg sync.WaitGroup
	ids := make([]any, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, out, _ := s.do(http.MethodPost, "/api/stores", `{"name":"Race","location":"Level 4"}`, key("race"))
			ids[i] = out["id"]
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || id == nil {
			t.Fatalf("concurrent requests with one key answered ids %v, want one id", ids)
		}
	}
	if n := s.count("SELECT count(*) FROM stores.stores WHERE name = 'Race'"); n != 1 {
		t.Errorf("stores created by 8 concurrent requests with one key = %d, want 1", n)
	}
	if n := s.count("SELECT count(*) FROM stores.watermill_outbox WHERE payload->'metadata'->>'name' = 'stores.StoreCreated'"); n != 3 {
		t.Errorf("StoreCreated events = %d, want 3 (one per created store)", n)
	}
}
