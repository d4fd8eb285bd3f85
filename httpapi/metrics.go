package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts and times requests in reg: the histogram
// mallbots_http_request_duration_seconds and the counter
// mallbots_http_requests_total, both labelled method (OTHER for methods
// outside RFC 9110), route (the matched Mux pattern, "unmatched" when
// none; see Mux) and status_class ("2xx" … "5xx"). Calling Metrics
// again with the same reg reuses the collectors already registered; any other
// registration error is logged, never panicked, and the metrics are then
// kept but not exported. A nil reg registers nothing.
func Metrics(reg prometheus.Registerer) func(http.Handler) http.Handler {
	labels := []string{"method", "route", "status_class"}
	duration := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mallbots_http_request_duration_seconds",
		Help:    "Time from receiving an HTTP request to its handler returning, by method, route and status class.",
		Buckets: prometheus.DefBuckets,
	}, labels))
	total := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mallbots_http_requests_total",
		Help: "HTTP requests served, by method, route and status class.",
	}, labels))

	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			r, route := withRouteHolder(r)
			rec := recorderFor(w)
			next.ServeHTTP(rec, r)
			values := []string{
				methodLabel(r.Method),
				route.get(r),
				strconv.Itoa(rec.statusCode(r.Context())/100) + "xx",
			}
			duration.WithLabelValues(values...).Observe(time.Since(start).Seconds())
			total.WithLabelValues(values...).Inc()
		})
	}
}

// register registers c in reg, or returns the equal collector registered
// before (a second server in one process, a test).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	err := reg.Register(c)
	if err == nil {
		return c
	}
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	slog.Warn("httpapi: HTTP metrics not registered", "error", err)
	return c
}

// methodLabel keeps the method label's values bounded: clients can send any
// token as a method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
