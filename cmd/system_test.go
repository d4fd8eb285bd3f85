package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/postgres"
)

// system is one in-process `mallbots serve` on its own database and vhost.
type system struct {
	t       *testing.T
	base    string
	db      *postgres.DB
	amqpURL string
	cfg     config.Config
	// stop shuts the process down gracefully and waits for it, as SIGTERM
	// would; the test's cleanup calls it too, and only the first call acts.
	stop func()
	// warnings holds every line the process logged at warn level or above.
	warnings *logLines
}

// logLines collects log output, safe for the process's goroutines.
type logLines struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns what was logged so far.
func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// in returns s for subtest t: its helpers then fail t, not the test that
// started s.
func (s *system) in(t *testing.T) *system {
	c := *s
	c.t = t
	return &c
}

// startSystem runs serve with the given services (all when none) and waits
// until it answers /readyz.
func startSystem(t *testing.T, services ...string) *system {
	t.Helper()
	return startSystemWith(t, nil, services...)
}

// startSystemWith is startSystem with tune, when not nil, adjusting the
// configuration (the retry policy, say) before serve starts.
func startSystemWith(t *testing.T, tune func(*config.Config), services ...string) *system {
	t.Helper()
	db, dsn := testkit.Database(t)
	return startProcess(t, db, dsn, testkit.VHost(t), tune, services...)
}

// startProcess runs one more serve process with the given services on an
// existing database and vhost (another process's), as a deployment that
// splits services across processes, or runs one service twice, does; tune
// is as in startSystemWith.
func startProcess(t *testing.T, db *postgres.DB, dsn, vhost string, tune func(*config.Config), services ...string) *system {
	t.Helper()
	return startProcessLogging(t, testkit.Logger(t), db, dsn, vhost, tune, services...)
}

// startProcessLogging is startProcess with serve logging to logger, for
// tests that read what it logs.
func startProcessLogging(t *testing.T, logger *slog.Logger, db *postgres.DB, dsn, vhost string, tune func(*config.Config), services ...string) *system {
	t.Helper()
	cfg := config.Default()
	cfg.DatabaseURL, cfg.AMQPURL, cfg.HTTPAddr, cfg.Services = dsn, vhost, "127.0.0.1:0", services
	cfg.Retry.InitialInterval, cfg.Retry.MaxInterval, cfg.Retry.MaxElapsedTime = 20*time.Millisecond, 200*time.Millisecond, 5*time.Second
	// Two waits: every wait queue is a quorum queue on the shared broker.
	cfg.Retry.Waits = []time.Duration{100 * time.Millisecond, time.Second}
	cfg.ShutdownTimeout = 10 * time.Second
	if tune != nil {
		tune(&cfg)
	}

	warnings := &logLines{}
	logger = slog.New(slog.NewMultiHandler(logger.Handler(),
		slog.NewTextHandler(warnings, &slog.HandlerOptions{Level: slog.LevelWarn})))
	srv, err := NewServer(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := srv.Run(ctx); err != nil {
		t.Fatalf("serve failed to start within 60s: %v", err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			if err := closeWithin(srv, 30*time.Second); err != nil {
				t.Errorf("serve shutdown: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	s := &system{t: t, base: "http://" + srv.Addr(), db: db, amqpURL: vhost, cfg: cfg, stop: stop, warnings: warnings}
	testkit.Eventually(t, 10*time.Second, "/readyz answers 200", func() bool {
		status, _, _ := s.do(http.MethodGet, "/readyz", "", nil)
		return status == http.StatusOK
	})
	return s
}

// closeWithin closes srv and returns Close's error, or an error saying it
// did not return within timeout (a drain that hangs).
func closeWithin(srv *Server, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- srv.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("no return from Close within %s", timeout)
	}
}

// do sends one request and returns the status, the decoded JSON body and the
// response headers.
func (s *system) do(method, path, body string, header http.Header) (int, map[string]any, http.Header) {
	s.t.Helper()
	header = header.Clone()
	if body != "" {
		if header == nil {
			header = http.Header{}
		}
		header.Set("Content-Type", "application/json")
	}
	status, respHeader, raw := s.rawDo(method, path, body, header)
	var out map[string]any
	_ = json.Unmarshal([]byte(raw), &out)
	return status, out, respHeader
}

// rawDo sends one request with exactly the given path (escapes kept), body
// and headers, and returns the status, the headers and the body.
func (s *system) rawDo(method, path, body string, header http.Header) (int, http.Header, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

// mustCreate posts body to path and returns the new entity's ID.
func (s *system) mustCreate(path, body string, header http.Header) string {
	s.t.Helper()
	status, out, _ := s.do(http.MethodPost, path, body, header)
	if status != http.StatusCreated {
		s.t.Fatalf("POST %s = %d %v, want 201", path, status, out)
	}
	id, _ := out["id"].(string)
	if id == "" {
		s.t.Fatalf("POST %s returned no id: %v", path, out)
	}
	return id
}

// getEntity returns GET path's entity, the object under key.
func (s *system) getEntity(path, key string) map[string]any {
	s.t.Helper()
	status, out, _ := s.do(http.MethodGet, path, "", nil)
	if status != http.StatusOK {
		s.t.Fatalf("GET %s = %d %v", path, status, out)
	}
	v, _ := out[key].(map[string]any)
	return v
}

// openStore creates store name, takes it into bot shopping and returns its
// ID.
func (s *system) openStore(name string) string {
	s.t.Helper()
	id := s.mustCreate("/api/stores", `{"name":"`+name+`","location":"Level 1"}`, nil)
	if status, out, _ := s.do(http.MethodPut, "/api/stores/"+id+"/participating", "", nil); status != http.StatusOK {
		s.t.Fatalf("enable participation of store %s = %d %v", id, status, out)
	}
	return id
}

// tap binds a fresh exclusive queue to the exchange of topic, so the test
// sees what other services receive.
func (s *system) tap(topic string) <-chan amqp.Delivery {
	s.t.Helper()
	conn, err := amqp.Dial(s.amqpURL)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		s.t.Fatal(err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err == nil {
		err = ch.QueueBind(q.Name, "", topic, false, nil)
	}
	if err != nil {
		s.t.Fatalf("tap %s: %v", topic, err)
	}
	deliveries, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return deliveries
}

// publish sends ev to its exchange as a service's relay would: JSON payload,
// message_id (returned; a fresh UUIDv7 unless id is given), name and
// correlation_id headers; the message starts its own conversation, so its
// correlation ID is its ID. Publishing the same id twice is a redelivery.
func (s *system) publish(ev events.Event, id string) string {
	s.t.Helper()
	return s.publishCorrelated(ev, id, "")
}

// publishCorrelated is publish with the correlation_id header set to
// correlationID (the message's own ID when empty), as a service answering
// a message of that conversation would send it.
func (s *system) publishCorrelated(ev events.Event, id, correlationID string) string {
	s.t.Helper()
	body, err := json.Marshal(ev)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.send(ev.EventName(), "", ev.EventName(), id, correlationID, body)
}

// send publishes body to exchange with routing key key, with the headers
// a relay gives an event named name: message_id (id, or a fresh UUIDv7),
// name and correlation_id (correlationID, or the message's ID). It waits
// for the broker's confirm and returns the message ID.
func (s *system) send(exchange, key, name, id, correlationID string, body []byte) string {
	s.t.Helper()
	if id == "" {
		id = uuid.Must(uuid.NewV7()).String()
	}
	if correlationID == "" {
		correlationID = id
	}
	conn, err := amqp.Dial(s.amqpURL)
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		s.t.Fatal(err)
	}
	conf, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), exchange, key, true, false, amqp.Publishing{
		MessageId:    id,
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		Headers:      amqp.Table{"message_id": id, "name": name, "correlation_id": correlationID, "producer": "test"},
		Body:         body,
	})
	if err != nil {
		s.t.Fatalf("publish %s to %q/%q: %v", name, exchange, key, err)
	}
	if ok, err := conf.WaitContext(context.Background()); !ok || err != nil {
		s.t.Fatalf("publish %s not confirmed: %v", name, err)
	}
	return id
}

// count returns the single integer a SQL query selects, e.g. how many rows a
// consumer's effect wrote.
func (s *system) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// ready returns how many messages wait in queue for a consumer; a message a
// consumer holds (being handled or retried) no longer counts.
func (s *system) ready(queue string) int {
	s.t.Helper()
	conn, err := amqp.Dial(s.amqpURL)
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		s.t.Fatal(err)
	}
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		s.t.Fatalf("inspect queue %s: %v", queue, err)
	}
	return q.Messages
}

// poisoned waits up to timeout for a message in service's poison queue and
// takes it off the queue.
func (s *system) poisoned(service string, timeout time.Duration) amqp.Delivery {
	s.t.Helper()
	conn, err := amqp.Dial(s.amqpURL)
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		s.t.Fatal(err)
	}
	var d amqp.Delivery
	testkit.Eventually(s.t, timeout, service+".poison holds a message", func() bool {
		var ok bool
		d, ok, err = ch.Get(service+".poison", true)
		if err != nil {
			s.t.Fatalf("get from %s.poison: %v", service, err)
		}
		return ok
	})
	return d
}
