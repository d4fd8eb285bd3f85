package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mallbots/mallbots/httpapi"
)

// sample returns the counter value and histogram sample count of the series
// with the given labels.
func sample(t *testing.T, reg *prometheus.Registry, labels map[string]string) (count float64, observations uint64) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			match := len(m.GetLabel()) == len(labels)
			for _, l := range m.GetLabel() {
				match = match && labels[l.GetName()] == l.GetValue()
			}
			if !match {
				continue
			}
			switch f.GetName() {
			case "mallbots_http_requests_total":
				count = m.GetCounter().GetValue()
			case "mallbots_http_request_duration_seconds":
				observations = m.GetHistogram().GetSampleCount()
			}
		}
	}
	return count, observations
}

func TestMetrics(t *testing.T) {
	captureLog(t)
	reg := prometheus.NewRegistry()
	mux := storesMux()
	mux.HandleFunc("GET /api/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	stack := func() http.Handler {
		return httpapi.Chain(mux,
			httpapi.Correlation, httpapi.AccessLog(slog.New(slog.DiscardHandler)), httpapi.Metrics(reg), httpapi.Recover)
	}
	first, second := stack(), stack() // the second Metrics(reg) reuses the registered collectors
	requests := []struct {
		h            http.Handler
		method, path string
	}{
		{first, "GET", "/api/stores/s1"},
		{second, "GET", "/api/stores/s2"},
		{first, "GET", "/nope"},
		{first, "BREW", "/api/stores/s1"},
		{first, "GET", "/api/panic"},
	}
	for _, r := range requests {
		r.h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(r.method, r.path, nil))
	}

	tests := []struct {
		method, route, class string
		want                 float64
	}{
		{"GET", "GET /api/stores/{id}", "2xx", 2},
		{"GET", "unmatched", "4xx", 1},
		{"OTHER", "unmatched", "4xx", 1},
		{"GET", "GET /api/panic", "5xx", 1},
	}
	for _, tt := range tests {
		t.Run(strings.Join([]string{tt.method, tt.route, tt.class}, " "), func(t *testing.T) {
			count, observations := sample(t, reg, map[string]string{"method": tt.method, "route": tt.route, "status_class": tt.class})
			if count != tt.want || observations != uint64(tt.want) {
				t.Fatalf("requests_total = %v, duration samples = %d; want %v", count, observations, tt.want)
			}
		})
	}
}

func TestMetricsRegistrationConflictDoesNotPanic(t *testing.T) {
	logs := captureLog(t)
	reg := prometheus.NewRegistry()
	// Same name, different labels: not "already registered" but a conflict.
	reg.MustRegister(prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mallbots_http_requests_total", Help: "someone else's",
	}, []string{"other"}))

	h := httpapi.Metrics(reg)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { httpapi.OK(w) }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d", w.Code)
	}
	if lines := logs(); len(lines) != 1 || lines[0]["level"] != "WARN" {
		t.Fatalf("logs = %v, want one warning", lines)
	}
}
