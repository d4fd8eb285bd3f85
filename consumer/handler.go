package consumer

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/events"
)

// Handler is one consumer: it handles the messages of one topic (an event or
// command name) from its own queue. Its name, "<service>.On<Event>", names the
// queue, so it is as frozen as the event name.
type Handler struct {
	Service string
	Name    string
	Topic   string
	// Handle applies one message's payload. It runs inside the transaction
	// that also records the message in the inbox, so it must do its database
	// work through the transaction in ctx (postgres.Transact joins it).
	Handle func(ctx context.Context, payload []byte) error
}

// On makes the Handler that decodes an E, validates it and calls fn with
// it. The handler name is the service followed by ".On" and the event's
// short name ("baskets.OnStoreCreated"). A payload that does not decode as E,
// or that E's Validate refuses (a required ID missing, say), is a permanent
// error: retrying cannot fix it, so fn never sees it.
func On[E events.Payload](service string, fn func(context.Context, E) error) Handler {
	// A Def on the function itself, bound to fn.
	call := func(f func(context.Context, E) error, ctx context.Context, e E) error { return f(ctx, e) }
	return Of(call).Bind(service, fn)
}

// Def is a consumer defined on a type S before any S exists: the topic it
// consumes, from its event type, and the method that handles that event on
// an S. A service's static spec lists its Defs, which give its handler names
// and topics without building anything; Bind turns each into a Handler once
// the service is built, and the compiler checks that the method belongs to
// the type built.
type Def[S any] struct {
	topic  string
	handle func(s S, ctx context.Context, payload []byte) error
}

// Of defines the consumer that decodes an E, validates it and calls method
// with it on an S: consumer.Of((*baskets.Handlers).OnStoreCreated). A payload
// that does not decode as E, or that E's Validate refuses, is a permanent
// error, as with On.
func Of[S any, E events.Payload](method func(S, context.Context, E) error) Def[S] {
	var zero E
	topic := zero.EventName()
	return Def[S]{topic: topic, handle: func(s S, ctx context.Context, payload []byte) error {
		var e E
		if err := json.Unmarshal(payload, &e); err != nil {
			return Permanent(fmt.Errorf("decode %s payload as %s: %w", topic, reflect.TypeOf(e).Name(), err))
		}
		if err := e.Validate(); err != nil {
			return Permanent(err)
		}
		return method(s, ctx, e)
	}}
}

// Topic returns the event or command d consumes.
func (d Def[S]) Topic() string { return d.topic }

// Name returns d's handler name in service: the service followed by ".On"
// and the event's short name ("baskets.OnStoreCreated").
func (d Def[S]) Name(service string) string {
	return service + ".On" + d.topic[strings.LastIndex(d.topic, ".")+1:]
}

// Subscription is d in service as the broker topology sees it, the same as
// that of the Handler Bind makes.
func (d Def[S]) Subscription(service string) broker.Subscription {
	return broker.Subscription{Queue: d.Name(service), Topic: d.topic}
}

// Bind returns d as service's Handler, handling each message with s.
func (d Def[S]) Bind(service string, s S) Handler {
	return Handler{Service: service, Name: d.Name(service), Topic: d.topic,
		Handle: func(ctx context.Context, payload []byte) error { return d.handle(s, ctx, payload) }}
}

// Through lifts defs on a part P of S to Defs on S, part returning an S's
// P: how a service runs consumers it embeds (catalogcache.Consumers in
// baskets and orders) from one list of definitions.
func Through[S, P any](part func(S) P, defs ...Def[P]) []Def[S] {
	out := make([]Def[S], len(defs))
	for i, d := range defs {
		out[i] = Def[S]{topic: d.topic, handle: func(s S, ctx context.Context, payload []byte) error {
			return d.handle(part(s), ctx, payload)
		}}
	}
	return out
}

// Subscription is h as the broker topology sees it: its queue, named like h,
// bound to its topic's exchange.
func (h Handler) Subscription() broker.Subscription {
	return broker.Subscription{Queue: h.Name, Topic: h.Topic}
}

// Subscriptions lists the subscriptions of hs, in order.
func Subscriptions(hs ...Handler) []broker.Subscription {
	out := make([]broker.Subscription, len(hs))
	for i, h := range hs {
		out[i] = h.Subscription()
	}
	return out
}
