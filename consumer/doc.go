// Package consumer is the receiving side of mallbots' messaging: a Handler
// per consumer (On makes one from a typed function; Of defines one on a
// type, by a method expression, for Bind to make once a value exists), and
// per service a Watermill router that runs every handler on its own queue
// behind one middleware stack, set in NewRouter (router.go) and logged at
// startup:
//
//	metrics → correlation_id → poison_queue → wait → retry → timeout → recoverer
//
// Its contract: a message is handled in one database transaction together
// with its inbox row, so a duplicate delivery changes nothing; a message
// that cannot succeed (a Permanent error, an undecodable or invalid
// payload) is poisoned at once, with the reason, to its service's poison
// queue; one whose data has not arrived yet waits in the broker's wait
// queues, holding no consumer; anything else is retried in process, within
// a budget, then poisoned. No message is lost and none loops forever.
//
// It builds on broker and knows nothing of the domain: the composition root
// passes the classifiers that sort domain errors (RouterDeps.IsPermanent,
// RouterDeps.MustWait).
package consumer
