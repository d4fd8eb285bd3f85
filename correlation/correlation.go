// Package correlation carries the correlation and causation IDs of the work in
// progress through a context.Context inside one process. Across the broker they
// travel as message metadata; the HTTP edge and the message consumers put them
// into the context, and the outbox reads them from it when it writes events.
package correlation

import (
	"context"

	"github.com/google/uuid"
)

// IDs identify the conversation a piece of work belongs to.
type IDs struct {
	// CorrelationID is shared by every request and message of one conversation
	// (one HTTP request and everything it causes, down the whole saga).
	CorrelationID string
	// CausationID is the ID of the request or message that directly caused
	// the work in progress.
	CausationID string
}

type ctxKey struct{}

// With returns a copy of ctx that carries ids.
func With(ctx context.Context, ids IDs) context.Context {
	return context.WithValue(ctx, ctxKey{}, ids)
}

// From returns the IDs carried by ctx, or the zero IDs when there are none.
func From(ctx context.Context) IDs {
	ids, _ := ctx.Value(ctxKey{}).(IDs)
	return ids
}

// NewID returns a new time-ordered ID (UUIDv7) for a correlation, a request or
// a message.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// Continue returns ctx with flow as its correlation ID, keeping the causation
// ID ctx carries. A use case acting on an entity born in a flow (an order's
// shopping list, its invoice) continues that flow: every event of one order's
// life then carries the order's correlation ID, whoever sent the request that
// moved it on (a bot, the depot's till) and whatever X-Correlation-ID that
// request had; its causation ID still names the request. An empty flow (an
// entity stored before flows were recorded) leaves ctx as it is.
func Continue(ctx context.Context, flow string) context.Context {
	if flow == "" {
		return ctx
	}
	ids := From(ctx)
	ids.CorrelationID = flow
	return With(ctx, ids)
}
