package cmd

import (
	"strings"
	"testing"
	"time"
)

// replayNow is the replay tests' "now".
var replayNow = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

func TestParseTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "2025-03-10T08:30:00Z", want: time.Date(2025, 3, 10, 8, 30, 0, 0, time.UTC)},
		{in: "2025-03-10T10:30:00+02:00", want: time.Date(2025, 3, 10, 8, 30, 0, 0, time.UTC)},
		{in: "2025-03-10T08:30:00.250Z", want: time.Date(2025, 3, 10, 8, 30, 0, 250_000_000, time.UTC)},
		{in: "2025-03-01", want: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
		{in: "2h", want: replayNow.Add(-2 * time.Hour)},
		{in: " 90m ", want: replayNow.Add(-90 * time.Minute)},
		{in: "1h30m", want: replayNow.Add(-90 * time.Minute)},
		{in: "7d", want: replayNow.Add(-7 * 24 * time.Hour)},
		{in: "0s", want: replayNow},
		{in: "yesterday", wantErr: true},
		{in: "-2h", wantErr: true},
		{in: "2x", wantErr: true},
		{in: "1.5d", wantErr: true},
		{in: "-1d", wantErr: true},
		{in: "2025-13-01", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in, replayNow)
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), "RFC 3339") {
				t.Errorf("parseTime(%q) = %v, %v; want an error naming the accepted forms", tt.in, got, err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v in UTC", tt.in, got, err, tt.want)
		}
	}
}
