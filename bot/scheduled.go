package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/repcoach/repcoach/bot/schedule"
)

// Scheduled is a Poster as the scheduler's schedule.Sender: it delivers
// each scheduled message (a bot.Outgoing) exactly once through the
// Poster's ledger and reports the result in the scheduler's terms.
type Scheduled struct{ Poster *Poster }

// scheduleResults maps what Deliver did to what the scheduler counts.
var scheduleResults = map[Result]schedule.Result{
	Cancelled:   schedule.Cancelled,
	Sent:        schedule.Sent,
	AlreadySent: schedule.AlreadySent,
	Found:       schedule.AlreadySent,
	Unrecorded:  schedule.Unrecorded,
	Held:        schedule.Held,
	Failed:      schedule.Failed,
	Permanent:   schedule.Refused,
	// A Poster in dry-run mode posted and recorded nothing: it stays
	// pending. (The scheduler's own dry run never calls Deliver.)
	DryRun: schedule.Cancelled,
}

// Deliver implements schedule.Sender. A msg that is not an Outgoing is
// refused.
func (s Scheduled) Deliver(ctx context.Context, key, userID string, msg schedule.Message) schedule.Outcome {
	out, ok := msg.(Outgoing)
	if !ok {
		return schedule.Outcome{Result: schedule.Refused, Err: fmt.Errorf("deliver %s: a %T is not a bot.Outgoing", key, msg)}
	}
	o := s.Poster.Deliver(ctx, key, userID, out)
	return schedule.Outcome{Result: scheduleResults[o.Result], Err: o.Err}
}

// LookFirst implements schedule.Sender.
func (s Scheduled) LookFirst(d time.Duration) { s.Poster.LookFirst(d) }
