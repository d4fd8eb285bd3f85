package domain_test

import (
	"testing"

	"github.com/mallbots/mallbots/domain"
)

func TestParseID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", true},
		{"0190A5B2-7C3D-7E4F-8A9B-0C1D2E3F4A5B", "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", true},
		{"00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000", true},
		{"", "", false},
		{"ada", "", false},
		{"0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5", "", false},   // one digit short
		{"0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b0", "", false}, // one digit long
		{"0190a5b27c3d-7e4f-8a9b-0c1d2e3f4a5b0", "", false},  // hyphen moved
		{"0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5g", "", false},  // not hex
		{"{0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a}", "", false},  // braces
		{" 0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5", "", false},  // space
		{"0190a5b2x7c3d-7e4f-8a9b-0c1d2e3f4a5b", "", false},  // not a hyphen
	}
	for _, tt := range tests {
		id, ok := domain.ParseID(tt.in)
		if id != tt.want || ok != tt.ok {
			t.Errorf("ParseID(%q) = %q, %t; want %q, %t", tt.in, id, ok, tt.want, tt.ok)
		}
	}
}
