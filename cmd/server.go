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

// Server is one `mallbots serve` process: the HTTP API, consumer routers and
// outbox relays of the selected services, over one database pool and one
// broker connection. NewServer checks which services to run; Run starts
// everything and returns once the process serves; Close stops it. A test
// runs a whole system in process with it, on a free port (Addr).
type Server struct {
	cfg      config.Config
	logger   *slog.Logger
	selected []service

	// Made by Run's steps, in order; Close undoes what was made.
	metrics   *prometheus.Registry
	db        *postgres.DB
	conn      *wamqp.ConnectionWrapper
	topology  broker.Topology
	bell      *outbox.Bell
	mux       *httpapi.Mux
	running   []runningService
	http      *http.Server
	ln        net.Listener
	stopPprof func()
	serving   bool // HTTP serves: Close drains it

	wg         sync.WaitGroup // the components' goroutines
	stopRelays context.CancelFunc

	failOnce sync.Once
	failed   chan struct{} // closed when a component fails
	failure  error         // the first component's failure, set before failed closes

	closeOnce sync.Once
	closeErr  error
}

// runningService is a selected service built by Run: its outbox relay and,
// when it consumes, its router.
type runningService struct {
	name   string
	relay  *outbox.Relay
	router *message.Router
}

// NewServer returns the server of cfg's services (all when none), logging
// to logger. An unknown service is a UsageError listing the valid ones.
// Nothing connects before Run.
func NewServer(cfg config.Config, logger *slog.Logger) (*Server, error) {
	selected, err := selectServices(cfg.Services)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, logger: logger, selected: selected, failed: make(chan struct{})}, nil
}

// Run starts the server and returns once it serves HTTP. ctx bounds the
// start only: after Run returns, Close stops the server. When a step fails,
// or ctx ends first, Run undoes what it started and returns why. Run is
// called once.
//
// The steps, in order: the process-wide pieces (metrics); the connections,
// within --connect-timeout, the database migrated; the broker topology of
// every service, so that events are queued for services other processes
// run; each selected service built once, with its routes, relay and router;
// the HTTP server and its listener; then the relays, the routers and, once
// every router consumes, HTTP.
func (s *Server) Run(ctx context.Context) error {
	s.logger.Info("starting mallbots", "version", Version, "services", s.names(),
		"database", dsn.Redact(s.cfg.DatabaseURL), "broker", dsn.Redact(s.cfg.AMQPURL))
	for _, step := range []func(context.Context) error{
		s.setupMetrics,
		s.connect,
		s.declareTopology,
		s.buildServices,
		s.buildHTTP,
		s.listen,
		s.start,
	} {
		if err := step(ctx); err != nil {
			_ = s.Close()
			return err
		}
	}
	s.logger.Info("mallbots is serving", "http", s.Addr(), "services", s.names())
	return nil
}

// names returns the selected services' names, comma-separated.
func (s *Server) names() string {
	names := make([]string, len(s.selected))
	for i, svc := range s.selected {
		names[i] = svc.name
	}
	return strings.Join(names, ",")
}

// setupMetrics makes the registry every component's metrics go to, with
// the Go runtime's and the process's. Process-wide pieces are set up here,
// first, so that every later step can use them.
func (s *Server) setupMetrics(context.Context) error {
	s.metrics = prometheus.NewRegistry()
	s.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return nil
}

// connect connects to the database, migrates it, and connects to the
// broker, giving up on either after --connect-timeout (0: never).
func (s *Server) connect(ctx context.Context) error {
	connectCtx, cancel := context.WithTimeout(ctx, cfgTimeout(s.cfg.Broker.ConnectTimeout))
	defer cancel()
	db, err := postgres.Connect(connectCtx, s.cfg.DatabaseURL, s.logger)
	if err != nil {
		return err
	}
	s.db = db
	applied, err := migrations.Migrate(ctx, db.Pool)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		s.logger.Info("applied migrations", "migrations", strings.Join(applied, ","))
	}
	s.conn, err = broker.Dial(connectCtx, s.cfg.AMQPURL, s.cfg.Broker.ReconnectMaxBackoff, s.logger)
	return err
}

// declareTopology declares every service's exchanges and queues, not only
// the selected ones': events published here must be queued for services
// other processes run.
func (s *Server) declareTopology(context.Context) error {
	s.topology = topologyOf(registry, s.cfg.Broker.DeliveryLimit, s.cfg.Retry.Waits)
	ch, err := s.conn.Connection().Channel()
	if err != nil {
		return fmt.Errorf("open channel to declare the topology: %w", err)
	}
	defer ch.Close()
	return s.topology.Declare(ch)
}

// buildServices builds each selected service once: its routes on the mux,
// its relay and, when it consumes, its router.
func (s *Server) buildServices(context.Context) error {
	// One bell for the process: the outboxes of its services ring it, and
	// their relays, which run here too, listen.
	s.bell = outbox.NewBell()
	s.mux = httpapi.NewMux(httpapi.LimitBody(int64(s.cfg.HTTP.MaxBodyBytes)),
		httpapi.Idempotency(postgres.NewIdempotencyKeys(s.db, s.cfg.IdempotencyRetention)))
	relayCfg := outbox.RelayConfig{BatchSize: s.cfg.Relay.BatchSize, PollInterval: s.cfg.Relay.PollInterval,
		Retention: s.cfg.Relay.Retention, MaxBackoff: s.cfg.Broker.ReconnectMaxBackoff}
	for _, svc := range s.selected {
		b := svc.build(deps{db: s.db, logger: s.logger, bell: s.bell})
		b.routes(s.mux)
		r := runningService{name: svc.name,
			relay: outbox.NewRelay(svc.name, s.db.Pool, s.conn, s.topology, s.bell, relayCfg, s.metrics, s.logger)}
		if len(b.handlers) > 0 {
			router, err := consumer.NewRouter(consumer.RouterDeps{
				Service: svc.name, Handlers: b.handlers, Conn: s.conn, DB: s.db,
				IsPermanent: domain.IsPermanent, MustWait: domain.MustWait, Retry: s.cfg.Retry, Timeout: s.cfg.HandlerTimeout,
				Prefetch: s.cfg.Broker.Prefetch, Consumers: s.cfg.Broker.Consumers, Registry: s.metrics, Logger: s.logger,
			})
			if err != nil {
				return fmt.Errorf("router of %s: %w", svc.name, err)
			}
			r.router = router
		}
		s.running = append(s.running, r)
	}
	return nil
}

// buildHTTP adds the platform routes to the services' and makes the HTTP
// server.
func (s *Server) buildHTTP(ctx context.Context) error {
	doc, err := openAPIDocument(s.selected)
	if err != nil {
		return err
	}
	h := &health{db: s.db, conn: s.conn, routers: s.routers(), logger: s.logger, dataSource: s.cfg.DatabaseURL}
	platformRoutes(s.mux, h, promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{Registry: s.metrics}), doc)
	// The timeouts stop slow or idle clients from holding connections:
	// without them a client trickling a body, or keeping a connection open
	// without sending, holds it forever.
	s.http = &http.Server{
		Handler: httpapi.Chain(s.mux,
			httpapi.Correlation, httpapi.AccessLog(s.logger), httpapi.Metrics(s.metrics), httpapi.Recover),
		ReadHeaderTimeout: s.cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.HTTP.ReadTimeout,
		WriteTimeout:      s.cfg.HTTP.WriteTimeout,
		IdleTimeout:       s.cfg.HTTP.IdleTimeout,
		// Requests keep ctx's values but not its end: Close drains them.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	return nil
}

// routers returns the routers of the services that consume.
func (s *Server) routers() []*message.Router {
	var out []*message.Router
	for _, r := range s.running {
		if r.router != nil {
			out = append(out, r.router)
		}
	}
	return out
}

// listen opens the profiling endpoints, when asked for, and the HTTP
// listener.
func (s *Server) listen(context.Context) error {
	if s.cfg.PprofAddr != "" {
		stop, err := servePprof(s.cfg.PprofAddr, s.logger)
		if err != nil {
			return err
		}
		s.stopPprof = stop
	}
	ln, err := net.Listen("tcp", s.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.HTTPAddr, err)
	}
	s.ln = ln
	return nil
}

// start runs the relays and the routers, waits until every router consumes,
// then serves HTTP: a process that answers requests consumes too.
func (s *Server) start(ctx context.Context) error {
	// The relays and routers outlive ctx: Close stops them, in its order.
	relayCtx, stopRelays := context.WithCancel(context.WithoutCancel(ctx))
	s.stopRelays = stopRelays
	for _, r := range s.running {
		s.run("relay of "+r.name, func() error { return r.relay.Run(relayCtx) })
	}
	for _, r := range s.running {
		if r.router != nil {
			s.run("router of "+r.name, func() error { return r.router.Run(context.WithoutCancel(ctx)) })
		}
	}
	for _, router := range s.routers() {
		select {
		case <-router.Running():
		case <-s.failed:
			return s.failure
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.serving = true
	s.run("http", func() error {
		if err := s.http.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	return nil
}

// run runs fn, a component, in a goroutine of its own; its error, the first
// of any component's, is the server's failure.
func (s *Server) run(name string, fn func() error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := fn(); err != nil {
			s.failOnce.Do(func() {
				s.failure = fmt.Errorf("%s: %w", name, err)
				close(s.failed)
			})
		}
	}()
}

// Failed is closed when a component (a relay, a router, the HTTP server)
// fails after Run: the server no longer does all its work and should be
// closed; Close returns the failure.
func (s *Server) Failed() <-chan struct{} { return s.failed }

// Addr returns the address HTTP listens on, once Run has returned nil: the
// port chosen when the configured one is 0.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server: it stops taking requests and drains those in
// flight (within --shutdown-timeout), closes the routers, which finish the
// messages they hold, then stops the relays, last, so what the drained
// handlers committed is relayed now or, at the latest, by the next process;
// then it closes the connections. It returns the error a component failed
// with before Close, nil when none did; calling it again returns the same.
// It must not be called while Run runs: cancel Run's ctx instead.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	var failure error
	select {
	case <-s.failed:
		failure = s.failure
	default:
	}
	if s.serving {
		s.logger.Info("shutting down: stopping intake, draining requests and messages")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		if err := s.http.Shutdown(shutdownCtx); err != nil {
			s.logger.Warn("HTTP drain incomplete", "error", err)
		}
	} else if s.ln != nil {
		_ = s.ln.Close()
	}
	for _, router := range s.routers() {
		if err := router.Close(); err != nil {
			s.logger.Warn("router drain incomplete", "error", err)
		}
	}
	if s.stopRelays != nil {
		s.stopRelays()
	}
	s.wg.Wait()
	if s.stopPprof != nil {
		s.stopPprof()
	}
	if s.conn != nil {
		if err := s.conn.Close(); err != nil {
			s.logger.Warn("close the broker connection", "error", err)
		}
	}
	if s.db != nil {
		s.db.Close()
	}
	if s.serving {
		s.logger.Info("stopped")
	}
	return failure
}

// cfgTimeout returns d, or practically forever when d is 0.
func cfgTimeout(d time.Duration) time.Duration {
	if d == 0 {
		return 365 * 24 * time.Hour
	}
	return d
}
