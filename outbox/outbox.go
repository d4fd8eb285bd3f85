package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/events"
)

// outboxTable and offsetsTable name a service's Watermill outbox tables; the
// forwarder topic of a service is its name, so the tables live in its schema.
func outboxTable(service string) string {
	return pgx.Identifier{service, "watermill_outbox"}.Sanitize()
}

func offsetsTable(service string) string {
	return pgx.Identifier{service, "watermill_outbox_offsets"}.Sanitize()
}

// outboxSchema is watermill-sql's PostgreSQL schema with the tables moved into
// the service's own schema.
func outboxSchema() wsql.DefaultPostgreSQLSchema {
	return wsql.DefaultPostgreSQLSchema{GenerateMessagesTableName: outboxTable}
}

// Outbox writes a service's events into its transactional outbox: a
// watermill-sql publisher bound to the caller's transaction, wrapped by
// Watermill's forwarder publisher, so each event is an enveloped row in
// "<service>".watermill_outbox that commits or vanishes with the domain
// writes. The Relay later moves committed rows to RabbitMQ.
type Outbox struct {
	service string
	bell    *Bell
	logger  watermill.LoggerAdapter
}

// New returns the outbox of service, which rings bell when told that a
// transaction it wrote to has committed (nil: no bell).
func New(service string, bell *Bell) *Outbox {
	return &Outbox{service: service, bell: bell, logger: watermill.NopLogger{}}
}

// Committed wakes the service's relays listening on the outbox's bell: call
// it once a transaction that published to this outbox has committed
// (postgres.Transact does, through its commit hooks).
func (o *Outbox) Committed() { o.bell.ring(o.service) }

// Publish appends evs to the outbox inside tx, in order. Each event becomes a
// message with a new UUIDv7 and the metadata name, producer, occurred_at,
// correlation_id and causation_id (from correlation.From(ctx); a message
// that starts a conversation correlates to itself). Nothing is sent until tx
// commits and the relay runs.
func (o *Outbox) Publish(ctx context.Context, tx pgx.Tx, evs ...events.Event) error {
	if len(evs) == 0 {
		return nil
	}
	sqlPub, err := wsql.NewPublisher(wsql.TxFromPgx(tx), wsql.PublisherConfig{SchemaAdapter: outboxSchema()}, o.logger)
	if err != nil {
		return fmt.Errorf("outbox publisher: %w", err)
	}
	pub := forwarder.NewPublisher(sqlPub, forwarder.PublisherConfig{ForwarderTopic: o.service})
	ids := correlation.From(ctx)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for _, ev := range evs {
		payload, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode %s: %w", ev.EventName(), err)
		}
		msg := message.NewMessage(correlation.NewID(), payload)
		msg.SetContext(ctx)
		corr := ids.CorrelationID
		if corr == "" {
			corr = msg.UUID
		}
		msg.Metadata.Set(broker.NameKey, ev.EventName())
		msg.Metadata.Set(broker.ProducerKey, o.service)
		msg.Metadata.Set(broker.OccurredAtKey, now)
		msg.Metadata.Set(broker.CorrelationIDKey, corr)
		if ids.CausationID != "" {
			msg.Metadata.Set(broker.CausationIDKey, ids.CausationID)
		}
		if err := pub.Publish(ev.EventName(), msg); err != nil {
			return fmt.Errorf("write %s to the %s outbox: %w", ev.EventName(), o.service, err)
		}
	}
	return nil
}
