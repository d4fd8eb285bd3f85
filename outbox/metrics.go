package outbox

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type relayMetrics struct {
	relayed  *prometheus.CounterVec
	unrouted *prometheus.CounterVec
	skipped  *prometheus.CounterVec
	lag      *prometheus.HistogramVec
	batch    *prometheus.HistogramVec
}

func newRelayMetrics(reg prometheus.Registerer) *relayMetrics {
	m := &relayMetrics{
		relayed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mallbots_outbox_relayed_total", Help: "Outbox rows relayed to RabbitMQ and confirmed.",
		}, []string{"service"}),
		unrouted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mallbots_outbox_unrouted_total", Help: "Relayed events no queue was bound for (no consumer yet).",
		}, []string{"topic"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mallbots_outbox_skipped_total", Help: "Outbox rows that were not forwarder envelopes and were skipped.",
		}, []string{"service"}),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mallbots_outbox_lag_seconds", Help: "Time from an event's commit to its confirm by the broker.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"service"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mallbots_outbox_batch_seconds", Help: "Duration of one relay batch, read to commit.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"service"}),
	}
	m.relayed = register(reg, m.relayed)
	m.unrouted = register(reg, m.unrouted)
	m.skipped = register(reg, m.skipped)
	m.lag = register(reg, m.lag)
	m.batch = register(reg, m.batch)
	return m
}

func (m *relayMetrics) observe(service string, batch []outboxRow, took time.Duration) {
	m.relayed.WithLabelValues(service).Add(float64(len(batch)))
	m.batch.WithLabelValues(service).Observe(took.Seconds())
	now := time.Now()
	lag := m.lag.WithLabelValues(service)
	for _, row := range batch {
		lag.Observe(now.Sub(row.createdAt).Seconds())
	}
}

// register registers c, or returns the collector already registered under
// its name (several relays share one registry).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}
