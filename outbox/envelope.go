package outbox

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
)

// envelope is watermill's forwarder envelope, as forwarder.Publisher writes it.
type envelope struct {
	DestinationTopic string            `json:"destination_topic"`
	UUID             string            `json:"uuid"`
	Payload          []byte            `json:"payload"`
	Metadata         map[string]string `json:"metadata"`
}

// envelopePublishing turns an outbox row's payload (a forwarder envelope)
// into the topic and the AMQP publishing the relay sends for it: the event's
// UUID, payload and metadata, through Marshaler. `replay from-log` sends the
// very same publishing, so a replayed event looks like the relayed one.
func envelopePublishing(raw []byte) (string, amqp.Publishing, error) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return "", amqp.Publishing{}, fmt.Errorf("decode forwarder envelope: %w", err)
	}
	if env.DestinationTopic == "" {
		return "", amqp.Publishing{}, errors.New("forwarder envelope has no destination topic")
	}
	msg := message.NewMessage(env.UUID, env.Payload)
	msg.Metadata = env.Metadata
	pub, err := broker.Marshaler{}.Marshal(msg)
	return env.DestinationTopic, pub, err
}
