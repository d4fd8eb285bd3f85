package broker

import (
	"fmt"
	"strings"
	"time"
)

// The names of exchanges and queues, as the management console shows them.
// An event's exchange is named like the event ("stores.ProductAdded"), and a
// handler's queue like the handler ("baskets.OnProductAdded", made by
// consumer.On); the names below are the rest.

// PoisonName is the name of a service's poison exchange and queue.
func PoisonName(service string) string { return service + ".poison" }

// WaitName is the name of the exchange and queue in which service's messages
// wait for delay before their handler gets them again: "baskets.wait.5s",
// "saga.wait.200ms", "depot.wait.1m".
func WaitName(service string, delay time.Duration) string {
	return service + ".wait." + ShortDuration(delay)
}

// parseWaitName returns the service and delay of a wait queue's name, as
// WaitName makes them; ok is false for any other name.
func parseWaitName(name string) (service string, delay time.Duration, ok bool) {
	i := strings.LastIndex(name, ".wait.")
	if i <= 0 {
		return "", 0, false
	}
	delay, err := time.ParseDuration(name[i+len(".wait."):])
	if err != nil || delay <= 0 || WaitName(name[:i], delay) != name {
		return "", 0, false
	}
	return name[:i], delay, true
}

// IsWaitQueue reports whether name is a wait queue's.
func IsWaitQueue(name string) bool {
	_, _, ok := parseWaitName(name)
	return ok
}

// ShortDuration writes d as wait names do, without the zero units
// time.Duration.String adds: 200ms, 5s, 1m30s, 1m, 1h.
func ShortDuration(d time.Duration) string {
	switch {
	case d%time.Second != 0:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return strings.TrimSuffix(d.String(), "0s")
	}
	return d.String()
}
