package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// Money is an amount in integer cents. In JSON it is a decimal number with
// at most two decimal places (9.99), never a string: DESIGN §7 keeps the
// book's decimal amounts on the wire and integer cents everywhere else.
type Money int64

// MaxMoney is the largest magnitude Money accepts: 100,000,000,000.00, i.e.
// 1e13 cents, far above any price and far below int64 overflow.
const MaxMoney Money = 10_000_000_000_000

var moneyType = reflect.TypeFor[Money]()

// MoneyError says why an amount is not valid Money. Decode turns it into a
// 422 problem naming the field; WriteError maps it to 422 too.
type MoneyError struct {
	// Amount is the amount as the client wrote it, e.g. "9.999".
	Amount string
	// Reason completes the sentence "amount <Amount> ...", e.g. "has more
	// than two decimal places".
	Reason string
}

// Error returns "amount <Amount> <Reason>", e.g. "amount 9.999 has more than
// two decimal places".
func (e *MoneyError) Error() string { return "amount " + e.Amount + " " + e.Reason }

// ParseMoney parses s, a JSON number in decimal text, into cents exactly:
// no float is involved, so 0.29 is 29 cents and 1.10 is 110. The value, not
// the text, must fit in cents: "1.100" (110) and the exponent forms "1e2"
// (10000) and "1.5E-1" (15) are accepted, "9.999" and "1e-3" are not. The
// magnitude must not exceed MaxMoney. Errors are *MoneyError.
func ParseMoney(s string) (Money, error) {
	fail := func(reason string) (Money, error) {
		return 0, &MoneyError{Amount: s, Reason: reason}
	}
	notNumber := func() (Money, error) { return fail("is not a decimal number like 9.99") }

	i := 0
	neg := i < len(s) && s[i] == '-'
	if neg {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[start:i]
	if intPart == "" || (len(intPart) > 1 && intPart[0] == '0') {
		return notNumber()
	}
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if frac = s[start:i]; frac == "" {
			return notNumber()
		}
	}
	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		expNeg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			expNeg = s[i] == '-'
			i++
		}
		start = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		digits := strings.TrimLeft(s[start:i], "0")
		if start == i {
			return notNumber()
		}
		// Clamp absurd exponents: either way the answer is "too large" or
		// "too many decimals" (or 0 for a zero mantissa), and the clamp keeps
		// the arithmetic below far from overflow.
		if len(digits) > 9 {
			exp = 1e9
		} else if digits != "" {
			exp, _ = strconv.ParseInt(digits, 10, 64)
		}
		if expNeg {
			exp = -exp
		}
	}
	if i != len(s) {
		return notNumber()
	}

	// The amount is digits × 10^(exp − len(frac)); in cents it is
	// digits × 10^shift.
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		return 0, nil
	}
	shift := exp - int64(len(frac)) + 2
	if shift < 0 {
		kept := strings.TrimRight(digits, "0")
		if int64(len(digits)-len(kept)) < -shift {
			return fail("has more than two decimal places")
		}
		digits = digits[:int64(len(digits))+shift]
		shift = 0
	}
	if int64(len(digits))+shift > int64(len(strconv.FormatInt(int64(MaxMoney), 10))) {
		return fail("exceeds the limit of " + MaxMoney.String() + " in magnitude")
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil { // ≤ 14 digits always fit; keep the error path honest anyway
		return notNumber()
	}
	for ; shift > 0; shift-- {
		n *= 10
	}
	if n > int64(MaxMoney) {
		return fail("exceeds the limit of " + MaxMoney.String() + " in magnitude")
	}
	if neg {
		n = -n
	}
	return Money(n), nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// UnmarshalJSON accepts a JSON number as ParseMoney does and leaves m alone
// for null. A JSON string, boolean, array or object is a
// *json.UnmarshalTypeError, so encoding/json names the field and Decode
// answers 400 like any other wrong type; a number that is not valid money
// is a *MoneyError (Decode: 422).
func (m *Money) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 {
		kind := ""
		switch b[0] {
		case '"':
			kind = "string"
		case 't', 'f':
			kind = "bool"
		case '[':
			kind = "array"
		case '{':
			kind = "object"
		}
		if kind != "" {
			return &json.UnmarshalTypeError{Value: kind, Type: moneyType}
		}
	}
	v, err := ParseMoney(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// MarshalJSON writes m as a decimal number with exactly two decimal places:
// 9.99, 10.00, -0.05.
func (m Money) MarshalJSON() ([]byte, error) {
	return m.appendDecimal(nil), nil
}

// String returns m as MarshalJSON writes it, e.g. "10.00".
func (m Money) String() string {
	return string(m.appendDecimal(nil))
}

func (m Money) appendDecimal(b []byte) []byte {
	u := uint64(m)
	if m < 0 {
		b = append(b, '-')
		u = -u // two's complement: also right for the most negative int64
	}
	b = strconv.AppendUint(b, u/100, 10)
	c := u % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}
