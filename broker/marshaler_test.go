package broker_test

import (
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/broker"
)

func TestMarshalerMarshal(t *testing.T) {
	t.Parallel()
	const id = "01900000-0000-7000-8000-000000000002"
	msg := message.NewMessage(id, []byte(`{"seq":1}`))
	msg.Metadata.Set(broker.NameKey, "shop.A")
	msg.Metadata.Set(broker.CorrelationIDKey, "c1")
	msg.Metadata.Set(broker.DecodeErrorKey, "header trace is a table")

	pub, err := broker.Marshaler{}.Marshal(msg)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if pub.Headers[broker.MessageIDKey] != id || pub.MessageId != id {
		t.Errorf("message_id header %v and MessageId %q, want both %q", pub.Headers[broker.MessageIDKey], pub.MessageId, id)
	}
	if pub.DeliveryMode != amqp.Persistent {
		t.Errorf("delivery mode = %d, want persistent", pub.DeliveryMode)
	}
	if pub.ContentType != "application/json" {
		t.Errorf("content type = %q, want application/json", pub.ContentType)
	}
	if string(pub.Body) != `{"seq":1}` {
		t.Errorf("body = %q", pub.Body)
	}
	if pub.Headers[broker.NameKey] != "shop.A" || pub.Headers[broker.CorrelationIDKey] != "c1" {
		t.Errorf("headers = %v, want the metadata copied", pub.Headers)
	}
	if _, ok := pub.Headers[broker.DecodeErrorKey]; ok {
		t.Errorf("the internal decode-error key leaked into the headers: %v", pub.Headers)
	}
	if err := pub.Headers.Validate(); err != nil {
		t.Errorf("headers are not a valid AMQP table: %v", err)
	}

	// What Marshal writes, Unmarshal reads back unchanged.
	back, err := broker.Marshaler{}.Unmarshal(amqp.Delivery{Headers: pub.Headers, MessageId: pub.MessageId, Body: pub.Body})
	if err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if back.UUID != id || back.Metadata.Get(broker.NameKey) != "shop.A" || back.Metadata.Get(broker.CorrelationIDKey) != "c1" ||
		back.Metadata.Get(broker.DecodeErrorKey) != "" || len(back.Metadata) != 2 {
		t.Errorf("round trip gave UUID %q metadata %v", back.UUID, back.Metadata)
	}
}
