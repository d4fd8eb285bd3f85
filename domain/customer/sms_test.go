package customer_test

import (
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/customer"
	"github.com/mallbots/mallbots/internal/domaintest"
)

func TestValidateSmsNumberAccepts(t *testing.T) {
	for _, n := range []string{
		"+1 555-123-4567",
		"+15551234567",
		"5551234",         // 7 digits
		"123456789012345", // 15 digits
		"+123456789012345",
		"555.123.4567",
		"555 123 4567",
		"(555) 123-4567",
		"(555)123-4567",
		"+1 (555) 123-4567",
		"+44 (0)20 7946 0958",
		"1 (555) 123 (4567)",
		"  +1 555-123-4567\t", // surrounding whitespace is trimmed
	} {
		t.Run(n, func(t *testing.T) {
			if err := customer.ValidateSmsNumber(n); err != nil {
				t.Errorf("ValidateSmsNumber(%q) = %v, want nil", n, err)
			}
		})
	}
}

func TestValidateSmsNumberRejects(t *testing.T) {
	tests := []struct {
		number  string
		wantMsg string // the whole message after the kind
	}{
		{"", `customer sms number "" is blank`},
		{" \t ", `customer sms number "" is blank`},
		{"555", `customer sms number "555" has 3 digits; want 7 to 15`},
		{"555-1234-", `customer sms number "555-1234-" must end with a digit or ')'`},
		{"123456", `customer sms number "123456" has 6 digits; want 7 to 15`},
		{"1234567890123456", `customer sms number "1234567890123456" has 16 digits; want 7 to 15`},
		{"+1 555 123 4567 890 12", `customer sms number "+1 555 123 4567 890 12" has 16 digits; want 7 to 15`},
		{"abc1234567", `customer sms number "abc1234567" has unexpected 'a' at position 1`},
		{"555123456x", `customer sms number "555123456x" has unexpected 'x' at position 10`},
		{"555\t1234567", `customer sms number "555\t1234567" has unexpected '\t' at position 4`},
		{"５５５１２３４５６７", `customer sms number "５５５１２３４５６７" has unexpected '５' at position 1`},
		{"+", `customer sms number "+" has no digits`},
		{"++15551234567", `customer sms number "++15551234567" has '+' at position 2; it may only lead`},
		{"1+5551234567", `customer sms number "1+5551234567" has '+' at position 2; it may only lead`},
		{"+ 15551234567", `customer sms number "+ 15551234567" has misplaced ' ' at position 2`},
		{"-5551234567", `customer sms number "-5551234567" has misplaced '-' at position 1`},
		{"555--1234567", `customer sms number "555--1234567" has misplaced '-' at position 5`},
		{"555 -1234567", `customer sms number "555 -1234567" has misplaced '-' at position 5`},
		{"555..1234567", `customer sms number "555..1234567" has misplaced '.' at position 5`},
		{"(555 123) 4567", `customer sms number "(555 123) 4567" has ' ' inside parentheses at position 5`},
		{"((555)) 1234567", `customer sms number "((555)) 1234567" has nested '(' at position 2`},
		{"(555 1234567", `customer sms number "(555 1234567" has ' ' inside parentheses at position 5`},
		{"(5551234567", `customer sms number "(5551234567" has an unclosed '('`},
		{"555) 1234567", `customer sms number "555) 1234567" has misplaced ')' at position 4`},
		{"() 5551234567", `customer sms number "() 5551234567" has misplaced ')' at position 2`},
		{"---", `customer sms number "---" has misplaced '-' at position 1`},
	}
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			err := customer.ValidateSmsNumber(tt.number)
			domaintest.AssertErr(t, err, customer.ErrInvalidSmsNumber, domain.ErrInvalid)
			if want := "invalid: " + tt.wantMsg; err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
		})
	}
}

func TestValidateSmsNumberQuotesTheNumber(t *testing.T) {
	err := customer.ValidateSmsNumber("call me maybe")
	if err == nil || !strings.Contains(err.Error(), `"call me maybe"`) {
		t.Fatalf("error = %v, want it to quote the number", err)
	}
}
