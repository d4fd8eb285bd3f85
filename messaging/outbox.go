package messaging

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
	logger  watermill.LoggerAdapter
}

// NewOutbox returns the outbox of service.
func NewOutbox(service string) *Outbox {
	return &Outbox{service: service, logger: watermill.NopLogger{}}
}

// Committed wakes the service's relays in this process: call it once a
// transaction that published to this outbox has committed
// (postgres.Transact does, through its commit hooks).
func (o *Outbox) Committed() { ring(o.service) }

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
		msg.Metadata.Set(NameKey, ev.EventName())
		msg.Metadata.Set(ProducerKey, o.service)
		msg.Metadata.Set(OccurredAtKey, now)
		msg.Metadata.Set(CorrelationIDKey, corr)
		if ids.CausationID != "" {
			msg.Metadata.Set(CausationIDKey, ids.CausationID)
		}
		if err := pub.Publish(ev.EventName(), msg); err != nil {
			return fmt.Errorf("write %s to the %s outbox: %w", ev.EventName(), o.service, err)
		}
	}
	return nil
}
