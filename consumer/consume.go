package consumer

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/correlation"
)

// consume is the innermost handler: it checks what the transport cannot
// guarantee, then runs the inbox and the handler in one transaction.
func consume(h Handler, d RouterDeps) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		log := d.Logger.With("service", d.Service, "handler", h.Name, "message_id", msg.UUID,
			"correlation_id", msg.Metadata.Get(broker.CorrelationIDKey))
		if err := validate(h, msg); err != nil {
			log.Warn("rejecting malformed message", "error", err)
			return err
		}
		corr := msg.Metadata.Get(broker.CorrelationIDKey)
		if corr == "" {
			corr = msg.UUID
		}
		ctx := correlation.With(msg.Context(), correlation.IDs{CorrelationID: corr, CausationID: msg.UUID})
		err := d.DB.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
			fresh, err := recordInbox(ctx, tx, d.Service, h.Name, msg.UUID)
			if err != nil || !fresh {
				if err == nil {
					log.Debug("duplicate delivery ignored")
				}
				return err
			}
			return h.Handle(ctx, msg.Payload)
		})
		if err != nil {
			// The waiter logs a message sent to wait, in one line too.
			if !d.mustWait(err) {
				log.Warn("handler failed", "error", err, "permanent", isPermanent(err, d.IsPermanent))
			}
			return err
		}
		log.Debug("handled")
		return nil
	}
}

// validate rejects, permanently, what no retry can fix: headers the
// marshaler could not decode, a missing UUID, or a message whose name is not
// the topic this handler consumes.
func validate(h Handler, msg *message.Message) error {
	if problem := msg.Metadata.Get(broker.DecodeErrorKey); problem != "" {
		return Permanent(fmt.Errorf("undecodable message: %s", problem))
	}
	if msg.UUID == "" {
		return Permanent(errors.New("message has no UUID (message_id header)"))
	}
	switch name := msg.Metadata.Get(broker.NameKey); name {
	case h.Topic:
		return nil
	case "":
		return Permanent(fmt.Errorf("message has no %s header; %s expects %s", broker.NameKey, h.Name, h.Topic))
	default:
		return Permanent(fmt.Errorf("unknown event %q for handler %s, which consumes %s", name, h.Name, h.Topic))
	}
}
