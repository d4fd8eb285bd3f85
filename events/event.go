// Package events is the published language between services: one JSON struct
// per event or command, named by its frozen wire name. Add fields, never rename;
// a breaking change is a new name. Stdlib only.
package events

// Event is a fact (or a saga command or reply) one service publishes. Its wire
// name is also the RabbitMQ exchange it is published to.
type Event interface {
	// EventName returns the frozen wire name, "<producing service>.<Name>".
	EventName() string
}
