package cmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/consumer"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/dsn"
	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/migrations"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
)

func newServe() *cobra.Command {
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the services: HTTP API, consumers and outbox relays",
		Long: `serve runs the selected services (all by default) in one process: the HTTP API
of each with /healthz, /readyz and /metrics, each service's consumer router, and
each service's outbox relay. It migrates the database and declares the broker
topology first. Several processes may run the same service: they compete for
its queues and share its outbox relay safely.

SIGINT or SIGTERM stops intake, drains in-flight HTTP requests and messages,
then closes the relays and connections.`,
		Example: `  mallbots serve
  mallbots serve --service=orders,payments --http-addr=:8081
  MALLBOTS_LOG_FORMAT=json mallbots serve`,
		Args: cobra.NoArgs,
	}
	s := bindSettings(c)
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := s.resolve()
		if err != nil {
			return err
		}
		return serve(cmd.Context(), cfg, newLogger(cfg, cmd.ErrOrStderr()), nil)
	}
	return c
}

func cfgTimeout(d time.Duration) time.Duration {
	if d == 0 {
		return 365 * 24 * time.Hour
	}
	return d
}

// serve runs the selected services until ctx ends, then shuts down
// gracefully. When listening is not nil it receives the HTTP address once the
// server accepts connections.
func serve(ctx context.Context, cfg config.Config, logger *slog.Logger, listening chan<- string) error {
	selected, err := wireServices(cfg.Services, wiring{})
	if err != nil {
		return err
	}
	names := make([]string, len(selected))
	for i, s := range selected {
		names[i] = s.name
	}
	logger.Info("starting mallbots", "version", Version, "services", strings.Join(names, ","),
		"database", dsn.Redact(cfg.DatabaseURL), "broker", dsn.Redact(cfg.AMQPURL))

	connectCtx, cancelConnect := context.WithTimeout(ctx, cfgTimeout(cfg.Broker.ConnectTimeout))
	defer cancelConnect()
	db, err := postgres.Connect(connectCtx, cfg.DatabaseURL, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := migrations.Migrate(ctx, db.Pool)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		logger.Info("applied migrations", "migrations", strings.Join(applied, ","))
	}
	conn, err := broker.Dial(connectCtx, cfg.AMQPURL, cfg.Broker.ReconnectMaxBackoff, logger)
	if err != nil {
		return err
	}
	defer conn.Close()

	// Declare every service's queues, not only the selected ones': events
	// published here must be queued for services other processes run.
	all, _ := wireServices(nil, wiring{})
	topology := topologyOf(all, cfg.Broker.DeliveryLimit, cfg.Retry.Waits)
	if err := declare(conn, topology); err != nil {
		return err
	}

	// One bell for the process: the outboxes of its services ring it, and
	// their relays, which run here too, listen.
	bell := outbox.NewBell()
	w := wiring{db: db, logger: logger, bell: bell}
	selected, _ = wireServices(cfg.Services, w)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	mux := httpapi.NewMux(httpapi.LimitBody(int64(cfg.HTTP.MaxBodyBytes)),
		httpapi.Idempotency(postgres.NewIdempotencyKeys(db, cfg.IdempotencyRetention)))
	var routers []*message.Router
	relays := map[string]*outbox.Relay{}
	relayCfg := outbox.RelayConfig{BatchSize: cfg.Relay.BatchSize, PollInterval: cfg.Relay.PollInterval, Retention: cfg.Relay.Retention,
		MaxBackoff: cfg.Broker.ReconnectMaxBackoff}
	for _, s := range selected {
		s.routes(mux)
		relays[s.name] = outbox.NewRelay(s.name, db.Pool, conn, topology, bell, relayCfg, reg, logger)
		if len(s.handlers) == 0 {
			continue
		}
		router, err := consumer.NewRouter(consumer.RouterDeps{
			Service: s.name, Handlers: s.handlers, Conn: conn, DB: db,
			IsPermanent: domain.IsPermanent, MustWait: domain.MustWait, Retry: cfg.Retry, Timeout: cfg.HandlerTimeout,
			Prefetch: cfg.Broker.Prefetch, Consumers: cfg.Broker.Consumers, Registry: reg, Logger: logger,
		})
		if err != nil {
			return fmt.Errorf("router of %s: %w", s.name, err)
		}
		routers = append(routers, router)
	}
	doc, err := openAPIDocument(selected)
	if err != nil {
		return err
	}
	health := &health{db: db, conn: conn, routers: routers, logger: logger, dataSource: cfg.DatabaseURL}
	platformRoutes(mux, health, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}), doc)

	// The timeouts stop slow or idle clients from holding connections:
	// without them a client trickling a body, or keeping a connection open
	// without sending, holds it forever.
	server := &http.Server{
		Handler: httpapi.Chain(mux,
			httpapi.Correlation, httpapi.AccessLog(logger), httpapi.Metrics(reg), httpapi.Recover),
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if cfg.PprofAddr != "" {
		stopPprof, err := servePprof(cfg.PprofAddr, logger)
		if err != nil {
			return err
		}
		defer stopPprof()
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}

	// Components run until ctx ends or one of them fails.
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var wg sync.WaitGroup
	run := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				stop(fmt.Errorf("%s: %w", name, err))
			}
		}()
	}
	relayCtx, stopRelays := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRelays()
	for name, r := range relays {
		run("relay "+name, func() error { return r.Run(relayCtx) })
	}
	for _, r := range routers {
		run("router", func() error { return r.Run(context.WithoutCancel(ctx)) })
	}
	for _, r := range routers {
		select {
		case <-r.Running():
		case <-runCtx.Done():
		}
	}
	run("http", func() error {
		if err := server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	logger.Info("mallbots is serving", "http", ln.Addr().String(), "services", strings.Join(names, ","))
	if listening != nil {
		listening <- ln.Addr().String()
	}

	<-runCtx.Done()
	cause := context.Cause(runCtx)
	if errors.Is(cause, context.Canceled) {
		cause = nil
	}
	logger.Info("shutting down: stopping intake, draining requests and messages")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		logger.Warn("HTTP drain incomplete", "error", err)
	}
	for _, r := range routers {
		if err := r.Close(); err != nil {
			logger.Warn("router drain incomplete", "error", err)
		}
	}
	// Relays stop last: what the drained handlers committed is relayed now
	// or, at the latest, by the next process.
	stopRelays()
	wg.Wait()
	logger.Info("stopped")
	return cause
}

// declare declares topology on a channel of its own.
func declare(conn *wamqp.ConnectionWrapper, topology broker.Topology) error {
	ch, err := conn.Connection().Channel()
	if err != nil {
		return fmt.Errorf("open channel to declare the topology: %w", err)
	}
	defer ch.Close()
	return topology.Declare(ch)
}

// health answers the liveness and readiness probes.
type health struct {
	db         *postgres.DB
	conn       *wamqp.ConnectionWrapper
	routers    []*message.Router
	logger     *slog.Logger
	dataSource string // to scrub from the errors it logs

	mu      sync.Mutex
	failing map[string]bool // check → failing at the last probe
}

func (h *health) live(w http.ResponseWriter, _ *http.Request) {
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ready reports 200 when the database answers, the broker is connected and
// every consumer router runs; 503 otherwise. The body says which check
// fails and nothing more (anyone may probe it, so no user, database name or
// address); the reason is logged at WARN once when a check starts failing,
// and at INFO when it recovers, not on every probe.
func (h *health) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var dbErr error
	if err := h.db.Pool.Ping(ctx); err != nil {
		dbErr = dsn.RedactError(err, h.dataSource)
	}
	routersOK := true
	for _, router := range h.routers {
		if !router.IsRunning() || router.IsClosed() {
			routersOK = false
		}
	}
	checks := map[string]string{
		"database": h.observe("database", "unreachable", dbErr),
		"broker":   h.observe("broker", "unreachable", failure(h.conn.IsConnected(), "the AMQP connection is down")),
		"routers":  h.observe("routers", "not running", failure(routersOK, "a consumer router stopped")),
	}
	status := http.StatusOK
	for _, v := range checks {
		if v != "ok" {
			status = http.StatusServiceUnavailable
		}
	}
	httpapi.WriteJSON(w, status, map[string]any{"status": map[bool]string{true: "ready", false: "not ready"}[status == http.StatusOK], "checks": checks})
}

// failure is nil when ok, else an error saying why.
func failure(ok bool, why string) error {
	if ok {
		return nil
	}
	return errors.New(why)
}

// observe returns "ok", or bad when err is not nil, logging the change of
// the check's state since the last probe.
func (h *health) observe(check, bad string, err error) string {
	h.mu.Lock()
	was := h.failing[check]
	if h.failing == nil {
		h.failing = map[string]bool{}
	}
	h.failing[check] = err != nil
	h.mu.Unlock()
	switch {
	case err != nil && !was:
		h.logger.Warn("readiness check failing", "check", check, "error", err.Error())
	case err == nil && was:
		h.logger.Info("readiness check passing again", "check", check)
	}
	if err != nil {
		return bad
	}
	return "ok"
}
