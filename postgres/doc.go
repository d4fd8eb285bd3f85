// Package postgres is mallbots' PostgreSQL layer: the connection pool, the
// unit of work every use case and consumer runs in, and the services'
// repositories (row ↔ domain mapping, with the outbox inside every write).
//
// # The unit of work travels in the context
//
// DB.Transact begins a transaction and hands its callback a context that
// carries it; every repository call made with that context joins it instead
// of beginning its own, and so does a nested Transact. That is how a
// consumer's inbox row, its effects across repositories (an order's events
// and the saga reply sent with them, a cache write and its guarded check)
// and the events they publish commit or vanish together, and how an
// idempotent HTTP request's key commits with what the request created.
// Repositories keep the UpdateFn shape (Update(ctx, id, fn) loads, lets fn
// decide, saves and publishes), and use cases never see a transaction: they
// pass the context on.
//
// The boundary is deliberately not in the signatures. A repository that
// owns its transaction, as in wild-workouts, cannot take part in a unit of
// work larger than its own write: a consumer's inbox row is recorded by the
// consumer machinery, one consumer may write through two repositories, and
// applying several queued messages of one handler in one transaction (one
// commit, a savepoint per message so that a bad one is isolated) needs
// every repository to join the transaction its caller began. Handing a
// pgx.Tx to every method instead would put pgx into every use case.
//
// What makes the context safe to carry:
//
//   - One way to a connection. A repository statement runs in a Transact
//     callback, on the transaction it is handed, or on DB.conn(ctx): the
//     transaction in ctx when there is one, the pool otherwise. Nothing but
//     the DB's own plumbing touches the pool or begins a transaction
//     (TestRepositoriesNeverBypassTheTransactionInContext), so a statement
//     inside a unit of work sees the work's writes and never waits for a
//     second connection while the work holds one, which would deadlock a
//     busy pool.
//   - Nothing here checks input. IDs are validated where they enter, with
//     domain.ParseID: httpapi's PathID and QueryID and the handlers' body
//     parsing, and each message payload's Validate. A statement therefore
//     never fails on a malformed UUID, which would abort the caller's
//     transaction.
//   - A write that may lose a race its caller goes on from says so without
//     an SQL error (INSERT … ON CONFLICT DO NOTHING and the row count:
//     Sagas.Add, Payments.AddInvoice, the orders event store), so the
//     caller's transaction stays usable. The event store's optimistic
//     concurrency needs no savepoint (Orders.appendEvents says why).
//     Savepoints, where part of a unit of work must be undone on its own,
//     belong to the unit of work's owner, not to a repository.
package postgres
