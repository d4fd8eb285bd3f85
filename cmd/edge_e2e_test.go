package cmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/internal/testkit"
)

// isProblem reports whether a response is an RFC 9457 problem document.
func isProblem(h http.Header) bool {
	return strings.HasPrefix(h.Get("Content-Type"), "application/problem+json")
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// TestServeRejectsBadTextInEveryStoredField sends a NUL, another control
// character and an over-long string in every string field the services
// store: each is a 422 problem naming the field, not the 500 PostgreSQL's
// refusal of 0x00 used to cause, and nothing is created.
func TestServeRejectsBadTextInEveryStoredField(t *testing.T) {
	s := startSystem(t)
	storeID := s.mustCreate("/api/stores", `{"name":"Robo Parts","location":"Level 1"}`, nil)
	productID := s.mustCreate("/api/stores/"+storeID+"/products", `{"name":"Servo","sku":"SRV-1","price":9.99}`, nil)
	customerID := s.mustCreate("/api/customers", `{"name":"Ada","smsNumber":"+1 555 123 4567"}`, nil)
	orderBody := func(storeName, productName string) string {
		return `{"customerId":"` + customerID + `","paymentId":"` + uuid.NewString() + `","items":[{"storeId":"` + storeID +
			`","storeName":"` + storeName + `","productId":"` + productID + `","productName":"` + productName + `","price":1,"quantity":1}]}`
	}
	stores, customers := s.count("SELECT count(*) FROM stores.stores"), s.count("SELECT count(*) FROM customers.customers")

	long := strings.Repeat("x", 1001)
	for _, bad := range []string{`ab\u0000cd`, `ab\u001bcd`, long} {
		for _, tc := range []struct {
			method, path, body, field string
		}{
			{"POST", "/api/stores", `{"name":"` + bad + `","location":"x"}`, "name"},
			{"POST", "/api/stores", `{"name":"x","location":"` + bad + `"}`, "location"},
			{"POST", "/api/stores/" + storeID + "/products", `{"name":"` + bad + `","sku":"s","price":1}`, "name"},
			{"POST", "/api/stores/" + storeID + "/products", `{"name":"n","description":"` + bad + `","sku":"s","price":1}`, "description"},
			{"POST", "/api/stores/" + storeID + "/products", `{"name":"n","sku":"` + bad + `","price":1}`, "sku"},
			{"PUT", "/api/stores/" + storeID + "/rebrand", `{"name":"` + bad + `"}`, "name"},
			{"PUT", "/api/stores/products/" + productID + "/rebrand", `{"name":"` + bad + `","description":"d"}`, "name"},
			{"PUT", "/api/stores/products/" + productID + "/rebrand", `{"name":"n","description":"` + bad + `"}`, "description"},
			{"POST", "/api/customers", `{"name":"` + bad + `","smsNumber":"+1 555 123 4567"}`, "name"},
			{"PUT", "/api/customers/" + customerID + "/change-sms", `{"smsNumber":"` + bad + `"}`, "smsNumber"},
			{"POST", "/api/depot/bots", `{"name":"` + bad + `"}`, "name"},
			{"POST", "/api/ordering", orderBody(bad, "Servo"), "items[0].storeName"},
			{"POST", "/api/ordering", orderBody("Robo Parts", bad), "items[0].productName"},
			{"POST", "/api/search/orders", `{"filters":{"status":"` + bad + `"}}`, "filters.status"},
			{"POST", "/api/search/orders", `{"next":"` + bad + `"}`, "next"},
		} {
			status, hdr, body := s.rawDo(tc.method, tc.path, tc.body, jsonHeader)
			if status != http.StatusUnprocessableEntity || !isProblem(hdr) || !strings.Contains(body, `"field":"`+tc.field+`"`) {
				t.Errorf("%s %s %.60s… = %d %s, want a 422 problem naming %s", tc.method, tc.path, tc.body, status, body, tc.field)
			}
		}
	}
	// Bytes that are not UTF-8 at all are malformed JSON text: 400.
	status, hdr, body := s.rawDo("POST", "/api/stores", "{\"name\":\"ab\xff\xfecd\",\"location\":\"x\"}", jsonHeader)
	if status != http.StatusBadRequest || !isProblem(hdr) {
		t.Errorf("invalid UTF-8 = %d %s, want a 400 problem", status, body)
	}
	if n := s.count("SELECT count(*) FROM stores.stores"); n != stores {
		t.Errorf("%d stores created from bad text", n-stores)
	}
	if n := s.count("SELECT count(*) FROM customers.customers"); n != customers {
		t.Errorf("%d customers created from bad text", n-customers)
	}
}

// TestServeIdempotencyKeysAndUnknownPaths: a key that is not printable
// ASCII is a 400 (it was a 500 on every POST), and a POST with a valid key
// to a path no route has is a 404 or 405 that claims no key (it was a 500:
// the path's bytes went into the key's scope).
func TestServeIdempotencyKeysAndUnknownPaths(t *testing.T) {
	s := startSystem(t, "stores")
	for _, key := range []string{"\xff\xfe", "caf\xc3\xa9", strings.Repeat("k", 256)} {
		status, hdr, body := s.rawDo("POST", "/api/stores", `{"name":"n","location":"l"}`,
			http.Header{"Content-Type": {"application/json"}, "Idempotency-Key": {key}})
		if status != http.StatusBadRequest || !isProblem(hdr) {
			t.Errorf("Idempotency-Key %q = %d %s, want a 400 problem", key, status, body)
		}
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/api/%ff%fe", http.StatusNotFound},
		{"/api/%00", http.StatusNotFound},
		{"/api/stores/%ff%fe", http.StatusMethodNotAllowed},
		{"/api/stores/products/%00", http.StatusMethodNotAllowed},
		{"/nope", http.StatusNotFound},
	} {
		status, hdr, body := s.rawDo("POST", tc.path, `{"name":"n","location":"l"}`,
			http.Header{"Content-Type": {"application/json"}, "Idempotency-Key": {uuid.NewString()}})
		if status != tc.want || !isProblem(hdr) {
			t.Errorf("POST %s with a key = %d %s, want a %d problem", tc.path, status, body, tc.want)
		}
	}
	// A path parameter with bytes that are not UTF-8 reaches the route, whose
	// ID check answers 400; the key's scope (escaped) could be stored anyway.
	status, hdr, body := s.rawDo("POST", "/api/stores/%ff%00/products", `{"name":"n","sku":"s","price":1}`,
		http.Header{"Content-Type": {"application/json"}, "Idempotency-Key": {uuid.NewString()}})
	if status != http.StatusBadRequest || !isProblem(hdr) {
		t.Errorf("POST to a route with a bad path ID = %d %s, want a 400 problem", status, body)
	}
	if n := s.count("SELECT count(*) FROM public.mallbots_idempotency_keys"); n != 0 {
		t.Errorf("%d idempotency keys kept for requests that failed or matched no route", n)
	}
}

// TestServeAnswers405WithAllow: every path a route has answers the methods
// it lacks with 405 and Allow (the routes below answered 404), and other
// path forms answer 400, 404 or a redirect to the clean path.
func TestServeAnswers405WithAllow(t *testing.T) {
	s := startSystem(t)
	id := uuid.NewString()
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/api/stores/" + id + "/participating", 405, "DELETE, PUT"},
		{"HEAD", "/api/stores/" + id + "/participating", 405, "DELETE, PUT"},
		{"DELETE", "/api/stores/" + id + "/products", 405, "GET, HEAD, POST"},
		{"GET", "/api/stores/" + id + "/rebrand", 405, "PUT"},
		{"DELETE", "/api/stores/" + id + "/rebrand", 405, "PUT"},
		{"HEAD", "/api/stores/" + id + "/rebrand", 405, "PUT"},
		{"PATCH", "/api/baskets/" + id, 405, "DELETE, GET, HEAD"},
		{"GET", "/api/depot/bots/" + id + "/claim", 405, "POST"},
		{"DELETE", "/healthz", 405, "GET, HEAD"},
		{"GET", "/api/stores/not-a-uuid", 400, ""},
		{"GET", "/api/stores/a%2Fb", 400, ""},
		{"GET", "/api/stores/%2e%2e", 400, ""},
		{"GET", "/api/stores/%2e%2e/x", 404, ""},
		{"GET", "/api/stores/", 404, ""},
		{"GET", "/API/stores", 404, ""},
		{"GET", "/api/stores/" + id + "/", 404, ""},
		{"GET", "/api/stores/" + strings.Repeat("a", 5000), 400, ""},
	} {
		status, hdr, body := s.rawDo(tc.method, tc.path, "", nil)
		if status != tc.status || hdr.Get("Allow") != tc.allow || (tc.method != "HEAD" && !isProblem(hdr)) {
			t.Errorf("%s %s = %d Allow %q %s, want a %d problem with Allow %q", tc.method, tc.path, status, hdr.Get("Allow"), body, tc.status, tc.allow)
		}
	}
	// ".." and "//" are cleaned by a 307 to the same method on the clean path.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]string{"/api/stores/../stores": "/api/stores", "/api//stores?x=1": "/api/stores?x=1"} {
		req, _ := http.NewRequest("GET", s.base+path, nil)
		req.URL.Opaque, _, _ = strings.Cut(path, "?") // keep the dots for the server to see
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != want {
			t.Errorf("GET %s = %d Location %q, want 307 to %s", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
}

// closedByServer reads conn until the server closes it, failing the test
// when that takes longer than a generous safety deadline. It returns what
// the server sent meanwhile.
func closedByServer(t *testing.T, conn net.Conn, what string) string {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	_, err := io.Copy(&got, conn)
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		t.Fatalf("%s: the server still holds the connection (got %q)", what, got.String())
	}
	return got.String()
}

// TestServeCutsOffSlowAndIdleClients: with short configured timeouts, a
// client trickling a body is cut off after the read timeout, an idle
// keep-alive connection is closed after the idle timeout, and a body
// declared larger than the limit is refused at once with 413.
func TestServeCutsOffSlowAndIdleClients(t *testing.T) {
	s := startSystemWith(t, func(c *config.Config) {
		c.HTTP.ReadHeaderTimeout, c.HTTP.ReadTimeout, c.HTTP.IdleTimeout = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
	}, "stores")
	addr := strings.TrimPrefix(s.base, "http://")
	dial := func() net.Conn {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}

	t.Run("slow body", func(t *testing.T) {
		// 1,000 bytes declared, one sent every 100 ms: the writer would need
		// 100 s; the server must hang up long before.
		slow := dial()
		fmt.Fprint(slow, "POST /api/stores HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for range 1000 {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := slow.Write([]byte(" ")); err != nil {
					return
				}
			}
		}()
		closedByServer(t, slow, "slow body")
	})
	t.Run("idle keep-alive connection", func(t *testing.T) {
		idle := dial()
		fmt.Fprint(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
		if err != nil || resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("first request on the keep-alive connection: %v %v", resp, err)
		}
		resp.Body.Close()
		closedByServer(t, idle, "idle keep-alive connection")
	})
	t.Run("body declared above the limit", func(t *testing.T) {
		big := dial()
		fmt.Fprint(big, "POST /api/stores HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
		if got := closedByServer(t, big, "oversized body"); !strings.HasPrefix(got, "HTTP/1.1 413 ") || !strings.Contains(got, "application/problem+json") {
			t.Errorf("oversized body answered %q, want a 413 problem", got)
		}
	})
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count returns how many logged lines contain every one of parts.
func (b *syncBuffer) count(parts ...string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for line := range strings.Lines(b.buf.String()) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// TestReadyzSaysWhatIsDownAndNothingMore runs serve as a role of its own,
// then forbids that role to log in: /readyz answers 503 with
// "database":"unreachable" and not the role, the database or the address
// pgx's error names; the reason is logged at WARN once, not per probe, and
// without the DSN's password; letting the role in again makes it ready,
// logged once.
func TestReadyzSaysWhatIsDownAndNothingMore(t *testing.T) {
	testkit.Require(t, "PostgreSQL", testkit.DatabaseURL)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, testkit.DatabaseURLFor("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(ctx) })
	role, dbName := testkit.Name("mallbots_readyz"), testkit.Name("mallbots_readyz_db")
	exec := func(sql string) {
		t.Helper()
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE ROLE " + role + " LOGIN CREATEDB PASSWORD '" + password + "'")
	t.Cleanup(func() { // after serve stopped (cleanups run last first)
		exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)")
		exec("DROP ROLE IF EXISTS " + role)
	})
	u, _ := url.Parse(testkit.DatabaseURL)
	dataSource := fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=%s sslmode=disable", u.Hostname(), u.Port(), role, password, dbName)

	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	db, dsn := testkit.Database(t)
	s := startProcessLogging(t, logger, db, dsn, testkit.VHost(t), func(c *config.Config) { c.DatabaseURL = dataSource }, "stores")

	exec("ALTER ROLE " + role + " NOLOGIN")
	exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + role + "'")
	var body string
	testkit.Eventually(t, 10*time.Second, "/readyz answers 503", func() bool {
		var status int
		status, _, body = s.rawDo("GET", "/readyz", "", nil)
		return status == http.StatusServiceUnavailable
	})
	for range 3 {
		_, _, body = s.rawDo("GET", "/readyz", "", nil)
	}
	if !strings.Contains(body, `"database":"unreachable"`) {
		t.Errorf("/readyz = %s, want database unreachable", body)
	}
	for _, secret := range []string{role, dbName, u.Host, u.Port(), password, "user=", "failed to connect"} {
		if strings.Contains(body, secret) {
			t.Errorf("/readyz leaks %q: %s", secret, body)
		}
	}
	if n := logs.count(`"level":"WARN"`, "readiness check failing", `"check":"database"`); n != 1 {
		t.Errorf("logged the failing database check %d times over 4+ probes, want once", n)
	}
	if logs.count(password) != 0 {
		t.Error("the log holds the DSN's password")
	}

	exec("ALTER ROLE " + role + " LOGIN")
	testkit.Eventually(t, 10*time.Second, "/readyz answers 200 again", func() bool {
		status, _, _ := s.rawDo("GET", "/readyz", "", nil)
		return status == http.StatusOK
	})
	s.rawDo("GET", "/readyz", "", nil)
	if n := logs.count("readiness check passing again", `"check":"database"`); n != 1 {
		t.Errorf("logged the recovery %d times, want once", n)
	}
}
