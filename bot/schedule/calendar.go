package schedule

import (
	"fmt"
	"time"
)

// Week is an ISO 8601 week, such as 2026-W45.
type Week struct{ Year, Num int }

// WeekOf returns the ISO week of t's date in t's location.
func WeekOf(t time.Time) Week {
	y, w := t.ISOWeek()
	return Week{y, w}
}

func (w Week) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Num) }

// Monday returns the week's Monday at noon UTC (only its date counts).
func (w Week) Monday() time.Time {
	jan4 := time.Date(w.Year, 1, 4, 12, 0, 0, 0, time.UTC)
	back := (int(jan4.Weekday()) + 6) % 7
	return jan4.AddDate(0, 0, 7*(w.Num-1)-back)
}

// Next returns the week after w.
func (w Week) Next() Week { return WeekOf(w.Monday().AddDate(0, 0, 7)) }

// dayIndex is a weekday's place in an ISO week, Monday first.
func dayIndex(d time.Weekday) int { return (int(d) + 6) % 7 }

// date is a calendar date.
type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

// Calendar holds when sends may go out: working days, holidays and quiet
// hours, each read in the recipient's own time zone. Build one with
// NewCalendar; the zero value sends on no day.
type Calendar struct {
	working              [7]bool
	holidays             map[date]bool
	quietStart, quietEnd int // no quiet hours when equal
}

// NewCalendar returns the calendar with sends on the working days, none on
// the holidays (each one's year, month and day, read in its own location,
// compared with the send's local date), and none in the quiet hours from
// quietStart:00 to quietEnd:00 local (wrapping past midnight when
// quietStart > quietEnd; equal values mean no quiet hours).
func NewCalendar(working []time.Weekday, holidays []time.Time, quietStart, quietEnd int) Calendar {
	c := Calendar{holidays: map[date]bool{}, quietStart: quietStart, quietEnd: quietEnd}
	for _, d := range working {
		if d >= time.Sunday && d <= time.Saturday {
			c.working[d] = true
		}
	}
	for _, h := range holidays {
		c.holidays[dateOf(h)] = true
	}
	return c
}

func (c Calendar) quiet(hour int) bool {
	switch qs, qe := c.quietStart, c.quietEnd; {
	case qs == qe:
		return false
	case qs < qe:
		return hour >= qs && hour < qe
	default:
		return hour >= qs || hour < qe
	}
}

// Due returns when a send at `at` goes to a recipient in loc during week
// wk: at's day and time in loc (DST-correct), moved to the end of quiet
// hours when it falls inside them. ok is false when that moment is on a
// day that is not a working day, or a holiday: nothing is sent that week.
func (c Calendar) Due(at Weekly, loc *time.Location, wk Week) (t time.Time, ok bool) {
	m := wk.Monday()
	t = time.Date(m.Year(), m.Month(), m.Day()+dayIndex(at.Day), at.Hour, at.Minute, 0, 0, loc)
	if c.quiet(t.Hour()) {
		y, mo, d := t.Date()
		if t.Hour() >= c.quietEnd {
			d++ // quiet hours run past midnight
		}
		t = time.Date(y, mo, d, c.quietEnd, 0, 0, 0, loc)
	}
	return t, c.working[t.Weekday()] && !c.holidays[dateOf(t)]
}

// Next returns the first moment at or after now when a send at `at` goes
// to a recipient in loc, or the zero time if none does in the coming year.
func (c Calendar) Next(at Weekly, loc *time.Location, now time.Time) time.Time {
	wk := WeekOf(now.In(loc))
	for range 54 {
		if d, ok := c.Due(at, loc, wk); ok && !d.Before(now) {
			return d
		}
		wk = wk.Next()
	}
	return time.Time{}
}
