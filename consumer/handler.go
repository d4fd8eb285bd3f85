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
	var zero E
	topic := zero.EventName()
	short := topic[strings.LastIndex(topic, ".")+1:]
	return Handler{
		Service: service,
		Name:    service + ".On" + short,
		Topic:   topic,
		Handle: func(ctx context.Context, payload []byte) error {
			var e E
			if err := json.Unmarshal(payload, &e); err != nil {
				return Permanent(fmt.Errorf("decode %s payload as %s: %w", topic, reflect.TypeOf(e).Name(), err))
			}
			if err := e.Validate(); err != nil {
				return Permanent(err)
			}
			return fn(ctx, e)
		},
	}
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
