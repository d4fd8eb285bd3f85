package broker

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Marshaler converts Watermill messages to AMQP publishings and back. Unlike
// watermill-amqp's DefaultMarshaler, Unmarshal never fails: the subscriber
// nacks and requeues a delivery whose Unmarshal fails, so one malformed
// message would loop forever. Problems are recorded in the metadata instead,
// and the consumer poisons the message with that reason.
type Marshaler struct{}

// Marshal copies metadata to string headers and the UUID to the message_id
// header and property. Messages are persistent JSON.
func (Marshaler) Marshal(msg *message.Message) (amqp.Publishing, error) {
	headers := make(amqp.Table, len(msg.Metadata)+1)
	for k, v := range msg.Metadata {
		if k == DecodeErrorKey {
			continue
		}
		headers[k] = v
	}
	headers[MessageIDKey] = msg.UUID
	return amqp.Publishing{
		Headers:      headers,
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		MessageId:    msg.UUID,
		Timestamp:    time.Now().UTC(),
		Body:         msg.Payload,
	}, nil
}

// Unmarshal turns a delivery into a message whose metadata holds its string
// headers. The broker's x-delivery-count becomes delivery_count. The x-death
// record of a message back from a wait queue (see WaitName) is expected and
// left out, with the broker's other dead-letter headers (x-first-death-*,
// x-last-death-*): the message's own wait headers say what its waits were.
// Any other non-string header (an x-death table of another dead-letter hop,
// a number from a foreign producer) is left out and reported under the
// decode-error key.
func (Marshaler) Unmarshal(d amqp.Delivery) (*message.Message, error) {
	var problems []string
	id, _ := d.Headers[MessageIDKey].(string)
	if raw, ok := d.Headers[MessageIDKey]; ok && id == "" {
		problems = append(problems, fmt.Sprintf("header %s is %s, not a string", MessageIDKey, Describe(raw)))
	}
	if id == "" {
		id = d.MessageId
	}
	msg := message.NewMessage(id, d.Body)
	keys := make([]string, 0, len(d.Headers))
	for k := range d.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == MessageIDKey {
			continue
		}
		if strings.HasPrefix(k, "x-first-death-") || strings.HasPrefix(k, "x-last-death-") {
			continue
		}
		switch v := d.Headers[k].(type) {
		case string:
			msg.Metadata.Set(k, v)
		default:
			if k == "x-delivery-count" {
				msg.Metadata.Set(DeliveryCountKey, fmt.Sprint(v))
				continue
			}
			if k == "x-death" && onlyWaited(v) {
				continue
			}
			problems = append(problems, fmt.Sprintf("header %s is %s, not a string", k, Describe(v)))
		}
	}
	if len(problems) > 0 {
		msg.Metadata.Set(DecodeErrorKey, strings.Join(problems, "; "))
	}
	return msg, nil
}

// onlyWaited reports whether an x-death header records nothing but expiries
// in wait queues: the message waited, and came back as planned.
func onlyWaited(xDeath any) bool {
	deaths, ok := xDeath.([]any)
	if !ok || len(deaths) == 0 {
		return false
	}
	for _, raw := range deaths {
		death, _ := raw.(amqp.Table)
		reason, _ := death["reason"].(string)
		queue, _ := death["queue"].(string)
		if reason != "expired" || !IsWaitQueue(queue) {
			return false
		}
	}
	return true
}

// Describe names the AMQP type of a header value for people ("a table", "a
// number (4)"), as decode errors and `mallbots replay show` write it.
func Describe(v any) string {
	switch v.(type) {
	case amqp.Table:
		return "a table"
	case []any:
		return "an array"
	case int, int8, int16, int32, int64, uint8, uint16, uint32, uint64:
		return "a number (" + fmt.Sprint(v) + ")"
	case float32, float64:
		return "a number (" + fmt.Sprint(v) + ")"
	case bool:
		return "a boolean (" + strconv.FormatBool(v.(bool)) + ")"
	case nil:
		return "empty"
	default:
		b, _ := json.Marshal(v)
		return fmt.Sprintf("a %T (%s)", v, b)
	}
}
