package schedule

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Weekly is a local time of the week: Day at Hour:Minute in each
// recipient's own time zone.
type Weekly struct {
	Day          time.Weekday
	Hour, Minute int
}

// String formats w as ParseWeekly reads it: "Fri 16:00".
func (w Weekly) String() string {
	return fmt.Sprintf("%s %02d:%02d", w.Day.String()[:3], w.Hour, w.Minute)
}

func (w Weekly) valid() bool {
	return w.Day >= time.Sunday && w.Day <= time.Saturday && w.Hour >= 0 && w.Hour < 24 && w.Minute >= 0 && w.Minute < 60
}

var weeklyTime = regexp.MustCompile(`^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$`)

// ParseWeekly reads a day of the week and a time of day: "Fri 16:00",
// "mon 08:00", "Friday 4pm", "Thu 9:30 am". Days are English names or
// their first three or more letters; times are 24-hour H:MM, or 12-hour
// with am/pm. Anything else is an error saying what is expected.
func ParseWeekly(s string) (Weekly, error) {
	bad := func(why string) (Weekly, error) {
		return Weekly{}, fmt.Errorf("weekly time %q: %s; want a day and a time such as \"Fri 16:00\" or \"Mon 8am\"", s, why)
	}
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) < 2 {
		return bad("no day or no time")
	}
	day, rest := fields[0], strings.Join(fields[1:], " ")
	w := Weekly{Day: -1}
	if len(day) >= 3 {
		for d := time.Sunday; d <= time.Saturday; d++ {
			if strings.HasPrefix(strings.ToLower(d.String()), day) {
				w.Day = d
			}
		}
	}
	if w.Day < 0 {
		return bad(fmt.Sprintf("unknown day %q", day))
	}
	m := weeklyTime.FindStringSubmatch(rest)
	if m == nil {
		return bad(fmt.Sprintf("unreadable time %q", rest))
	}
	w.Hour, _ = strconv.Atoi(m[1])
	if m[2] != "" {
		w.Minute, _ = strconv.Atoi(m[2])
	}
	switch m[3] {
	case "":
		if m[2] == "" {
			return bad("a 24-hour time needs minutes, as in 16:00")
		}
	case "am", "pm":
		if w.Hour < 1 || w.Hour > 12 {
			return bad("a 12-hour time runs from 1 to 12")
		}
		w.Hour %= 12
		if m[3] == "pm" {
			w.Hour += 12
		}
	}
	if !w.valid() {
		return bad("no such time of day")
	}
	return w, nil
}

// Next returns the first time at or after now that is w's day and time in
// loc, before working days, holidays and quiet hours move it (see
// Calendar.Next for those).
func (w Weekly) Next(now time.Time, loc *time.Location) time.Time {
	local := now.In(loc)
	t := time.Date(local.Year(), local.Month(), local.Day(), w.Hour, w.Minute, 0, 0, loc)
	t = t.AddDate(0, 0, (int(w.Day)-int(t.Weekday())+7)%7)
	if t.Before(local) {
		t = t.AddDate(0, 0, 7)
	}
	return t
}
