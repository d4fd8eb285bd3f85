package messaging

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Test-only access to unexported behaviour for the black-box tests of package
// messaging_test. Those tests cannot live in package messaging itself: they
// need internal/testkit, which imports messaging, and an internal test
// importing it would be an import cycle.

// DecodeErrorKey is the metadata key under which Unmarshal reports headers it
// could not decode.
const DecodeErrorKey = decodeErrorKey

// Prune runs the relay's event-log retention once.
func (r *Relay) Prune(ctx context.Context) error { return r.prune(ctx) }

// Validate is the consumer's check of what the transport cannot guarantee.
func Validate(h Handler, msg *message.Message) error { return validate(h, msg) }

// ReconnectBackoff is the reconnect policy Dial hands watermill-amqp.
var ReconnectBackoff = reconnectBackoff
