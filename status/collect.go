package status

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/dsn"
)

// DefaultTimeout bounds one read of one source when Config.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// Config is what a Collector reads and how its reports judge.
type Config struct {
	// Services are the services to report on, in the order reports list
	// them, as the topology plans them: each consumer's Queue is a handler
	// queue the report expects.
	Services []broker.Service
	// Management reads the broker's queues.
	Management *Management
	// DB reads the services' outboxes. Sessions may use any time zone.
	DB *pgxpool.Pool
	// StuckAfter is the age past which waiting outbox rows that do not move
	// make a relay stuck (config.StatusConfig.StuckAfter).
	StuckAfter time.Duration
	// Timeout bounds each read of each source; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Collector takes samples of one system and compares them into reports. It
// holds no state between calls and is safe for concurrent use: a caller
// that samples periodically (the console) keeps its last Sample and compares
// the next one with it.
type Collector struct {
	cfg Config
}

// New returns a Collector reading what cfg says.
func New(cfg Config) *Collector {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &Collector{cfg: cfg}
}

// Sample is the system at one moment: the broker's queues and every
// service's outbox backlog. Only Compare reads it.
type Sample struct {
	at       time.Time
	broker   Source
	queues   map[string]Queue
	database Source
	outboxes map[string]backlog
}

// Sample reads both sources at once, each within the collector's timeout. A
// source that cannot be read is recorded as such, never returned as an
// error: the report shows it, with everything else.
func (c *Collector) Sample(ctx context.Context) Sample {
	s := Sample{
		broker:   Source{Where: c.cfg.Management.Where()},
		database: Source{Where: databaseWhere(c.cfg.DB)},
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
		queues, err := c.cfg.Management.Queues(ctx)
		s.queues, s.broker.Reachable = queues, err == nil
		if err != nil {
			s.broker.Error = err.Error()
		}
	})
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
		// One ping first, so that a database that is down is one problem,
		// reported once, not one per service.
		if err := c.cfg.DB.Ping(ctx); err != nil {
			s.database.Error = c.redact(err).Error()
			return
		}
		s.database.Reachable = true
		s.outboxes = make(map[string]backlog, len(c.cfg.Services))
		for _, svc := range c.cfg.Services {
			b := readBacklog(ctx, c.cfg.DB, svc.Name)
			b.err = c.redact(b.err)
			s.outboxes[svc.Name] = b
		}
	})
	wg.Wait()
	s.at = time.Now().UTC()
	return s
}

// redact scrubs err of the database's password, should a driver error echo
// its connection string.
func (c *Collector) redact(err error) error {
	return dsn.RedactError(err, c.cfg.DB.Config().ConnString())
}

// databaseWhere names the database as host:port/name, never its user or
// password.
func databaseWhere(pool *pgxpool.Pool) string {
	cc := pool.Config().ConnConfig
	return fmt.Sprintf("%s:%d/%s", cc.Host, cc.Port, cc.Database)
}

// Gather takes a sample, another one interval later, and compares them: a
// relay is seen moving or not over interval. With interval 0 it compares
// one sample with itself, and a backlog is stuck by its age alone. It
// returns an error only when ctx ends before the second sample.
func (c *Collector) Gather(ctx context.Context, interval time.Duration) (Report, error) {
	first := c.Sample(ctx)
	if interval <= 0 {
		return c.Compare(first, first), nil
	}
	timer := time.NewTimer(interval)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return Report{}, ctx.Err()
	case <-timer.C:
	}
	return c.Compare(first, c.Sample(ctx)), nil
}

// Compare reports on the system as second saw it, with each relay's
// progress since first (taken earlier), and judges it (Judge). A zero first
// (no earlier sample yet) compares second with itself, as one sample.
func (c *Collector) Compare(first, second Sample) Report {
	if first.at.IsZero() {
		first = second
	}
	r := Report{
		TakenAt:           second.at,
		IntervalSeconds:   second.at.Sub(first.at).Seconds(),
		StuckAfterSeconds: c.cfg.StuckAfter.Seconds(),
		Broker:            second.broker,
		Database:          second.database,
	}
	for _, spec := range c.cfg.Services {
		svc := Service{Name: spec.Name, Handlers: []Queue{}, Waits: second.waits(spec.Name)}
		names := make([]string, len(spec.Consumes))
		for i, sub := range spec.Consumes {
			names[i] = sub.Queue
		}
		sort.Strings(names)
		for _, name := range names {
			svc.Handlers = append(svc.Handlers, second.queue(name))
		}
		svc.Poison = second.queue(broker.PoisonName(spec.Name))
		svc.Outbox = compareBacklogs(first.outboxes[spec.Name], second.outboxes[spec.Name], first.database.Reachable)
		r.Services = append(r.Services, svc)
	}
	return Judge(r)
}

// queue returns the named queue as the sample saw it.
func (s Sample) queue(name string) Queue {
	if q, ok := s.queues[name]; ok {
		return q
	}
	return Queue{Name: name}
}

// waits returns service's wait queues on the broker, shortest delay first.
func (s Sample) waits(service string) []Queue {
	type wait struct {
		q     Queue
		delay time.Duration
	}
	var found []wait
	prefix := service + ".wait."
	for name, q := range s.queues {
		if !strings.HasPrefix(name, prefix) || !broker.IsWaitQueue(name) {
			continue
		}
		delay, _ := time.ParseDuration(strings.TrimPrefix(name, prefix))
		found = append(found, wait{q, delay})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].delay < found[j].delay })
	out := make([]Queue, len(found))
	for i, w := range found {
		out[i] = w.q
	}
	return out
}

// compareBacklogs is a service's outbox at second, with the relay's
// progress since first when first was read.
func compareBacklogs(first, second backlog, firstRead bool) Outbox {
	if second.err != nil {
		return Outbox{Error: second.err.Error()}
	}
	o := Outbox{Rows: second.rows, OldestAt: second.oldest, OldestAgeSeconds: second.age}
	if firstRead && first.err == nil {
		o.Growth = second.rows - first.rows
		o.Advanced = second.position != first.position
	}
	return o
}
