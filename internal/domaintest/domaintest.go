// Package domaintest holds assertions the domain packages' black-box tests
// share. It depends on the standard library and domain only, like the code
// it tests.
package domaintest

import (
	"errors"
	"testing"

	"github.com/mallbots/mallbots/domain"
)

// AssertErr fails unless err is nil when sentinel is nil, or else matches
// sentinel and kind with errors.Is and no other error kind.
func AssertErr(t *testing.T, err, sentinel, kind error) {
	t.Helper()
	if sentinel == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got nil error, want %v", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("error %q does not match sentinel %q", err, sentinel)
	}
	for _, k := range []error{domain.ErrInvalid, domain.ErrNotFound, domain.ErrConflict} {
		if got, want := errors.Is(err, k), k == kind; got != want {
			t.Errorf("errors.Is(%q, %v) = %t, want %t", err, k, got, want)
		}
	}
}
