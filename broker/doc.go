// Package broker is mallbots' RabbitMQ: the process's connection (Dial, with
// a bounded reconnect), the wire format of a message (Marshaler and the
// metadata keys every message carries), the names of exchanges and queues,
// the topology every process declares (Plan, Declare, Check), a publisher
// that waits for the broker's confirm, and Watch, which taps events for
// people to look at.
//
// It is the bottom of the messaging packages: consumer, outbox and replay
// build on it, and it knows nothing of them, of the database or of the
// domain. A name made here (a queue, an exchange, a header) is what the
// RabbitMQ management console shows, so it is frozen once published.
package broker
