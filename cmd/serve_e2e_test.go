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

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/internal/testkit"
)

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
	var waits []string
	for _, w := range s.cfg.Retry.Waits {
		waits = append(waits, w.String())
	}
	t.Setenv("MALLBOTS_RETRY_WAITS", strings.Join(waits, ","))
	err := Execute([]string{"topology", "--check"}, &out, &errb)
	if err != nil {
		t.Fatalf("topology --check: %v\n%s%s", err, out.String(), errb.String())
	}
	wait := broker.WaitName("baskets", s.cfg.Retry.Waits[0])
	for _, name := range []string{"stores.ProductAdded", "baskets.OnProductAdded", "baskets.poison", "stores.poison", wait} {
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
	if strings.Contains(out.String(), "stores.wait.") {
		t.Errorf("stores consumes nothing, yet has wait queues:\n%s", out.String())
	}
	body = testkit.Management(t, http.MethodGet, fmt.Sprintf("/api/bindings/%s/e/%s/q/%s", vhost, wait, wait))
	if !bytes.Contains(body, []byte(`"destination":"`+wait+`"`)) {
		t.Errorf("binding %s → %s missing: %s", wait, wait, body)
	}
	queue = testkit.Management(t, http.MethodGet, fmt.Sprintf("/api/queues/%s/%s", vhost, wait))
	for _, want := range []string{`"x-queue-type":"quorum"`, `"x-dead-letter-exchange":""`, `"x-message-ttl":100`,
		`"x-dead-letter-strategy":"at-least-once"`, `"x-overflow":"reject-publish"`} {
		if !bytes.Contains(queue, []byte(want)) {
			t.Errorf("queue %s lacks %s: %s", wait, want, queue)
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
