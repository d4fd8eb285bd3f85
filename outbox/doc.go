// Package outbox is the sending side of mallbots' messaging: the
// transactional outbox and its relay.
//
// Outbox.Publish writes a service's events into its outbox table inside the
// caller's database transaction, so they commit or vanish with the domain
// writes; nothing reaches the broker before the commit. The Relay then moves
// committed rows to RabbitMQ in commit order, with the broker's confirms, and
// only then records its progress: every event is published at least once and
// never before the transaction that made it. A Bell, one per process, wakes a
// service's relays when a transaction of that process commits rows.
//
// Relayed rows are kept as the event log for the retention the relay
// enforces (retention.go); EventLog reads it back for `mallbots replay
// from-log`.
//
// It builds on broker and knows nothing of the domain.
package outbox
