package contract

import (
	"context"
	"testing"

	"github.com/mallbots/mallbots/events"
)

// Publisher writes events to a service's outbox without changing an
// aggregate (postgres.Publisher), as handlers/customers, depot, orders and
// payments declare it.
type Publisher interface {
	Publish(ctx context.Context, evs ...events.Event) error
}

// RunPublisher holds a publisher to its contract: Publish writes the events
// it is given, in order, in the caller's flow; none writes nothing.
func RunPublisher[R Publisher](t *testing.T, open func(*testing.T) (R, Outbox)) {
	t.Run("Publish writes the events in order in the caller's flow", func(t *testing.T) {
		pub, out := open(t)
		first := events.CreateOrderReply{OrderID: newID(), Command: events.AuthorizeCustomerName, Success: true}
		second := events.CreateOrderReply{OrderID: newID(), Command: events.ConfirmPaymentName, Reason: "declined"}
		must(t, "publish", pub.Publish(Flow("saga"), first, second))
		must(t, "publish nothing", pub.Publish(Flow("other")))
		must(t, "publish", pub.Publish(Flow("later"), first))
		assertPublished(t, out, Event("saga", first), Event("saga", second), Event("later", first))
	})
}
