package domain_test

import (
	"math"
	"testing"

	"github.com/mallbots/mallbots/domain"
)

func TestFormatCents(t *testing.T) {
	for cents, want := range map[int64]string{
		0:             "0.00",
		5:             "0.05",
		999:           "9.99",
		100:           "1.00",
		-105:          "-1.05",
		math.MaxInt64: "92233720368547758.07",
		math.MinInt64: "-92233720368547758.08",
	} {
		if got := domain.FormatCents(cents); got != want {
			t.Errorf("FormatCents(%d) = %q, want %q", cents, got, want)
		}
	}
}
