package insights

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrBadPeriod means a period name typed by a user is not one ParsePeriod
// knows. Errors from ParsePeriod wrap it.
var ErrBadPeriod = errors.New("unknown period")

// NewCalendar returns a calendar in loc (UTC when nil) whose weeks start on
// weekStart, time.Sunday included, and whose fiscal year starts in
// fiscalYearStart (January when zero).
func NewCalendar(loc *time.Location, weekStart time.Weekday, fiscalYearStart time.Month) Calendar {
	return Calendar{Location: loc, WeekStart: weekStart, WeekStartSet: true, FiscalYearStart: fiscalYearStart}
}

// Zone returns the calendar's time zone: Location, or UTC when nil.
func (c Calendar) Zone() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// FirstWeekday returns the day weeks start on. Because time.Sunday is the
// zero Weekday, WeekStart is honoured only when it is not Sunday or when
// WeekStartSet is true; otherwise weeks start on Monday, so that the zero
// Calendar means Monday.
func (c Calendar) FirstWeekday() time.Weekday {
	if c.WeekStart == time.Sunday && !c.WeekStartSet {
		return time.Monday
	}
	return c.WeekStart
}

// FiscalStart returns the first month of the fiscal year: FiscalYearStart,
// or January when it is zero or out of range.
func (c Calendar) FiscalStart() time.Month {
	if c.FiscalYearStart < time.January || c.FiscalYearStart > time.December {
		return time.January
	}
	return c.FiscalYearStart
}

// Period returns the whole calendar period of the given kind that holds now,
// in the calendar's zone: this week, last week, this month, this fiscal
// quarter or this fiscal year (year to date). End is the end of the whole
// period, not now. PeriodCustom, and any kind it does not know, yield this
// quarter.
func (c Calendar) Period(kind PeriodKind, now time.Time) Period {
	now = now.In(c.Zone())
	switch kind {
	case PeriodWeek:
		return c.week(now, PeriodWeek)
	case PeriodLastWeek:
		return c.week(c.weekStart(now).Add(-time.Nanosecond), PeriodLastWeek)
	case PeriodMonth:
		start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
		return Period{Kind: PeriodMonth, Start: start, End: start.AddDate(0, 1, 0), Label: start.Format("January 2006")}
	case PeriodYearToDate:
		start := c.fiscalYearStart(now)
		return Period{Kind: PeriodYearToDate, Start: start, End: start.AddDate(1, 0, 0), Label: c.yearName(start) + " to date"}
	default:
		return c.quarter(now)
	}
}

// Custom returns the period [start, end) in the calendar's zone, labelled
// with its first and last day: "1 Dec 2017 – 15 Dec 2017".
func (c Calendar) Custom(start, end time.Time) Period {
	start, end = start.In(c.Zone()), end.In(c.Zone())
	last := end.Add(-time.Nanosecond)
	if !last.After(start) {
		last = start
	}
	label := start.Format("2 Jan 2006")
	if last.Year() != start.Year() || last.YearDay() != start.YearDay() {
		label += " – " + last.Format("2 Jan 2006")
	}
	return Period{Kind: PeriodCustom, Start: start, End: end, Label: label}
}

// Previous returns the period just before p, of the same kind: the week
// before, the month before, the quarter before, the whole fiscal year before
// (for year to date), or for a custom period the span of equal length ending
// where p starts.
func (c Calendar) Previous(p Period) Period {
	before := p.Start.Add(-time.Nanosecond)
	switch p.Kind {
	case PeriodWeek, PeriodLastWeek:
		prev := c.week(before, p.Kind)
		return prev
	case PeriodMonth, PeriodQuarter:
		return c.Period(p.Kind, before)
	case PeriodYearToDate:
		prev := c.Period(PeriodYearToDate, before)
		prev.Label = c.yearName(prev.Start)
		return prev
	default:
		prev := c.Custom(p.Start.Add(-p.End.Sub(p.Start)), p.Start)
		prev.Kind = p.Kind
		return prev
	}
}

// EndOfDay returns the last instant (23:59:59.999999999) of the calendar day
// holding date, in the calendar's zone.
func (c Calendar) EndOfDay(date time.Time) time.Time {
	return endOfDay(date, c.Zone())
}

// StartOfDay returns midnight at the start of the calendar day holding date,
// in the calendar's zone.
func (c Calendar) StartOfDay(date time.Time) time.Time {
	d := date.In(c.Zone())
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, d.Location())
}

// WeekStartOf returns the start of the calendar week holding t.
func (c Calendar) WeekStartOf(t time.Time) time.Time { return c.weekStart(t.In(c.Zone())) }

func endOfDay(date time.Time, loc *time.Location) time.Time {
	d := date.In(loc)
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc).Add(-time.Nanosecond)
}

// ParsePeriod reads the period a user typed after a command. It accepts,
// in any case and spacing: "" (the default, this quarter, because quota is
// most meaningful over a quarter), "week", "this week", "last week",
// "lastweek", "last-week", "month", "this month", "quarter", "this quarter",
// "q", "ytd", "year" and "year to date". Anything else yields an error
// wrapping ErrBadPeriod.
func ParsePeriod(text string) (PeriodKind, error) {
	switch strings.Join(strings.Fields(strings.ToLower(text)), " ") {
	case "", "quarter", "this quarter", "q":
		return PeriodQuarter, nil
	case "week", "this week":
		return PeriodWeek, nil
	case "last week", "lastweek", "last-week":
		return PeriodLastWeek, nil
	case "month", "this month":
		return PeriodMonth, nil
	case "ytd", "year", "this year", "year to date":
		return PeriodYearToDate, nil
	}
	return "", fmt.Errorf("%w %q: try week, last week, month, quarter or ytd", ErrBadPeriod, text)
}

// ParseAsOf reads an "as of" clock setting. A bare date (2006-01-02) means
// the end of that day (23:59:59.999999999) in loc (UTC when nil); otherwise s
// must be RFC 3339. The error names the accepted forms.
func ParseAsOf(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.TrimSpace(s)
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return endOfDay(d, loc), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("as-of time %q: want YYYY-MM-DD or RFC 3339 (2006-01-02T15:04:05Z)", s)
	}
	return t, nil
}

func (c Calendar) weekStart(t time.Time) time.Time {
	back := (int(t.Weekday()) - int(c.FirstWeekday()) + 7) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, t.Location())
}

func (c Calendar) week(t time.Time, kind PeriodKind) Period {
	start := c.weekStart(t.In(c.Zone()))
	return Period{Kind: kind, Start: start, End: start.AddDate(0, 0, 7), Label: "week of " + start.Format("2 Jan 2006")}
}

// monthsIntoFiscalYear returns how many months m is past the fiscal start.
func (c Calendar) monthsIntoFiscalYear(m time.Month) int {
	return (int(m) - int(c.FiscalStart()) + 12) % 12
}

func (c Calendar) fiscalYearStart(t time.Time) time.Time {
	k := c.monthsIntoFiscalYear(t.Month())
	return time.Date(t.Year(), t.Month()-time.Month(k), 1, 0, 0, 0, 0, t.Location())
}

func (c Calendar) quarter(t time.Time) Period {
	k := c.monthsIntoFiscalYear(t.Month())
	start := time.Date(t.Year(), t.Month()-time.Month(k%3), 1, 0, 0, 0, 0, t.Location())
	end := start.AddDate(0, 3, 0)
	last := end.AddDate(0, -1, 0)
	q := k/3 + 1
	var label string
	if c.FiscalStart() == time.January {
		label = fmt.Sprintf("Q%d %d", q, start.Year())
	} else {
		label = fmt.Sprintf("Q%d %s", q, c.yearName(c.fiscalYearStart(start)))
	}
	label += " (" + start.Format("Jan") + "–" + last.Format("Jan") + ")"
	return Period{Kind: PeriodQuarter, Start: start, End: end, Label: label}
}

// yearName names the fiscal year starting at start: "2017" for calendar
// years, else "FY" and the calendar year in which the fiscal year ends.
func (c Calendar) yearName(start time.Time) string {
	if c.FiscalStart() == time.January {
		return fmt.Sprint(start.Year())
	}
	return fmt.Sprintf("FY%d", start.AddDate(1, 0, -1).Year())
}

// elapsed returns the fraction of p that has passed at t, clamped to [0, 1].
func (p Period) elapsed(t time.Time) float64 {
	total := p.End.Sub(p.Start)
	if total <= 0 || !t.After(p.Start) {
		return 0
	}
	if !t.Before(p.End) {
		return 1
	}
	return float64(t.Sub(p.Start)) / float64(total)
}

// Contains reports whether t falls in [Start, End).
func (p Period) Contains(t time.Time) bool {
	return !t.Before(p.Start) && t.Before(p.End)
}
