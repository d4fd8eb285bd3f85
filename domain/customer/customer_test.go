package customer_test

import (
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/customer"
	"github.com/mallbots/mallbots/internal/domaintest"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name              string
		id, cName, sms    string
		wantErr, wantKind error
		wantName, wantSms string
	}{
		{name: "valid", id: "c1", cName: "Ada Lovelace", sms: "+1 555-123-4567",
			wantName: "Ada Lovelace", wantSms: "+1 555-123-4567"},
		{name: "trims name and sms number", id: "c1", cName: "\t Ada  Lovelace ", sms: "  5551234567\n",
			wantName: "Ada  Lovelace", wantSms: "5551234567"},
		{name: "name at limit in multibyte runes", id: "c1", cName: strings.Repeat("ß", customer.MaxNameLen), sms: "5551234567",
			wantName: strings.Repeat("ß", customer.MaxNameLen), wantSms: "5551234567"},
		{name: "empty id", id: "", cName: "Ada", sms: "5551234567",
			wantErr: customer.ErrIDRequired, wantKind: domain.ErrInvalid},
		{name: "whitespace id", id: "  ", cName: "Ada", sms: "5551234567",
			wantErr: customer.ErrIDRequired, wantKind: domain.ErrInvalid},
		{name: "empty name", id: "c1", cName: "", sms: "5551234567",
			wantErr: customer.ErrNameRequired, wantKind: domain.ErrInvalid},
		{name: "whitespace name", id: "c1", cName: "\n\t ", sms: "5551234567",
			wantErr: customer.ErrNameRequired, wantKind: domain.ErrInvalid},
		{name: "name too long", id: "c1", cName: strings.Repeat("ß", customer.MaxNameLen+1), sms: "5551234567",
			wantErr: customer.ErrNameTooLong, wantKind: domain.ErrInvalid},
		{name: "invalid sms number", id: "c1", cName: "Ada", sms: "555",
			wantErr: customer.ErrInvalidSmsNumber, wantKind: domain.ErrInvalid},
		{name: "blank sms number", id: "c1", cName: "Ada", sms: "  ",
			wantErr: customer.ErrInvalidSmsNumber, wantKind: domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := customer.New(tt.id, tt.cName, tt.sms)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if tt.wantErr != nil {
				if c != nil {
					t.Errorf("got customer %+v with error, want nil", c)
				}
				return
			}
			if c.ID() != tt.id {
				t.Errorf("ID() = %q, want %q", c.ID(), tt.id)
			}
			if c.Name() != tt.wantName {
				t.Errorf("Name() = %q, want %q", c.Name(), tt.wantName)
			}
			if c.SmsNumber() != tt.wantSms {
				t.Errorf("SmsNumber() = %q, want %q", c.SmsNumber(), tt.wantSms)
			}
			if !c.Enabled() {
				t.Error("new customer is disabled, want enabled")
			}
		})
	}
}

func TestNewNameTooLongReportsLength(t *testing.T) {
	_, err := customer.New("c1", strings.Repeat("a", 150), "5551234567")
	if err == nil || !strings.Contains(err.Error(), "customer name is too long: 150 characters, at most 100") {
		t.Fatalf("error = %v, want it to name the customer name and its length", err)
	}
}

func TestRehydrate(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		// Rehydrate trusts storage: an invalid number must come back as stored.
		c := customer.Rehydrate("c1", "Ada", "555", enabled, 3)
		if c.ID() != "c1" || c.Name() != "Ada" || c.SmsNumber() != "555" || c.Enabled() != enabled {
			t.Errorf("Rehydrate(..., %t) = {%q %q %q %t}", enabled, c.ID(), c.Name(), c.SmsNumber(), c.Enabled())
		}
	}
}

func TestChangeSmsNumber(t *testing.T) {
	const old = "+1 555-123-4567"
	tests := []struct {
		name              string
		number            string
		wantErr, wantKind error
		wantSms           string
	}{
		{name: "new number", number: "+44 20 7946 0958", wantSms: "+44 20 7946 0958"},
		{name: "trims", number: "\t+44 20 7946 0958 ", wantSms: "+44 20 7946 0958"},
		{name: "identical number is allowed", number: old, wantSms: old},
		{name: "too few digits", number: "555",
			wantErr: customer.ErrInvalidSmsNumber, wantKind: domain.ErrInvalid, wantSms: old},
		{name: "letters", number: "abc1234567",
			wantErr: customer.ErrInvalidSmsNumber, wantKind: domain.ErrInvalid, wantSms: old},
		{name: "blank", number: " ",
			wantErr: customer.ErrInvalidSmsNumber, wantKind: domain.ErrInvalid, wantSms: old},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := customer.New("c1", "Ada", old)
			if err != nil {
				t.Fatal(err)
			}
			domaintest.AssertErr(t, c.ChangeSmsNumber(tt.number), tt.wantErr, tt.wantKind)
			if c.SmsNumber() != tt.wantSms {
				t.Errorf("SmsNumber() = %q, want %q", c.SmsNumber(), tt.wantSms)
			}
		})
	}
}

func TestEnableDisable(t *testing.T) {
	type step struct {
		enable            bool // true: Enable, false: Disable
		wantErr, wantKind error
		wantEnabled       bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "enable a new customer", steps: []step{
			{enable: true, wantErr: customer.ErrAlreadyEnabled, wantKind: domain.ErrConflict, wantEnabled: true},
		}},
		{name: "disable then enable", steps: []step{
			{enable: false, wantEnabled: false},
			{enable: true, wantEnabled: true},
		}},
		{name: "disable twice", steps: []step{
			{enable: false, wantEnabled: false},
			{enable: false, wantErr: customer.ErrAlreadyDisabled, wantKind: domain.ErrConflict, wantEnabled: false},
		}},
		{name: "enable twice after disable", steps: []step{
			{enable: false, wantEnabled: false},
			{enable: true, wantEnabled: true},
			{enable: true, wantErr: customer.ErrAlreadyEnabled, wantKind: domain.ErrConflict, wantEnabled: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := customer.New("c1", "Ada", "5551234567")
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range tt.steps {
				var err error
				if st.enable {
					err = c.Enable()
				} else {
					err = c.Disable()
				}
				domaintest.AssertErr(t, err, st.wantErr, st.wantKind)
				if c.Enabled() != st.wantEnabled {
					t.Errorf("step %d: Enabled() = %t, want %t", i, c.Enabled(), st.wantEnabled)
				}
			}
		})
	}
}

func TestAuthorize(t *testing.T) {
	tests := []struct {
		name              string
		enabled           bool
		wantErr, wantKind error
	}{
		{name: "enabled", enabled: true},
		{name: "disabled", enabled: false, wantErr: customer.ErrNotAuthorized, wantKind: domain.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := customer.Rehydrate("c1", "Ada", "5551234567", tt.enabled, 3)
			domaintest.AssertErr(t, c.Authorize(), tt.wantErr, tt.wantKind)
			if c.Enabled() != tt.enabled {
				t.Errorf("Authorize changed Enabled() to %t", c.Enabled())
			}
		})
	}
}

func TestAuthorizeFollowsDisableAndEnable(t *testing.T) {
	c, err := customer.New("c1", "Ada", "5551234567")
	if err != nil {
		t.Fatal(err)
	}
	domaintest.AssertErr(t, c.Authorize(), nil, nil)
	domaintest.AssertErr(t, c.Disable(), nil, nil)
	domaintest.AssertErr(t, c.Authorize(), customer.ErrNotAuthorized, domain.ErrConflict)
	domaintest.AssertErr(t, c.Enable(), nil, nil)
	domaintest.AssertErr(t, c.Authorize(), nil, nil)
}
