package schedule

import "fmt"

// Result is what became of one recipient's send.
type Result int

// The results. A Sender returns the first seven; Skipped and WouldSend are
// the Scheduler's own.
const (
	// Cancelled, the zero value: not attempted, or stopped before anything
	// was posted (ctx ended, sends paused). It stays pending.
	Cancelled Result = iota
	// Sent: posted now and recorded.
	Sent
	// AlreadySent: posted before (recorded, or found in the conversation).
	AlreadySent
	// Unrecorded: posted, but not recorded yet; it stays pending until the
	// ledger has it (the next try records it instead of posting).
	Unrecorded
	// Held: another replica is sending it right now.
	Held
	// Failed: not posted after retrying; tried again later.
	Failed
	// Refused: refused for good (an unknown user, a message Slack will
	// never take); not tried again.
	Refused
	// Skipped: opted out, nothing to say (ErrSkip), not a working day, or
	// past the grace window.
	Skipped
	// WouldSend: a dry run logged it instead of sending.
	WouldSend
)

var resultNames = [...]string{"cancelled", "sent", "already sent", "sent but not recorded", "held by another replica", "failed", "refused", "skipped", "would send"}

func (r Result) String() string {
	if r >= 0 && int(r) < len(resultNames) {
		return resultNames[r]
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

// Outcome is a send's Result and, for Unrecorded, Failed and Refused, the
// error behind it.
type Outcome struct {
	Result Result
	Err    error
}

// Report counts what a run did with each recipient.
type Report struct {
	Sent        int // posted by this run
	AlreadySent int // sent before (by an earlier run or another replica)
	Skipped     int // opted out, ErrSkip, not a working day, missed the grace window
	Failed      int // Failed and Refused (listed in Errors)
	Held        int // another replica was sending it at that moment
	// Unrecorded were posted but could not be recorded as sent: until the
	// ledger has them the run is not done (see Errors).
	Unrecorded int
	WouldSend  int // dry run: would have been posted
	Errors     []error
}

// OK reports whether every recipient was dealt with for good: nothing
// failed, nothing is left unrecorded or held by another replica.
func (r Report) OK() bool { return r.Failed == 0 && r.Unrecorded == 0 && r.Held == 0 }

func (r *Report) addAll(os []Outcome) {
	for _, o := range os {
		r.add(o)
	}
}

func (r *Report) add(o Outcome) {
	switch o.Result {
	case Sent:
		r.Sent++
	case AlreadySent:
		r.AlreadySent++
	case Unrecorded:
		r.Unrecorded++
		r.Errors = append(r.Errors, o.Err)
	case Held:
		r.Held++
	case Failed, Refused:
		r.Failed++
		r.Errors = append(r.Errors, o.Err)
	case Skipped:
		r.Skipped++
	case WouldSend:
		r.WouldSend++
	}
}
