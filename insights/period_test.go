package insights

import (
	"errors"
	"testing"
	"time"

	// Zone data in the test binary, so the calendar tests run on machines
	// without a system zoneinfo too (the command embeds it the same way).
	_ "time/tzdata"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("time zone %s: %v", name, err)
	}
	return loc
}

func TestCalendarPeriod(t *testing.T) {
	la := mustZone(t, "America/Los_Angeles")
	kolkata := mustZone(t, "Asia/Kolkata")
	utc := time.UTC
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	tests := []struct {
		name      string
		cal       Calendar
		kind      PeriodKind
		now       time.Time
		wantStart time.Time
		wantEnd   time.Time
		wantLabel string
	}{
		{"zero calendar week starts Monday", Calendar{}, PeriodWeek, at(utc, 2017, 12, 31, 23, 59),
			at(utc, 2017, 12, 25, 0, 0), at(utc, 2018, 1, 1, 0, 0), "week of 25 Dec 2017"},
		{"Monday midnight starts a new week", Calendar{}, PeriodWeek, at(utc, 2018, 1, 1, 0, 0),
			at(utc, 2018, 1, 1, 0, 0), at(utc, 2018, 1, 8, 0, 0), "week of 1 Jan 2018"},
		{"Sunday week start", NewCalendar(utc, time.Sunday, 0), PeriodWeek, at(utc, 2017, 12, 31, 23, 59),
			at(utc, 2017, 12, 31, 0, 0), at(utc, 2018, 1, 7, 0, 0), "week of 31 Dec 2017"},
		{"Saturday before a Sunday week start", NewCalendar(utc, time.Sunday, 0), PeriodWeek, at(utc, 2017, 12, 30, 12, 0),
			at(utc, 2017, 12, 24, 0, 0), at(utc, 2017, 12, 31, 0, 0), "week of 24 Dec 2017"},
		{"last week", Calendar{}, PeriodLastWeek, at(utc, 2017, 12, 31, 23, 59),
			at(utc, 2017, 12, 18, 0, 0), at(utc, 2017, 12, 25, 0, 0), "week of 18 Dec 2017"},
		{"last week on the first day of a week", Calendar{}, PeriodLastWeek, at(utc, 2018, 1, 1, 0, 0),
			at(utc, 2017, 12, 25, 0, 0), at(utc, 2018, 1, 1, 0, 0), "week of 25 Dec 2017"},
		{"Los Angeles week across spring-forward, Sunday start", Calendar{Location: la, WeekStartSet: true}, PeriodWeek, at(la, 2026, 3, 8, 10, 0),
			at(la, 2026, 3, 8, 0, 0), at(la, 2026, 3, 15, 0, 0), "week of 8 Mar 2026"},
		{"Los Angeles week holding spring-forward, Monday start", Calendar{Location: la}, PeriodWeek, at(la, 2026, 3, 8, 3, 30),
			at(la, 2026, 3, 2, 0, 0), at(la, 2026, 3, 9, 0, 0), "week of 2 Mar 2026"},
		{"UTC instant read in Los Angeles", Calendar{Location: la}, PeriodWeek, time.Date(2026, 3, 9, 6, 0, 0, 0, utc),
			at(la, 2026, 3, 2, 0, 0), at(la, 2026, 3, 9, 0, 0), "week of 2 Mar 2026"},
		{"UTC evening is next day in Kolkata", Calendar{Location: kolkata}, PeriodWeek, time.Date(2017, 12, 31, 20, 0, 0, 0, utc),
			at(kolkata, 2018, 1, 1, 0, 0), at(kolkata, 2018, 1, 8, 0, 0), "week of 1 Jan 2018"},
		{"Kolkata month", Calendar{Location: kolkata}, PeriodMonth, time.Date(2017, 12, 31, 20, 0, 0, 0, utc),
			at(kolkata, 2018, 1, 1, 0, 0), at(kolkata, 2018, 2, 1, 0, 0), "January 2018"},
		{"Kolkata quarter", Calendar{Location: kolkata}, PeriodQuarter, time.Date(2017, 12, 31, 18, 29, 0, 0, utc),
			at(kolkata, 2017, 10, 1, 0, 0), at(kolkata, 2018, 1, 1, 0, 0), "Q4 2017 (Oct–Dec)"},
		{"month", Calendar{}, PeriodMonth, at(utc, 2017, 12, 31, 23, 59),
			at(utc, 2017, 12, 1, 0, 0), at(utc, 2018, 1, 1, 0, 0), "December 2017"},
		{"calendar quarter", Calendar{}, PeriodQuarter, at(utc, 2017, 12, 31, 23, 59),
			at(utc, 2017, 10, 1, 0, 0), at(utc, 2018, 1, 1, 0, 0), "Q4 2017 (Oct–Dec)"},
		{"quarter on its first instant", Calendar{}, PeriodQuarter, at(utc, 2017, 4, 1, 0, 0),
			at(utc, 2017, 4, 1, 0, 0), at(utc, 2017, 7, 1, 0, 0), "Q2 2017 (Apr–Jun)"},
		{"fiscal quarter spanning new year", Calendar{FiscalYearStart: time.February}, PeriodQuarter, at(utc, 2018, 1, 15, 0, 0),
			at(utc, 2017, 11, 1, 0, 0), at(utc, 2018, 2, 1, 0, 0), "Q4 FY2018 (Nov–Jan)"},
		{"first fiscal quarter", Calendar{FiscalYearStart: time.February}, PeriodQuarter, at(utc, 2017, 2, 1, 0, 0),
			at(utc, 2017, 2, 1, 0, 0), at(utc, 2017, 5, 1, 0, 0), "Q1 FY2018 (Feb–Apr)"},
		{"fiscal year starting in July", Calendar{FiscalYearStart: time.July}, PeriodQuarter, at(utc, 2017, 6, 30, 23, 0),
			at(utc, 2017, 4, 1, 0, 0), at(utc, 2017, 7, 1, 0, 0), "Q4 FY2017 (Apr–Jun)"},
		{"year to date", Calendar{}, PeriodYearToDate, at(utc, 2017, 12, 31, 23, 59),
			at(utc, 2017, 1, 1, 0, 0), at(utc, 2018, 1, 1, 0, 0), "2017 to date"},
		{"fiscal year to date", Calendar{FiscalYearStart: time.April}, PeriodYearToDate, at(utc, 2018, 1, 15, 0, 0),
			at(utc, 2017, 4, 1, 0, 0), at(utc, 2018, 4, 1, 0, 0), "FY2018 to date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.Period(tt.kind, tt.now)
			if !got.Start.Equal(tt.wantStart) || !got.End.Equal(tt.wantEnd) {
				t.Errorf("Period(%s, %v) = [%v, %v), want [%v, %v)", tt.kind, tt.now, got.Start, got.End, tt.wantStart, tt.wantEnd)
			}
			if got.Label != tt.wantLabel {
				t.Errorf("Period(%s, %v).Label = %q, want %q", tt.kind, tt.now, got.Label, tt.wantLabel)
			}
			if got.Kind != tt.kind {
				t.Errorf("Period(%s).Kind = %q, want %q", tt.kind, got.Kind, tt.kind)
			}
			if !got.Contains(tt.now) && tt.kind != PeriodLastWeek {
				t.Errorf("Period(%s, %v) = [%v, %v) does not contain now", tt.kind, tt.now, got.Start, got.End)
			}
		})
	}
}

func TestWeekLengthAcrossDST(t *testing.T) {
	la := mustZone(t, "America/Los_Angeles")
	p := Calendar{Location: la}.Period(PeriodWeek, time.Date(2026, 2, 25, 12, 0, 0, 0, la))
	if got, want := p.End.Sub(p.Start), 7*24*time.Hour; got != want {
		t.Errorf("week before the change lasts %v, want %v", got, want)
	}
	p = Calendar{Location: la}.Period(PeriodWeek, time.Date(2026, 3, 4, 12, 0, 0, 0, la))
	if got, want := p.End.Sub(p.Start), 7*24*time.Hour-time.Hour; got != want {
		t.Errorf("week holding spring-forward lasts %v, want %v", got, want)
	}
}

func TestCalendarPrevious(t *testing.T) {
	utc := time.UTC
	now := time.Date(2017, 12, 31, 23, 59, 0, 0, utc)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, utc) }
	tests := []struct {
		kind               PeriodKind
		wantStart, wantEnd time.Time
		wantLabel          string
	}{
		{PeriodWeek, day(2017, 12, 18), day(2017, 12, 25), "week of 18 Dec 2017"},
		{PeriodLastWeek, day(2017, 12, 11), day(2017, 12, 18), "week of 11 Dec 2017"},
		{PeriodMonth, day(2017, 11, 1), day(2017, 12, 1), "November 2017"},
		{PeriodQuarter, day(2017, 7, 1), day(2017, 10, 1), "Q3 2017 (Jul–Sep)"},
		{PeriodYearToDate, day(2016, 1, 1), day(2017, 1, 1), "2016"},
	}
	cal := Calendar{}
	for _, tt := range tests {
		got := cal.Previous(cal.Period(tt.kind, now))
		if !got.Start.Equal(tt.wantStart) || !got.End.Equal(tt.wantEnd) || got.Label != tt.wantLabel || got.Kind != tt.kind {
			t.Errorf("Previous(%s) = %s [%v, %v) %q, want %s [%v, %v) %q", tt.kind, got.Kind, got.Start, got.End, got.Label, tt.kind, tt.wantStart, tt.wantEnd, tt.wantLabel)
		}
	}
	custom := cal.Custom(day(2017, 12, 1), day(2017, 12, 16))
	if got, want := custom.Label, "1 Dec 2017 – 15 Dec 2017"; got != want {
		t.Errorf("Custom label = %q, want %q", got, want)
	}
	got := cal.Previous(custom)
	if !got.Start.Equal(day(2017, 11, 16)) || !got.End.Equal(day(2017, 12, 1)) || got.Kind != PeriodCustom {
		t.Errorf("Previous(custom) = %s [%v, %v), want custom [2017-11-16, 2017-12-01)", got.Kind, got.Start, got.End)
	}
	if got, want := cal.Custom(day(2017, 12, 1), day(2017, 12, 2)).Label, "1 Dec 2017"; got != want {
		t.Errorf("one-day Custom label = %q, want %q", got, want)
	}
}

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		text    string
		want    PeriodKind
		wantErr bool
	}{
		{"", PeriodQuarter, false},
		{"   ", PeriodQuarter, false},
		{"week", PeriodWeek, false},
		{"This  Week", PeriodWeek, false},
		{"last week", PeriodLastWeek, false},
		{"LASTWEEK", PeriodLastWeek, false},
		{"last-week", PeriodLastWeek, false},
		{"month", PeriodMonth, false},
		{"quarter", PeriodQuarter, false},
		{"Q", PeriodQuarter, false},
		{"ytd", PeriodYearToDate, false},
		{"Year", PeriodYearToDate, false},
		{"help", "", true},
		{"last month", "", true},
		{"weeks", "", true},
	}
	for _, tt := range tests {
		got, err := ParsePeriod(tt.text)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParsePeriod(%q) error = %v, want error %v", tt.text, err, tt.wantErr)
			continue
		}
		if err != nil && !errors.Is(err, ErrBadPeriod) {
			t.Errorf("ParsePeriod(%q) error = %v, want it to wrap ErrBadPeriod", tt.text, err)
		}
		if got != tt.want {
			t.Errorf("ParsePeriod(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestParseAsOf(t *testing.T) {
	kolkata := mustZone(t, "Asia/Kolkata")
	tests := []struct {
		s       string
		loc     *time.Location
		want    time.Time
		wantErr bool
	}{
		{"2017-12-31", nil, time.Date(2017, 12, 31, 23, 59, 59, 999999999, time.UTC), false},
		{" 2017-12-31 ", kolkata, time.Date(2017, 12, 31, 23, 59, 59, 999999999, kolkata), false},
		{"2017-12-31T10:00:00Z", kolkata, time.Date(2017, 12, 31, 10, 0, 0, 0, time.UTC), false},
		{"2017-12-31T10:00:00.5+05:30", nil, time.Date(2017, 12, 31, 4, 30, 0, 500000000, time.UTC), false},
		{"31/12/2017", nil, time.Time{}, true},
		{"", nil, time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := ParseAsOf(tt.s, tt.loc)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseAsOf(%q) error = %v, want error %v", tt.s, err, tt.wantErr)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("ParseAsOf(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestEndOfDay(t *testing.T) {
	la := mustZone(t, "America/Los_Angeles")
	cal := Calendar{Location: la}
	// 2026-03-08 06:00 UTC is still 7 March in Los Angeles.
	got := cal.EndOfDay(time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC))
	want := time.Date(2026, 3, 7, 23, 59, 59, 999999999, la)
	if !got.Equal(want) {
		t.Errorf("EndOfDay = %v, want %v", got, want)
	}
}
