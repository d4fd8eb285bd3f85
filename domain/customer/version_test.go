package customer_test

import (
	"testing"

	"github.com/mallbots/mallbots/domain/customer"
)

func TestVersionCountsAcceptedChanges(t *testing.T) {
	c, err := customer.New("c1", "Ada", "+1 555 123 4567")
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Enable() // rejected: already enabled
	_ = c.Disable()
	_ = c.ChangeSmsNumber("5551234567")
	if c.Version() != 3 {
		t.Errorf("version = %d, want 3", c.Version())
	}
	if got := customer.Rehydrate("c1", "Ada", "5551234567", true, 7).Version(); got != 7 {
		t.Errorf("rehydrated version = %d, want 7", got)
	}
}
