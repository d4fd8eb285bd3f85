package correlation_test

import (
	"context"
	"testing"

	"github.com/mallbots/mallbots/correlation"
)

func TestContinueKeepsTheCausation(t *testing.T) {
	ctx := correlation.With(context.Background(), correlation.IDs{CorrelationID: "request", CausationID: "req-1"})
	got := correlation.From(correlation.Continue(ctx, "order-flow"))
	if got != (correlation.IDs{CorrelationID: "order-flow", CausationID: "req-1"}) {
		t.Errorf("Continue = %+v, want the flow's correlation and the request's causation", got)
	}
	if got := correlation.From(correlation.Continue(ctx, "")); got.CorrelationID != "request" {
		t.Errorf("Continue with no flow changed the correlation to %q", got.CorrelationID)
	}
}
