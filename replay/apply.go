package replay

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ApplyOptions configures PoisonQueues.Apply.
type ApplyOptions struct {
	// Action is ActionReplay (re-deliver to the failed handler) or
	// ActionDiscard (remove for good).
	Action string
	// Audit records the run and every message before it leaves its queue.
	Audit *Audit
	// Actor is who runs it ($USER).
	Actor string
	// Selection describes the selection for the audit trail.
	Selection string
	// Handlers are the handlers that exist: a message for any other (a
	// handler since renamed or removed) is not re-delivered, since nothing
	// would consume it; it stays in the poison queue.
	Handlers []string
	// Rate caps the messages handled per second; 0 is no cap.
	Rate float64
	// Progress, when set, is called after each message with its error (nil
	// when done).
	Progress func(m PoisonMessage, err error)
}

// Applied is what Apply did.
type Applied struct {
	RunID     string
	Succeeded int
	Failed    int
}

// Apply re-delivers or discards msgs, which q holds, one at a time and in
// order: it records the message in full in the audit trail, re-delivers it
// (publish, confirm) or not, removes it from its poison queue, then records
// the outcome. A message that cannot be handled (unknown handler, missing
// queue) is recorded as failed and stays in its queue; the others go on.
//
// Apply stops early when ctx ends (between two messages, never inside
// one), when the broker channel is lost or the audit trail cannot be
// written, and returns the error; every message not handled by then is
// still in its poison queue once q is closed.
func (q *PoisonQueues) Apply(ctx context.Context, msgs []PoisonMessage, opts ApplyOptions) (Applied, error) {
	run := Run{Actor: opts.Actor, Action: opts.Action, Selection: opts.Selection, Selected: len(msgs)}
	if err := opts.Audit.Begin(ctx, &run); err != nil {
		return Applied{}, err
	}
	res := Applied{RunID: run.ID}
	known := map[string]bool{}
	for _, h := range opts.Handlers {
		known[h] = true
	}
	pace := newPacer(opts.Rate)
	var stop error
	for _, m := range msgs {
		if err := pace.wait(ctx); err != nil {
			stop = fmt.Errorf("interrupted after %d of %d messages; the rest stay in their poison queue: %w", res.Succeeded+res.Failed, len(msgs), err)
			break
		}
		row, err := opts.Audit.pending(ctx, run.ID, m)
		if err != nil {
			stop = err
			break
		}
		outcome := OutcomeDiscarded
		switch {
		case opts.Action == ActionDiscard:
			err = q.Discard(m)
		case m.Handler != "" && !known[m.Handler]:
			err = fmt.Errorf("handler %s does not exist (any more): nothing would consume the message; discard it, or replay it with a mallbots that has the handler (handlers: %s)",
				m.Handler, strings.Join(sorted(opts.Handlers), ", "))
		default:
			outcome = OutcomeRedelivered
			err = q.Redeliver(m, time.Now())
		}
		if err != nil {
			outcome = OutcomeFailed
			res.Failed++
		} else {
			res.Succeeded++
		}
		if opts.Progress != nil {
			opts.Progress(m, err)
		}
		if auditErr := opts.Audit.outcome(ctx, row, outcome, err); auditErr != nil {
			stop = auditErr
			break
		}
		if q.consume.IsClosed() || q.publish.IsClosed() {
			stop = fmt.Errorf("lost the channel to the broker after %d of %d messages; the rest stay in their poison queue: %w",
				res.Succeeded+res.Failed, len(msgs), err)
			break
		}
	}
	result := "ok"
	switch {
	case stop != nil:
		result = stop.Error()
	case res.Failed > 0:
		result = fmt.Sprintf("%d of %d messages failed and stay in their poison queue", res.Failed, len(msgs))
	}
	if err := opts.Audit.Finish(ctx, run.ID, res.Succeeded, res.Failed, result); err != nil && stop == nil {
		stop = err
	}
	return res, stop
}

func sorted(list []string) []string {
	out := append([]string(nil), list...)
	sort.Strings(out)
	return out
}
