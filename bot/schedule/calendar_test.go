package schedule_test

import (
	"testing"
	"time"

	"github.com/repcoach/repcoach/bot/schedule"
)

// TestCalendarDue: the pure calendar rules, without Redis or Slack: a
// weekly local time in a zone, quiet hours moving a send (past midnight
// too), working days, holidays, and both DST changes.
func TestCalendarDue(t *testing.T) {
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	std := schedule.NewCalendar(weekdays, nil, 21, 7)
	holiday := schedule.NewCalendar(weekdays, []time.Time{time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC)}, 21, 7)
	noQuiet := schedule.NewCalendar(weekdays, nil, 0, 0)
	dayQuiet := schedule.NewCalendar(weekdays, nil, 12, 14)
	kolkata, london, ny := loadZone(t, "Asia/Kolkata"), loadZone(t, "Europe/London"), loadZone(t, "America/New_York")
	w45 := schedule.Week{Year: 2026, Num: 45} // Mon 2026-11-02 … Sun 2026-11-08
	tests := []struct {
		name   string
		cal    schedule.Calendar
		at     schedule.Weekly
		loc    *time.Location
		wk     schedule.Week
		want   string
		wantOK bool
	}{
		{"local time in Kolkata", std, fri16, kolkata, w45, "Fri 2026-11-06 16:00 +0530", true},
		{"quiet until 7", std, schedule.Weekly{Day: time.Monday, Hour: 6, Minute: 30}, time.UTC, w45, "Mon 2026-11-02 07:00 +0000", true},
		{"quiet past midnight", std, schedule.Weekly{Day: time.Thursday, Hour: 22}, time.UTC, w45, "Fri 2026-11-06 07:00 +0000", true},
		{"moved into the weekend", std, schedule.Weekly{Day: time.Friday, Hour: 22}, time.UTC, w45, "Sat 2026-11-07 07:00 +0000", false},
		{"weekend", std, schedule.Weekly{Day: time.Sunday, Hour: 10}, time.UTC, w45, "Sun 2026-11-08 10:00 +0000", false},
		{"holiday", holiday, fri16, time.UTC, w45, "Fri 2026-11-06 16:00 +0000", false},
		{"holiday is a local date", holiday, fri16, ny, w45, "Fri 2026-11-06 16:00 -0500", false},
		{"no quiet hours", noQuiet, schedule.Weekly{Day: time.Monday, Hour: 3}, time.UTC, w45, "Mon 2026-11-02 03:00 +0000", true},
		{"quiet at midday", dayQuiet, schedule.Weekly{Day: time.Monday, Hour: 12, Minute: 30}, time.UTC, w45, "Mon 2026-11-02 14:00 +0000", true},
		{"London in summer time", std, fri16, london, schedule.Week{Year: 2026, Num: 43}, "Fri 2026-10-23 16:00 +0100", true},
		{"London after the change", std, fri16, london, schedule.Week{Year: 2026, Num: 44}, "Fri 2026-10-30 16:00 +0000", true},
		{"New York before its change", std, fri16, ny, schedule.Week{Year: 2026, Num: 44}, "Fri 2026-10-30 16:00 -0400", true},
		{"New York after its change", std, fri16, ny, w45, "Fri 2026-11-06 16:00 -0500", true},
		{"week 53", std, schedule.Weekly{Day: time.Monday, Hour: 9}, time.UTC, schedule.Week{Year: 2026, Num: 53}, "Mon 2026-12-28 09:00 +0000", true},
	}
	for _, tt := range tests {
		got, ok := tt.cal.Due(tt.at, tt.loc, tt.wk)
		if g := got.Format("Mon 2006-01-02 15:04 -0700"); g != tt.want || ok != tt.wantOK {
			t.Errorf("%s: Due(%v, %v, %v) = %s, %v; want %s, %v", tt.name, tt.at, tt.loc, tt.wk, g, ok, tt.want, tt.wantOK)
		}
	}
}

func TestCalendarNext(t *testing.T) {
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	cal := schedule.NewCalendar(weekdays, []time.Time{time.Date(2026, 11, 13, 0, 0, 0, 0, time.UTC)}, 21, 7)
	ny := loadZone(t, "America/New_York")
	tests := []struct {
		name     string
		loc      *time.Location
		now, due time.Time
	}{
		{"New York after DST ends", ny, utcDate(2026, 11, 2, 0, 0), utcDate(2026, 11, 6, 21, 0)},
		{"over a holiday", time.UTC, utcDate(2026, 11, 7, 0, 0), utcDate(2026, 11, 20, 16, 0)},
		{"at the moment itself", time.UTC, utcDate(2026, 11, 6, 16, 0), utcDate(2026, 11, 6, 16, 0)},
	}
	for _, tt := range tests {
		if got := cal.Next(fri16, tt.loc, tt.now); !got.Equal(tt.due) {
			t.Errorf("%s: Next = %v, want %v", tt.name, got, tt.due)
		}
	}
	if got := schedule.NewCalendar(nil, nil, 21, 7).Next(fri16, time.UTC, utcDate(2026, 1, 1, 0, 0)); !got.IsZero() {
		t.Errorf("Next with no working day = %v, want the zero time", got)
	}
}

func TestWeek(t *testing.T) {
	tests := []struct {
		wk     schedule.Week
		monday string
		next   schedule.Week
	}{
		{schedule.Week{Year: 2026, Num: 45}, "2026-11-02", schedule.Week{Year: 2026, Num: 46}},
		{schedule.Week{Year: 2026, Num: 53}, "2026-12-28", schedule.Week{Year: 2027, Num: 1}},
		{schedule.Week{Year: 2027, Num: 1}, "2027-01-04", schedule.Week{Year: 2027, Num: 2}},
	}
	for _, tt := range tests {
		if got := tt.wk.Monday().Format("2006-01-02"); got != tt.monday {
			t.Errorf("Monday of %v = %s, want %s", tt.wk, got, tt.monday)
		}
		if got := tt.wk.Next(); got != tt.next {
			t.Errorf("week after %v = %v, want %v", tt.wk, got, tt.next)
		}
		if got := schedule.WeekOf(tt.wk.Monday()); got != tt.wk {
			t.Errorf("WeekOf(Monday of %v) = %v", tt.wk, got)
		}
	}
	if got := (schedule.Week{Year: 2026, Num: 5}).String(); got != "2026-W05" {
		t.Errorf("String = %q", got)
	}
}
