package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/repcoach/repcoach/insights/clock"
)

// ErrSkip, returned by a Job's Build, skips that recipient quietly for this
// week (no data, nothing worth saying).
var ErrSkip = errors.New("skip this recipient")

// ErrUnknownJob is returned by RunJob for a name not in the job table.
var ErrUnknownJob = errors.New("unknown job")

// ErrPaused is returned by RunJob (without DryRun) while scheduled sends
// are paused.
var ErrPaused = errors.New("scheduled posts are paused")

// Message is one recipient's message as a Job builds it. The Scheduler
// does not look inside: it hands it to the Sender (a bot.Outgoing in
// RepCoach).
type Message = any

// Job is a scheduled message, declared once in the job table.
type Job struct {
	Name, Summary string // "weekly-feedback", one line for help and status
	// At is when it is sent, in each recipient's own time zone.
	At Weekly
	// Audience lists the Slack user IDs to send to.
	Audience func(ctx context.Context) ([]string, error)
	// Build makes userID's message for the send due at due (the scheduled
	// local time, or the time of a manual run). It returns ErrSkip to skip
	// the recipient quietly; other errors are retried later.
	Build func(ctx context.Context, userID string, due time.Time) (Message, error)
	// OptOutKind is the preference kind checked before sending
	// ("feedback"); empty means recipients cannot opt out.
	OptOutKind string
}

// Sender delivers scheduled messages: bot's Poster in RepCoach.
type Sender interface {
	// Deliver sends msg to userID exactly once for key, across restarts
	// and replicas, and says what it did.
	Deliver(ctx context.Context, key, userID string, msg Message) Outcome
	// LookFirst makes every delivery for the next d look in the
	// conversation before posting: the ledger may have forgotten what it
	// sent.
	LookFirst(d time.Duration)
}

// Prefs answers the recipients' and sales ops' preferences.
type Prefs interface {
	OptedOut(ctx context.Context, userID, kind string) (bool, error)
	Paused(ctx context.Context) (bool, error)
}

// Outbox is a durable list of the recipients of one week's run, so that a
// fan-out cut short by a crash resumes where it stopped. EnqueueOutbox
// queues items once per run (later calls are no-ops); OutboxPending lists
// the items not yet done; OutboxDone marks one done.
type Outbox interface {
	EnqueueOutbox(ctx context.Context, run string, items []string) error
	OutboxPending(ctx context.Context, run string) ([]string, error)
	OutboxDone(ctx context.Context, run, item string) error
}

// TimeZones returns a user's time zone.
type TimeZones interface {
	TimeZone(ctx context.Context, userID string) (*time.Location, error)
}

// Config configures a Scheduler. The zero value gets the defaults noted.
type Config struct {
	Clock clock.Clock   // the clock (default clock.Real)
	Tick  time.Duration // how often Run looks for due sends (default 1 min)
	// WorkingDays are the days sends go out (default Monday to Friday); a
	// send whose local day (after any quiet-hours move) is another day is
	// not sent that week.
	WorkingDays []time.Weekday
	// Holidays are dates on which nothing is sent (see NewCalendar).
	Holidays []time.Time
	// QuietStart and QuietEnd are the local hours with no sends (default
	// 21 to 7; see NewCalendar). A send due in quiet hours moves to the
	// next QuietEnd:00. Equal non-zero values mean no quiet hours.
	QuietStart, QuietEnd int
	// Grace is how late a missed send (downtime, pause) may still go out
	// (default 6 h); after it the send is skipped and logged.
	Grace   time.Duration
	Workers int // deliveries at once (default 8)
	// HeldWait is how long a manual run (RunJob) waits before it tries
	// once more the recipients another process held: the delivery lease,
	// so that the leases of a process that died have lapsed. 0 reports
	// them held at once.
	HeldWait time.Duration
	// DryRun logs each send instead of handing it to the Sender, which is
	// never called: nothing is posted and the ledger is left alone.
	DryRun bool
	Logger *slog.Logger
	// DataLost, when set, reports whether the ledger's Redis lost its data
	// since the last call (and has paused scheduled sends). The Scheduler
	// asks before each round and each delivery; on a loss it drops what it
	// knew of the week's runs, and makes the Sender look in each
	// conversation before posting for LookFirstFor, so that nobody is sent
	// a message twice once sales ops resume.
	DataLost func(ctx context.Context) (bool, error)
}

// LookFirstFor is how long after Redis lost its data every delivery looks
// in the conversation before posting: a week's runs and their grace.
const LookFirstFor = 8 * 24 * time.Hour

const (
	// audienceRefresh is how often a run not yet started re-reads its
	// audience.
	audienceRefresh = 15 * time.Minute
	// failedRetry is how long a failed delivery waits before its next try.
	failedRetry = 5 * time.Minute
	// missedWindow is how long after the grace window a week is still
	// looked at, so that sends it missed are logged as skipped.
	missedWindow = 24 * time.Hour
	// zoneTTL is how long the Scheduler reuses a recipient's time zone.
	zoneTTL = time.Hour
)

// Scheduler sends the jobs of its table at each recipient's local time,
// exactly once per (job, ISO week, recipient) through the Sender, with
// each week's fan-out kept in the Outbox. Several Schedulers (one per
// replica) may run the same table against the same Outbox and ledger.
type Scheduler struct {
	jobs   []Job
	byName map[string]int
	send   Sender
	outbox Outbox
	prefs  Prefs
	tz     TimeZones
	cfg    Config
	cal    Calendar
	clock  clock.Clock
	log    *slog.Logger
	spin   uint32 // where this replica starts in a fan-out, to spread replicas apart

	tickMu     sync.Mutex
	runs       map[string]*runState // by run name; only Tick touches it
	forgetRuns atomic.Bool          // drop runs at the next Tick (Redis lost them)

	zoneMu sync.Mutex
	zones  map[string]zoneEntry
}

type zoneEntry struct {
	loc *time.Location
	at  time.Time
}

// New returns a Scheduler for the job table jobs. It panics on a
// duplicate or unnamed job, a job without Audience or Build, or an invalid
// At: programming errors that must stop the bot at start.
func New(jobs []Job, send Sender, outbox Outbox, prefs Prefs, tz TimeZones, cfg Config) *Scheduler {
	if cfg.Tick <= 0 {
		cfg.Tick = time.Minute
	}
	if cfg.WorkingDays == nil {
		cfg.WorkingDays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	}
	if cfg.QuietStart == 0 && cfg.QuietEnd == 0 {
		cfg.QuietStart, cfg.QuietEnd = 21, 7
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 6 * time.Hour
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Scheduler{
		jobs:   slices.Clone(jobs),
		byName: map[string]int{},
		send:   send,
		outbox: outbox,
		prefs:  prefs,
		tz:     tz,
		cfg:    cfg,
		cal:    NewCalendar(cfg.WorkingDays, cfg.Holidays, cfg.QuietStart, cfg.QuietEnd),
		clock:  clock.Or(cfg.Clock),
		log:    cfg.Logger,
		spin:   rand.Uint32(),
		runs:   map[string]*runState{},
		zones:  map[string]zoneEntry{},
	}
	for i, j := range s.jobs {
		switch {
		case j.Name == "" || strings.Contains(j.Name, "/"):
			panic(fmt.Sprintf("schedule: job %q: a job needs a name without '/'", j.Name))
		case j.Audience == nil || j.Build == nil:
			panic(fmt.Sprintf("schedule: job %q has no Audience or no Build", j.Name))
		case !j.At.valid():
			panic(fmt.Sprintf("schedule: job %q: invalid time %+v", j.Name, j.At))
		}
		if _, dup := s.byName[j.Name]; dup {
			panic("schedule: duplicate job " + j.Name)
		}
		s.byName[j.Name] = i
	}
	return s
}

// Jobs returns the job table, in declaration order.
func (s *Scheduler) Jobs() []Job { return slices.Clone(s.jobs) }

// Calendar returns the calendar the Scheduler sends by.
func (s *Scheduler) Calendar() Calendar { return s.cal }

// NextDue returns the first moment at or after now when job sends to a
// recipient in loc, or the zero time if job is unknown or sends nothing in
// the coming year.
func (s *Scheduler) NextDue(job string, loc *time.Location, now time.Time) time.Time {
	i, ok := s.byName[job]
	if !ok {
		return time.Time{}
	}
	return s.cal.Next(s.jobs[i].At, loc, now)
}

// Run calls Tick every Config.Tick until ctx ends, then returns nil once
// the deliveries under way have finished.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		s.Tick(ctx)
		if s.clock.Sleep(ctx, s.cfg.Tick) != nil {
			return nil
		}
	}
}

// Tick does one round at the clock's now: for each job and each week whose
// send time is near now somewhere on Earth, once some recipient's local
// send time has come, the week's run "<job>/<week>" is enqueued in the
// Outbox with the whole audience; then every pending recipient whose send
// time has come (and is less than Grace ago) gets the message with
// delivery key "<job>/<week>/<userID>", unless sends are paused or the
// recipient opted out. A recipient past Grace is skipped and logged. The
// audience is read until the week's run starts; someone who joins it later
// that week is first sent to the following week. Tick returns once the
// deliveries it started have finished.
func (s *Scheduler) Tick(ctx context.Context) {
	s.tickMu.Lock()
	defer s.tickMu.Unlock()
	now := s.clock.Now()
	if ctx.Err() != nil {
		return
	}
	if s.forgetRuns.Swap(false) {
		s.runs = map[string]*runState{}
	}
	if s.dataLost(ctx) {
		return
	}
	paused, err := s.prefs.Paused(ctx)
	if err != nil {
		s.log.Error("scheduler: cannot tell whether posts are paused; waiting", "err", err)
		return
	}
	if paused {
		s.log.Debug("scheduler: scheduled posts are paused")
		return
	}
	live := map[string]bool{}
	for _, wk := range candidateWeeks(now, s.cfg.Grace) {
		for i := range s.jobs {
			j := &s.jobs[i]
			if !s.near(j.At, wk, now) {
				continue
			}
			run := j.Name + "/" + wk.String()
			live[run] = true
			s.runWeek(ctx, j, wk, run, now)
		}
	}
	for run := range s.runs {
		if !live[run] {
			delete(s.runs, run)
		}
	}
}

// dataLost asks DataLost; on a loss (or an error, which holds sends too)
// it forgets the runs, whose outbox is gone, and makes the Sender look
// before posting. It reports whether sends must wait.
func (s *Scheduler) dataLost(ctx context.Context) bool {
	if s.cfg.DataLost == nil {
		return false
	}
	lost, err := s.cfg.DataLost(ctx)
	if err != nil {
		s.log.Error("scheduler: cannot tell whether Redis kept its data; waiting", "err", err)
		return true
	}
	if lost {
		s.log.Error("Redis lost its data (restarted without persistence, flushed, or failed over to an empty replica): " +
			"scheduled DMs are held until sales ops type `/repcoach resume`; after that each one looks in the conversation first, so nobody gets a message twice")
		s.forgetRuns.Store(true)
		s.send.LookFirst(LookFirstFor)
		return true
	}
	return false
}

// candidateWeeks lists the ISO weeks (by UTC date) that may hold a send
// now or recently, oldest first.
func candidateWeeks(now time.Time, grace time.Duration) []Week {
	var out []Week
	from := now.UTC().Add(-grace - missedWindow - 3*24*time.Hour)
	to := now.UTC().Add(3 * 24 * time.Hour)
	for t := from; !t.After(to); t = t.Add(24 * time.Hour) {
		if w := WeekOf(t); len(out) == 0 || out[len(out)-1] != w {
			out = append(out, w)
		}
	}
	return out
}

// near reports whether, in some time zone on Earth (UTC−12 to UTC+14), a
// send at `at` in week wk is due now, or was due recently enough to be sent
// or logged as missed.
func (s *Scheduler) near(at Weekly, wk Week, now time.Time) bool {
	m := wk.Monday()
	nominal := time.Date(m.Year(), m.Month(), m.Day()+dayIndex(at.Day), at.Hour, at.Minute, 0, 0, time.UTC)
	earliest := nominal.Add(-14 * time.Hour)
	// +12 h for the westernmost zone, +24 h for a quiet-hours move.
	latest := nominal.Add(36*time.Hour + s.cfg.Grace + missedWindow)
	return !now.Before(earliest) && now.Before(latest)
}

// audience reads j's audience, turning a panic into an error.
func (s *Scheduler) audience(ctx context.Context, j *Job) (ids []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("scheduler: audience panicked", "job", j.Name, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("audience of %s panicked: %v", j.Name, p)
		}
	}()
	ids, err = j.Audience(ctx)
	if err != nil {
		return nil, fmt.Errorf("audience of %s: %w", j.Name, err)
	}
	return ids, nil
}

// zone returns userID's time zone, reusing an answer for zoneTTL.
func (s *Scheduler) zone(ctx context.Context, userID string) (*time.Location, error) {
	now := s.clock.Now()
	s.zoneMu.Lock()
	e, ok := s.zones[userID]
	s.zoneMu.Unlock()
	if ok && now.Sub(e.at) < zoneTTL && now.Sub(e.at) >= 0 {
		return e.loc, nil
	}
	loc, err := s.tz.TimeZone(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("time zone of %s: %w", userID, err)
	}
	if loc == nil {
		loc = time.UTC
	}
	s.zoneMu.Lock()
	s.zones[userID] = zoneEntry{loc: loc, at: now}
	s.zoneMu.Unlock()
	return loc, nil
}
