package domain

import "fmt"

// FormatCents renders an amount of cents as a decimal amount with two
// places, the way the API writes money: 999 is "9.99", -105 is "-1.05".
func FormatCents(cents int64) string {
	sign, abs := "", uint64(cents)
	if cents < 0 {
		// Negating in uint64 also handles math.MinInt64.
		sign, abs = "-", -abs
	}
	return fmt.Sprintf("%s%d.%02d", sign, abs/100, abs%100)
}
