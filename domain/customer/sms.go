package customer

import (
	"fmt"
	"strings"

	"github.com/mallbots/mallbots/domain"
)

// Bounds on the number of digits in an SMS number; 15 is the E.164 maximum.
const (
	// MinSmsDigits is the fewest digits an SMS number may have.
	MinSmsDigits = 7
	// MaxSmsDigits is the most digits an SMS number may have.
	MaxSmsDigits = 15
)

// ErrInvalidSmsNumber (kind domain.ErrInvalid): an SMS number is malformed.
// ValidateSmsNumber wraps it with the number, quoted, and what is wrong.
var ErrInvalidSmsNumber = fmt.Errorf("%w: customer sms number", domain.ErrInvalid)

// ValidateSmsNumber checks a phone number a customer can receive SMS on. After
// surrounding whitespace is trimmed, the number is an optional leading '+'
// followed by groups of ASCII digits. Groups are separated by at most one
// space, dash or dot, and a group may be wrapped in one pair of parentheses,
// as in "+1 (555) 123-4567" or "(555)123.4567". After the '+', the number
// starts with a digit or '(' and ends with a digit or ')'; it has MinSmsDigits
// to MaxSmsDigits digits in total. Any other input returns an error wrapping
// ErrInvalidSmsNumber (kind domain.ErrInvalid) that quotes the trimmed number
// and says what is wrong, with a 1-based character position where one
// applies.
func ValidateSmsNumber(n string) error {
	n = strings.TrimSpace(n)
	if reason := smsNumberProblem(n); reason != "" {
		return fmt.Errorf("%w %q %s", ErrInvalidSmsNumber, n, reason)
	}
	return nil
}

// smsNumberProblem describes what is wrong with the trimmed number s, or
// returns "" if nothing is.
func smsNumberProblem(s string) string {
	if s == "" {
		return "is blank"
	}
	digits := 0
	inParens := false
	// prev is the previous character, or 0 at the start and after the '+'.
	var prev rune
	for i, r := range []rune(s) {
		pos := i + 1
		switch {
		case isDigit(r):
			digits++
		case r == '+':
			if i != 0 {
				return fmt.Sprintf("has '+' at position %d; it may only lead", pos)
			}
			continue // prev stays 0: what follows the '+' is the start.
		case r == ' ' || r == '-' || r == '.':
			if !isDigit(prev) && prev != ')' {
				return fmt.Sprintf("has misplaced %q at position %d", r, pos)
			}
			if inParens {
				return fmt.Sprintf("has %q inside parentheses at position %d", r, pos)
			}
		case r == '(':
			if inParens {
				return fmt.Sprintf("has nested '(' at position %d", pos)
			}
			inParens = true
		case r == ')':
			if !inParens || !isDigit(prev) {
				return fmt.Sprintf("has misplaced ')' at position %d", pos)
			}
			inParens = false
		default:
			return fmt.Sprintf("has unexpected %q at position %d", r, pos)
		}
		prev = r
	}
	switch {
	case digits == 0:
		return "has no digits"
	case inParens:
		return "has an unclosed '('"
	case !isDigit(prev) && prev != ')':
		return "must end with a digit or ')'"
	case digits < MinSmsDigits || digits > MaxSmsDigits:
		return fmt.Sprintf("has %d digits; want %d to %d", digits, MinSmsDigits, MaxSmsDigits)
	}
	return ""
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }
