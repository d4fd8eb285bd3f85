// Package bench measures mallbots against real PostgreSQL and RabbitMQ
// servers, next to raw baselines measured in the same run, so that the figures
// can be compared on whatever machine runs them.
//
// RunOrders (behind `mallbots bench`) drives a running system over HTTP:
// orders through the whole create-order saga, shopped by bots and paid,
// timed from checkout to OrderApproved and OrderCompleted. The benchmarks
// below measure the event pipeline underneath: transactional outbox commit →
// relay → RabbitMQ → consumer with inbox.
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
//     The _notify_trigger variants add the outbox's NOTIFY trigger.
//   - BenchmarkRawAMQPPublishConfirm: amqp091 persistent publishes to a
//     fanout exchange bound to a quorum queue, confirms pipelined in batches
//     of 500; msgs/s.
//   - BenchmarkRawBatchedRelay: read a plain table in batches of 500, publish
//     with pipelined confirms, advance an offset; msgs/s. The 1.0 reference
//     of the relay target.
//   - BenchmarkRelayThroughput: N events committed through outbox.Outbox
//     (commit rate reported), then drained by outbox.Relay (RelayBatch in
//     a loop, default settings), alternating round by round with the raw
//     batched relay over a plain copy of the same rows; median events/s of
//     each and the relay/raw ratio (target ≥ 0.7).
//   - BenchmarkWatermillForwarder: the same kind of rows relayed by
//     Watermill's forwarder (watermill-sql subscriber → watermill-amqp
//     publisher with confirms), side by side with outbox.Relay on the very
//     same rows.
//   - BenchmarkPipelineLatency: the full path with a Relay, a Notifier and a
//     consumer router (consumer.NewRouter, config.Default() settings) whose
//     one handler writes a row through the inbox transaction.
//     "paced" commits one event per transaction at a fixed rate and reports
//     the commit-to-handled latency (p50/p99/max; target p99 ≤ 25 ms at
//     1,000 events/s); "paced_low" does the same at a rate one consumer
//     sustains, which shows the latency the path itself adds; "flat_out"
//     commits as fast as it can and reports the end-to-end throughput, which
//     the handler's single consumer (prefetch 1) bounds. The relay's batch
//     count and duration and the consumer's mean handling time, from their
//     Prometheus metrics, say where the time goes.
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
//	MALLBOTS_BENCH_LOW_RATE          rate of the paced_low variant, events/s (200)
//	MALLBOTS_BENCH_WRITERS           concurrent committing writers (4)
//	MALLBOTS_BENCH_ROUNDS            rounds of the raw publish and relay measurements; medians are reported (5)
//	MALLBOTS_BENCH_PREFETCH          consumer prefetch of the pipeline (default: config.Default(), 1)
//	MALLBOTS_BENCH_ENFORCE=true      fail when a target is missed (default: report only)
//	MALLBOTS_DATABASE_URL, MALLBOTS_AMQP_URL  the servers, as for the tests
//
// The machine's cores are shared by the benchmark, PostgreSQL, RabbitMQ and
// whatever else runs there, so figures move with the load: compare figures of
// one run, and read the last summary line, which samples what other sessions
// did on the PostgreSQL cluster meanwhile. A transaction that holds an xid
// anywhere in the cluster also holds back every outbox reader until it ends
// (the visibility rule uses the cluster-wide snapshot xmin); a benchmark
// that stalls on one names it.
//
// Each benchmark creates a fresh database (dropped afterwards), a uniquely
// named service schema, and uniquely named exchanges and queues that it
// deletes at the end.
package bench
