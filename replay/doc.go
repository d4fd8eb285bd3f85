// Package replay is what `mallbots replay` does: it reads the services'
// poison queues (PoisonQueues, PoisonMessage), picks messages (Selection),
// re-delivers each to the one handler that failed it or discards it (Apply,
// paced at a rate), records every run and every message it touched in the
// audit trail (Audit), and re-delivers retained events from the outbox's
// event log to one handler's queue (FromLog).
//
// Its contract: a message is recorded in the audit trail, published to its
// handler's own queue through the default exchange (no other consumer of its
// topic sees it again) and confirmed by the broker before it leaves its
// poison queue; messages not selected keep their place; an interrupted run
// loses nothing. Replay never touches a service's inbox: a message that
// succeeded must stay done, so the inbox drops any copy replay sends again.
//
// It returns data; cmd renders it for people. It builds on broker and
// outbox and knows nothing of the domain.
package replay
