package handlers

import (
	"time"

	"github.com/repcoach/repcoach/handlers/i18n"
)

// When is the day and hour a weekly DM goes out, in each person's own time
// zone.
type When struct {
	Day  time.Weekday
	Hour int
}

// Schedule says when each scheduled DM goes out, so that the texts naming
// the day follow the configuration (FEEDBACK_AT, DIGEST_AT, NUDGE_AT)
// rather than a hard-coded "Friday" or "Monday". The zero Schedule is
// DefaultSchedule.
type Schedule struct {
	Feedback, Digest, Nudge When
}

// DefaultSchedule is the configuration's default: feedback on Friday at
// 16:00, the digest on Monday at 08:00, nudges on Wednesday at 10:00.
var DefaultSchedule = Schedule{
	Feedback: When{time.Friday, 16},
	Digest:   When{time.Monday, 8},
	Nudge:    When{time.Wednesday, 10},
}

// orDefault returns s, or DefaultSchedule when s is zero.
func (s Schedule) orDefault() Schedule {
	if s == (Schedule{}) {
		return DefaultSchedule
	}
	return s
}

// weeklyAt names w in p's language: "Friday afternoon" / "cuma öğleden
// sonra".
func weeklyAt(p *i18n.Printer, w When) string { return p.WeeklyAt(w.Day, w.Hour) }
