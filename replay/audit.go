package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/correlation"
)

// Replay actions, as recorded in the audit trail.
const (
	ActionReplay  = "replay"
	ActionDiscard = "discard"
	ActionFromLog = "from-log"
)

// Message outcomes, as recorded in the audit trail.
const (
	// OutcomePending is a message recorded before it left its poison
	// queue whose run never recorded what became of it: the run was
	// interrupted, and the message is re-delivered or still poisoned.
	OutcomePending     = "pending"
	OutcomeRedelivered = "redelivered"
	OutcomeDiscarded   = "discarded"
	OutcomeFailed      = "failed"
)

// auditTimeout bounds each audit write; the writes run detached from the
// caller's context, so an interrupt does not lose the record of a message
// already on its way.
const auditTimeout = 10 * time.Second

// Audit is the trail of replays in the replay schema (migration 0012): one
// row per run, and one per poisoned message a run touched, holding its
// properties, headers and payload in full.
type Audit struct {
	pool *pgxpool.Pool
}

// NewAudit returns the audit trail stored through pool.
func NewAudit(pool *pgxpool.Pool) *Audit { return &Audit{pool: pool} }

// Run is one invocation of replay that changes something.
type Run struct {
	// ID is set by Begin.
	ID string
	// Actor is who ran it ($USER).
	Actor string
	// Action is ActionReplay, ActionDiscard or ActionFromLog.
	Action string
	// Selection describes what was selected, like the flags that did.
	Selection string
	// Target is the handler of a from-log run.
	Target string
	// Selected is how many messages the run set out to handle.
	Selected int
}

// Begin records the start of r and sets its ID.
func (a *Audit) Begin(ctx context.Context, r *Run) error {
	r.ID = correlation.NewID()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	_, err := a.pool.Exec(ctx, `INSERT INTO replay.runs (id, actor, action, selection, target, selected)
		VALUES ($1, $2, $3, $4, $5, $6)`, r.ID, storable(r.Actor), r.Action, storable(r.Selection), r.Target, r.Selected)
	if err != nil {
		return fmt.Errorf("record the start of the %s run in the audit trail: %w", r.Action, err)
	}
	return nil
}

// Finish records the end of run id with its counts and result ("ok" or
// what went wrong).
func (a *Audit) Finish(ctx context.Context, id string, succeeded, failed int, result string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	_, err := a.pool.Exec(ctx, `UPDATE replay.runs SET finished_at = now(), succeeded = $2, failed = $3, result = $4
		WHERE id = $1`, id, succeeded, failed, storable(result))
	if err != nil {
		return fmt.Errorf("record the end of run %s in the audit trail: %w", id, err)
	}
	return nil
}

// pending records m in full as being handled by run, before it leaves its
// poison queue, and returns the row's ID for outcome.
func (a *Audit) pending(ctx context.Context, run string, m PoisonMessage) (int64, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	var id int64
	err := a.pool.QueryRow(ctx, `INSERT INTO replay.messages
		(run_id, message_id, source, handler, topic, reason, replay_count, outcome, properties, headers, payload)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		run, storable(m.ID), broker.PoisonName(m.Service), storable(m.Handler), storable(m.Topic), storable(m.Reason), m.ReplayCount, OutcomePending,
		propertiesJSON(m.Delivery), tableJSON(m.Delivery.Headers), m.Delivery.Body).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record message %s in the audit trail: %w", m.ID, err)
	}
	return id, nil
}

// outcome records what became of the message recorded as row.
func (a *Audit) outcome(ctx context.Context, row int64, outcome string, failure error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	msg := ""
	if failure != nil {
		msg = failure.Error()
	}
	if _, err := a.pool.Exec(ctx, "UPDATE replay.messages SET outcome = $2, error = $3, recorded_at = now() WHERE id = $1", row, outcome, storable(msg)); err != nil {
		return fmt.Errorf("record the outcome of audit row %d: %w", row, err)
	}
	return nil
}

// storable makes s acceptable to a PostgreSQL text or jsonb value, which
// refuse NUL characters and invalid UTF-8 that AMQP strings may carry: a NUL
// becomes the text \x00 and invalid bytes become U+FFFD. The audit record
// of a message must never fail on its content (the payload itself is kept
// byte for byte as bytea).
func storable(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", `\x00`), "\uFFFD")
}

// storableValue applies storable to every string in an AMQP field value.
func storableValue(v any) any {
	switch v := v.(type) {
	case string:
		return storable(v)
	case amqp.Table:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[storable(k)] = storableValue(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = storableValue(x)
		}
		return out
	default:
		return v
	}
}

// tableJSON renders AMQP headers as JSON. Every AMQP field type has a JSON
// form (nested tables and arrays as such, timestamps as RFC 3339, byte
// arrays as base64); should one fail anyway (a NaN), its Go rendering is
// kept.
func tableJSON(t amqp.Table) []byte {
	if t == nil {
		t = amqp.Table{}
	}
	b, err := json.Marshal(storableValue(t))
	if err != nil {
		b, _ = json.Marshal(map[string]string{"unencodable headers": storable(fmt.Sprintf("%#v", t))})
	}
	return b
}

func propertiesJSON(d amqp.Delivery) []byte {
	return tableJSON(amqp.Table{
		"message_id": d.MessageId, "content_type": d.ContentType, "content_encoding": d.ContentEncoding,
		"delivery_mode": d.DeliveryMode, "priority": d.Priority, "correlation_id": d.CorrelationId,
		"reply_to": d.ReplyTo, "expiration": d.Expiration, "timestamp": d.Timestamp, "type": d.Type,
		"user_id": d.UserId, "app_id": d.AppId, "exchange": d.Exchange, "routing_key": d.RoutingKey,
	})
}

// RunRecord is one run as the audit trail holds it.
type RunRecord struct {
	Run
	StartedAt  time.Time
	FinishedAt time.Time // zero while running or after the process died
	Succeeded  int
	Failed     int
	Result     string
	// Messages lists the poisoned messages the run touched.
	Messages []MessageRecord
}

// MessageRecord is one poisoned message a run touched.
type MessageRecord struct {
	ID, Handler, Outcome, Error string
}

// History returns the latest limit runs, newest first, with their messages.
func (a *Audit) History(ctx context.Context, limit int) ([]RunRecord, error) {
	rows, err := a.pool.Query(ctx, `SELECT id::text, actor, action, selection, target, selected, started_at,
			finished_at, succeeded, failed, result
		FROM replay.runs ORDER BY started_at DESC, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("read the replay audit trail: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (RunRecord, error) {
		var r RunRecord
		var finished *time.Time
		err := row.Scan(&r.ID, &r.Actor, &r.Action, &r.Selection, &r.Target, &r.Selected, &r.StartedAt,
			&finished, &r.Succeeded, &r.Failed, &r.Result)
		if finished != nil {
			r.FinishedAt = *finished
		}
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the replay audit trail: %w", err)
	}
	for i := range runs {
		rows, err := a.pool.Query(ctx, "SELECT message_id, handler, outcome, error FROM replay.messages WHERE run_id = $1 ORDER BY id", runs[i].ID)
		if err != nil {
			return nil, fmt.Errorf("read the messages of run %s: %w", runs[i].ID, err)
		}
		runs[i].Messages, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (MessageRecord, error) {
			var m MessageRecord
			return m, row.Scan(&m.ID, &m.Handler, &m.Outcome, &m.Error)
		})
		if err != nil {
			return nil, fmt.Errorf("read the messages of run %s: %w", runs[i].ID, err)
		}
		if runs[i].FinishedAt.IsZero() {
			// The run never recorded its counts: its messages tell them.
			for _, m := range runs[i].Messages {
				switch m.Outcome {
				case OutcomeRedelivered, OutcomeDiscarded:
					runs[i].Succeeded++
				case OutcomeFailed:
					runs[i].Failed++
				}
			}
		}
	}
	return runs, nil
}
