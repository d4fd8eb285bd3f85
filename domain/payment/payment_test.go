package payment_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/internal/domaintest"
)

const (
	paymentID  = "0190a0b0-0000-7000-8000-000000000001"
	customerID = "0190a0b0-0000-7000-8000-0000000000c1"
	otherCust  = "0190a0b0-0000-7000-8000-0000000000c2"
	orderID    = "0190a0b0-0000-7000-8000-0000000000a1"
	otherOrder = "0190a0b0-0000-7000-8000-0000000000a2"
	invoiceID  = "0190a0b0-0000-7000-8000-0000000000e1"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name           string
		id, customerID string
		amount         int64
		wantErr        error
		wantDetail     string
	}{
		{name: "valid", id: paymentID, customerID: customerID, amount: 1000},
		{name: "uppercase uuid", id: strings.ToUpper(paymentID), customerID: customerID, amount: 1},
		{name: "blank id", id: "", customerID: customerID, amount: 1000,
			wantErr: payment.ErrInvalidID, wantDetail: `payment id "" must be a UUID`},
		{name: "malformed id", id: "p1", customerID: customerID, amount: 1000,
			wantErr: payment.ErrInvalidID, wantDetail: `payment id "p1" must be a UUID`},
		{name: "id with braces", id: "{" + paymentID[1:35] + "}", customerID: customerID, amount: 1000, wantErr: payment.ErrInvalidID},
		{name: "id with a non-hex digit", id: "0190a0b0-0000-7000-8000-00000000000g", customerID: customerID, amount: 1000, wantErr: payment.ErrInvalidID},
		{name: "id with a misplaced hyphen", id: "0190a0b00-000-7000-8000-000000000001", customerID: customerID, amount: 1000, wantErr: payment.ErrInvalidID},
		{name: "huge customer id is cut short", id: paymentID, customerID: strings.Repeat("x", 5000), amount: 1000,
			wantErr: payment.ErrInvalidID, wantDetail: `customer id "` + strings.Repeat("x", 40) + `"… must be a UUID`},
		{name: "zero amount", id: paymentID, customerID: customerID, amount: 0,
			wantErr: payment.ErrAmountNotPositive, wantDetail: "amount must be greater than zero: payment amount 0.00"},
		{name: "negative amount", id: paymentID, customerID: customerID, amount: -150,
			wantErr: payment.ErrAmountNotPositive, wantDetail: "payment amount -1.50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := payment.New(tt.id, tt.customerID, tt.amount)
			domaintest.AssertErr(t, err, tt.wantErr, kindOf(tt.wantErr))
			if tt.wantErr != nil {
				if p != nil {
					t.Errorf("got payment %+v with error, want nil", p)
				}
				if !strings.Contains(err.Error(), tt.wantDetail) {
					t.Errorf("error %q does not contain %q", err, tt.wantDetail)
				}
				return
			}
			if p.ID() != tt.id || p.CustomerID() != tt.customerID || p.Amount() != tt.amount ||
				p.Status() != payment.StatusAuthorized || p.OrderID() != "" || p.Version() != 1 {
				t.Errorf("payment = %s, want {%s %s %d authorized, no order, v1}", describe(p), tt.id, tt.customerID, tt.amount)
			}
		})
	}
}

// kindOf returns the domain kind a sentinel of this package wraps, nil for
// nil.
func kindOf(sentinel error) error {
	for _, k := range []error{domain.ErrInvalid, domain.ErrNotFound, domain.ErrConflict} {
		if errors.Is(sentinel, k) {
			return k
		}
	}
	return nil
}

func describe(p *payment.Payment) string {
	return fmt.Sprintf("{%s customer=%s %d %s order=%q v%d}", p.ID(), p.CustomerID(), p.Amount(), p.Status(), p.OrderID(), p.Version())
}

// paymentIn returns a payment of 10.00 by customerID in status, confirmed
// for orderID unless authorized.
func paymentIn(status payment.Status) *payment.Payment {
	order := orderID
	if status == payment.StatusAuthorized {
		order = ""
	}
	return payment.Rehydrate(paymentID, customerID, 1000, status, order, 5)
}

func TestConfirm(t *testing.T) {
	tests := []struct {
		name        string
		from        payment.Status
		order, cust string
		amount      int64
		wantChanged bool
		wantErr     error
		wantDetail  string
	}{
		{name: "authorized, matching", from: payment.StatusAuthorized, order: orderID, cust: customerID, amount: 1000,
			wantChanged: true},
		{name: "confirmed for the same order again is a no-op", from: payment.StatusConfirmed, order: orderID, cust: customerID, amount: 1000},
		{name: "amount differs", from: payment.StatusAuthorized, order: orderID, cust: customerID, amount: 1200,
			wantErr: payment.ErrAmountMismatch, wantDetail: "order total 12.00 does not match the authorized 10.00"},
		{name: "amount differs on the same order again", from: payment.StatusConfirmed, order: orderID, cust: customerID, amount: 999,
			wantErr: payment.ErrAmountMismatch, wantDetail: "order total 9.99 does not match the authorized 10.00"},
		{name: "another customer", from: payment.StatusAuthorized, order: orderID, cust: otherCust, amount: 1000,
			wantErr: payment.ErrWrongCustomer, wantDetail: "authorized by customer " + customerID + ", not " + otherCust},
		{name: "blank customer", from: payment.StatusAuthorized, order: orderID, cust: "", amount: 1000,
			wantErr: payment.ErrWrongCustomer},
		{name: "used by another order", from: payment.StatusConfirmed, order: otherOrder, cust: customerID, amount: 1000,
			wantErr: payment.ErrAlreadyUsed, wantDetail: "payment is already used: payment " + paymentID + " is confirmed for order " + orderID + ", not " + otherOrder},
		{name: "used by another order takes precedence over a mismatch", from: payment.StatusConfirmed, order: otherOrder, cust: otherCust, amount: 1,
			wantErr: payment.ErrAlreadyUsed},
		{name: "voided, same order", from: payment.StatusVoided, order: orderID, cust: customerID, amount: 1000,
			wantErr: payment.ErrVoided, wantDetail: "payment is voided: payment " + paymentID + " cannot be used for order " + orderID},
		{name: "voided, another order", from: payment.StatusVoided, order: otherOrder, cust: customerID, amount: 1000,
			wantErr: payment.ErrVoided},
		{name: "malformed order id", from: payment.StatusAuthorized, order: "o1", cust: customerID, amount: 1000,
			wantErr: payment.ErrInvalidID, wantDetail: `order id "o1" must be a UUID`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := paymentIn(tt.from)
			before := *p
			changed, err := p.Confirm(tt.order, tt.cust, tt.amount)
			domaintest.AssertErr(t, err, tt.wantErr, kindOf(tt.wantErr))
			if err != nil && !strings.Contains(err.Error(), tt.wantDetail) {
				t.Errorf("error %q does not contain %q", err, tt.wantDetail)
			}
			if changed != tt.wantChanged {
				t.Errorf("changed = %t, want %t", changed, tt.wantChanged)
			}
			if !tt.wantChanged {
				if *p != before {
					t.Errorf("payment changed from %s to %s", describe(&before), describe(p))
				}
				return
			}
			if p.Status() != payment.StatusConfirmed || p.OrderID() != tt.order || p.Version() != before.Version()+1 {
				t.Errorf("payment = %s, want confirmed for %s at v%d", describe(p), tt.order, before.Version()+1)
			}
		})
	}
}

func TestVoid(t *testing.T) {
	tests := []struct {
		name        string
		from        payment.Status
		order       string
		wantChanged bool
		wantErr     error
	}{
		{name: "confirmed for this order", from: payment.StatusConfirmed, order: orderID, wantChanged: true},
		{name: "confirmed for another order is left alone", from: payment.StatusConfirmed, order: otherOrder},
		{name: "unused authorization is left alone", from: payment.StatusAuthorized, order: orderID},
		{name: "voided again is a no-op", from: payment.StatusVoided, order: orderID},
		{name: "voided, asked for another order", from: payment.StatusVoided, order: otherOrder},
		{name: "malformed order id", from: payment.StatusConfirmed, order: "", wantErr: payment.ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := paymentIn(tt.from)
			before := *p
			changed, err := p.Void(tt.order)
			domaintest.AssertErr(t, err, tt.wantErr, kindOf(tt.wantErr))
			if changed != tt.wantChanged {
				t.Errorf("changed = %t, want %t", changed, tt.wantChanged)
			}
			if !tt.wantChanged {
				if *p != before {
					t.Errorf("payment changed from %s to %s", describe(&before), describe(p))
				}
				return
			}
			if p.Status() != payment.StatusVoided || p.OrderID() != tt.order || p.Version() != before.Version()+1 {
				t.Errorf("payment = %s, want voided, keeping order %s, at v%d", describe(p), tt.order, before.Version()+1)
			}
		})
	}
}

func TestVoidedPaymentCannotBeConfirmedAgain(t *testing.T) {
	p, err := payment.New(paymentID, customerID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func() (bool, error)
		want error
	}{
		{"confirm", func() (bool, error) { return p.Confirm(orderID, customerID, 1000) }, nil},
		{"void", func() (bool, error) { return p.Void(orderID) }, nil},
		{"confirm again", func() (bool, error) { return p.Confirm(orderID, customerID, 1000) }, payment.ErrVoided},
	}
	for _, s := range steps {
		_, err := s.do()
		domaintest.AssertErr(t, err, s.want, kindOf(s.want))
	}
	if p.Status() != payment.StatusVoided || p.Version() != 3 || !p.VoidedFor(orderID) || p.VoidedFor(otherOrder) {
		t.Errorf("payment = %s, want voided for %s at v3", describe(p), orderID)
	}
}

func TestVoidedFor(t *testing.T) {
	tests := []struct {
		from  payment.Status
		order string
		want  bool
	}{
		{payment.StatusVoided, orderID, true},
		{payment.StatusVoided, otherOrder, false},
		{payment.StatusConfirmed, orderID, false},
		{payment.StatusAuthorized, orderID, false},
	}
	for _, tt := range tests {
		if got := paymentIn(tt.from).VoidedFor(tt.order); got != tt.want {
			t.Errorf("%s payment: VoidedFor(%s) = %t, want %t", tt.from, tt.order, got, tt.want)
		}
	}
}

func TestParseStatus(t *testing.T) {
	for _, s := range []payment.Status{payment.StatusAuthorized, payment.StatusConfirmed, payment.StatusVoided} {
		got, err := payment.ParseStatus(s.String())
		if err != nil || got != s {
			t.Errorf("ParseStatus(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "Authorized", "paid"} {
		_, err := payment.ParseStatus(s)
		domaintest.AssertErr(t, err, domain.ErrInvalid, domain.ErrInvalid)
	}
	if (payment.Status{}) == payment.StatusAuthorized {
		t.Error("the zero Status equals StatusAuthorized")
	}
}

func TestRehydrate(t *testing.T) {
	p := payment.Rehydrate(paymentID, customerID, 1234, payment.StatusConfirmed, orderID, 7)
	if p.ID() != paymentID || p.CustomerID() != customerID || p.Amount() != 1234 ||
		p.Status() != payment.StatusConfirmed || p.OrderID() != orderID || p.Version() != 7 {
		t.Errorf("rehydrated payment = %s", describe(p))
	}
}
