// Package events is the published language between services: one JSON struct
// per event or command, named by its frozen wire name. Add fields, never rename;
// a breaking change is a new name. Stdlib only, besides the domain's canonical
// ID check.
package events

// Event is a fact (or a saga command or reply) one service publishes. Its wire
// name is also the RabbitMQ exchange it is published to.
type Event interface {
	// EventName returns the frozen wire name, "<producing service>.<Name>".
	EventName() string
}

// Payload is an event as a consumer decodes it: it also checks what it
// carries. Every event and command in this package is one, its rules in its
// fields' check tags (see validate).
type Payload interface {
	Event
	// Validate returns nil when every required ID is present and a UUID,
	// every required text is present, no text holds a NUL byte and every
	// amount, price, quantity and version is in range. Otherwise its error
	// wraps ErrInvalidPayload, names the event and lists every problem, with
	// the fields as the JSON names them: "invalid orders.OrderCreated
	// payload: orderId is required; items is empty". Retrying cannot fix
	// such a payload.
	Validate() error
}
