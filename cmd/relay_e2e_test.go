package cmd

import (
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/config"
	"github.com/mallbots/mallbots/events"
)

// TestServeRingsTheRelayOnCommit runs serve with a relay poll interval of an
// hour: an event still reaches RabbitMQ at once, because the transaction
// that wrote it rings the process's outbox bell, which serve hands to every
// service's outbox and relay.
func TestServeRingsTheRelayOnCommit(t *testing.T) {
	s := startSystemWith(t, func(c *config.Config) { c.Relay.PollInterval = time.Hour }, "stores")
	created := s.tap(events.StoreCreatedName)
	id := s.mustCreate("/api/stores", `{"name":"Robo Parts","location":"Level 1"}`, nil)
	select {
	case d := <-created:
		if !strings.Contains(string(d.Body), id) {
			t.Errorf("%s carries %s, want store %s", events.StoreCreatedName, d.Body, id)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s within 30s: the commit did not wake the relay, which polls once an hour", events.StoreCreatedName)
	}
}
