package consumer

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/config"
)

// Transactor runs fn in one database transaction carried by ctx
// (postgres.DB.Transact).
type Transactor interface {
	Transact(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error
}

// RouterDeps is what a service's consumer router needs.
type RouterDeps struct {
	Service  string
	Handlers []Handler
	Conn     *wamqp.ConnectionWrapper
	DB       Transactor
	// IsPermanent classifies handler errors that retrying cannot fix (domain
	// rules); errors marked with Permanent are always permanent.
	IsPermanent func(error) bool
	// MustWait classifies handler errors that mean the message's data has
	// not arrived yet: such a message waits in the service's wait queues
	// (Retry.Waits, which the topology must have declared) instead of being
	// retried in process. Nil: none.
	MustWait func(error) bool
	Retry    config.RetryConfig
	Timeout  time.Duration
	Prefetch int
	// Consumers is how many messages of one handler's queue are handled at
	// once (competing consumers within the process).
	Consumers int
	Registry  prometheus.Registerer
	Logger    *slog.Logger
}

// NewRouter builds a service's Watermill router: one handler per consumer,
// each on its own queue, behind one middleware stack, outermost first:
//
//	metrics → CorrelationID → PoisonQueue(<service>.poison) → wait → Retry → Timeout → Recoverer
//
// so a message's metrics cover everything; its poisoning sees the final error
// after the waits and retries; each retry gets a fresh timeout; and a panic
// becomes an ordinary error that is retried and then poisoned. Permanent
// errors skip the retries. Must-wait errors skip them too and go to wait in
// the broker (see waiter), which gives up on them, to be poisoned, when the
// retry budget is spent. Inside the stack each message runs in one
// transaction with its inbox row, which turns a duplicate delivery into a
// no-op.
func NewRouter(d RouterDeps) (*message.Router, error) {
	if d.MustWait != nil && len(d.Retry.Waits) == 0 {
		return nil, fmt.Errorf("router of %s: messages that must wait need Retry.Waits", d.Service)
	}
	wlog := broker.WatermillLogger(d.Logger)
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 30 * time.Second}, wlog)
	if err != nil {
		return nil, err
	}
	pub := broker.NewPublisher(d.Conn)
	// A wait that the broker could not take is requeued, not poisoned.
	poison, err := middleware.PoisonQueueWithFilter(&poisonPublisher{pub: pub, logger: d.Logger}, broker.PoisonName(d.Service),
		func(err error) bool { return !isRequeue(err) })
	if err != nil {
		return nil, err
	}
	wait := waiter{service: d.Service, waits: d.Retry.Waits, budget: d.Retry.MaxElapsedTime, pub: pub, logger: d.Logger}
	if d.MustWait != nil {
		wait.mustWait = d.mustWait
	}
	retry := middleware.Retry{
		MaxRetries:          d.Retry.MaxRetries,
		InitialInterval:     d.Retry.InitialInterval,
		MaxInterval:         d.Retry.MaxInterval,
		Multiplier:          d.Retry.Multiplier,
		MaxElapsedTime:      d.Retry.MaxElapsedTime,
		RandomizationFactor: d.Retry.RandomizationFactor,
		ShouldRetry: func(p middleware.RetryParams) bool {
			return !isPermanent(p.Err, d.IsPermanent) && !wait.applies(p.Err)
		},
		ResetContextOnRetry: true,
		Logger:              wlog,
	}
	router.AddMiddleware(
		metrics.NewPrometheusMetricsBuilder(d.Registry, "mallbots", "").NewRouterMiddleware().Middleware,
		middleware.CorrelationID,
		poison,
		wait.Middleware,
		retry.Middleware,
		middleware.Timeout(d.Timeout),
		middleware.Recoverer,
	)
	d.Logger.Info("consumer middleware, outermost first",
		"service", d.Service,
		"stack", fmt.Sprintf("metrics → correlation_id → poison_queue(%s) → %s → retry(max_retries=%d initial=%s max=%s multiplier=%g max_elapsed=%s jitter=%g, permanent and must-wait errors skip) → timeout(%s) → recoverer → inbox + decode + validate + handler",
			broker.PoisonName(d.Service), wait, d.Retry.MaxRetries, d.Retry.InitialInterval, d.Retry.MaxInterval,
			d.Retry.Multiplier, d.Retry.MaxElapsedTime, d.Retry.RandomizationFactor, d.Timeout))

	for _, h := range d.Handlers {
		sub, err := wamqp.NewSubscriberWithConnection(subscriberConfig(h, d.Prefetch), wlog, d.Conn)
		if err != nil {
			return nil, fmt.Errorf("subscriber for %s: %w", h.Name, err)
		}
		router.AddConsumerHandler(h.Name, h.Topic, parallelSubscriber{sub, max(d.Consumers, 1)}, consume(h, d))
	}
	return router, nil
}

func isPermanent(err error, classify func(error) bool) bool {
	return IsPermanent(err) || (classify != nil && classify(err))
}

// mustWait reports whether err makes the message wait: permanent errors
// never do.
func (d RouterDeps) mustWait(err error) bool {
	return d.MustWait != nil && !isPermanent(err, d.IsPermanent) && d.MustWait(err)
}

// subscriberConfig consumes h's queue. The topology is declared up front by
// Topology.Declare, so the subscriber declares nothing itself.
func subscriberConfig(h Handler, prefetch int) wamqp.Config {
	return wamqp.Config{
		Marshaler: broker.Marshaler{},
		Exchange: wamqp.ExchangeConfig{
			GenerateName: func(topic string) string { return topic },
			Type:         "fanout",
			Durable:      true,
		},
		Queue: wamqp.QueueConfig{
			GenerateName: func(string) string { return h.Name },
			Durable:      true,
		},
		QueueBind: wamqp.QueueBindConfig{GenerateRoutingKey: func(string) string { return "" }},
		Publish:   wamqp.PublishConfig{GenerateRoutingKey: func(string) string { return "" }},
		Consume: wamqp.ConsumeConfig{
			Qos: wamqp.QosConfig{PrefetchCount: prefetch},
		},
		TopologyBuilder: declaredTopology{},
	}
}

// declaredTopology is a watermill-amqp TopologyBuilder that declares nothing:
// the whole topology, with its quorum-queue arguments, comes from one place.
type declaredTopology struct{}

func (declaredTopology) ExchangeDeclare(*amqp.Channel, string, wamqp.Config) error { return nil }
func (declaredTopology) BuildTopology(*amqp.Channel, wamqp.BuildTopologyParams, wamqp.Config, watermill.LoggerAdapter) error {
	return nil
}
