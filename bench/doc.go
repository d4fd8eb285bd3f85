// Package bench measures mallbots' event pipeline against real PostgreSQL and
// RabbitMQ servers: transactional outbox commit → relay → RabbitMQ → consumer
// with inbox, next to raw baselines measured in the same run, so that the
// figures can be compared on whatever machine runs them.
//
// # Running
//
// Start the servers (make services), then
//
//	make bench
//	# which is
//	go test -run '^$' -bench . -benchtime 1x ./bench/
//
// Run with -benchtime 1x: every benchmark iteration is a whole workload of a
// fixed number of events (a larger -benchtime Nx repeats it N times and
// reports the aggregate). -bench Relay, -bench Pipeline and so on select a
// part. A summary table of every figure is printed after the benchmarks; each
// benchmark also logs its own table. Profile one part with, for example,
//
//	go test -run '^$' -bench RelayThroughput -benchtime 1x -cpuprofile cpu.out ./bench/
//	go tool pprof -top bench.test cpu.out
//
// # Benchmarks
//
//   - BenchmarkRawPgxInsert: pgx transactions inserting 1 (and 10) rows of
//     the outbox's shape into a plain table, from several writers; tx/s.
//   - BenchmarkRawAMQPPublishConfirm: amqp091 persistent publishes to a
//     fanout exchange bound to a quorum queue, confirms pipelined in batches
//     of 500; msgs/s.
//   - BenchmarkRawBatchedRelay: read a plain table in batches of 500, publish
//     with pipelined confirms, advance an offset; msgs/s. The 1.0 reference
//     of the relay target.
//   - BenchmarkRelayThroughput: N events committed through messaging.Outbox
//     (commit rate reported), then drained by messaging.Relay, next to the raw
//     batched relay over a copy of the same rows measured just before it;
//     events/s and the relay/raw ratio (target ≥ 0.7).
//   - BenchmarkWatermillForwarder: the same kind of rows relayed by
//     Watermill's forwarder (watermill-sql subscriber → watermill-amqp
//     publisher with confirms), side by side with messaging.Relay on the very
//     same rows.
//   - BenchmarkPipelineLatency: the full path with a Relay, a Notifier and a
//     consumer router (messaging.NewRouter, config.Default() settings) whose
//     one handler writes a row through the inbox transaction.
//     "paced" commits one event per transaction at a fixed rate and reports
//     the commit-to-handled latency (p50/p99/max; target p99 ≤ 25 ms at
//     1,000 events/s); "flat_out" commits as fast as it can and reports the
//     end-to-end throughput, which one prefetch-1 consumer bounds.
//
// "Handled" means the consumer's transaction (inbox row + effect) has
// committed: the router is given a Transactor that wraps postgres.DB and
// notes the time when Transact returns. Every benchmark counts its events and
// fails on a lost or duplicated one.
//
// # Settings (environment)
//
//	MALLBOTS_BENCH_EVENTS            events of the raw baselines and the relay benchmark (20000)
//	MALLBOTS_BENCH_FORWARDER_EVENTS  events of the Watermill forwarder benchmark (3000)
//	MALLBOTS_BENCH_PIPELINE_EVENTS   events of each pipeline variant (5000)
//	MALLBOTS_BENCH_RATE              paced producer rate, events/s (1000)
//	MALLBOTS_BENCH_WRITERS           concurrent committing writers (4)
//	MALLBOTS_BENCH_ENFORCE=true      fail when a target is missed (default: report only)
//	MALLBOTS_DATABASE_URL, MALLBOTS_AMQP_URL  the servers, as for the tests
//
// Each benchmark creates a fresh database (dropped afterwards), a uniquely
// named service schema, and uniquely named exchanges and queues that it
// deletes at the end.
package bench
