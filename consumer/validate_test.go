package consumer_test

import (
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/consumer"
	"github.com/mallbots/mallbots/internal/testkit"
)

// TestMarshalerUnmarshal reads deliveries as the consumer's subscriber does
// and checks them as the consumer does before any handler runs: Unmarshal
// never fails, records what it could not decode, and Validate turns that, a
// missing UUID or another event's name into a permanent error.
func TestMarshalerUnmarshal(t *testing.T) {
	t.Parallel()
	h := consumer.Handler{Service: "shop", Name: "shop.OnA", Topic: "shop.A", Handle: testkit.NopHandle}
	const id = "01900000-0000-7000-8000-000000000001"
	tests := []struct {
		name     string
		delivery amqp.Delivery
		wantUUID string
		wantMeta map[string]string
		// wantProblem is part of the decode error recorded; "" for none.
		wantProblem string
		// wantInvalid is part of the permanent error Validate returns; "" for valid.
		wantInvalid string
	}{
		{
			name: "string headers become metadata",
			delivery: amqp.Delivery{MessageId: "ignored", Body: []byte(`{}`), Headers: amqp.Table{
				broker.MessageIDKey: id, broker.NameKey: "shop.A", broker.CorrelationIDKey: "c1",
			}},
			wantUUID: id,
			wantMeta: map[string]string{broker.NameKey: "shop.A", broker.CorrelationIDKey: "c1"},
		},
		{
			name: "x-delivery-count becomes delivery_count",
			delivery: amqp.Delivery{Headers: amqp.Table{
				broker.MessageIDKey: id, broker.NameKey: "shop.A", "x-delivery-count": int64(3),
			}},
			wantUUID: id,
			wantMeta: map[string]string{broker.DeliveryCountKey: "3"},
		},
		{
			name: "table header is a decode error",
			delivery: amqp.Delivery{Headers: amqp.Table{
				broker.MessageIDKey: id, broker.NameKey: "shop.A", "trace": amqp.Table{"hop": "a"},
			}},
			wantUUID: id, wantMeta: map[string]string{broker.NameKey: "shop.A"},
			wantProblem: "header trace is a table", wantInvalid: "undecodable message",
		},
		{
			name: "x-death array header is a decode error",
			delivery: amqp.Delivery{Headers: amqp.Table{
				broker.MessageIDKey: id, broker.NameKey: "shop.A",
				"x-death": []any{amqp.Table{"count": int64(1), "queue": "q"}},
			}},
			wantUUID: id, wantProblem: "header x-death is an array", wantInvalid: "undecodable message",
		},
		{
			name: "the x-death record of a message back from its waits is left out",
			delivery: amqp.Delivery{Headers: amqp.Table{
				broker.MessageIDKey: id, broker.NameKey: "shop.A", broker.WaitCountKey: "2",
				"x-death": []any{
					amqp.Table{"count": int64(1), "queue": "shop.wait.1s", "reason": "expired", "exchange": "shop.wait.1s"},
					amqp.Table{"count": int64(1), "queue": "shop.wait.200ms", "reason": "expired", "exchange": "shop.wait.200ms"},
				},
				"x-first-death-queue": "shop.wait.200ms", "x-first-death-reason": "expired", "x-last-death-queue": "shop.wait.1s",
			}},
			wantUUID: id,
			wantMeta: map[string]string{broker.NameKey: "shop.A", broker.WaitCountKey: "2",
				"x-first-death-queue": "", "x-first-death-reason": "", "x-last-death-queue": ""},
		},
		{
			name: "an x-death record of anything but waiting is a decode error",
			delivery: amqp.Delivery{Headers: amqp.Table{
				broker.MessageIDKey: id, broker.NameKey: "shop.A",
				"x-death": []any{
					amqp.Table{"count": int64(1), "queue": "shop.OnA", "reason": "delivery_limit"},
					amqp.Table{"count": int64(1), "queue": "shop.wait.1s", "reason": "expired"},
				},
			}},
			wantUUID: id, wantProblem: "header x-death is an array", wantInvalid: "undecodable message",
		},
		{
			name: "an expiry in a queue not named like a wait queue is a decode error",
			delivery: amqp.Delivery{Headers: amqp.Table{
				broker.MessageIDKey: id, broker.NameKey: "shop.A",
				"x-death": []any{amqp.Table{"count": int64(1), "queue": "shop.wait.soon", "reason": "expired"}},
			}},
			wantUUID: id, wantProblem: "header x-death is an array", wantInvalid: "undecodable message",
		},
		{
			name: "number header is a decode error",
			delivery: amqp.Delivery{Headers: amqp.Table{
				broker.MessageIDKey: id, broker.NameKey: "shop.A", "retries": int32(2),
			}},
			wantUUID: id, wantProblem: "header retries is a number (2)", wantInvalid: "undecodable message",
		},
		{
			name:        "non-string message_id is a decode error",
			delivery:    amqp.Delivery{Headers: amqp.Table{broker.MessageIDKey: int64(7), broker.NameKey: "shop.A"}},
			wantUUID:    "",
			wantProblem: "header message_id is a number (7)", wantInvalid: "undecodable message",
		},
		{
			name:     "message_id property when the header is missing",
			delivery: amqp.Delivery{MessageId: id, Headers: amqp.Table{broker.NameKey: "shop.A"}},
			wantUUID: id,
		},
		{
			name:        "no message ID at all gives an empty UUID",
			delivery:    amqp.Delivery{Headers: amqp.Table{broker.NameKey: "shop.A"}},
			wantUUID:    "",
			wantInvalid: "no UUID",
		},
		{
			name:        "no name",
			delivery:    amqp.Delivery{Headers: amqp.Table{broker.MessageIDKey: id}},
			wantUUID:    id,
			wantInvalid: "no name header",
		},
		{
			name:        "another event's name",
			delivery:    amqp.Delivery{Headers: amqp.Table{broker.MessageIDKey: id, broker.NameKey: "shop.B"}},
			wantUUID:    id,
			wantInvalid: `unknown event "shop.B"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := broker.Marshaler{}.Unmarshal(tt.delivery)
			if err != nil || msg == nil {
				t.Fatalf("Unmarshal = %v, %v; it must never fail", msg, err)
			}
			if msg.UUID != tt.wantUUID {
				t.Errorf("UUID = %q, want %q", msg.UUID, tt.wantUUID)
			}
			if string(msg.Payload) != string(tt.delivery.Body) {
				t.Errorf("payload = %q, want %q", msg.Payload, tt.delivery.Body)
			}
			for k, v := range tt.wantMeta {
				if got := msg.Metadata.Get(k); got != v {
					t.Errorf("metadata %s = %q, want %q", k, got, v)
				}
			}
			if _, ok := msg.Metadata[broker.MessageIDKey]; ok {
				t.Errorf("message_id is copied to metadata; it belongs in the UUID")
			}
			problem := msg.Metadata.Get(broker.DecodeErrorKey)
			if tt.wantProblem == "" && problem != "" || !strings.Contains(problem, tt.wantProblem) {
				t.Errorf("decode error = %q, want %q", problem, tt.wantProblem)
			}
			err = consumer.Validate(h, msg)
			switch {
			case tt.wantInvalid == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.wantInvalid != "" && (err == nil || !consumer.IsPermanent(err) || !strings.Contains(err.Error(), tt.wantInvalid)):
				t.Errorf("Validate = %v (permanent=%v), want a permanent error containing %q", err, consumer.IsPermanent(err), tt.wantInvalid)
			}
		})
	}
}
