package cmd

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/mallbots/mallbots/dsn"
	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/postgres"
)

// platformRoutes registers what every process serves beside its services'
// routes: liveness, readiness, metrics and the OpenAPI document.
func platformRoutes(r httpapi.Router, health *health, metrics http.Handler, doc []byte) {
	r.HandleFunc("GET /healthz", health.live)
	r.HandleFunc("GET /readyz", health.ready)
	r.HandleFunc("GET /metrics", metrics.ServeHTTP)
	r.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(doc)
	})
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
