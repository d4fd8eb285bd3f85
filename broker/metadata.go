package broker

import "github.com/ThreeDotsLabs/watermill/message/router/middleware"

// Metadata keys (AMQP headers) every mallbots message carries. They are part
// of the wire format: frozen.
const (
	MessageIDKey     = "message_id"
	NameKey          = "name"
	CorrelationIDKey = "correlation_id"
	CausationIDKey   = "causation_id"
	ProducerKey      = "producer"
	OccurredAtKey    = "occurred_at"
	// DeliveryCountKey carries the quorum queue's x-delivery-count as a string.
	DeliveryCountKey = "delivery_count"
)

// Metadata keys of a poisoned message. Watermill's PoisonQueue middleware
// sets the reason, topic and handler; the consumer adds when.
const (
	ReasonPoisonedKey  = middleware.ReasonForPoisonedKey
	TopicPoisonedKey   = middleware.PoisonedTopicKey
	HandlerPoisonedKey = middleware.PoisonedHandlerKey
	// SubscriberPoisonedKey names the subscriber that poisoned it.
	SubscriberPoisonedKey = middleware.PoisonedSubscriberKey
	// PoisonedAtKey is when the message last entered its poison queue.
	PoisonedAtKey = "poisoned_at"
)

// Metadata keys of a message sent to wait. They survive the wait and the
// poison path, so a message poisoned after waiting shows how long it waited;
// replay leaves them out, so a replayed message waits anew.
const (
	// WaitCountKey counts the message's waits so far ("1", "2", …).
	WaitCountKey = "wait_count"
	// WaitingSinceKey is when the message first had to wait (RFC 3339); its
	// waits end within the retry budget from then.
	WaitingSinceKey = "waiting_since"
	// WaitReasonKey is the error that sent it to wait last.
	WaitReasonKey = "wait_reason"
)

// Metadata keys replay adds to a re-delivered message. They survive the
// poison path (the poison publisher keeps every string header), so a message
// that fails again comes back with them.
const (
	// ReplayCountKey counts how often the message was replayed ("1", "2", …).
	ReplayCountKey = "replay_count"
	// ReplayedAtKey is when it was last replayed (RFC 3339).
	ReplayedAtKey = "replayed_at"
	// FirstPoisonedAtKey keeps when the message was first poisoned, since
	// poisoned_at is overwritten each time it fails again.
	FirstPoisonedAtKey = "first_poisoned_at"
)

// DecodeErrorKey marks a delivery the Marshaler could not decode faithfully,
// with what was wrong; the consumer poisons the message with that reason. It
// lives in a message's metadata only, never on the wire: Marshal leaves it
// out.
const DecodeErrorKey = "mallbots_decode_error"
