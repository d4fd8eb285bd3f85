package replay

import (
	"context"
	"fmt"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/outbox"
)

// FromLogOptions configures FromLog.
type FromLogOptions struct {
	Query outbox.LogQuery
	// Handler is the handler whose queue receives the events.
	Handler string
	Audit   *Audit
	Actor   string
	// Selection describes the selection for the audit trail.
	Selection string
	// Rate caps the events sent per second; 0 is no cap.
	Rate float64
	// Progress, when set, is called as confirms come in, with how many of
	// total events are re-delivered so far.
	Progress func(done, total int)
}

// FromLogResult is what FromLog did.
type FromLogResult struct {
	RunID string
	// Total is how many events were selected when the run started.
	Total       int
	Redelivered int
	// Skipped counts rows that were not forwarder envelopes.
	Skipped     int
	First, Last string
}

// FromLog re-delivers the events r.Query selects from the event log to
// the queue of r.Handler alone, through the default exchange, in commit
// order, each exactly as the relay published it (same UUID, payload and
// headers) plus replay_count and replayed_at. Publishes are confirmed in
// windows; a window is confirmed before the next begins, so an interrupt
// (ctx ending) leaves a known prefix re-delivered. Re-delivering twice is
// harmless: the handler's inbox drops events it has processed (delete its
// inbox rows along with its read model to rebuild the model).
func FromLog(ctx context.Context, conn *amqp.Connection, log *outbox.EventLog, r FromLogOptions) (FromLogResult, error) {
	res := FromLogResult{}
	total, err := log.Count(ctx, r.Query)
	if err != nil {
		return res, err
	}
	res.Total = total
	if _, err := queueLength(conn, r.Handler); err != nil {
		return res, err
	}
	run := Run{Actor: r.Actor, Action: ActionFromLog, Selection: r.Selection, Target: r.Handler, Selected: total}
	if err := r.Audit.Begin(ctx, &run); err != nil {
		return res, err
	}
	res.RunID = run.ID

	ch, err := conn.Channel()
	if err != nil {
		return res, fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	window := 100
	if r.Rate > 0 {
		// About one confirmed window per second keeps the progress moving.
		window = max(1, min(window, int(r.Rate)))
	}
	if err := ch.Confirm(false); err != nil {
		return res, fmt.Errorf("enable publisher confirms: %w", err)
	}
	returns := ch.NotifyReturn(make(chan amqp.Return, window+1))

	var pending []*amqp.DeferredConfirmation
	// flush waits for the window's confirms on a context detached from
	// ctx: what was published is confirmed even when interrupted.
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replayTimeout)
		defer cancel()
		for _, dc := range pending {
			acked, err := dc.WaitContext(wctx)
			if err != nil {
				return fmt.Errorf("wait for the broker's confirm: %w", err)
			}
			if !acked {
				return fmt.Errorf("the broker refused a publish to queue %s", r.Handler)
			}
		}
		select {
		case ret := <-returns:
			return fmt.Errorf("queue %s does not exist on the broker (event %s returned: %s)", r.Handler, ret.MessageId, ret.ReplyText)
		default:
		}
		res.Redelivered += len(pending)
		pending = pending[:0]
		if r.Progress != nil {
			r.Progress(res.Redelivered, total)
		}
		return nil
	}
	pace := newPacer(r.Rate)
	// The run re-delivers the events counted at its start, not those
	// committed while it runs.
	q := r.Query
	q.Limit = total
	if total == 0 {
		return res, r.Audit.Finish(ctx, run.ID, 0, 0, "ok: no events selected")
	}
	if r.Progress != nil {
		r.Progress(0, total)
	}
	skipped, err := log.Each(ctx, q, func(ev outbox.LoggedEvent) error {
		if err := pace.wait(ctx); err != nil {
			return err
		}
		pub := ev.Publishing
		count, _ := pub.Headers[broker.ReplayCountKey].(string)
		n, _ := strconv.Atoi(count)
		pub.Headers[broker.ReplayCountKey] = strconv.Itoa(n + 1)
		pub.Headers[broker.ReplayedAtKey] = time.Now().UTC().Format(time.RFC3339Nano)
		dc, err := ch.PublishWithDeferredConfirmWithContext(context.WithoutCancel(ctx), "", r.Handler, true, false, pub)
		if err != nil {
			return fmt.Errorf("publish event %s to queue %s: %w", ev.ID, r.Handler, err)
		}
		pending = append(pending, dc)
		if res.First == "" {
			res.First = ev.ID
		}
		res.Last = ev.ID
		if len(pending) == window {
			return flush()
		}
		return nil
	})
	res.Skipped = skipped
	if ferr := flush(); err == nil {
		err = ferr
	}
	result := fmt.Sprintf("ok: re-delivered %d events", res.Redelivered)
	if res.Redelivered > 0 {
		result += fmt.Sprintf(", first %s, last %s", res.First, res.Last)
	}
	if skipped > 0 {
		result += fmt.Sprintf("; skipped %d rows that are not forwarder envelopes", skipped)
	}
	failed := 0
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted after re-delivering %d of %d events: %w", res.Redelivered, total, err)
		}
		result = err.Error()
		failed = max(0, total-res.Redelivered-skipped)
	}
	if ferr := r.Audit.Finish(ctx, run.ID, res.Redelivered, failed, result); err == nil {
		err = ferr
	}
	return res, err
}
