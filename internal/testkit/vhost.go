package testkit

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// ManagementURL is the RabbitMQ management API, overridable for tests.
var ManagementURL = envOr("MALLBOTS_RABBITMQ_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672")

// VHost creates a fresh RabbitMQ virtual host, grants the AMQPURL user all
// rights on it, and returns an AMQP URL for it; the vhost (and every queue
// in it) is deleted when the test ends. Tests that run the real services use
// it, because their queue names are fixed.
func VHost(t testing.TB) string {
	t.Helper()
	Require(t, "RabbitMQ", AMQPURL)
	Require(t, "RabbitMQ management API", ManagementURL)
	name := Name("mallbots_test")
	user := "guest"
	if u, err := url.Parse(AMQPURL); err == nil && u.User != nil {
		user = u.User.Username()
	}
	management(t, http.MethodPut, "/api/vhosts/"+url.PathEscape(name), "")
	management(t, http.MethodPut, "/api/permissions/"+url.PathEscape(name)+"/"+url.PathEscape(user),
		`{"configure":".*","write":".*","read":".*"}`)
	t.Cleanup(func() {
		if os.Getenv("MALLBOTS_KEEP_VHOSTS") == "" {
			management(t, http.MethodDelete, "/api/vhosts/"+url.PathEscape(name), "")
		}
	})
	u, _ := url.Parse(AMQPURL)
	u.Path = "/" + name
	return u.String()
}

// Management sends one request to the RabbitMQ management API and returns
// the response body, failing the test on a non-2xx status.
func Management(t testing.TB, method, path string) []byte {
	t.Helper()
	return management(t, method, path, "")
}

func management(t testing.TB, method, path, body string) []byte {
	t.Helper()
	base, err := url.Parse(ManagementURL)
	if err != nil {
		t.Fatalf("parse management URL: %v", err)
	}
	user := base.User
	base.User = nil
	req, err := http.NewRequest(method, strings.TrimRight(base.String(), "/")+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("management request: %v", err)
	}
	if user != nil {
		pw, _ := user.Password()
		req.SetBasicAuth(user.Username(), pw)
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("management API %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("management API %s %s: read body: %v", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("management API %s %s: %s: %s", method, path, resp.Status, b)
	}
	return b
}
