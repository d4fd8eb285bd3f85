package messaging

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

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

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as one that retrying cannot fix (undecodable payload,
// unknown event, domain rule violated): the message skips the retries and
// goes straight to the poison queue. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
