package consumer

import "github.com/ThreeDotsLabs/watermill/message"

// Test-only access for the black-box tests of package consumer_test, which
// cannot live in package consumer: they need internal/testkit, which imports
// consumer.

// Validate is the consumer's check of what the transport cannot guarantee.
func Validate(h Handler, msg *message.Message) error { return validate(h, msg) }
