package config_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/config"
)

func TestDefaultIsValid(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatalf("defaults must be valid: %v", err)
	}
}

func TestValidateReportsEveryProblemWithoutPasswords(t *testing.T) {
	c := config.Default()
	c.DatabaseURL = "mysql://root:hunter2@db/x"
	c.AMQPURL = "http://guest:hunter2@mq/"
	c.HTTPAddr = "8080"
	c.LogFormat = "xml"
	c.Retry.Multiplier = 0.5
	c.Relay.BatchSize = 0
	err := c.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	msg := err.Error()
	for _, want := range []string{"MALLBOTS_DATABASE_URL", "MALLBOTS_AMQP_URL", "MALLBOTS_HTTP_ADDR", "MALLBOTS_LOG_FORMAT", "multiplier", "batch size"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("error leaks a password:\n%s", msg)
	}
}

func TestApplyEnvSkipsFlagsAndReportsMalformedValues(t *testing.T) {
	c := config.Default()
	env := map[string]string{
		"MALLBOTS_HTTP_ADDR":         ":9090",
		"MALLBOTS_SERVICES":          "stores, baskets",
		"MALLBOTS_RETRY_MAX_ELAPSED": "1m",
		"MALLBOTS_AMQP_URL":          "amqp://from-env/",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	skip := func(f config.Field) bool { return f.Flag == "amqp-url" } // given as a flag
	if err := c.ApplyEnv(lookup, skip); err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":9090" || len(c.Services) != 2 || c.Services[1] != "baskets" || c.Retry.MaxElapsedTime.String() != "1m0s" {
		t.Errorf("env not applied: %+v", c)
	}
	if c.AMQPURL != config.Default().AMQPURL {
		t.Errorf("env overrode a flag: AMQPURL = %q", c.AMQPURL)
	}
	env = map[string]string{"MALLBOTS_PREFETCH": "many", "MALLBOTS_HANDLER_TIMEOUT": "soon"}
	err := c.ApplyEnv(lookup, nil)
	if err == nil || !strings.Contains(err.Error(), "MALLBOTS_PREFETCH") || !strings.Contains(err.Error(), "MALLBOTS_HANDLER_TIMEOUT") {
		t.Errorf("malformed values not all reported: %v", err)
	}
}

func TestReadmeDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	c := config.Default()
	for _, f := range c.Fields() {
		if !strings.Contains(string(readme), "`"+f.Env+"`") || !strings.Contains(string(readme), "`--"+f.Flag+"`") {
			t.Errorf("README's configuration table lacks %s / --%s", f.Env, f.Flag)
		}
	}
}

func TestValidateAcceptsBothDSNForms(t *testing.T) {
	for _, tc := range []struct {
		dsn, problem string // problem "" means valid
	}{
		{"postgres://u:pw@db:5432/x?sslmode=disable", ""},
		{"postgresql://db/x", ""},
		{"host=db port=5432 user=u password='a b' dbname=x sslmode=disable", ""},
		{"postgres://db/", "names no database"},
		{"host=db user=u password=hunter2", "names no database"},
		{"host=db password='hunter2 dbname=x", "must look like"},
		{"db:5432", "must look like"},
	} {
		c := config.Default()
		c.DatabaseURL = tc.dsn
		err := c.Validate()
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%q rejected: %v", tc.dsn, err)
		case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
			t.Errorf("%q: error %v, want %q", tc.dsn, err, tc.problem)
		case err != nil && strings.Contains(err.Error(), "hunter2"):
			t.Errorf("%q: error leaks the password: %v", tc.dsn, err)
		}
	}
}

func TestRetryWaitsAndReconnectBackoff(t *testing.T) {
	c := config.Default()
	env := map[string]string{"MALLBOTS_RETRY_WAITS": " 100ms, 2s ,1m", "MALLBOTS_RECONNECT_MAX_BACKOFF": "500ms"}
	if err := c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, nil); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(c.Retry.Waits); got != "[100ms 2s 1m0s]" || c.Broker.ReconnectMaxBackoff != 500*time.Millisecond {
		t.Fatalf("waits %s, reconnect backoff %s; want [100ms 2s 1m0s] and 500ms", got, c.Broker.ReconnectMaxBackoff)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("valid waits refused: %v", err)
	}
	for _, tc := range []struct {
		waits []time.Duration
		want  string
	}{
		{nil, "must list 1 to 8 durations"},
		{[]time.Duration{time.Second, time.Second}, "must grow"},
		{[]time.Duration{20*time.Millisecond + 500*time.Microsecond}, "whole milliseconds"},
		{[]time.Duration{time.Millisecond}, "between 10ms and 1h"},
	} {
		c := config.Default()
		c.Retry.Waits = tc.waits
		c.Broker.ReconnectMaxBackoff = 0
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "MALLBOTS_RETRY_WAITS") || !strings.Contains(err.Error(), tc.want) ||
			!strings.Contains(err.Error(), "MALLBOTS_RECONNECT_MAX_BACKOFF") {
			t.Errorf("waits %v and no reconnect backoff: %v; want both reported, the waits with %q", tc.waits, err, tc.want)
		}
	}
	if err := c.ApplyEnv(func(k string) (string, bool) { return "1s,soon", k == "MALLBOTS_RETRY_WAITS" }, nil); err == nil ||
		!strings.Contains(err.Error(), "MALLBOTS_RETRY_WAITS") {
		t.Errorf("malformed waits accepted: %v", err)
	}
}

// TestManagementEndpoint derives the management API's URL from the AMQP URL
// unless one is given, taking the AMQP URL's credentials when it has none.
func TestManagementEndpoint(t *testing.T) {
	for _, tc := range []struct {
		amqp, management, want string
	}{
		{"amqp://guest:guest@127.0.0.1:5672/", "", "http://guest:guest@127.0.0.1:15672/"},
		{"amqp://app:s3cret@mq.internal:5672/shop", "", "http://app:s3cret@mq.internal:15672/"},
		{"amqps://app:s3cret@mq.internal/shop", "", "https://app:s3cret@mq.internal:15671/"},
		{"amqp://[::1]:5672/", "", "http://guest:guest@[::1]:15672/"},
		{"amqp://app:s3cret@mq:5672/", "https://rabbit.example/admin", "https://app:s3cret@rabbit.example/admin"},
		{"amqp://app:s3cret@mq:5672/", "http://monitor:m0n@mq:15672", "http://monitor:m0n@mq:15672"},
	} {
		c := config.Default()
		c.AMQPURL, c.Status.ManagementURL = tc.amqp, tc.management
		if err := c.Validate(); err != nil {
			t.Errorf("%s, %q: %v", tc.amqp, tc.management, err)
		}
		if got := c.ManagementEndpoint(); got != tc.want {
			t.Errorf("ManagementEndpoint(%s, %q) = %s, want %s", tc.amqp, tc.management, got, tc.want)
		}
	}
}

func TestValidateStatusSettings(t *testing.T) {
	for _, tc := range []struct {
		management string
		stuckAfter time.Duration
		problem    string // "" means valid
	}{
		{"", 10 * time.Second, ""},
		{"http://mq:15672/prefix/", time.Second, ""},
		{"http://guest:hunter2@mq:15672", 24 * time.Hour, ""},
		{"ftp://guest:hunter2@mq", 10 * time.Second, "must look like http://user:password@host:15672"},
		{"mq:15672", 10 * time.Second, "must look like"},
		{"http://guest:hunter2@mq:15672?vhost=x", 10 * time.Second, "must have no query or fragment"},
		{"", 999 * time.Millisecond, "MALLBOTS_RELAY_STUCK_AFTER"},
		{"", 25 * time.Hour, "must be between 1s and 24h"},
	} {
		c := config.Default()
		c.Status.ManagementURL, c.Status.StuckAfter = tc.management, tc.stuckAfter
		err := c.Validate()
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%q, %s rejected: %v", tc.management, tc.stuckAfter, err)
		case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
			t.Errorf("%q, %s: error %v, want %q", tc.management, tc.stuckAfter, err, tc.problem)
		case err != nil && strings.Contains(err.Error(), "hunter2"):
			t.Errorf("%q: error leaks the password: %v", tc.management, err)
		}
	}
}
