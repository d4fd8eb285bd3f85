package status

import (
	"fmt"
	"time"
)

// Report is the status of the system at one moment: what was read from each
// source, per service its queues and its outbox, and the problems judged
// from them. The JSON field names are stable: `mallbots status -o json`
// prints a Report. Durations are in seconds (float), times in RFC 3339.
type Report struct {
	// TakenAt is when the last sample was taken, UTC.
	TakenAt time.Time `json:"takenAt"`
	// IntervalSeconds is the time between the two samples compared; 0 when
	// the report rests on one sample.
	IntervalSeconds float64 `json:"intervalSeconds"`
	// StuckAfterSeconds is the age past which waiting outbox rows that do
	// not move make a relay stuck.
	StuckAfterSeconds float64 `json:"stuckAfterSeconds"`
	// Broker is the RabbitMQ management API the queues were read from.
	Broker Source `json:"broker"`
	// Database is the PostgreSQL database the outboxes were read from.
	Database Source `json:"database"`
	// Services are the services reported on, in the order asked for.
	Services []Service `json:"services"`
	// Problems are what an operator must act on, one per queue, outbox or
	// source at fault, in the order of Services; empty when Healthy.
	Problems []Problem `json:"problems"`
	// Healthy is true when there are no problems.
	Healthy bool `json:"healthy"`
}

// Source is one place a report reads from.
type Source struct {
	// Where names it for people, its password masked: the management API's
	// URL and virtual host, or the database's host:port/name.
	Where string `json:"where"`
	// Reachable is false when it could not be read; the figures that come
	// from it are then zero and unknown, and Error says why.
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
}

// Service is one service's part of the system.
type Service struct {
	Name string `json:"name"`
	// Handlers are its handler queues, one per consuming handler, named
	// like the handler ("orders.OnBasketCheckedOut"), sorted by name.
	Handlers []Queue `json:"handlers"`
	// Poison is its poison queue, "<service>.poison".
	Poison Queue `json:"poison"`
	// Waits are its wait queues found on the broker
	// ("<service>.wait.<delay>"), shortest delay first: messages waiting
	// for data that has not arrived yet.
	Waits []Queue `json:"waits"`
	// Outbox is its outbox backlog and the state of its relay.
	Outbox Outbox `json:"outbox"`
}

// Queue is one queue as the broker's statistics last saw it.
type Queue struct {
	Name string `json:"name"`
	// Exists is false when the broker has no such queue (or, when the
	// report's Broker is not Reachable, when it is unknown).
	Exists bool `json:"exists"`
	// Messages is Ready plus Unacked.
	Messages int `json:"messages"`
	// Ready messages wait for a consumer; Unacked ones are held by one.
	Ready   int `json:"ready"`
	Unacked int `json:"unacked"`
	// Consumers is how many consumers are attached.
	Consumers int `json:"consumers"`
	// InPerSecond is the recent rate of messages published into the queue,
	// DeliverPerSecond of messages delivered to consumers (redeliveries
	// included) and AckPerSecond of messages they acknowledged: handled,
	// or poisoned, or sent to wait.
	InPerSecond      float64 `json:"inPerSecond"`
	DeliverPerSecond float64 `json:"deliverPerSecond"`
	AckPerSecond     float64 `json:"ackPerSecond"`
}

// Outbox is one service's outbox backlog: the committed rows its relay has
// not confirmed on the broker yet.
type Outbox struct {
	// Error says why the outbox could not be read; the figures are then
	// zero and Relay is unknown.
	Error string `json:"error,omitempty"`
	// Rows is how many committed rows wait past the relay's offset.
	Rows int64 `json:"rows"`
	// OldestAt is when the oldest of them was written (nil when none wait),
	// and OldestAgeSeconds its age on the database's clock at the sample.
	OldestAt         *time.Time `json:"oldestAt,omitempty"`
	OldestAgeSeconds float64    `json:"oldestAgeSeconds"`
	// Growth is Rows less the rows that waited at the first sample.
	Growth int64 `json:"growth"`
	// Advanced is true when the relay's offset moved between the samples:
	// it sent rows.
	Advanced bool `json:"advanced"`
	// Relay is the relay's state, judged from the above.
	Relay RelayState `json:"relay"`
}

// RelayState is what a service's outbox relay is doing, as seen from its
// backlog (see the package documentation).
type RelayState string

// The relay states.
const (
	RelayIdle    RelayState = "idle"
	RelayMoving  RelayState = "moving"
	RelayPending RelayState = "pending"
	RelayStuck   RelayState = "stuck"
	RelayUnknown RelayState = "unknown"
)

// ProblemKind names a kind of problem; the values are stable.
type ProblemKind string

// The kinds of problem, in the order the package documentation explains
// them.
const (
	NoConsumer          ProblemKind = "no-consumer"
	QueueMissing        ProblemKind = "queue-missing"
	Poisoned            ProblemKind = "poisoned"
	OutboxStuck         ProblemKind = "outbox-stuck"
	OutboxGrowing       ProblemKind = "outbox-growing"
	OutboxUnreadable    ProblemKind = "outbox-unreadable"
	BrokerUnreachable   ProblemKind = "broker-unreachable"
	DatabaseUnreachable ProblemKind = "database-unreachable"
)

// Problem is one thing an operator must act on.
type Problem struct {
	Kind ProblemKind `json:"kind"`
	// Service is the service it concerns; empty for a source.
	Service string `json:"service,omitempty"`
	// Subject is what is at fault: a queue's name, "<service> outbox",
	// "RabbitMQ management API" or "PostgreSQL".
	Subject string `json:"subject"`
	// Detail says what is wrong, for people: "no consumer", "3 messages".
	Detail string `json:"detail"`
}

// String is the problem on one line, "orders.OnBasketCheckedOut: no consumer".
func (p Problem) String() string { return p.Subject + ": " + p.Detail }

// Judge returns r with its verdicts derived from its observations: each
// outbox's Relay state, the Problems (see the package documentation) and
// Healthy. Compare calls it; a caller that builds or edits a Report judges
// it with the same rules through it. r itself is not modified.
func Judge(r Report) Report {
	interval := r.IntervalSeconds > 0
	stuckAfter := r.StuckAfterSeconds
	problems := []Problem{}
	add := func(kind ProblemKind, service, subject, format string, args ...any) {
		problems = append(problems, Problem{Kind: kind, Service: service, Subject: subject, Detail: fmt.Sprintf(format, args...)})
	}
	if !r.Broker.Reachable {
		add(BrokerUnreachable, "", "RabbitMQ management API", "cannot read %s: %s", r.Broker.Where, r.Broker.Error)
	}
	if !r.Database.Reachable {
		add(DatabaseUnreachable, "", "PostgreSQL", "cannot read %s: %s", r.Database.Where, r.Database.Error)
	}
	services := make([]Service, len(r.Services))
	for i, s := range r.Services {
		if r.Broker.Reachable {
			for _, q := range s.Handlers {
				switch {
				case !q.Exists:
					add(QueueMissing, s.Name, q.Name, "queue missing (no serve has declared the topology in this vhost)")
				case q.Consumers == 0 && q.Messages > 0:
					add(NoConsumer, s.Name, q.Name, "no consumer, %s waiting", count(int64(q.Messages), "message"))
				case q.Consumers == 0:
					add(NoConsumer, s.Name, q.Name, "no consumer")
				}
			}
			switch {
			case !s.Poison.Exists:
				add(QueueMissing, s.Name, s.Poison.Name, "queue missing (no serve has declared the topology in this vhost)")
			case s.Poison.Messages > 0:
				add(Poisoned, s.Name, s.Poison.Name, "%s", count(int64(s.Poison.Messages), "message"))
			}
		}
		o := s.Outbox
		old := o.Rows > 0 && o.OldestAgeSeconds > stuckAfter
		switch {
		case !r.Database.Reachable || o.Error != "":
			o.Relay = RelayUnknown
		case o.Rows == 0:
			o.Relay = RelayIdle
		case o.Advanced:
			o.Relay = RelayMoving
		case old:
			o.Relay = RelayStuck
		default:
			o.Relay = RelayPending
		}
		subject := s.Name + " outbox"
		switch {
		case r.Database.Reachable && o.Error != "":
			add(OutboxUnreadable, s.Name, subject, "cannot read: %s", o.Error)
		case o.Relay == RelayStuck:
			add(OutboxStuck, s.Name, subject, "%s, oldest %s, not moving", count(o.Rows, "row"), Age(o.OldestAgeSeconds))
		case o.Relay == RelayMoving && old && interval && o.Growth > 0:
			add(OutboxGrowing, s.Name, subject, "%s, oldest %s, growing (+%d in %s) faster than the relay sends them",
				count(o.Rows, "row"), Age(o.OldestAgeSeconds), o.Growth, Age(r.IntervalSeconds))
		}
		s.Outbox = o
		services[i] = s
	}
	r.Services = services
	r.Problems = problems
	r.Healthy = len(problems) == 0
	return r
}

// count writes n things: "1 message", "3 messages".
func count(n int64, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// Age writes a number of seconds for people, as precisely as matters:
// "350ms", "42s", "3m5s", "2h0m0s".
func Age(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second))
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}
