package customers_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/customers"
)

const (
	orderID  = "00000000-0000-4000-8000-0000000000d1"
	secondID = "00000000-0000-4000-8000-000000000002"
)

// newConsumer returns the customers service with enabled customer firstID
// and disabled customer secondID registered.
func newConsumer(t *testing.T) (*customers.Handlers, *fakeRepo, *fakePublisher) {
	t.Helper()
	repo, pub := newFakeRepo(), &fakePublisher{}
	h := customers.New(repo, pub, sequentialIDs())
	ctx := context.Background()
	for _, name := range []string{"Ada", "Bob"} {
		if _, err := h.RegisterCustomer(ctx, name, "5551234567"); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.DisableCustomer(ctx, secondID); err != nil {
		t.Fatal(err)
	}
	return h, repo, pub
}

func TestOnAuthorizeCustomerRepliesOnce(t *testing.T) {
	const unknown = "00000000-0000-4000-8000-999999999999"
	tests := []struct {
		name       string
		customerID string
		want       events.CreateOrderReply
	}{
		{"enabled customer", firstID,
			events.CreateOrderReply{OrderID: orderID, Command: events.AuthorizeCustomerName, Success: true}},
		{"enabled customer, ID in capitals", strings.ToUpper(firstID),
			events.CreateOrderReply{OrderID: orderID, Command: events.AuthorizeCustomerName, Success: true}},
		{"disabled customer", secondID,
			events.CreateOrderReply{OrderID: orderID, Command: events.AuthorizeCustomerName, Reason: "customer " + secondID + " is disabled"}},
		{"unregistered customer", unknown,
			events.CreateOrderReply{OrderID: orderID, Command: events.AuthorizeCustomerName, Reason: "customer " + unknown + " is not registered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, repo, pub := newConsumer(t)
			before := repo.published()
			err := h.OnAuthorizeCustomer(context.Background(), events.AuthorizeCustomer{OrderID: orderID, CustomerID: tt.customerID})
			if err != nil {
				t.Fatalf("err = %v; a refusal is a reply, not an error", err)
			}
			if got := pub.published(); !reflect.DeepEqual(got, []events.Event{tt.want}) {
				t.Errorf("published %#v, want exactly %#v", got, tt.want)
			}
			if after := repo.published(); !reflect.DeepEqual(after, before) {
				t.Errorf("authorizing changed customers: %#v", after[len(before):])
			}
		})
	}
}

// A customer ID that is not a UUID never reaches the consumer (the payload
// is validated when decoded); were it to, it is invalid, not an unknown
// customer, and gets no reply.
func TestOnAuthorizeCustomerRefusesAnIDThatIsNotAUUID(t *testing.T) {
	h, _, pub := newConsumer(t)
	err := h.OnAuthorizeCustomer(context.Background(), events.AuthorizeCustomer{OrderID: orderID, CustomerID: "ada"})
	if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), `customer id "ada" is not a UUID`) {
		t.Fatalf("err = %v, want domain.ErrInvalid naming the ID", err)
	}
	if got := pub.published(); len(got) != 0 {
		t.Errorf("published %#v for an invalid command", got)
	}
}

func TestOnAuthorizeCustomerFailuresAreRetriedNotReplied(t *testing.T) {
	dbDown := errors.New("connection refused")
	t.Run("reading the customer fails", func(t *testing.T) {
		h, repo, pub := newConsumer(t)
		repo.getErr = dbDown
		err := h.OnAuthorizeCustomer(context.Background(), events.AuthorizeCustomer{OrderID: orderID, CustomerID: firstID})
		if !errors.Is(err, dbDown) || !strings.Contains(err.Error(), "authorize customer "+firstID+" for order "+orderID) {
			t.Fatalf("err = %v, want the read error with what was being done", err)
		}
		// A domain kind would make the router poison it instead of retrying.
		for _, k := range []error{domain.ErrInvalid, domain.ErrConflict, domain.ErrNotFound} {
			if errors.Is(err, k) {
				t.Errorf("err is of kind %v", k)
			}
		}
		if got := pub.published(); len(got) != 0 {
			t.Errorf("published %#v after a failed read", got)
		}
	})
	t.Run("publishing the reply fails", func(t *testing.T) {
		h, _, pub := newConsumer(t)
		pub.err = dbDown
		if err := h.OnAuthorizeCustomer(context.Background(), events.AuthorizeCustomer{OrderID: orderID, CustomerID: firstID}); !errors.Is(err, dbDown) {
			t.Fatalf("err = %v, want the publish error", err)
		}
	})
}
