package customers_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/customer"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/customers"
)

const firstID = "00000000-0000-4000-8000-000000000001"

func newService() (*customers.Handlers, *fakeRepo) {
	repo := newFakeRepo()
	return customers.New(repo, &fakePublisher{}, sequentialIDs()), repo
}

func assertEvents(t *testing.T, repo *fakeRepo, want ...events.Event) {
	t.Helper()
	got := repo.published()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("published events:\n got %#v\nwant %#v", got, want)
	}
}

func TestPublishesListsEveryCustomerEventAndTheSagaReply(t *testing.T) {
	want := []string{events.CustomerRegisteredName, events.CustomerSmsChangedName, events.CustomerEnabledName, events.CustomerDisabledName,
		events.CreateOrderReplyName}
	var got []string
	for _, e := range customers.Publishes {
		got = append(got, e.EventName())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Publishes = %v, want %v", got, want)
	}
	if customers.Service != "customers" {
		t.Errorf("Service = %q", customers.Service)
	}
}

func TestRegisterCustomer(t *testing.T) {
	h, repo := newService()
	id, err := h.RegisterCustomer(context.Background(), "  Ada Lovelace ", " +1 555-123-4567")
	if err != nil {
		t.Fatal(err)
	}
	if id != firstID {
		t.Errorf("id = %q, want %q", id, firstID)
	}
	c := repo.customer(id)
	if c == nil || c.Name() != "Ada Lovelace" || c.SmsNumber() != "+1 555-123-4567" || !c.Enabled() || c.Version() != 1 {
		t.Fatalf("stored customer = %+v", c)
	}
	assertEvents(t, repo, events.CustomerRegistered{
		CustomerID: id, Name: "Ada Lovelace", SmsNumber: "+1 555-123-4567", Enabled: true, Version: 1,
	})
}

func TestRegisterCustomerRejectsInvalidInput(t *testing.T) {
	tests := []struct {
		name, cName, sms string
		want             error
	}{
		{"blank name", " ", "5551234567", customer.ErrNameRequired},
		{"invalid sms", "Ada", "555", customer.ErrInvalidSmsNumber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, repo := newService()
			id, err := h.RegisterCustomer(context.Background(), tt.cName, tt.sms)
			if !errors.Is(err, tt.want) || !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("err = %v, want %v (kind invalid)", err, tt.want)
			}
			if id != "" {
				t.Errorf("id = %q, want empty", id)
			}
			if repo.customer(firstID) != nil {
				t.Error("an invalid customer was stored")
			}
			assertEvents(t, repo)
		})
	}
}

func TestCustomerCommands(t *testing.T) {
	ctx := context.Background()
	h, repo := newService()
	id, err := h.RegisterCustomer(ctx, "Ada", "5551234567")
	if err != nil {
		t.Fatal(err)
	}
	registered := repo.published()[0]

	if err := h.ChangeSmsNumber(ctx, id, " +44 20 7946 0958 "); err != nil {
		t.Fatal(err)
	}
	if err := h.DisableCustomer(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := h.EnableCustomer(ctx, id); err != nil {
		t.Fatal(err)
	}
	assertEvents(t, repo,
		registered,
		events.CustomerSmsChanged{CustomerID: id, SmsNumber: "+44 20 7946 0958", Version: 2},
		events.CustomerDisabled{CustomerID: id, Version: 3},
		events.CustomerEnabled{CustomerID: id, Version: 4},
	)
	if c := repo.customer(id); c.SmsNumber() != "+44 20 7946 0958" || !c.Enabled() || c.Version() != 4 {
		t.Errorf("stored customer = {%q %t v%d}", c.SmsNumber(), c.Enabled(), c.Version())
	}
}

func TestCustomerCommandsThatFailChangeAndPublishNothing(t *testing.T) {
	ctx := context.Background()
	const unknown = "00000000-0000-4000-8000-999999999999"
	disable := func(h *customers.Handlers, id string) error { return h.DisableCustomer(ctx, id) }
	tests := []struct {
		name    string
		prepare func(h *customers.Handlers, id string) error // optional, must succeed
		run     func(h *customers.Handlers, id string) error
		want    error
		kind    error
	}{
		{name: "enable an enabled customer", run: func(h *customers.Handlers, id string) error { return h.EnableCustomer(ctx, id) },
			want: customer.ErrAlreadyEnabled, kind: domain.ErrConflict},
		{name: "disable twice", prepare: disable, run: disable,
			want: customer.ErrAlreadyDisabled, kind: domain.ErrConflict},
		{name: "invalid sms number", run: func(h *customers.Handlers, id string) error { return h.ChangeSmsNumber(ctx, id, "call me") },
			want: customer.ErrInvalidSmsNumber, kind: domain.ErrInvalid},
		{name: "enable unknown", run: func(h *customers.Handlers, _ string) error { return h.EnableCustomer(ctx, unknown) },
			want: domain.ErrNotFound, kind: domain.ErrNotFound},
		{name: "disable unknown", run: func(h *customers.Handlers, _ string) error { return h.DisableCustomer(ctx, unknown) },
			want: domain.ErrNotFound, kind: domain.ErrNotFound},
		{name: "change sms of unknown", run: func(h *customers.Handlers, _ string) error { return h.ChangeSmsNumber(ctx, unknown, "5551234567") },
			want: domain.ErrNotFound, kind: domain.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, repo := newService()
			id, err := h.RegisterCustomer(ctx, "Ada", "5551234567")
			if err != nil {
				t.Fatal(err)
			}
			if tt.prepare != nil {
				if err := tt.prepare(h, id); err != nil {
					t.Fatal(err)
				}
			}
			before, published := repo.customer(id), len(repo.published())

			err = tt.run(h, id)
			if !errors.Is(err, tt.want) || !errors.Is(err, tt.kind) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if extra := repo.published()[published:]; len(extra) != 0 {
				t.Errorf("failed command published %#v", extra)
			}
			if after := repo.customer(id); !reflect.DeepEqual(after, before) {
				t.Errorf("failed command changed the customer from %+v to %+v", before, after)
			}
		})
	}
}
