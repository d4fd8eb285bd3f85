// Package testkit gives integration tests real, isolated infrastructure: a
// fresh migrated PostgreSQL database per test, a RabbitMQ connection, unique
// names, and polling with a deadline. With CI=true a missing server fails the
// test; elsewhere it skips it. It also holds the HTTP request and response
// assertions the handlers' httptest tests share (http.go), and what the
// messaging packages' tests share: AMQP channels and clean-up (amqp.go), a
// service schema with events in its outbox (outbox.go), a running consumer
// router (consumer.go).
package testkit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/migrations"
	"github.com/mallbots/mallbots/postgres"
)

// Server URLs, overridable with the application's own variables.
var (
	DatabaseURL = envOr("MALLBOTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mallbots?sslmode=disable")
	AMQPURL     = envOr("MALLBOTS_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Require fails (CI=true) or skips the test when host:port of rawURL does not
// accept TCP connections.
func Require(t testing.TB, what, rawURL string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse %s URL: %v", what, err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err == nil {
		conn.Close()
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not reachable at %s (CI=true: a missing server is a failure; run `make services`): %v", what, u.Host, err)
	}
	t.Skipf("%s is not reachable at %s: %v (run `make services`)", what, u.Host, err)
}

// ClosedAddr returns a loopback host:port nothing listens on, for tests of
// a server that is down.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Name returns a unique lowercase name with prefix, usable as a database,
// schema, service or queue name.
func Name(prefix string) string {
	return prefix + "_" + strings.ReplaceAll(uuid.NewString()[:13], "-", "")
}

// DatabaseURLFor returns DatabaseURL pointing at database name.
func DatabaseURLFor(name string) string {
	u, _ := url.Parse(DatabaseURL)
	u.Path = "/" + name
	return u.String()
}

// Database creates a fresh database, migrates it and returns a pool on it;
// the database is dropped when the test ends.
func Database(t testing.TB) (*postgres.DB, string) {
	t.Helper()
	Require(t, "PostgreSQL", DatabaseURL)
	name := Name("mallbots_test")
	dsn := DatabaseURLFor(name)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := postgres.Connect(ctx, dsn, Logger(t))
	if err != nil {
		t.Fatalf("connect test database: %v", err)
	}
	if _, err := migrations.Migrate(ctx, db.Pool); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		dropDatabase(t, name)
	})
	return db, dsn
}

func dropDatabase(t testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, DatabaseURLFor("postgres"))
	if err != nil {
		t.Logf("drop test database %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pgx.Identifier{name}.Sanitize())); err != nil {
		t.Logf("drop test database %s: %v", name, err)
	}
}

// Broker returns a RabbitMQ connection closed when the test ends.
func Broker(t testing.TB) *wamqp.ConnectionWrapper {
	t.Helper()
	Require(t, "RabbitMQ", AMQPURL)
	return BrokerAt(t, AMQPURL)
}

// Logger returns a logger that writes to the test log at warn level and
// above (set MALLBOTS_TEST_LOG=debug to see everything).
func Logger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("MALLBOTS_TEST_LOG") == "debug" {
		level = slog.LevelDebug
	}
	w := &testWriter{t: t}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// testWriter forwards to t.Log until the test ends; background goroutines
// that log later must not panic the test binary.
type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// Discard is a logger that drops everything.
var Discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// Eventually polls cond every 20 ms until it returns true, failing the test
// with msg when timeout passes first.
func Eventually(t testing.TB, timeout time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not true within %s: %s", timeout, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
