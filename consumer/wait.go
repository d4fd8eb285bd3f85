package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/mallbots/mallbots/broker"
)

// waiter is the middleware that lets a message wait for data that has not
// arrived yet (an event that overtook the one creating its row) without
// holding a consumer: instead of retrying it in process, it publishes the
// message to its service's wait exchange for the next delay, with the
// handler's queue as routing key, and acknowledges the delivery. The wait
// queue dead-letters the message back into that queue when the delay is
// over, so every message behind it is handled meanwhile.
//
// It sits between PoisonQueue and Retry: Retry leaves must-wait errors
// alone (a wait is not a blip), and PoisonQueue poisons what the waiter
// gives up on. It gives up, returning the handler's error as permanent, when
// the next wait would end past the retry budget counted from the first wait
// (the waiting_since header). A failed wait publish is returned as an error
// PoisonQueue lets through: the router nacks the delivery, which the broker
// delivers again (its delivery limit bounds that), since a broker that cannot
// take the wait now is no reason to poison the message.
type waiter struct {
	service string
	waits   []time.Duration
	budget  time.Duration
	// mustWait classifies the errors that make a message wait (permanent
	// ones never do); nil: none.
	mustWait func(error) bool
	pub      *broker.Publisher
	logger   *slog.Logger
}

// applies reports whether err makes a message wait.
func (w waiter) applies(err error) bool {
	return err != nil && w.mustWait != nil && w.mustWait(err)
}

// Middleware is the waiter as a Watermill middleware.
func (w waiter) Middleware(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		if !w.applies(err) {
			return out, err
		}
		return nil, w.wait(msg, err)
	}
}

// String describes the waiter for the router's startup log line.
func (w waiter) String() string {
	if w.mustWait == nil {
		return "wait(off)"
	}
	queues := make([]string, len(w.waits))
	for i, d := range w.waits {
		queues[i] = broker.WaitName(w.service, d)
	}
	return fmt.Sprintf("wait(must-wait errors wait in %s, the last repeating, within max_elapsed=%s)",
		strings.Join(queues, ", "), w.budget)
}

// wait sends msg to wait for its next delay, or gives up on it.
func (w waiter) wait(msg *message.Message, cause error) error {
	now := time.Now().UTC()
	count, _ := strconv.Atoi(msg.Metadata.Get(broker.WaitCountKey))
	since, err := time.Parse(time.RFC3339Nano, msg.Metadata.Get(broker.WaitingSinceKey))
	if err != nil || count == 0 {
		since = now
	}
	waited := now.Sub(since)
	delay := w.waits[min(count, len(w.waits)-1)]
	if waited+delay > w.budget {
		// No elapsed time in the reason: `replay list` groups reasons with
		// their numbers masked, not their durations. waiting_since has it.
		return Permanent(fmt.Errorf("%w (still missing after %d waits; the retry budget is %s)", cause, count, w.budget))
	}

	handler := message.HandlerNameFromCtx(msg.Context())
	waiting := msg.Copy()
	// Transport bookkeeping of this delivery, not of the message.
	delete(waiting.Metadata, broker.DeliveryCountKey)
	delete(waiting.Metadata, wamqp.MetadataRedeliveredKey)
	waiting.Metadata.Set(broker.WaitCountKey, strconv.Itoa(count+1))
	waiting.Metadata.Set(broker.WaitingSinceKey, since.Format(time.RFC3339Nano))
	waiting.Metadata.Set(broker.WaitReasonKey, cause.Error())
	pub, err := broker.Marshaler{}.Marshal(waiting)
	if err != nil {
		return requeue{fmt.Errorf("send to wait: %w", err)}
	}
	queue := broker.WaitName(w.service, delay)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(msg.Context()), publishTimeout)
	defer cancel()
	if err := w.pub.Publish(ctx, queue, handler, pub); err != nil {
		return requeue{fmt.Errorf("send to wait in %s (it must wait: %v): %w", queue, cause, err)}
	}
	w.logger.Info("message must wait; it comes back to its handler later",
		"service", w.service, "handler", handler, "message_id", msg.UUID,
		"correlation_id", msg.Metadata.Get(broker.CorrelationIDKey),
		"wait_queue", queue, "wait", count+1, "waited", waited.Round(time.Millisecond).String(), "reason", cause.Error())
	return nil
}

// requeue marks an error after which the delivery goes back to its queue
// rather than to the poison queue.
type requeue struct{ err error }

func (r requeue) Error() string { return r.err.Error() }
func (r requeue) Unwrap() error { return r.err }

// isRequeue reports whether err was marked requeue.
func isRequeue(err error) bool {
	var r requeue
	return errors.As(err, &r)
}
