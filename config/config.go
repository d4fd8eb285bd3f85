// Package config holds mallbots' settings: documented fields, defaults in one
// place, environment variables (MALLBOTS_*) under command-line flags, and one
// Validate that reports every problem at once. No globals; stdlib only.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mallbots/mallbots/dsn"
)

// Config is everything a mallbots process needs to run.
type Config struct {
	// DatabaseURL is the PostgreSQL DSN; the database is created if missing.
	DatabaseURL string
	// AMQPURL is the RabbitMQ URL.
	AMQPURL string
	// HTTPAddr is where the HTTP API, /healthz, /readyz and /metrics listen.
	// The default is loopback only: the API has no authentication of its own
	// (put it behind a reverse proxy that has, see README); containers set
	// 0.0.0.0:8080 explicitly.
	HTTPAddr string
	// HTTP bounds what one client may hold of the HTTP server.
	HTTP HTTPConfig
	// Services lists the services this process runs; empty means all.
	Services []string
	// LogFormat is "text" (for terminals) or "json" (for containers).
	LogFormat string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// PprofAddr, when set, is where Go's /debug/pprof endpoints listen, apart
	// from the API so they are never exposed with it; empty turns them off.
	PprofAddr string
	// IdempotencyRetention is how long an Idempotency-Key and its response
	// are kept to answer retries of the same POST.
	IdempotencyRetention time.Duration

	// Retry configures how a failed message is retried: in process, and
	// through the broker's wait queues when its data has not arrived yet.
	Retry RetryConfig
	// HandlerTimeout bounds one attempt of one message handler.
	HandlerTimeout time.Duration
	// Relay configures the outbox relay.
	Relay RelayConfig
	// Broker configures the RabbitMQ topology and connection.
	Broker BrokerConfig
	// ShutdownTimeout bounds the graceful drain of HTTP requests and in-flight messages.
	ShutdownTimeout time.Duration
	// Status configures how an operator's view of the system (`mallbots
	// status`, the console's overview) is read and judged.
	Status StatusConfig
}

// HTTPConfig bounds the time and memory one client may hold of the HTTP
// server, so slow or idle clients cannot exhaust its connections.
type HTTPConfig struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included, from the
	// first byte: a client sending more slowly is cut off.
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of the request's headers to
	// the end of the response.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that waits this long for
	// its next request.
	IdleTimeout time.Duration
	// MaxBodyBytes caps a request body on every route (413 above it); the
	// API's JSON bodies are a few KiB at most.
	MaxBodyBytes int
}

// maxBodyCeiling is the most httpapi.Decode ever reads of a body (1 MiB);
// a larger MaxBodyBytes would promise what the decoder refuses.
const maxBodyCeiling = 1 << 20

// RetryConfig sets every field of Watermill's Retry middleware explicitly
// (in-process retries, for brief blips) and the waits of a message that must
// wait for data that has not arrived yet.
type RetryConfig struct {
	// MaxRetries is the number of retries after the first attempt.
	MaxRetries int
	// InitialInterval is the wait before the first retry.
	InitialInterval time.Duration
	// MaxInterval caps the wait between retries.
	MaxInterval time.Duration
	// Multiplier grows the wait after every retry.
	Multiplier float64
	// MaxElapsedTime caps the total time spent retrying one message, in
	// process and, for a message that must wait, across its waits.
	MaxElapsedTime time.Duration
	// RandomizationFactor is the jitter: each wait is randomised by ±factor.
	RandomizationFactor float64
	// Waits are the delays, in order (the last one repeats), after which a
	// message whose data has not arrived yet is handled again. It waits in a
	// broker queue per delay, holding no consumer, until a wait would end
	// past MaxElapsedTime; then it is poisoned. Each delay names a queue
	// ("baskets.wait.5s"), so they are whole milliseconds.
	Waits []time.Duration
}

// RelayConfig tunes the outbox relay.
type RelayConfig struct {
	// BatchSize is the most outbox rows relayed (and confirmed) per transaction.
	BatchSize int
	// PollInterval is the fallback wake-up of a relay that no commit in its
	// own process woke.
	PollInterval time.Duration
	// Retention is how long relayed rows stay in the outbox as the event log
	// that `replay from-log` reads; older relayed rows are deleted.
	Retention time.Duration
}

// BrokerConfig tunes RabbitMQ.
type BrokerConfig struct {
	// DeliveryLimit is the quorum-queue delivery limit: a message redelivered
	// more often (it crashed the process repeatedly) is dead-lettered to the
	// service's poison queue by the broker.
	DeliveryLimit int
	// Prefetch is how many unacknowledged messages a handler's consumer may hold.
	Prefetch int
	// Consumers is how many consumers one process runs on each handler's
	// queue: how many of its messages are handled at once.
	Consumers int
	// ConnectTimeout bounds the wait for the first connection at startup
	// (retried with backoff meanwhile); 0 waits forever.
	ConnectTimeout time.Duration
	// ReconnectMaxBackoff is the longest wait between two attempts to
	// connect, at startup and after the connection was lost, so a process
	// is back at most this long after the broker is.
	ReconnectMaxBackoff time.Duration
}

// StatusConfig says where the operator's view of the system reads the
// broker's queues, and when an outbox backlog counts as stuck.
type StatusConfig struct {
	// ManagementURL is the RabbitMQ management HTTP API,
	// http[s]://[user:password@]host:port[/path prefix]. Empty derives it
	// from the AMQP URL; ManagementEndpoint gives the effective URL.
	ManagementURL string
	// StuckAfter is the age past which rows waiting in an outbox, with the
	// relay's offset not moving, mean the relay is stuck. The relay moves
	// rows within milliseconds; it stops only when nothing runs it, the
	// broker refuses it, or a transaction left open in the same database
	// holds the outbox horizon.
	StuckAfter time.Duration
}

// Default returns the settings used when neither flags nor environment say
// otherwise: everything on localhost, the API listening on loopback only.
func Default() Config {
	return Config{
		DatabaseURL: "postgres://postgres@127.0.0.1:5432/mallbots?sslmode=disable",
		AMQPURL:     "amqp://guest:guest@127.0.0.1:5672/",
		HTTPAddr:    "127.0.0.1:8080",
		HTTP: HTTPConfig{
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       15 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       time.Minute,
			MaxBodyBytes:      64 << 10,
		},
		LogFormat: "text",
		LogLevel:  "info",
		Retry: RetryConfig{
			MaxRetries:          10,
			InitialInterval:     100 * time.Millisecond,
			MaxInterval:         5 * time.Second,
			Multiplier:          2,
			MaxElapsedTime:      time.Minute,
			RandomizationFactor: 0.5,
			Waits:               []time.Duration{200 * time.Millisecond, time.Second, 5 * time.Second, 15 * time.Second},
		},
		HandlerTimeout: 30 * time.Second,
		Relay: RelayConfig{
			BatchSize:    500,
			PollInterval: 500 * time.Millisecond,
			Retention:    7 * 24 * time.Hour,
		},
		Broker: BrokerConfig{
			DeliveryLimit:       20,
			Prefetch:            1,
			Consumers:           4,
			ConnectTimeout:      0,
			ReconnectMaxBackoff: 2 * time.Second,
		},
		ShutdownTimeout:      30 * time.Second,
		IdempotencyRetention: 24 * time.Hour,
		Status:               StatusConfig{StuckAfter: 10 * time.Second},
	}
}

// Value is a settable configuration field; it has the method set of
// spf13/pflag's Value, so the command line can bind it directly.
type Value interface {
	String() string
	Set(string) error
	Type() string
}

// Field describes one setting: its flag, its environment variable and its
// documentation. Fields is the single table that flags, environment and the
// README's configuration table come from.
type Field struct {
	Flag  string
	Env   string
	Usage string
	Value Value
}

// Fields returns the settable fields of c, bound to c's storage.
func (c *Config) Fields() []Field {
	return []Field{
		{"database-url", "MALLBOTS_DATABASE_URL", "PostgreSQL DSN (the database is created if missing)", (*stringValue)(&c.DatabaseURL)},
		{"amqp-url", "MALLBOTS_AMQP_URL", "RabbitMQ URL", (*stringValue)(&c.AMQPURL)},
		{"http-addr", "MALLBOTS_HTTP_ADDR", "HTTP listen address (loopback by default; 0.0.0.0:8080 listens on every interface)", (*stringValue)(&c.HTTPAddr)},
		{"http-read-header-timeout", "MALLBOTS_HTTP_READ_HEADER_TIMEOUT", "longest time to read a request's headers", (*durationValue)(&c.HTTP.ReadHeaderTimeout)},
		{"http-read-timeout", "MALLBOTS_HTTP_READ_TIMEOUT", "longest time to read a whole request, body included", (*durationValue)(&c.HTTP.ReadTimeout)},
		{"http-write-timeout", "MALLBOTS_HTTP_WRITE_TIMEOUT", "longest time from a request's headers to the end of its response", (*durationValue)(&c.HTTP.WriteTimeout)},
		{"http-idle-timeout", "MALLBOTS_HTTP_IDLE_TIMEOUT", "close a keep-alive connection idle for this long", (*durationValue)(&c.HTTP.IdleTimeout)},
		{"http-max-body-bytes", "MALLBOTS_HTTP_MAX_BODY_BYTES", "largest request body accepted (413 above; at most 1048576)", (*intValue)(&c.HTTP.MaxBodyBytes)},
		{"service", "MALLBOTS_SERVICES", "comma-separated services to run (default all)", (*listValue)(&c.Services)},
		{"log-format", "MALLBOTS_LOG_FORMAT", "log format: text or json", (*stringValue)(&c.LogFormat)},
		{"log-level", "MALLBOTS_LOG_LEVEL", "log level: debug, info, warn or error", (*stringValue)(&c.LogLevel)},
		{"pprof-addr", "MALLBOTS_PPROF_ADDR", "listen address of the /debug/pprof profiling endpoints (empty: off)", (*stringValue)(&c.PprofAddr)},
		{"idempotency-retention", "MALLBOTS_IDEMPOTENCY_RETENTION", "how long an Idempotency-Key answers retries of its POST", (*durationValue)(&c.IdempotencyRetention)},
		{"retry-max-retries", "MALLBOTS_RETRY_MAX_RETRIES", "retries of a failing message before it is poisoned", (*intValue)(&c.Retry.MaxRetries)},
		{"retry-initial-interval", "MALLBOTS_RETRY_INITIAL_INTERVAL", "wait before the first retry", (*durationValue)(&c.Retry.InitialInterval)},
		{"retry-max-interval", "MALLBOTS_RETRY_MAX_INTERVAL", "longest wait between retries", (*durationValue)(&c.Retry.MaxInterval)},
		{"retry-multiplier", "MALLBOTS_RETRY_MULTIPLIER", "growth of the wait after each retry", (*floatValue)(&c.Retry.Multiplier)},
		{"retry-max-elapsed", "MALLBOTS_RETRY_MAX_ELAPSED", "longest total time retrying one message", (*durationValue)(&c.Retry.MaxElapsedTime)},
		{"retry-jitter", "MALLBOTS_RETRY_JITTER", "randomization factor of each wait (0 to 1)", (*floatValue)(&c.Retry.RandomizationFactor)},
		{"retry-waits", "MALLBOTS_RETRY_WAITS", "waits of a message whose data has not arrived yet, in broker queues (the last repeats; within retry-max-elapsed)", (*durationsValue)(&c.Retry.Waits)},
		{"handler-timeout", "MALLBOTS_HANDLER_TIMEOUT", "time limit of one handler attempt", (*durationValue)(&c.HandlerTimeout)},
		{"relay-batch-size", "MALLBOTS_RELAY_BATCH_SIZE", "outbox rows relayed per transaction", (*intValue)(&c.Relay.BatchSize)},
		{"relay-poll-interval", "MALLBOTS_RELAY_POLL_INTERVAL", "fallback outbox poll when no notification arrives", (*durationValue)(&c.Relay.PollInterval)},
		{"event-log-retention", "MALLBOTS_EVENT_LOG_RETENTION", "how long relayed events stay in the outbox event log", (*durationValue)(&c.Relay.Retention)},
		{"delivery-limit", "MALLBOTS_DELIVERY_LIMIT", "broker redeliveries before a message is dead-lettered to the poison queue", (*intValue)(&c.Broker.DeliveryLimit)},
		{"consumers", "MALLBOTS_CONSUMERS", "messages of one handler's queue handled at once per process", (*intValue)(&c.Broker.Consumers)},
		{"prefetch", "MALLBOTS_PREFETCH", "unacknowledged messages per handler consumer", (*intValue)(&c.Broker.Prefetch)},
		{"connect-timeout", "MALLBOTS_CONNECT_TIMEOUT", "give up waiting for the broker and database at startup after this (0: wait forever)", (*durationValue)(&c.Broker.ConnectTimeout)},
		{"reconnect-max-backoff", "MALLBOTS_RECONNECT_MAX_BACKOFF", "longest wait between attempts to (re)connect to RabbitMQ", (*durationValue)(&c.Broker.ReconnectMaxBackoff)},
		{"shutdown-timeout", "MALLBOTS_SHUTDOWN_TIMEOUT", "longest graceful drain on SIGINT/SIGTERM", (*durationValue)(&c.ShutdownTimeout)},
		{"management-url", "MALLBOTS_MANAGEMENT_URL", "RabbitMQ management API that status reads (empty: the AMQP URL's host on port 15672, or https on 15671 for amqps; a URL without a user takes the AMQP URL's user and password)", (*stringValue)(&c.Status.ManagementURL)},
		{"relay-stuck-after", "MALLBOTS_RELAY_STUCK_AFTER", "age past which outbox rows the relay does not move make status call it stuck", (*durationValue)(&c.Status.StuckAfter)},
	}
}

// ApplyEnv sets every field whose environment variable lookup finds, except
// those for which skip returns true (flags given on the command line win).
// All malformed values are reported together.
func (c *Config) ApplyEnv(lookup func(string) (string, bool), skip func(Field) bool) error {
	var problems []string
	for _, f := range c.Fields() {
		if skip != nil && skip(f) {
			continue
		}
		v, ok := lookup(f.Env)
		if !ok {
			continue
		}
		if err := f.Value.Set(v); err != nil {
			problems = append(problems, fmt.Sprintf("%s=%q: %v", f.Env, v, err))
		}
	}
	return joinProblems(problems)
}

// Validate reports every invalid setting in one error; nil means the process
// may start. Passwords never appear in the message.
func (c Config) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	if problem := checkDatabaseURL(c.DatabaseURL); problem != "" {
		add("database URL %s (MALLBOTS_DATABASE_URL, --database-url) %s", dsn.Redact(c.DatabaseURL), problem)
	}
	if u, err := url.Parse(c.AMQPURL); err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") || u.Host == "" {
		add("AMQP URL %s (MALLBOTS_AMQP_URL, --amqp-url) must look like amqp://user:password@host:5672/", dsn.Redact(c.AMQPURL))
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		add("HTTP address %q (MALLBOTS_HTTP_ADDR, --http-addr) must be host:port or :port", c.HTTPAddr)
	}
	h := c.HTTP
	if h.ReadHeaderTimeout <= 0 || h.ReadTimeout < h.ReadHeaderTimeout {
		add("HTTP timeouts must satisfy 0 < read header timeout (%s) <= read timeout (%s)", h.ReadHeaderTimeout, h.ReadTimeout)
	}
	if h.WriteTimeout <= 0 {
		add("HTTP write timeout %s must be positive", h.WriteTimeout)
	}
	if h.IdleTimeout <= 0 {
		add("HTTP idle timeout %s must be positive", h.IdleTimeout)
	}
	if h.MaxBodyBytes < 1024 || h.MaxBodyBytes > maxBodyCeiling {
		add("HTTP max body bytes %d must be between 1024 and %d", h.MaxBodyBytes, maxBodyCeiling)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		add("log format %q (MALLBOTS_LOG_FORMAT) must be text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("log level %q (MALLBOTS_LOG_LEVEL) must be debug, info, warn or error", c.LogLevel)
	}
	r := c.Retry
	if r.MaxRetries < 0 || r.MaxRetries > 100 {
		add("retry max retries %d must be between 0 and 100", r.MaxRetries)
	}
	if r.InitialInterval <= 0 || r.MaxInterval < r.InitialInterval {
		add("retry intervals must satisfy 0 < initial (%s) <= max (%s)", r.InitialInterval, r.MaxInterval)
	}
	if r.Multiplier < 1 {
		add("retry multiplier %g must be at least 1", r.Multiplier)
	}
	if r.MaxElapsedTime <= 0 {
		add("retry max elapsed time %s must be positive", r.MaxElapsedTime)
	}
	if r.RandomizationFactor < 0 || r.RandomizationFactor > 1 {
		add("retry jitter %g must be between 0 and 1", r.RandomizationFactor)
	}
	if problem := checkWaits(r.Waits); problem != "" {
		add("retry waits %s (MALLBOTS_RETRY_WAITS) %s", (*durationsValue)(&r.Waits).String(), problem)
	}
	if c.IdempotencyRetention < time.Minute {
		add("idempotency retention %s must be at least 1m", c.IdempotencyRetention)
	}
	if c.HandlerTimeout <= 0 {
		add("handler timeout %s must be positive", c.HandlerTimeout)
	}
	if c.Relay.BatchSize < 1 || c.Relay.BatchSize > 10000 {
		add("relay batch size %d must be between 1 and 10000", c.Relay.BatchSize)
	}
	if c.Relay.PollInterval <= 0 {
		add("relay poll interval %s must be positive", c.Relay.PollInterval)
	}
	if c.Relay.Retention < time.Minute {
		add("event log retention %s must be at least 1m", c.Relay.Retention)
	}
	if c.Broker.DeliveryLimit < 1 {
		add("delivery limit %d must be at least 1", c.Broker.DeliveryLimit)
	}
	if c.Broker.Consumers < 1 || c.Broker.Consumers > 64 {
		add("consumers %d must be between 1 and 64", c.Broker.Consumers)
	}
	if c.Broker.Prefetch < 1 || c.Broker.Prefetch > 1000 {
		add("prefetch %d must be between 1 and 1000", c.Broker.Prefetch)
	}
	if c.Broker.ConnectTimeout < 0 {
		add("connect timeout %s must not be negative", c.Broker.ConnectTimeout)
	}
	if b := c.Broker.ReconnectMaxBackoff; b < 10*time.Millisecond || b > 5*time.Minute {
		add("reconnect max backoff %s (MALLBOTS_RECONNECT_MAX_BACKOFF) must be between 10ms and 5m", b)
	}
	if c.ShutdownTimeout <= 0 {
		add("shutdown timeout %s must be positive", c.ShutdownTimeout)
	}
	if problem := checkManagementURL(c.Status.ManagementURL); problem != "" {
		add("management URL %s (MALLBOTS_MANAGEMENT_URL, --management-url) %s", dsn.Redact(c.Status.ManagementURL), problem)
	}
	if a := c.Status.StuckAfter; a < time.Second || a > 24*time.Hour {
		add("relay stuck-after %s (MALLBOTS_RELAY_STUCK_AFTER) must be between 1s and 24h", a)
	}
	return joinProblems(p)
}

// checkManagementURL says what is wrong with a management API URL, "" when
// nothing (empty is fine: it is derived from the AMQP URL). The problem
// never quotes the URL.
func checkManagementURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "must look like http://user:password@host:15672"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "must have no query or fragment (a path prefix is fine)"
	}
	return ""
}

// ManagementEndpoint returns the RabbitMQ management API's URL, credentials
// included: Status.ManagementURL when set, otherwise the AMQP URL's host on
// port 15672 over http (15671 over https for amqps), RabbitMQ's defaults. A
// URL without a user takes the AMQP URL's user and password, or guest/guest
// when that has none either, as the AMQP client does. Call it on a
// configuration that Validate accepted; print it only through dsn.Redact.
func (c Config) ManagementEndpoint() string {
	amqpURL, err := url.Parse(c.AMQPURL)
	if err != nil {
		return c.Status.ManagementURL
	}
	creds := amqpURL.User
	if creds == nil {
		creds = url.UserPassword("guest", "guest")
	}
	if c.Status.ManagementURL != "" {
		u, err := url.Parse(c.Status.ManagementURL)
		if err != nil || u.User != nil {
			return c.Status.ManagementURL
		}
		u.User = creds
		return u.String()
	}
	u := url.URL{Scheme: "http", User: creds, Host: net.JoinHostPort(amqpURL.Hostname(), "15672"), Path: "/"}
	if amqpURL.Scheme == "amqps" {
		u.Scheme, u.Host = "https", net.JoinHostPort(amqpURL.Hostname(), "15671")
	}
	return u.String()
}

// checkWaits says what is wrong with a list of waits, or "".
func checkWaits(waits []time.Duration) string {
	if len(waits) == 0 || len(waits) > 8 {
		return "must list 1 to 8 durations"
	}
	for i, w := range waits {
		switch {
		case w < 10*time.Millisecond || w > time.Hour:
			return "must each be between 10ms and 1h"
		case w%time.Millisecond != 0:
			return "must each be whole milliseconds (they name queues)"
		case i > 0 && w <= waits[i-1]:
			return "must grow from one to the next"
		}
	}
	return ""
}

// checkDatabaseURL says what is wrong with a PostgreSQL DSN, "" when
// nothing: it is a postgres:// URL with a host and a database, or libpq's
// keyword/value form naming a database (dbname=…). The problem never quotes
// the DSN.
func checkDatabaseURL(s string) string {
	if dsn.IsURL(s) {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return "must look like postgres://user@host:5432/db or host=… dbname=…"
		}
		if strings.Trim(u.Path, "/") == "" {
			return "names no database"
		}
		return ""
	}
	settings, err := dsn.KeywordValues(s)
	if err != nil {
		return "must look like postgres://user@host:5432/db or host=… dbname=…: " + err.Error()
	}
	if settings["dbname"] == "" {
		return "names no database (dbname=…)"
	}
	return ""
}

func joinProblems(p []string) error {
	if len(p) == 0 {
		return nil
	}
	return errors.New("invalid configuration:\n  - " + strings.Join(p, "\n  - "))
}

type stringValue string

func (v *stringValue) String() string     { return string(*v) }
func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) Type() string       { return "string" }

type intValue int

func (v *intValue) String() string { return strconv.Itoa(int(*v)) }
func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("not a whole number")
	}
	*v = intValue(n)
	return nil
}
func (v *intValue) Type() string { return "int" }

type floatValue float64

func (v *floatValue) String() string { return strconv.FormatFloat(float64(*v), 'g', -1, 64) }
func (v *floatValue) Set(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("not a number")
	}
	*v = floatValue(f)
	return nil
}
func (v *floatValue) Type() string { return "float" }

type durationValue time.Duration

func (v *durationValue) String() string { return time.Duration(*v).String() }
func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("not a duration like 500ms, 2s or 168h")
	}
	*v = durationValue(d)
	return nil
}
func (v *durationValue) Type() string { return "duration" }

type durationsValue []time.Duration

func (v *durationsValue) String() string {
	parts := make([]string, len(*v))
	for i, d := range *v {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}
func (v *durationsValue) Set(s string) error {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil {
			return fmt.Errorf("not a comma-separated list of durations like 200ms,1s,5s")
		}
		out = append(out, d)
	}
	*v = out
	return nil
}
func (v *durationsValue) Type() string { return "durations" }

type listValue []string

func (v *listValue) String() string { return strings.Join(*v, ",") }
func (v *listValue) Set(s string) error {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	*v = out
	return nil
}
func (v *listValue) Type() string { return "list" }
