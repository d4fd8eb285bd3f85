package replay

import (
	"strconv"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
)

// PoisonMessage is one message of a poison queue, with what replay needs to
// know about it decoded from its headers. Decoding never fails: a header
// that is missing or of another type than expected leaves its field empty.
type PoisonMessage struct {
	// Service owns the poison queue the message was read from.
	Service string
	// ID is the message UUID (message_id header, else property); "" if none.
	ID string
	// Handler is the consumer that failed it, which names its queue: from
	// handler_poisoned, or for a message the broker dead-lettered (the
	// delivery-limit backstop) from its x-death header.
	Handler string
	// Topic is the event name the handler consumes.
	Topic string
	// Reason is the error it was poisoned with.
	Reason string
	// PoisonedAt is when it last entered the poison queue.
	PoisonedAt time.Time
	// FirstFailedAt is when it was first poisoned (before any replay).
	FirstFailedAt time.Time
	// ReplayCount is how often it was replayed already.
	ReplayCount   int
	CorrelationID string
	CausationID   string
	// DeadLettered reports that the broker, not the consumer, poisoned it.
	DeadLettered bool
	// Delivery is the message as read: properties, headers and body.
	Delivery amqp.Delivery
}

// DecodePoisoned reads what replay needs from a delivery of service's
// poison queue.
func DecodePoisoned(service string, d amqp.Delivery) PoisonMessage {
	str := func(k string) string { s, _ := d.Headers[k].(string); return s }
	m := PoisonMessage{
		Service:       service,
		ID:            str(broker.MessageIDKey),
		Handler:       str(broker.HandlerPoisonedKey),
		Topic:         str(broker.TopicPoisonedKey),
		Reason:        str(broker.ReasonPoisonedKey),
		PoisonedAt:    parseStamp(str(broker.PoisonedAtKey)),
		FirstFailedAt: parseStamp(str(broker.FirstPoisonedAtKey)),
		CorrelationID: str(broker.CorrelationIDKey),
		CausationID:   str(broker.CausationIDKey),
		Delivery:      d,
	}
	if m.ID == "" {
		m.ID = d.MessageId
	}
	m.ReplayCount, _ = strconv.Atoi(str(broker.ReplayCountKey))
	if m.Reason == "" {
		// Dead-lettered by the broker: x-death lists the queues it died in,
		// most recent first.
		deaths, _ := d.Headers["x-death"].([]any)
		for _, raw := range deaths {
			death, _ := raw.(amqp.Table)
			queue, _ := death["queue"].(string)
			// A wait queue hands its messages back to their handler: the
			// handler's queue is the one that gave up on the message.
			if queue == "" || queue == broker.PoisonName(service) || broker.IsWaitQueue(queue) {
				continue
			}
			m.DeadLettered = true
			if m.Handler == "" {
				m.Handler = queue
			}
			reason, _ := death["reason"].(string)
			m.Reason = "dead-lettered by the broker from " + queue + ": " + reason
			if reason == "delivery_limit" {
				m.Reason += " (delivered too often without an ack: it may crash or hang its consumer)"
			}
			if at, ok := death["time"].(time.Time); ok && m.PoisonedAt.IsZero() {
				m.PoisonedAt = at.UTC()
			}
			if exchange, _ := death["exchange"].(string); m.Topic == "" && exchange != "" {
				m.Topic = exchange
			}
			break
		}
		if m.Handler == "" {
			m.Handler = str("x-first-death-queue")
		}
	}
	if m.Topic == "" {
		m.Topic = str(broker.NameKey)
	}
	if m.PoisonedAt.IsZero() && !d.Timestamp.IsZero() {
		m.PoisonedAt = d.Timestamp.UTC()
	}
	if m.FirstFailedAt.IsZero() {
		m.FirstFailedAt = m.PoisonedAt
	}
	return m
}

func parseStamp(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// droppedOnReplay reports the headers a replay leaves out: the record of
// the failure (which the next failure writes afresh), of the message's waits
// (a replayed message that must wait gets a whole retry budget again) and
// the broker's bookkeeping. x-death in particular is a table: delivered
// again, it would make the consumer poison the message at once as
// undecodable.
func droppedOnReplay(key string) bool {
	switch key {
	case broker.ReasonPoisonedKey, broker.TopicPoisonedKey, broker.HandlerPoisonedKey, broker.SubscriberPoisonedKey,
		broker.PoisonedAtKey, broker.DeliveryCountKey, broker.DecodeErrorKey, "x-death", "x-delivery-count",
		broker.WaitCountKey, broker.WaitingSinceKey, broker.WaitReasonKey:
		return true
	}
	return strings.HasPrefix(key, "x-first-death-") || strings.HasPrefix(key, "x-last-death-")
}

// Redelivery returns the publishing that replays m to its handler: the
// same body, message ID (property and header), correlation and causation
// IDs and other headers, with replay_count incremented, replayed_at set to
// now and first_poisoned_at kept. The user-id and expiration properties are
// left out: the broker rejects a user-id other than the replaying user's,
// and a replay must not expire.
func Redelivery(m PoisonMessage, now time.Time) amqp.Publishing {
	d := m.Delivery
	headers := amqp.Table{}
	for k, v := range d.Headers {
		if !droppedOnReplay(k) {
			headers[k] = v
		}
	}
	if m.ID != "" {
		headers[broker.MessageIDKey] = m.ID
	}
	headers[broker.ReplayCountKey] = strconv.Itoa(m.ReplayCount + 1)
	headers[broker.ReplayedAtKey] = now.UTC().Format(time.RFC3339Nano)
	if !m.FirstFailedAt.IsZero() {
		headers[broker.FirstPoisonedAtKey] = m.FirstFailedAt.Format(time.RFC3339Nano)
	}
	return amqp.Publishing{
		Headers:         headers,
		ContentType:     d.ContentType,
		ContentEncoding: d.ContentEncoding,
		DeliveryMode:    amqp.Persistent,
		Priority:        d.Priority,
		CorrelationId:   d.CorrelationId,
		ReplyTo:         d.ReplyTo,
		MessageId:       m.ID,
		Timestamp:       d.Timestamp,
		Type:            d.Type,
		AppId:           d.AppId,
		Body:            d.Body,
	}
}
