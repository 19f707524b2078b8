package schedule_test

import (
	"strings"
	"testing"
	"time"

	"github.com/repcoach/repcoach/bot/schedule"
)

func TestParseWeekly(t *testing.T) {
	tests := []struct {
		text    string
		want    schedule.Weekly
		wantErr bool
	}{
		{"Fri 16:00", schedule.Weekly{time.Friday, 16, 0}, false},
		{"Mon 08:00", schedule.Weekly{time.Monday, 8, 0}, false},
		{"  monday   8:30 ", schedule.Weekly{time.Monday, 8, 30}, false},
		{"friday 4pm", schedule.Weekly{time.Friday, 16, 0}, false},
		{"Thu 9:30 am", schedule.Weekly{time.Thursday, 9, 30}, false},
		{"thurs 12am", schedule.Weekly{time.Thursday, 0, 0}, false},
		{"Sun 12pm", schedule.Weekly{time.Sunday, 12, 0}, false},
		{"Fri", schedule.Weekly{}, true},
		{"Fr 16:00", schedule.Weekly{}, true},
		{"Funday 16:00", schedule.Weekly{}, true},
		{"Fri 16", schedule.Weekly{}, true},
		{"Fri 24:00", schedule.Weekly{}, true},
		{"Fri 16:60", schedule.Weekly{}, true},
		{"Fri 13pm", schedule.Weekly{}, true},
		{"Fri 4 o'clock", schedule.Weekly{}, true},
		{"Fri\t16:00", schedule.Weekly{time.Friday, 16, 0}, false},
		{"", schedule.Weekly{}, true},
	}
	for _, tt := range tests {
		got, err := schedule.ParseWeekly(tt.text)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("schedule.ParseWeekly(%q) = %v, %v; want %v, error %v", tt.text, got, err, tt.want, tt.wantErr)
		}
		if err == nil {
			if again, _ := schedule.ParseWeekly(got.String()); again != got {
				t.Errorf("schedule.ParseWeekly(%q.String()) = %v", got, again)
			}
		} else if !strings.Contains(err.Error(), "Fri 16:00") {
			t.Errorf("schedule.ParseWeekly(%q) error %q does not show the expected form", tt.text, err)
		}
	}
}

func TestWeeklyNext(t *testing.T) {
	berlin := loadZone(t, "Europe/Berlin")
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{"later this week", time.Date(2026, 11, 4, 10, 0, 0, 0, berlin), "Fri 2026-11-06 16:00 +0100"},
		{"the moment itself", time.Date(2026, 11, 6, 16, 0, 0, 0, berlin), "Fri 2026-11-06 16:00 +0100"},
		{"just after", time.Date(2026, 11, 6, 16, 1, 0, 0, berlin), "Fri 2026-11-13 16:00 +0100"},
		{"read in the zone", utcDate(2026, 11, 6, 15, 30), "Fri 2026-11-13 16:00 +0100"},
	}
	for _, tt := range tests {
		if got := fri16.Next(tt.now, berlin).Format("Mon 2006-01-02 15:04 -0700"); got != tt.want {
			t.Errorf("%s: Next(%v) = %s, want %s", tt.name, tt.now, got, tt.want)
		}
	}
}
