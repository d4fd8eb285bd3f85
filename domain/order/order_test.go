package order_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/order"
	"github.com/mallbots/mallbots/internal/domaintest"
)

const (
	orderID    = "0190a5e1-0000-7000-8000-000000000001"
	customerID = "0190a5e1-0000-7000-8000-000000000002"
	paymentID  = "0190a5e1-0000-7000-8000-000000000003"
	storeID    = "0190a5e1-0000-7000-8000-000000000004"
	productID  = "0190a5e1-0000-7000-8000-000000000005"
	shoppingID = "0190a5e1-0000-7000-8000-000000000006"
	invoiceID  = "0190a5e1-0000-7000-8000-000000000007"
	otherID    = "0190a5e1-0000-7000-8000-000000000008"
)

func item(price int64, quantity int) order.Item {
	return order.Item{StoreID: storeID, StoreName: "Robo Parts", ProductID: productID, ProductName: "Servo", Price: price, Quantity: quantity}
}

func TestNew(t *testing.T) {
	upper := strings.ToUpper(orderID)
	tests := []struct {
		name              string
		id, customer, pay string
		items             []order.Item
		wantErr, wantKind error
		wantTotal         int64
	}{
		{name: "one item", id: orderID, customer: customerID, pay: paymentID, items: []order.Item{item(999, 2)}, wantTotal: 1998},
		{name: "several items, a free one", id: orderID, customer: customerID, pay: paymentID,
			items: []order.Item{item(999, 2), item(0, 1), item(1, 3)}, wantTotal: 2001},
		{name: "uppercase and padded ids are normalised", id: " " + upper + " ", customer: customerID, pay: paymentID,
			items: []order.Item{item(5, 1)}, wantTotal: 5},
		{name: "blank id", id: "", customer: customerID, pay: paymentID, items: []order.Item{item(1, 1)},
			wantErr: order.ErrInvalidID, wantKind: domain.ErrInvalid},
		{name: "id not a uuid", id: "order-1", customer: customerID, pay: paymentID, items: []order.Item{item(1, 1)},
			wantErr: order.ErrInvalidID, wantKind: domain.ErrInvalid},
		{name: "id with a misplaced hyphen", id: "0190a5e10-000-7000-8000-000000000001", customer: customerID, pay: paymentID,
			items: []order.Item{item(1, 1)}, wantErr: order.ErrInvalidID, wantKind: domain.ErrInvalid},
		{name: "id with a non-hex digit", id: "0190a5e1-0000-7000-8000-00000000000g", customer: customerID, pay: paymentID,
			items: []order.Item{item(1, 1)}, wantErr: order.ErrInvalidID, wantKind: domain.ErrInvalid},
		{name: "customer not a uuid", id: orderID, customer: "ada", pay: paymentID, items: []order.Item{item(1, 1)},
			wantErr: order.ErrInvalidCustomerID, wantKind: domain.ErrInvalid},
		{name: "payment not a uuid", id: orderID, customer: customerID, pay: "", items: []order.Item{item(1, 1)},
			wantErr: order.ErrInvalidPaymentID, wantKind: domain.ErrInvalid},
		{name: "no items", id: orderID, customer: customerID, pay: paymentID,
			wantErr: order.ErrNoItems, wantKind: domain.ErrInvalid},
		{name: "zero quantity", id: orderID, customer: customerID, pay: paymentID, items: []order.Item{item(1, 1), item(1, 0)},
			wantErr: order.ErrInvalidItem, wantKind: domain.ErrInvalid},
		{name: "negative price", id: orderID, customer: customerID, pay: paymentID, items: []order.Item{item(-1, 1)},
			wantErr: order.ErrInvalidItem, wantKind: domain.ErrInvalid},
		{name: "store not a uuid", id: orderID, customer: customerID, pay: paymentID,
			items:   []order.Item{{StoreID: "s1", ProductID: productID, Price: 1, Quantity: 1}},
			wantErr: order.ErrInvalidItem, wantKind: domain.ErrInvalid},
		{name: "product not a uuid", id: orderID, customer: customerID, pay: paymentID,
			items:   []order.Item{{StoreID: storeID, ProductID: "p1", Price: 1, Quantity: 1}},
			wantErr: order.ErrInvalidItem, wantKind: domain.ErrInvalid},
		{name: "total overflows", id: orderID, customer: customerID, pay: paymentID,
			items:   []order.Item{item(1<<62, 1), item(1<<62, 1)},
			wantErr: order.ErrInvalidItem, wantKind: domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, evs, err := order.New(tt.id, tt.customer, tt.pay, tt.items)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if tt.wantErr != nil {
				if o != nil || evs != nil {
					t.Errorf("got order %v and events %v with an error", o, evs)
				}
				return
			}
			created := order.Created{ID: orderID, CustomerID: customerID, PaymentID: paymentID, Items: tt.items, Total: tt.wantTotal}
			if want := []order.Event{created}; !reflect.DeepEqual(evs, want) {
				t.Errorf("events = %#v, want %#v", evs, want)
			}
			if o.ID() != orderID || o.CustomerID() != customerID || o.PaymentID() != paymentID || o.Total() != tt.wantTotal ||
				o.Status() != order.StatusPending || o.Version() != 1 || !reflect.DeepEqual(o.Items(), tt.items) {
				t.Errorf("order = %s %s %s total %d %s v%d %v", o.ID(), o.CustomerID(), o.PaymentID(), o.Total(), o.Status(), o.Version(), o.Items())
			}
		})
	}
}

func TestNewErrorsNameTheItemAndValue(t *testing.T) {
	for _, tc := range []struct {
		items []order.Item
		want  string
	}{
		{[]order.Item{item(1, 1), item(1, 0)}, "order item 2: quantity 0 is less than 1"},
		{[]order.Item{item(-5, 1)}, "order item 1: price -5 is negative"},
		{[]order.Item{{StoreID: "shop", ProductID: productID, Quantity: 1}}, `order item 1: store id is not a UUID: "shop"`},
	} {
		_, _, err := order.New(orderID, customerID, paymentID, tc.items)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want it to contain %q", err, tc.want)
		}
	}
	_, _, err := order.New(orderID, "Ada", paymentID, []order.Item{item(1, 1)})
	if err == nil || !strings.Contains(err.Error(), `order customer id is not a UUID: "ada"`) {
		t.Errorf("err = %v, want it to quote the customer id", err)
	}
}

func TestNewTrimsNamesAndCopiesItems(t *testing.T) {
	items := []order.Item{{StoreID: storeID, StoreName: "  Robo Parts ", ProductID: productID, ProductName: "\tServo\n", Price: 10, Quantity: 1}}
	o, _, err := order.New(orderID, customerID, paymentID, items)
	if err != nil {
		t.Fatal(err)
	}
	items[0].Price = 99
	got := o.Items()
	if got[0].StoreName != "Robo Parts" || got[0].ProductName != "Servo" || got[0].Price != 10 {
		t.Errorf("items = %+v, want trimmed names and the price at creation", got)
	}
	got[0].Quantity = 7
	if o.Items()[0].Quantity != 1 {
		t.Error("Items returned the order's own slice")
	}
}

var (
	t0      = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	created = order.Created{ID: orderID, CustomerID: customerID, PaymentID: paymentID, Items: []order.Item{item(999, 2)}, Total: 1998}
)

// history returns the recorded events evs, one minute apart from t0.
func history(evs ...order.Event) []order.Recorded {
	out := make([]order.Recorded, len(evs))
	for i, e := range evs {
		out[i] = order.Recorded{Version: int64(i + 1), OccurredAt: t0.Add(time.Duration(i) * time.Minute), Event: e}
	}
	return out
}

// inStatus returns an order loaded from a history that leads to status.
func inStatus(t *testing.T, status string) *order.Order {
	t.Helper()
	histories := map[string][]order.Event{
		"pending":                 {created},
		"shopped while pending":   {created, order.ShoppingCompleted{ShoppingID: shoppingID, InvoiceID: invoiceID}},
		"approved":                {created, order.Approved{ShoppingID: shoppingID}},
		"rejected":                {created, order.Rejected{Reason: "customer is disabled"}},
		"ready":                   {created, order.Approved{ShoppingID: shoppingID}, order.Readied{InvoiceID: invoiceID}},
		"completed":               {created, order.Approved{ShoppingID: shoppingID}, order.Readied{InvoiceID: invoiceID}, order.Completed{}},
		"canceled":                {created, order.Canceled{}},
		"canceled after approval": {created, order.Approved{ShoppingID: shoppingID}, order.Canceled{}},
	}
	o, err := order.Load(history(histories[status]...))
	if err != nil {
		t.Fatalf("load %s order: %v", status, err)
	}
	return o
}

func TestLoadFoldsTheHistory(t *testing.T) {
	tests := []struct {
		status                string
		want                  order.Status
		shopping, invoice, rs string
		version               int64
	}{
		{"pending", order.StatusPending, "", "", "", 1},
		{"shopped while pending", order.StatusPending, "", "", "", 2},
		{"approved", order.StatusApproved, shoppingID, "", "", 2},
		{"rejected", order.StatusRejected, "", "", "customer is disabled", 2},
		{"ready", order.StatusReady, shoppingID, invoiceID, "", 3},
		{"completed", order.StatusCompleted, shoppingID, invoiceID, "", 4},
		{"canceled", order.StatusCanceled, "", "", "", 2},
		{"canceled after approval", order.StatusCanceled, shoppingID, "", "", 3},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			o := inStatus(t, tt.status)
			if o.Status() != tt.want || o.ShoppingID() != tt.shopping || o.InvoiceID() != tt.invoice || o.Reason() != tt.rs || o.Version() != tt.version {
				t.Errorf("order = {%s shopping %q invoice %q reason %q v%d}, want {%s %q %q %q v%d}",
					o.Status(), o.ShoppingID(), o.InvoiceID(), o.Reason(), o.Version(), tt.want, tt.shopping, tt.invoice, tt.rs, tt.version)
			}
			if o.ID() != orderID || o.CustomerID() != customerID || o.PaymentID() != paymentID || o.Total() != 1998 || len(o.Items()) != 1 {
				t.Errorf("created fields lost: %s %s %s %d %v", o.ID(), o.CustomerID(), o.PaymentID(), o.Total(), o.Items())
			}
			if !o.CreatedAt().Equal(t0) || !o.UpdatedAt().Equal(t0.Add(time.Duration(tt.version-1)*time.Minute)) {
				t.Errorf("createdAt %s updatedAt %s, want the first and last event's times", o.CreatedAt(), o.UpdatedAt())
			}
			if got := o.Status().String(); got != tt.want.String() || got == "" {
				t.Errorf("status name = %q", got)
			}
		})
	}
}

func TestLoadRejectsACorruptHistory(t *testing.T) {
	approved := order.Approved{ShoppingID: shoppingID}
	gap := history(created, approved)
	gap[1].Version = 3
	tests := []struct {
		name    string
		history []order.Recorded
		want    string
	}{
		{"empty", nil, "order history is empty"},
		{"not starting with Created", history(approved), "only version 1 is Created"},
		{"Created twice", history(created, created), "only version 1 is Created"},
		{"a version gap", gap, "event 2 has version 3, want 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := order.Load(tt.history)
			if err == nil || o != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, %v; want an error containing %q", o, err, tt.want)
			}
		})
	}
}

// TestTransitions runs every command against an order in every status.
func TestTransitions(t *testing.T) {
	type command struct {
		name string
		run  func(*order.Order) ([]order.Event, error)
	}
	var (
		approve      = command{"approve", func(o *order.Order) ([]order.Event, error) { return o.Approve(shoppingID) }}
		approveOther = command{"approve with another list", func(o *order.Order) ([]order.Event, error) { return o.Approve(otherID) }}
		approveBlank = command{"approve without a list", func(o *order.Order) ([]order.Event, error) { return o.Approve(" ") }}
		reject       = command{"reject", func(o *order.Order) ([]order.Event, error) { return o.Reject(" payment declined ") }}
		ready        = command{"ready", func(o *order.Order) ([]order.Event, error) { return o.Ready(shoppingID, invoiceID) }}
		readyOther   = command{"ready with another list", func(o *order.Order) ([]order.Event, error) { return o.Ready(otherID, invoiceID) }}
		readyBlank   = command{"ready without an invoice", func(o *order.Order) ([]order.Event, error) { return o.Ready(shoppingID, "") }}
		readyNoList  = command{"ready without a list", func(o *order.Order) ([]order.Event, error) { return o.Ready(" ", invoiceID) }}
		complete     = command{"complete", func(o *order.Order) ([]order.Event, error) { return o.Complete(invoiceID) }}
		completeOthr = command{"complete another invoice", func(o *order.Order) ([]order.Event, error) { return o.Complete(otherID) }}
		completeBlnk = command{"complete without an invoice", func(o *order.Order) ([]order.Event, error) { return o.Complete("") }}
		cancel       = command{"cancel", func(o *order.Order) ([]order.Event, error) { return o.Cancel() }}
	)
	noop := []order.Event(nil)
	tests := []struct {
		from       string
		cmd        command
		wantEvents []order.Event
		wantErr    error
		wantKind   error
		wantStatus order.Status
	}{
		{"pending", approve, []order.Event{order.Approved{ShoppingID: shoppingID}}, nil, nil, order.StatusApproved},
		{"pending", approveOther, []order.Event{order.Approved{ShoppingID: otherID}}, nil, nil, order.StatusApproved},
		{"pending", approveBlank, noop, order.ErrShoppingIDRequired, domain.ErrInvalid, order.StatusPending},
		{"pending", reject, []order.Event{order.Rejected{Reason: "payment declined"}}, nil, nil, order.StatusRejected},
		{"pending", ready, []order.Event{order.ShoppingCompleted{ShoppingID: shoppingID, InvoiceID: invoiceID}}, nil, nil, order.StatusPending},
		{"pending", readyBlank, noop, order.ErrInvoiceIDRequired, domain.ErrInvalid, order.StatusPending},
		{"pending", readyNoList, noop, order.ErrShoppingIDRequired, domain.ErrInvalid, order.StatusPending},
		{"pending", complete, noop, order.ErrNotReady, domain.ErrConflict, order.StatusPending},
		{"pending", cancel, []order.Event{order.Canceled{}}, nil, nil, order.StatusCanceled},

		{"shopped while pending", approve, []order.Event{order.Approved{ShoppingID: shoppingID}, order.Readied{InvoiceID: invoiceID}}, nil, nil, order.StatusReady},
		{"shopped while pending", approveOther, noop, order.ErrOtherShoppingList, domain.ErrConflict, order.StatusPending},
		{"shopped while pending", reject, []order.Event{order.Rejected{Reason: "payment declined"}}, nil, nil, order.StatusRejected},
		{"shopped while pending", ready, noop, nil, nil, order.StatusPending},
		{"shopped while pending", readyOther, noop, order.ErrOtherShoppingList, domain.ErrConflict, order.StatusPending},
		{"shopped while pending", complete, noop, order.ErrNotReady, domain.ErrConflict, order.StatusPending},
		{"shopped while pending", cancel, noop, order.ErrNotCancelable, domain.ErrConflict, order.StatusPending},

		{"approved", approve, noop, nil, nil, order.StatusApproved},
		{"approved", approveOther, noop, order.ErrOtherShoppingList, domain.ErrConflict, order.StatusApproved},
		{"approved", reject, noop, order.ErrNotPending, domain.ErrConflict, order.StatusApproved},
		{"approved", ready, []order.Event{order.Readied{InvoiceID: invoiceID}}, nil, nil, order.StatusReady},
		{"approved", readyOther, noop, order.ErrOtherShoppingList, domain.ErrConflict, order.StatusApproved},
		{"approved", readyBlank, noop, order.ErrInvoiceIDRequired, domain.ErrInvalid, order.StatusApproved},
		{"approved", complete, noop, order.ErrNotReady, domain.ErrConflict, order.StatusApproved},
		{"approved", cancel, []order.Event{order.Canceled{}}, nil, nil, order.StatusCanceled},

		{"rejected", approve, noop, order.ErrNotPending, domain.ErrConflict, order.StatusRejected},
		{"rejected", reject, noop, nil, nil, order.StatusRejected},
		{"rejected", ready, noop, order.ErrNotApproved, domain.ErrConflict, order.StatusRejected},
		{"rejected", complete, noop, order.ErrNotReady, domain.ErrConflict, order.StatusRejected},
		{"rejected", cancel, noop, order.ErrNotCancelable, domain.ErrConflict, order.StatusRejected},

		{"ready", approve, noop, nil, nil, order.StatusReady},
		{"ready", approveOther, noop, order.ErrOtherShoppingList, domain.ErrConflict, order.StatusReady},
		{"ready", reject, noop, order.ErrNotPending, domain.ErrConflict, order.StatusReady},
		{"ready", ready, noop, nil, nil, order.StatusReady},
		{"ready", readyOther, noop, order.ErrOtherShoppingList, domain.ErrConflict, order.StatusReady},
		{"ready", complete, []order.Event{order.Completed{}}, nil, nil, order.StatusCompleted},
		{"ready", completeOthr, noop, order.ErrOtherInvoice, domain.ErrConflict, order.StatusReady},
		{"ready", completeBlnk, noop, order.ErrInvoiceIDRequired, domain.ErrInvalid, order.StatusReady},
		{"ready", cancel, noop, order.ErrNotCancelable, domain.ErrConflict, order.StatusReady},

		{"completed", approve, noop, nil, nil, order.StatusCompleted},
		{"completed", reject, noop, order.ErrNotPending, domain.ErrConflict, order.StatusCompleted},
		{"completed", ready, noop, nil, nil, order.StatusCompleted},
		{"completed", complete, noop, nil, nil, order.StatusCompleted},
		{"completed", completeOthr, noop, order.ErrOtherInvoice, domain.ErrConflict, order.StatusCompleted},
		{"completed", cancel, noop, order.ErrNotCancelable, domain.ErrConflict, order.StatusCompleted},

		{"canceled", approve, noop, order.ErrNotPending, domain.ErrConflict, order.StatusCanceled},
		{"canceled", reject, noop, nil, nil, order.StatusCanceled},
		{"canceled", ready, noop, order.ErrNotApproved, domain.ErrConflict, order.StatusCanceled},
		{"canceled", complete, noop, order.ErrNotReady, domain.ErrConflict, order.StatusCanceled},
		{"canceled", cancel, noop, nil, nil, order.StatusCanceled},
		{"canceled after approval", approve, noop, order.ErrNotPending, domain.ErrConflict, order.StatusCanceled},
		{"canceled after approval", ready, noop, order.ErrNotApproved, domain.ErrConflict, order.StatusCanceled},
		{"canceled after approval", reject, noop, nil, nil, order.StatusCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.from+"/"+tt.cmd.name, func(t *testing.T) {
			o := inStatus(t, tt.from)
			before := o.Version()
			evs, err := tt.cmd.run(o)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if !reflect.DeepEqual(evs, tt.wantEvents) {
				t.Errorf("events = %#v, want %#v", evs, tt.wantEvents)
			}
			if o.Status() != tt.wantStatus {
				t.Errorf("status = %s, want %s", o.Status(), tt.wantStatus)
			}
			if want := before + int64(len(tt.wantEvents)); o.Version() != want {
				t.Errorf("version = %d, want %d (one more per event)", o.Version(), want)
			}
		})
	}
}

func TestCommandsApplyTheirEvents(t *testing.T) {
	o := inStatus(t, "pending")
	if _, err := o.Approve(shoppingID); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Ready(shoppingID, invoiceID); err != nil {
		t.Fatal(err)
	}
	if o.ShoppingID() != shoppingID || o.InvoiceID() != invoiceID || o.Version() != 3 {
		t.Errorf("order = {shopping %q invoice %q v%d}, want both set at v3", o.ShoppingID(), o.InvoiceID(), o.Version())
	}
	r := inStatus(t, "pending")
	if _, err := r.Reject("  out of stock "); err != nil {
		t.Fatal(err)
	}
	if r.Reason() != "out of stock" {
		t.Errorf("reason = %q, want the trimmed reason", r.Reason())
	}
	if _, err := r.Reject("another reason"); err != nil || r.Reason() != "out of stock" {
		t.Errorf("second reject: err %v, reason %q; want nil and the first reason", err, r.Reason())
	}
}

// TestShoppingCompletedBeforeApproval: the bots finish the list, the
// completion comes again with another invoice ID (as each delivery makes
// one), and the approval lands late; in every order of these, the order
// ends ready with the first invoice, also once stored and loaded again.
func TestShoppingCompletedBeforeApproval(t *testing.T) {
	o := inStatus(t, "pending")
	var all []order.Event
	for _, step := range []func() ([]order.Event, error){
		func() ([]order.Event, error) { return o.Ready(shoppingID, invoiceID) },
		func() ([]order.Event, error) { return o.Ready(shoppingID, otherID) },
		func() ([]order.Event, error) { return o.Approve(shoppingID) },
		func() ([]order.Event, error) { return o.Ready(shoppingID, otherID) },
		func() ([]order.Event, error) { return o.Approve(shoppingID) },
	} {
		evs, err := step()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, evs...)
	}
	want := []order.Event{order.ShoppingCompleted{ShoppingID: shoppingID, InvoiceID: invoiceID}, order.Approved{ShoppingID: shoppingID},
		order.Readied{InvoiceID: invoiceID}}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("events = %#v, want %#v", all, want)
	}
	if o.Status() != order.StatusReady || o.ShoppingID() != shoppingID || o.InvoiceID() != invoiceID || o.Version() != 4 {
		t.Errorf("order = {%s shopping %q invoice %q v%d}, want ready with the first invoice at v4", o.Status(), o.ShoppingID(), o.InvoiceID(), o.Version())
	}
	loaded, err := order.Load(history(append([]order.Event{created}, all...)...))
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Status() != order.StatusReady || loaded.InvoiceID() != invoiceID || loaded.Version() != 4 {
		t.Errorf("loaded order = {%s invoice %q v%d}, want the same", loaded.Status(), loaded.InvoiceID(), loaded.Version())
	}
}

func TestRefusalsNameTheOrderAndItsStatus(t *testing.T) {
	_, err := inStatus(t, "ready").Cancel()
	if want := "order can no longer be canceled: order " + orderID + " is ready"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to contain %q", err, want)
	}
	_, err = inStatus(t, "shopped while pending").Cancel()
	if want := "order " + orderID + " is pending, but its shopping list " + shoppingID + " was completed"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to contain %q", err, want)
	}
	_, err = inStatus(t, "shopped while pending").Approve(otherID)
	if want := "order has another shopping list: order " + orderID + " has " + shoppingID + ", not " + otherID; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to contain %q", err, want)
	}
}
