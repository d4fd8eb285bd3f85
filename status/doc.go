// Package status is the operator's view of a running mallbots system: per
// service, each handler queue with its depth, consumers and rates, the
// poison and wait queues, and the outbox backlog with the state of its
// relay; and the problems an operator must act on. `mallbots status` prints
// it, and the console's overview shows it.
//
// It returns data, never prints: a Report holds everything, with JSON tags
// whose names are stable (the output of `mallbots status -o json`).
//
// # Sources
//
// The queues come from the RabbitMQ management HTTP API (Management), one
// virtual host's GET /api/queues with only the columns needed. Its figures
// are the broker's statistics, refreshed every collect_statistics_interval
// (5 s by default): a consumer that just attached or left, or a message just
// published, may take that long to show. The outboxes come from PostgreSQL:
// a service's backlog is the committed rows of "<service>".watermill_outbox
// past its relay's offset in watermill_outbox_offsets, by the relay's own
// rule (outbox/relay.go): (transaction_id, offset) after the offset's. Rows
// of transactions still open are invisible, so they are not counted.
//
// A Collector takes a Sample of both sources at one moment; Compare turns
// two samples into a Report, and Gather takes two samples an interval apart
// and compares them. A source that cannot be read leaves its part of the
// report unknown (Source.Reachable false) and is a problem itself; the rest
// of the report is still filled.
//
// # Judging
//
// Judge derives the verdicts of a Report from its observations; each is a
// Problem with a Kind, and a report without problems is Healthy:
//
//   - a handler queue with no consumer (NoConsumer): nothing handles its
//     messages, so its service, or that handler, is not running;
//   - an expected handler or poison queue missing on the broker
//     (QueueMissing): no serve has declared the topology in this vhost;
//   - a poison queue that is not empty (Poisoned): messages failed for good
//     and wait for `mallbots replay`;
//   - an outbox whose relay is stuck (OutboxStuck): rows older than the
//     stuck-after age wait, and the relay's offset did not move between the
//     two samples (with one sample, the age alone decides);
//   - an outbox that grows although its relay moves (OutboxGrowing): rows
//     older than the stuck-after age wait, the relay's offset moved, and yet
//     more rows waited at the second sample than at the first: the service
//     writes events faster than its relay sends them;
//   - a source, or one service's outbox, that cannot be read
//     (BrokerUnreachable, DatabaseUnreachable, OutboxUnreadable).
//
// Wait queues (<service>.wait.<delay>) are shown, not judged: messages in
// them wait for data that has not arrived yet, and are poisoned on their own
// when it never does. Queue depths with consumers attached are load, not
// faults, and are not judged either.
//
// A relay's state (RelayState) is idle (nothing waits), moving (its offset
// moved between the samples), pending (rows wait, none older than the
// stuck-after age, the relay not seen moving yet: normal for a moment),
// stuck (as above) or unknown (the outbox could not be read).
//
// It reads the broker and the database and knows nothing of the domain, the
// handlers or the command line: the caller says which services to expect
// (broker.Service, as the topology plans them).
package status
