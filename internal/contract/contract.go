// Package contract holds one test suite per repository interface the
// services' handlers consume, run against every implementation: the
// in-memory fakes the handler tests use (from handlers/<svc>) and the
// PostgreSQL repositories (from postgres). A fake that passes its suite
// behaves, as far as its handlers can tell, like the database: the handler
// tests over it prove what they claim.
//
// The handlers declare their interfaces unexported, so each suite declares
// an identical one here; handlers/<svc>/contract_internal_test.go converts
// each pair both ways, which compiles only while the two have the same
// methods. This package imports neither handlers nor postgres nor the
// messaging packages (deps_test.go), so both sides run it without breaking
// the dependency rules: handlers never import postgres, postgres never
// imports handlers.
//
// Each Run<Interface> is generic over the implementation's type and takes
// an open func that returns a fresh, empty implementation for one subtest
// and, for those that publish, a way to read what it has published (an
// Outbox): a fake's record and the database's outbox rows are held to the
// same expectations, correlation IDs included. Every write a suite makes
// runs in a flow (Flow) so that the correlation IDs can be compared.
package contract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/events"
)

// Published is one event as it leaves a service through its outbox: its
// wire name, its JSON payload and the correlation ID it travels under.
type Published struct {
	Name          string
	Payload       string
	CorrelationID string
}

func (p Published) String() string {
	return fmt.Sprintf("%s %s (correlation %s)", p.Name, p.Payload, p.CorrelationID)
}

// Event returns e as an outbox holds it, published in flow (the correlation
// ID).
func Event(flow string, e events.Event) Published {
	payload, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("encode %s: %v", e.EventName(), err))
	}
	return Published{Name: e.EventName(), Payload: string(payload), CorrelationID: flow}
}

// Outbox returns every event an implementation has published since it was
// opened, in the order it published them.
type Outbox func(t *testing.T) []Published

// Flow returns a context of the work of flow: its correlation ID is flow,
// as the HTTP edge or a consumer sets it.
func Flow(flow string) context.Context {
	return correlation.With(context.Background(), correlation.IDs{CorrelationID: flow, CausationID: "cause-of-" + flow})
}

// newID returns a new ID, as the services make them.
func newID() string { return uuid.NewString() }

// assertPublished fails t unless out holds exactly want, in order.
func assertPublished(t *testing.T, out Outbox, want ...Published) {
	t.Helper()
	got := out(t)
	if !slices.Equal(got, want) {
		t.Errorf("published:\n\t%s\nwant:\n\t%s", list(got), list(want))
	}
}

func list(ps []Published) string {
	if len(ps) == 0 {
		return "nothing"
	}
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n\t")
}

// assertKind fails t unless err wraps kind and no other domain kind; a nil
// kind asks for an error of no domain kind (an infrastructure failure or a
// fault, which a consumer retries and HTTP answers with a 500).
func assertKind(t *testing.T, err, kind error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one of kind %v", kind)
	}
	for _, k := range []error{domain.ErrInvalid, domain.ErrNotFound, domain.ErrConflict} {
		if got, want := errors.Is(err, k), k == kind; got != want {
			t.Errorf("errors.Is(%q, %v) = %t, want %t", err, k, got, want)
		}
	}
}

// assertNotFoundUncalled fails t unless write, given a mark for the fn it
// hands the repository to call, fails with domain.ErrNotFound and the fn
// never runs: what says which write it was.
func assertNotFoundUncalled(t *testing.T, what string, write func(mark func()) error) {
	t.Helper()
	called := false
	assertKind(t, write(func() { called = true }), domain.ErrNotFound)
	if called {
		t.Errorf("%s called fn", what)
	}
}

// must fails t at once on err; what says what was being done.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
