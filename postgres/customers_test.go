package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

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

// TestCustomersUpdateJoinsTheCallersTransaction: what the contract suite
// (TestCustomersKeepTheContract) cannot ask of a fake. Update joins the
// transaction in ctx, so its row and its outbox row vanish with it.
func TestCustomersUpdateJoinsTheCallersTransaction(t *testing.T) {
	t.Parallel()
	db, repo := newCustomers(t)
	ctx := context.Background()
	id := uuid.NewString()
	addCustomer(t, repo, customer.Rehydrate(id, "Ada", "5551234567", true, 1))

	boom := errors.New("boom")
	err := db.Transact(ctx, func(ctx context.Context, _ pgx.Tx) error {
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
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	assertCustomer(t, repo, id, "Ada", "5551234567", true, 1)
	if rows := readOutbox(t, db, "customers"); len(rows) != 0 {
		t.Errorf("outbox has %d rows after the rollback, want 0: %+v", len(rows), rows)
	}
}
