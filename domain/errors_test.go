package domain_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mallbots/mallbots/domain"
)

func TestHandlerErrorsFallIntoThreeKinds(t *testing.T) {
	for _, tc := range []struct {
		err                 error
		permanent, mustWait bool
	}{
		{fmt.Errorf("%w: price must be positive", domain.ErrInvalid), true, false},
		{fmt.Errorf("%w: order is not pending", domain.ErrConflict), true, false},
		{fmt.Errorf("cache product: %w", fmt.Errorf("%w: product is not in the cache yet", domain.ErrNotFound)), false, true},
		{errors.New("deadlock detected"), false, false},
	} {
		if got := domain.IsPermanent(tc.err); got != tc.permanent {
			t.Errorf("IsPermanent(%v) = %v, want %v", tc.err, got, tc.permanent)
		}
		if got := domain.MustWait(tc.err); got != tc.mustWait {
			t.Errorf("MustWait(%v) = %v, want %v", tc.err, got, tc.mustWait)
		}
	}
}
