package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/postgres"
)

// binary is the mallbots executable TestMain builds.
var binary string

// recordSources looks at every file of the module once, from inside a test.
// go test caches a package's result keyed by the files its tests consult;
// the build in TestMain is invisible to it (and happens before the test log
// starts), so without this a change to cmd would replay a stale result.
var recordSources = sync.OnceFunc(func() {
	_ = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && path != ".." && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			_, _ = os.Stat(path)
		}
		return nil
	})
})

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mallbots-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mallbots")
	build := exec.Command("go", "build", "-o", binary, "github.com/mallbots/mallbots")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build mallbots:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// system is a `mallbots serve` process on its own database and vhost.
type system struct {
	t       *testing.T
	base    string
	db      *postgres.DB
	amqpURL string
	env     []string
	conn    *amqp.Connection
}

// servingLine is serve's log line once it accepts requests.
var servingLine = regexp.MustCompile(`msg="mallbots is serving" http=(\S+)`)

// startServe runs the binary's serve with the given services and short
// retry settings, so a message that keeps failing is poisoned within a
// second or two; settings (MALLBOTS_*=value) override those. It waits until
// /readyz answers.
func startServe(t *testing.T, services string, settings ...string) *system {
	t.Helper()
	recordSources()
	db, dsn := testkit.Database(t)
	vhost := testkit.VHost(t)
	s := &system{t: t, db: db, amqpURL: vhost, env: []string{
		"MALLBOTS_DATABASE_URL=" + dsn,
		"MALLBOTS_AMQP_URL=" + vhost,
		"MALLBOTS_CONNECT_TIMEOUT=20s",
		"MALLBOTS_LOG_LEVEL=info",
		"USER=e2e-operator",
	}}
	serve := exec.Command(binary, "serve")
	serve.Env = append(s.environ(),
		"MALLBOTS_HTTP_ADDR=127.0.0.1:0",
		"MALLBOTS_SERVICES="+services,
		"MALLBOTS_RETRY_MAX_RETRIES=2",
		"MALLBOTS_RETRY_INITIAL_INTERVAL=10ms",
		"MALLBOTS_RETRY_MAX_INTERVAL=50ms",
		"MALLBOTS_RETRY_MAX_ELAPSED=2s",
		"MALLBOTS_RETRY_JITTER=0",
		"MALLBOTS_SHUTDOWN_TIMEOUT=10s",
	)
	serve.Env = append(serve.Env, settings...)
	stderr, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	var logMu sync.Mutex
	var log []string
	addr := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			logMu.Lock()
			log = append(log, sc.Text())
			logMu.Unlock()
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { <-scanned; done <- serve.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve exited with %v after SIGTERM", err)
			}
		case <-time.After(30 * time.Second):
			_ = serve.Process.Kill()
			t.Error("serve did not stop within 30s of SIGTERM")
		}
		if t.Failed() {
			logMu.Lock()
			t.Logf("serve log:\n%s", strings.Join(log, "\n"))
			logMu.Unlock()
		}
	})
	select {
	case a := <-addr:
		s.base = "http://" + a
	case <-scanned:
		t.Fatalf("serve exited before serving:\n%s", strings.Join(log, "\n"))
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start within 60s")
	}
	testkit.Eventually(t, 10*time.Second, "/readyz answers 200", func() bool {
		resp, err := http.Get(s.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// environ is the process environment without MALLBOTS_* settings, plus the
// system's own.
func (s *system) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MALLBOTS_") && !strings.HasPrefix(kv, "USER=") {
			env = append(env, kv)
		}
	}
	return append(env, s.env...)
}

// result is one finished run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// mallbots runs the binary with args against the system, stdin not a
// terminal, as an operator's script would.
func (s *system) mallbots(args ...string) result {
	s.t.Helper()
	return run(s.t, s.environ(), args...)
}

func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	recordSources()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run mallbots %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("$ mallbots %s → exit %d\n%s%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	return res
}

// must runs the binary and fails the test unless it exits 0.
func (s *system) must(args ...string) string {
	s.t.Helper()
	r := s.mallbots(args...)
	if r.code != 0 {
		s.t.Fatalf("mallbots %s exited %d:\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// channel opens an AMQP channel on the test's connection to the system's
// vhost; the caller closes it.
func (s *system) channel() *amqp.Channel {
	s.t.Helper()
	if s.conn == nil || s.conn.IsClosed() {
		conn, err := amqp.Dial(s.amqpURL)
		if err != nil {
			s.t.Fatal(err)
		}
		s.t.Cleanup(func() { conn.Close() })
		s.conn = conn
	}
	ch, err := s.conn.Channel()
	if err != nil {
		s.t.Fatal(err)
	}
	return ch
}

// queueLength returns how many ready messages queue holds.
func (s *system) queueLength(queue string) int {
	s.t.Helper()
	ch := s.channel()
	defer ch.Close()
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		s.t.Fatalf("inspect %s: %v", queue, err)
	}
	return q.Messages
}

// awaitQueue waits until queue holds n ready messages.
func (s *system) awaitQueue(queue string, n int) {
	s.t.Helper()
	testkit.Eventually(s.t, 30*time.Second, fmt.Sprintf("%s holds %d messages", queue, n), func() bool {
		return s.queueLength(queue) == n
	})
}

// tap binds a queue of the test's to topic's exchange, as another consumer
// of the topic, and returns its name; queueLength counts what it got.
func (s *system) tap(topic string) string {
	s.t.Helper()
	ch := s.channel()
	defer ch.Close()
	q, err := ch.QueueDeclare("tap."+topic, true, false, false, false, nil)
	if err == nil {
		err = ch.QueueBind(q.Name, "", topic, false, nil)
	}
	if err != nil {
		s.t.Fatalf("tap %s: %v", topic, err)
	}
	return q.Name
}

// publish sends ev to its exchange as a relay would and returns its ID (a
// fresh UUIDv7).
func (s *system) publish(ev events.Event) string {
	s.t.Helper()
	body, err := json.Marshal(ev)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.publishRaw(ev.EventName(), body)
}

// publishRaw sends body to topic's exchange with the mallbots headers.
func (s *system) publishRaw(topic string, body []byte) string {
	s.t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	s.send(topic, amqp.Publishing{
		MessageId: id, ContentType: "application/json", DeliveryMode: amqp.Persistent,
		Headers: amqp.Table{"message_id": id, "name": topic, "correlation_id": "corr-" + id, "causation_id": "cause-" + id, "producer": "e2e"},
		Body:    body,
	})
	return id
}

// send publishes pub to exchange with a confirm.
func (s *system) send(exchange string, pub amqp.Publishing) {
	s.t.Helper()
	ch := s.channel()
	defer ch.Close()
	if err := ch.Confirm(false); err != nil {
		s.t.Fatal(err)
	}
	dc, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), exchange, "", true, false, pub)
	if err != nil {
		s.t.Fatalf("publish to %s: %v", exchange, err)
	}
	if ok, err := dc.WaitContext(context.Background()); !ok || err != nil {
		s.t.Fatalf("publish to %s not confirmed: %v", exchange, err)
	}
}

// count returns the integer a query selects.
func (s *system) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// rows returns the single text column a query selects, row by row.
func (s *system) rows(query string, args ...any) []string {
	s.t.Helper()
	rs, err := s.db.Pool.Query(context.Background(), query, args...)
	if err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var v string
		if err := rs.Scan(&v); err != nil {
			s.t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rs.Err(); err != nil {
		s.t.Fatal(err)
	}
	return out
}

// do sends an HTTP request with a JSON body and decodes the JSON answer.
func (s *system) do(method, path, body string) map[string]any {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		s.t.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, raw)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

// tableIDs returns the message IDs of the rows of a --dry-run table.
func tableIDs(out string) []string {
	var ids []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && uuidLike.MatchString(f[0]) {
			ids = append(ids, f[0])
		}
	}
	return ids
}

var uuidLike = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
