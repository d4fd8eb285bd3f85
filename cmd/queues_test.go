package cmd

import (
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/internal/testkit"
)

// waitTaken waits until queue holds no message ready for delivery: its
// consumer has taken what was published to it. A message its handler keeps
// failing and retrying stays taken (unacknowledged), so after waitTaken a
// test knows the handler met the message before whatever it does next.
func (s *system) waitTaken(queue string) {
	s.t.Helper()
	conn, err := amqp.Dial(s.amqpURL)
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		s.t.Fatal(err)
	}
	testkit.Eventually(s.t, 10*time.Second, queue+" has no message ready", func() bool {
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		if err != nil {
			s.t.Fatalf("inspect queue %s: %v", queue, err)
		}
		return q.Messages == 0
	})
}

// handled reports whether handler (e.g. "search.OnOrderReadied") has
// committed its effects of message id: its inbox row exists.
func (s *system) handled(service, handler, id string) bool {
	s.t.Helper()
	return s.count("SELECT count(*) FROM "+service+".inbox WHERE handler = $1 AND message_id = $2", handler, id) == 1
}
