package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/config"
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
}

// startSystem runs serve with the given services (all when none) and waits
// until it answers /readyz.
func startSystem(t *testing.T, services ...string) *system {
	t.Helper()
	db, dsn := testkit.Database(t)
	vhost := testkit.VHost(t)
	cfg := config.Default()
	cfg.DatabaseURL, cfg.AMQPURL, cfg.HTTPAddr, cfg.Services = dsn, vhost, "127.0.0.1:0", services
	cfg.Retry.InitialInterval, cfg.Retry.MaxInterval, cfg.Retry.MaxElapsedTime = 20*time.Millisecond, 200*time.Millisecond, 5*time.Second
	cfg.ShutdownTimeout = 10 * time.Second

	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, testkit.Logger(t), listening) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v after shutdown", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not shut down within 30s")
		}
	})
	var addr string
	select {
	case addr = <-listening:
	case err := <-done:
		t.Fatalf("serve failed to start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start within 60s")
	}
	s := &system{t: t, base: "http://" + addr, db: db, amqpURL: vhost, cfg: cfg}
	testkit.Eventually(t, 10*time.Second, "/readyz answers 200", func() bool {
		status, _, _ := s.do(http.MethodGet, "/readyz", "", nil)
		return status == http.StatusOK
	})
	return s
}

// do sends one request and returns the status, the decoded JSON body and the
// response headers.
func (s *system) do(method, path, body string, header http.Header) (int, map[string]any, http.Header) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, resp.Header
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

func TestServeEndToEndStoresCustomersBasketsCaches(t *testing.T) {
	s := startSystem(t)
	productAdded := s.tap("stores.ProductAdded")

	const corr = "e2e-correlation-1"
	hdr := http.Header{"X-Correlation-Id": {corr}}
	storeID := s.mustCreate("/api/stores", `{"name":"Robo Parts","location":"Level 1"}`, hdr)
	status, out, respHdr := s.do(http.MethodPost, "/api/stores/"+storeID+"/products",
		`{"name":"Servo","description":"A small servo","sku":"SRV-1","price":9.99}`, hdr)
	if status != http.StatusCreated {
		t.Fatalf("add product = %d %v", status, out)
	}
	productID := out["id"].(string)
	if got := respHdr.Get("X-Correlation-ID"); got != corr {
		t.Errorf("response X-Correlation-ID = %q, want %q", got, corr)
	}
	requestID := respHdr.Get("X-Request-ID")
	if status, out, _ := s.do(http.MethodPut, "/api/stores/products/"+productID+"/increasePrice", `{"price":1.01}`, nil); status != http.StatusOK {
		t.Fatalf("increase price = %d %v", status, out)
	}
	customerID := s.mustCreate("/api/customers", `{"name":"Ada","smsNumber":"+1 555 123 4567"}`, nil)
	if status, out, _ := s.do(http.MethodPut, "/api/customers/"+customerID+"/disable", "", nil); status != http.StatusOK {
		t.Fatalf("disable customer = %d %v", status, out)
	}

	// The baskets caches fill from the events, through RabbitMQ.
	testkit.Eventually(t, 10*time.Second, "baskets caches hold the store, the product at its new price and the disabled customer", func() bool {
		var storeName, productName string
		var price int64
		var enabled bool
		err := s.db.Pool.QueryRow(context.Background(), `SELECT
			(SELECT name FROM baskets.stores_cache WHERE id = $1),
			(SELECT name FROM baskets.products_cache WHERE id = $2),
			(SELECT price FROM baskets.products_cache WHERE id = $2),
			(SELECT enabled FROM baskets.customers_cache WHERE id = $3)`, storeID, productID, customerID).
			Scan(&storeName, &productName, &price, &enabled)
		return err == nil && storeName == "Robo Parts" && productName == "Servo" && price == 1100 && !enabled
	})

	select {
	case d := <-productAdded:
		want := map[string]string{"name": "stores.ProductAdded", "correlation_id": corr, "causation_id": requestID, "producer": "stores"}
		for k, v := range want {
			if got, _ := d.Headers[k].(string); got != v {
				t.Errorf("ProductAdded header %s = %q, want %q", k, got, v)
			}
		}
		if id, _ := d.Headers["message_id"].(string); id == "" || id != d.MessageId {
			t.Errorf("message_id header %q and property %q must both carry the event ID", id, d.MessageId)
		}
		var body struct {
			ProductID string `json:"productId"`
			Price     int64  `json:"price"`
		}
		if err := json.Unmarshal(d.Body, &body); err != nil || body.ProductID != productID || body.Price != 999 {
			t.Errorf("ProductAdded body = %s (%v), want product %s at 999 cents", d.Body, err, productID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no ProductAdded reached a queue bound to its exchange")
	}

	// Bad input is a problem document, never a 500.
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{http.MethodPost, "/api/stores", `{"name":"","location":"x"}`, http.StatusUnprocessableEntity},
		{http.MethodPost, "/api/stores", `{"name":"x","location":"y","extra":1}`, http.StatusBadRequest},
		{http.MethodPost, "/api/stores/" + storeID + "/products", `{"name":"x","price":1.999}`, http.StatusUnprocessableEntity},
		{http.MethodGet, "/api/stores/not-a-uuid", "", http.StatusBadRequest},
		{http.MethodGet, "/api/customers/" + storeID, "", http.StatusNotFound},
		{http.MethodPut, "/api/customers/" + customerID + "/disable", "", http.StatusConflict},
	} {
		status, out, hdr := s.do(tc.method, tc.path, tc.body, nil)
		if status != tc.want || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s %s = %d (%s) %v, want %d problem+json", tc.method, tc.path, status, hdr.Get("Content-Type"), out, tc.want)
		}
	}

	// Metrics expose the relay and Watermill's handler metrics.
	resp, err := http.Get(s.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"mallbots_outbox_relayed_total", "mallbots_handler_execution_time_seconds", "mallbots_http_requests_total"} {
		if !bytes.Contains(metrics, []byte(name)) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

func TestTopologyMatchesTheBrokerAfterServe(t *testing.T) {
	s := startSystem(t, "stores")
	var out, errb bytes.Buffer
	t.Setenv("MALLBOTS_AMQP_URL", s.amqpURL)
	err := Execute([]string{"topology", "--check"}, &out, &errb)
	if err != nil {
		t.Fatalf("topology --check: %v\n%s%s", err, out.String(), errb.String())
	}
	for _, name := range []string{"stores.ProductAdded", "baskets.OnProductAdded", "baskets.poison", "stores.poison"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("topology output lacks %s:\n%s", name, out.String())
		}
	}
	if !strings.Contains(out.String(), "broker check: all") {
		t.Errorf("topology --check did not confirm the broker:\n%s", out.String())
	}
	// Bindings are not visible to passive declares; ask the management API.
	vhost := s.amqpURL[strings.LastIndex(s.amqpURL, "/")+1:]
	body := testkit.Management(t, http.MethodGet, fmt.Sprintf("/api/bindings/%s/e/%s/q/%s", vhost, "stores.ProductAdded", "baskets.OnProductAdded"))
	if !bytes.Contains(body, []byte(`"destination":"baskets.OnProductAdded"`)) {
		t.Errorf("binding stores.ProductAdded → baskets.OnProductAdded missing: %s", body)
	}
	queue := testkit.Management(t, http.MethodGet, fmt.Sprintf("/api/queues/%s/%s", vhost, "baskets.OnProductAdded"))
	for _, want := range []string{`"x-queue-type":"quorum"`, `"x-dead-letter-exchange":"baskets.poison"`, `"x-delivery-limit":20`} {
		if !bytes.Contains(queue, []byte(want)) {
			t.Errorf("queue baskets.OnProductAdded lacks %s: %s", want, queue)
		}
	}
}

func TestCommandLineUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		env      map[string]string
		wantCode int
		wantErr  string
	}{
		{[]string{"serve", "--service=nope,stores"}, nil, 2, "unknown service nope; valid services are: stores, customers, baskets"},
		{[]string{"frobnicate"}, nil, 2, "unknown command"},
		{[]string{"serve", "--no-such-flag"}, nil, 2, "unknown flag"},
		{[]string{"serve", "--retry-max-retries=lots"}, nil, 2, "not a whole number"},
		{[]string{"serve"}, map[string]string{"MALLBOTS_AMQP_URL": "http://guest:s3cret@x/", "MALLBOTS_HTTP_ADDR": "nope"}, 2, "MALLBOTS_HTTP_ADDR"},
		{[]string{"topology", "--service=stores"}, nil, 0, ""},
		{[]string{"version"}, nil, 0, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var out, errb bytes.Buffer
			err := Execute(tc.args, &out, &errb)
			if got := ExitCode(err); got != tc.wantCode {
				t.Fatalf("exit code = %d (%v), want %d", got, err, tc.wantCode)
			}
			if !strings.Contains(errb.String(), tc.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", errb.String(), tc.wantErr)
			}
			if strings.Contains(errb.String(), "s3cret") {
				t.Errorf("stderr leaks a password: %q", errb.String())
			}
		})
	}
}
