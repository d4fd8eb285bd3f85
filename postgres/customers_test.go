package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/customer"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
)

// outboxRow is one row of a service's Watermill outbox: a forwarder envelope
// whose payload is the event's JSON.
type outboxRow struct {
	DestinationTopic string            `json:"destination_topic"`
	UUID             string            `json:"uuid"`
	Payload          []byte            `json:"payload"`
	Metadata         map[string]string `json:"metadata"`
}

// readOutbox returns the rows of service's outbox in the order they were
// written.
func readOutbox(t *testing.T, db *postgres.DB, service string) []outboxRow {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(),
		"SELECT payload::text FROM "+pgx.Identifier{service, "watermill_outbox"}.Sanitize()+` ORDER BY "offset"`)
	if err != nil {
		t.Fatalf("read %s outbox: %v", service, err)
	}
	payloads, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("read %s outbox: %v", service, err)
	}
	out := make([]outboxRow, len(payloads))
	for i, p := range payloads {
		if err := json.Unmarshal([]byte(p), &out[i]); err != nil {
			t.Fatalf("outbox row %d is not a forwarder envelope: %v; %s", i, err, p)
		}
	}
	return out
}

func newCustomers(t *testing.T) (*postgres.DB, *postgres.Customers) {
	t.Helper()
	db, _ := testkit.Database(t)
	return db, postgres.NewCustomers(db, outbox.New("customers", nil))
}

// addCustomer stores c without publishing anything.
func addCustomer(t *testing.T, repo *postgres.Customers, c *customer.Customer) {
	t.Helper()
	if err := repo.Add(context.Background(), c); err != nil {
		t.Fatalf("add customer: %v", err)
	}
}

func assertCustomer(t *testing.T, repo *postgres.Customers, id, name, sms string, enabled bool, version int64) {
	t.Helper()
	c, err := repo.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get customer %s: %v", id, err)
	}
	if c.ID() != id || c.Name() != name || c.SmsNumber() != sms || c.Enabled() != enabled || c.Version() != version {
		t.Errorf("customer = {%s %q %q enabled=%t v%d}, want {%s %q %q enabled=%t v%d}",
			c.ID(), c.Name(), c.SmsNumber(), c.Enabled(), c.Version(), id, name, sms, enabled, version)
	}
}

func TestCustomersAddPublishesWithTheRow(t *testing.T) {
	t.Parallel()
	db, repo := newCustomers(t)
	ctx := context.Background()
	c, err := customer.New(uuid.NewString(), "Ada", "+1 555-123-4567")
	if err != nil {
		t.Fatal(err)
	}
	ev := events.CustomerRegistered{CustomerID: c.ID(), Name: c.Name(), SmsNumber: c.SmsNumber(), Enabled: true, Version: 1}
	if err := repo.Add(ctx, c, ev); err != nil {
		t.Fatal(err)
	}
	assertCustomer(t, repo, c.ID(), "Ada", "+1 555-123-4567", true, 1)

	rows := readOutbox(t, db, "customers")
	if len(rows) != 1 || rows[0].DestinationTopic != events.CustomerRegisteredName {
		t.Fatalf("outbox = %+v, want one %s", rows, events.CustomerRegisteredName)
	}
	var got events.CustomerRegistered
	if err := json.Unmarshal(rows[0].Payload, &got); err != nil || got != ev {
		t.Errorf("outbox payload = %+v (%v), want %+v", got, err, ev)
	}
}

func TestCustomersGetUnknownIsNotFound(t *testing.T) {
	t.Parallel()
	_, repo := newCustomers(t)
	id := uuid.NewString()
	_, err := repo.Get(context.Background(), id)
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	called := false
	err = repo.Update(context.Background(), id, func(*customer.Customer) ([]events.Event, error) {
		called = true
		return nil, nil
	})
	if !errors.Is(err, domain.ErrNotFound) || called {
		t.Fatalf("Update of unknown customer: err = %v, fn called = %t; want ErrNotFound, not called", err, called)
	}
}

func TestCustomersUpdateSavesAndPublishesOnce(t *testing.T) {
	t.Parallel()
	db, repo := newCustomers(t)
	ctx := context.Background()
	id := uuid.NewString()
	addCustomer(t, repo, customer.Rehydrate(id, "Ada", "5551234567", false, 1))

	err := repo.Update(ctx, id, func(c *customer.Customer) ([]events.Event, error) {
		if err := c.Enable(); err != nil {
			return nil, err
		}
		return []events.Event{events.CustomerEnabled{CustomerID: id, Version: c.Version()}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	assertCustomer(t, repo, id, "Ada", "5551234567", true, 2)

	rows := readOutbox(t, db, "customers")
	if len(rows) != 1 {
		t.Fatalf("outbox has %d rows, want 1: %+v", len(rows), rows)
	}
	if rows[0].DestinationTopic != "customers.CustomerEnabled" {
		t.Errorf("destination_topic = %q, want customers.CustomerEnabled", rows[0].DestinationTopic)
	}
	if name := rows[0].Metadata[broker.NameKey]; name != events.CustomerEnabledName {
		t.Errorf("metadata %s = %q, want %s", broker.NameKey, name, events.CustomerEnabledName)
	}
	var got events.CustomerEnabled
	if err := json.Unmarshal(rows[0].Payload, &got); err != nil || got != (events.CustomerEnabled{CustomerID: id, Version: 2}) {
		t.Errorf("payload = %+v (%v), want CustomerEnabled %s v2", got, err, id)
	}
}

func TestCustomersFailedUpdateChangesAndPublishesNothing(t *testing.T) {
	t.Parallel()
	db, repo := newCustomers(t)
	ctx := context.Background()
	id := uuid.NewString()
	addCustomer(t, repo, customer.Rehydrate(id, "Ada", "5551234567", true, 1))

	boom := errors.New("boom")
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"fn fails after changing the aggregate", func() error {
			return repo.Update(ctx, id, func(c *customer.Customer) ([]events.Event, error) {
				if err := c.Disable(); err != nil {
					return nil, err
				}
				return []events.Event{events.CustomerDisabled{CustomerID: id, Version: c.Version()}}, boom
			})
		}, boom},
		{"domain rule", func() error {
			return repo.Update(ctx, id, func(c *customer.Customer) ([]events.Event, error) {
				return nil, c.Enable()
			})
		}, customer.ErrAlreadyEnabled},
		{"outer transaction rolls back", func() error {
			// Update joins the caller's transaction, so its row and its
			// outbox row vanish with it.
			return db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
				err := repo.Update(ctx, id, func(c *customer.Customer) ([]events.Event, error) {
					if err := c.ChangeSmsNumber("+44 20 7946 0958"); err != nil {
						return nil, err
					}
					return []events.Event{events.CustomerSmsChanged{CustomerID: id, SmsNumber: c.SmsNumber(), Version: c.Version()}}, nil
				})
				if err != nil {
					return err
				}
				return boom
			})
		}, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			assertCustomer(t, repo, id, "Ada", "5551234567", true, 1)
			if rows := readOutbox(t, db, "customers"); len(rows) != 0 {
				t.Errorf("outbox has %d rows after a failed update, want 0: %+v", len(rows), rows)
			}
		})
	}
}

func TestCustomersConcurrentUpdatesLoseNothing(t *testing.T) {
	t.Parallel()
	db, repo := newCustomers(t)
	ctx := context.Background()
	id := uuid.NewString()
	addCustomer(t, repo, customer.Rehydrate(id, "Ada", "5551234567", true, 1))

	// Without the row lock two updates would both load version 1 and the
	// second save would overwrite the first.
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- repo.Update(ctx, id, func(c *customer.Customer) ([]events.Event, error) {
				if err := c.ChangeSmsNumber(fmt.Sprintf("555000%04d", i)); err != nil {
					return nil, err
				}
				return []events.Event{events.CustomerSmsChanged{CustomerID: id, SmsNumber: c.SmsNumber(), Version: c.Version()}}, nil
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	c, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version() != 1+n {
		t.Errorf("version = %d, want %d", c.Version(), 1+n)
	}
	rows := readOutbox(t, db, "customers")
	if len(rows) != n {
		t.Fatalf("outbox has %d rows, want %d", len(rows), n)
	}
	for i, r := range rows {
		var e events.CustomerSmsChanged
		if err := json.Unmarshal(r.Payload, &e); err != nil {
			t.Fatal(err)
		}
		if e.Version != int64(i+2) {
			t.Errorf("outbox row %d has version %d, want %d (events in commit order)", i, e.Version, i+2)
		}
	}
}
