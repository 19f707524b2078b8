package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// ErrSkip, returned by a Job's Build, skips that recipient quietly for this
// period (no data, nothing worth saying).
var ErrSkip = errors.New("skip this recipient")

// ErrUnknownJob is returned by RunJob for a name not in the job table.
var ErrUnknownJob = errors.New("unknown job")

// ErrPaused is returned by RunJob (without DryRun) while scheduled posts
// are paused.
var ErrPaused = errors.New("scheduled posts are paused")

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
	Build func(ctx context.Context, userID string, due time.Time) (Outgoing, error)
	// OptOutKind is the preference kind checked before sending
	// ("feedback"); empty means recipients cannot opt out.
	OptOutKind string
}

// ScheduleConfig configures a Scheduler. The zero value gets the defaults
// noted.
type ScheduleConfig struct {
	Now  func() time.Time // the clock (default time.Now)
	Tick time.Duration    // how often Run looks for due sends (default 1 min)
	// WorkingDays are the days sends go out (default Monday to Friday); a
	// send whose local day (after any quiet-hours move) is another day is
	// not sent that week.
	WorkingDays []time.Weekday
	// Holidays are dates on which nothing is sent: each one's year, month
	// and day (read in its own location) is compared with the send's local
	// date in the recipient's zone.
	Holidays []time.Time
	// QuietStart and QuietEnd are the local hours with no sends, from
	// QuietStart:00 to QuietEnd:00 (wrapping past midnight when QuietStart
	// > QuietEnd; default 21 to 7). A send due in quiet hours moves to the
	// next QuietEnd:00. Equal non-zero values mean no quiet hours.
	QuietStart, QuietEnd int
	// Grace is how late a missed send (downtime, pause) may still go out
	// (default 6 h); after it the send is skipped and logged.
	Grace   time.Duration
	Workers int // deliveries at once (default 8)
	Logger  *slog.Logger
	// DataLost, when set, reports whether the ledger's Redis lost its data
	// since the last call (and has paused scheduled sends). The Scheduler
	// asks before each round and each delivery; on a loss it drops what it
	// knew of the week's runs, and the Poster looks in each conversation
	// before posting until LookFirstFor has passed, so that nobody is sent
	// a message twice once sales ops resume.
	DataLost func(ctx context.Context) (bool, error)
}

// LookFirstFor is how long after Redis lost its data every delivery looks
// in the conversation before posting: a week's runs and their grace.
const LookFirstFor = 8 * 24 * time.Hour

// Prefs answers the recipients' and ops' preferences.
type Prefs interface {
	OptedOut(ctx context.Context, slackID, kind string) (bool, error)
	Paused(ctx context.Context) (bool, error)
}

// Outbox is a durable list of the recipients of one fan-out run, so that a
// fan-out interrupted by a crash resumes where it stopped. EnqueueOutbox
// queues items once per run (later calls are no-ops); OutboxPending lists
// the items not yet done; OutboxDone marks one done.
type Outbox interface {
	EnqueueOutbox(ctx context.Context, run string, items []string) error
	OutboxPending(ctx context.Context, run string) ([]string, error)
	OutboxDone(ctx context.Context, run, item string) error
}

// TimeZones returns a Slack user's time zone.
type TimeZones interface {
	TimeZone(ctx context.Context, userID string) (*time.Location, error)
}

// RunOptions are the options of a manual run (repcoach job run).
type RunOptions struct {
	DryRun bool   // log instead of posting; the ledger is not touched
	Only   string // send to this one user ID of the audience only
}

// RunReport counts what a run did with each recipient.
type RunReport struct {
	Sent        int // posted by this run
	AlreadySent int // sent before (by an earlier run or another replica)
	Skipped     int // opted out, ErrSkip, not a working day, missed the grace window
	Failed      int // errors (listed in Errors)
	Held        int // another replica was sending it at that moment
	// Unrecorded were posted but could not be recorded as sent: until the
	// ledger has them the run is not done (see Errors).
	Unrecorded int
	WouldSend  int // DryRun: would have been posted
	Errors     []error
}

// OK reports whether every recipient was dealt with for good: nothing
// failed, nothing is left unrecorded or held by another replica.
func (r RunReport) OK() bool { return r.Failed == 0 && r.Unrecorded == 0 && r.Held == 0 }

func (r *RunReport) add(o fanOutcome) {
	switch o.kind {
	case outSent:
		r.Sent++
	case outUnrecorded:
		r.Unrecorded++
		r.Errors = append(r.Errors, o.err)
	case outAlready:
		r.AlreadySent++
	case outSkipped, outMissed:
		r.Skipped++
	case outFailed, outPermanent:
		r.Failed++
		r.Errors = append(r.Errors, o.err)
	case outHeld:
		r.Held++
	case outDry:
		r.WouldSend++
	}
}

// Scheduler sends the jobs of its table at each recipient's local time,
// exactly once per (job, ISO week, recipient) through the Poster's ledger,
// with each week's fan-out kept in the Outbox. Several Schedulers (one per
// replica) may run the same table against the same Redis.
type Scheduler struct {
	jobs   []Job
	byName map[string]int
	poster *Poster
	outbox Outbox
	prefs  Prefs
	tz     TimeZones
	cfg    ScheduleConfig
	log    *slog.Logger

	working  [7]bool
	holidays map[civilDate]bool
	quiet    func(hour int) bool
	spin     uint32 // where this replica starts in a fan-out, to spread replicas apart

	tickMu     sync.Mutex
	runs       map[string]*runState // by run name; only tick touches it
	forgetRuns atomic.Bool          // drop runs at the next tick (Redis lost them)

	zoneMu sync.Mutex
	zones  map[string]zoneEntry
}

type zoneEntry struct {
	loc *time.Location
	at  time.Time
}

// runState is what this process knows of one run ("job/week").
type runState struct {
	sealed   bool                 // enqueued in the outbox
	finished bool                 // nothing pending
	recheck  time.Time            // nothing to do before this
	retryAt  map[string]time.Time // failed items wait until then
	dry      map[string]bool      // items already logged by a dry run
}

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

// NewScheduler returns a Scheduler for the job table jobs. It panics on a
// duplicate or unnamed job, a job without Audience or Build, or an invalid
// At: programming errors that must stop the bot at start.
func NewScheduler(jobs []Job, poster *Poster, outbox Outbox, prefs Prefs, tz TimeZones, cfg ScheduleConfig) *Scheduler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
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
		jobs:     slices.Clone(jobs),
		byName:   map[string]int{},
		poster:   poster,
		outbox:   outbox,
		prefs:    prefs,
		tz:       tz,
		cfg:      cfg,
		log:      cfg.Logger,
		holidays: map[civilDate]bool{},
		spin:     rand.Uint32(),
		runs:     map[string]*runState{},
		zones:    map[string]zoneEntry{},
	}
	for i, j := range s.jobs {
		switch {
		case j.Name == "" || strings.Contains(j.Name, "/"):
			panic(fmt.Sprintf("bot: job %q: a job needs a name without '/'", j.Name))
		case j.Audience == nil || j.Build == nil:
			panic(fmt.Sprintf("bot: job %q has no Audience or no Build", j.Name))
		case !j.At.valid():
			panic(fmt.Sprintf("bot: job %q: invalid time %+v", j.Name, j.At))
		}
		if _, dup := s.byName[j.Name]; dup {
			panic("bot: duplicate job " + j.Name)
		}
		s.byName[j.Name] = i
	}
	for _, d := range cfg.WorkingDays {
		if d >= time.Sunday && d <= time.Saturday {
			s.working[d] = true
		}
	}
	for _, h := range cfg.Holidays {
		s.holidays[civilOf(h)] = true
	}
	qs, qe := cfg.QuietStart, cfg.QuietEnd
	switch {
	case qs == qe:
		s.quiet = func(int) bool { return false }
	case qs < qe:
		s.quiet = func(h int) bool { return h >= qs && h < qe }
	default:
		s.quiet = func(h int) bool { return h >= qs || h < qe }
	}
	return s
}

// Jobs returns the job table, in declaration order.
func (s *Scheduler) Jobs() []Job { return slices.Clone(s.jobs) }

// civilDate is a calendar date.
type civilDate struct {
	y int
	m time.Month
	d int
}

func civilOf(t time.Time) civilDate {
	y, m, d := t.Date()
	return civilDate{y, m, d}
}

// isoWeek is an ISO 8601 week, such as 2026-W48.
type isoWeek struct{ year, week int }

func (w isoWeek) String() string { return fmt.Sprintf("%04d-W%02d", w.year, w.week) }

func isoWeekOf(t time.Time) isoWeek {
	y, w := t.ISOWeek()
	return isoWeek{y, w}
}

// monday returns the date of the week's Monday.
func (w isoWeek) monday() civilDate {
	jan4 := time.Date(w.year, 1, 4, 0, 0, 0, 0, time.UTC)
	back := (int(jan4.Weekday()) + 6) % 7
	return civilOf(jan4.AddDate(0, 0, 7*(w.week-1)-back))
}

func (w isoWeek) next() isoWeek {
	m := w.monday()
	return isoWeekOf(time.Date(m.y, m.m, m.d+7, 12, 0, 0, 0, time.UTC))
}

// dayIndex is a weekday's place in an ISO week, Monday first.
func dayIndex(d time.Weekday) int { return (int(d) + 6) % 7 }

// due returns when a job at `at` sends to a recipient in loc during week
// wk: at's day and time in loc (DST-correct), moved out of quiet hours; ok
// is false when that moment falls on a non-working day or a holiday, and
// nothing is sent that week.
func (s *Scheduler) due(at Weekly, loc *time.Location, wk isoWeek) (time.Time, bool) {
	m := wk.monday()
	t := time.Date(m.y, m.m, m.d+dayIndex(at.Day), at.Hour, at.Minute, 0, 0, loc)
	if s.quiet(t.Hour()) {
		y, mo, d := t.Date()
		if t.Hour() >= s.cfg.QuietEnd {
			d++ // quiet hours run past midnight
		}
		t = time.Date(y, mo, d, s.cfg.QuietEnd, 0, 0, 0, loc)
	}
	if !s.working[t.Weekday()] || s.holidays[civilOf(t)] {
		return t, false
	}
	return t, true
}

// NextDue returns the first moment at or after now when job sends to a
// recipient in loc, or the zero time if job is unknown or sends nothing in
// the coming year.
func (s *Scheduler) NextDue(job string, loc *time.Location, now time.Time) time.Time {
	i, ok := s.byName[job]
	if !ok {
		return time.Time{}
	}
	wk := isoWeekOf(now.In(loc))
	for range 54 {
		if d, ok := s.due(s.jobs[i].At, loc, wk); ok && !d.Before(now) {
			return d
		}
		wk = wk.next()
	}
	return time.Time{}
}

// Run sends due jobs every Tick until ctx ends, then returns nil once the
// deliveries under way have finished. Each Tick, for each job and each week
// whose send time is near now somewhere on Earth: once some recipient's
// local send time has come, the week's run "<job>/<week>" is enqueued in
// the Outbox with the whole audience; then every pending recipient whose
// send time has come (and is less than Grace ago) gets the message with
// delivery key "<job>/<week>/<userID>", where week (2026-W45) is the ISO
// week of the scheduled day in the recipient's zone, unless sends are
// paused or the recipient opted out. A recipient past Grace is skipped and
// logged. The audience is read until the week's run starts; someone who
// joins it later that week is first sent to the following week.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		s.tick(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// tick does one round of Run at s.cfg.Now().
func (s *Scheduler) tick(ctx context.Context) {
	s.tickMu.Lock()
	defer s.tickMu.Unlock()
	now := s.cfg.Now()
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
// it forgets the runs, whose outbox is gone, and makes the Poster look
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
		s.poster.LookFirst(LookFirstFor)
		return true
	}
	return false
}

// candidateWeeks lists the ISO weeks (by UTC date) that may hold a send
// now or recently, oldest first.
func candidateWeeks(now time.Time, grace time.Duration) []isoWeek {
	var out []isoWeek
	from := now.UTC().Add(-grace - missedWindow - 3*24*time.Hour)
	to := now.UTC().Add(3 * 24 * time.Hour)
	for t := from; !t.After(to); t = t.Add(24 * time.Hour) {
		if w := isoWeekOf(t); len(out) == 0 || out[len(out)-1] != w {
			out = append(out, w)
		}
	}
	return out
}

// near reports whether, in some time zone on Earth (UTC−12 to UTC+14), a
// send at `at` in week wk is due now, or was due recently enough to be sent
// or logged as missed.
func (s *Scheduler) near(at Weekly, wk isoWeek, now time.Time) bool {
	m := wk.monday()
	nominal := time.Date(m.y, m.m, m.d+dayIndex(at.Day), at.Hour, at.Minute, 0, 0, time.UTC)
	earliest := nominal.Add(-14 * time.Hour)
	// +12 h for the westernmost zone, +24 h for a quiet-hours move.
	latest := nominal.Add(36*time.Hour + s.cfg.Grace + missedWindow)
	return !now.Before(earliest) && now.Before(latest)
}

// runWeek moves run (job j in week wk) on at now.
func (s *Scheduler) runWeek(ctx context.Context, j *Job, wk isoWeek, run string, now time.Time) {
	st := s.runs[run]
	if st == nil {
		st = &runState{retryAt: map[string]time.Time{}, dry: map[string]bool{}}
		s.runs[run] = st
	}
	if st.finished || now.Before(st.recheck) {
		return
	}
	if !st.sealed {
		ids, err := s.audience(ctx, j)
		if err != nil {
			s.log.Error("scheduler: read audience", "job", j.Name, "err", err)
			st.recheck = now.Add(s.cfg.Tick)
			return
		}
		first := time.Time{}
		for _, id := range ids {
			loc, err := s.zone(ctx, id)
			if err != nil {
				continue // decided when it is pending
			}
			if d, ok := s.due(j.At, loc, wk); ok && (first.IsZero() || d.Before(first)) {
				first = d
			}
		}
		if first.IsZero() || now.Before(first) {
			st.recheck = now.Add(audienceRefresh)
			if !first.IsZero() && first.Before(st.recheck) {
				st.recheck = first
			}
			return
		}
		if err := s.outbox.EnqueueOutbox(ctx, run, ids); err != nil {
			s.log.Error("scheduler: enqueue run", "run", run, "err", err)
			return
		}
		st.sealed = true
	}
	pending, err := s.outbox.OutboxPending(ctx, run)
	if err != nil {
		s.log.Error("scheduler: read outbox", "run", run, "err", err)
		return
	}
	if len(pending) == 0 {
		st.finished = true
		return
	}
	var (
		work     []fanItem
		next     time.Time
		missed   []string
		rep      RunReport
		zoneErrs int
		zoneErr  error
	)
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, id := range pending {
		if st.dry[id] {
			continue
		}
		if t, ok := st.retryAt[id]; ok && now.Before(t) {
			later(t)
			continue
		}
		loc, err := s.zone(ctx, id)
		if err != nil {
			if zoneErrs++; zoneErrs == 1 {
				zoneErr = err
			}
			later(now)
			continue
		}
		d, ok := s.due(j.At, loc, wk)
		switch {
		case !ok:
			s.done(ctx, run, id)
			rep.Skipped++
		case now.Before(d):
			later(d)
		case !now.Before(d.Add(s.cfg.Grace)):
			s.done(ctx, run, id)
			missed = append(missed, id)
			rep.Skipped++
		default:
			work = append(work, fanItem{user: id, due: d, week: wk})
		}
	}
	if zoneErrs > 0 {
		s.log.Warn("scheduler: recipients without a time zone wait for the next tick", "run", run, "count", zoneErrs, "err", zoneErr)
	}
	if len(missed) > 0 {
		s.log.Warn("scheduler: sends missed their grace window and were skipped", "run", run,
			"count", len(missed), "grace", s.cfg.Grace, "users", firstN(missed, 20))
	}
	outcomes := s.fanout(ctx, j, work, run, false)
	for i, o := range outcomes {
		rep.add(o)
		id := work[i].user
		switch o.kind {
		case outFailed:
			st.retryAt[id] = now.Add(failedRetry)
			later(st.retryAt[id])
		case outHeld, outCancelled, outUnrecorded:
			later(now)
		case outDry:
			st.dry[id] = true
		}
	}
	st.recheck = next
	if len(work) > 0 || rep.Skipped > 0 {
		s.log.Info("scheduler: run progressed", "run", run, "sent", rep.Sent, "already_sent", rep.AlreadySent,
			"skipped", rep.Skipped, "failed", rep.Failed, "held", rep.Held, "dry_run", rep.WouldSend)
	}
}

// firstN returns at most n of ids, for logs.
func firstN(ids []string, n int) []string {
	if len(ids) <= n {
		return ids
	}
	return ids[:n]
}

// fanItem is one recipient of a fan-out.
type fanItem struct {
	user string
	due  time.Time
	week isoWeek
}

type fanOutcomeKind int

const (
	// outCancelled, the zero value, is an item not attempted (shutdown,
	// paused): it stays pending.
	outCancelled fanOutcomeKind = iota
	outSent
	outAlready
	outSkipped
	outMissed
	outFailed    // retried later
	outPermanent // not retried
	outHeld
	outDry
	outUnrecorded // posted but not yet recorded; the ledger settles it later
)

type fanOutcome struct {
	kind fanOutcomeKind
	err  error
}

// fanout delivers items with cfg.Workers workers and returns each one's
// outcome. It stops handing out items when ctx ends and returns once the
// deliveries under way have finished. manual runs ignore the grace window
// and the outbox.
func (s *Scheduler) fanout(ctx context.Context, j *Job, items []fanItem, run string, dry bool) []fanOutcome {
	out := make([]fanOutcome, len(items))
	if len(items) == 0 {
		return out
	}
	feed := make(chan int)
	var wg sync.WaitGroup
	for range min(s.cfg.Workers, len(items)) {
		wg.Go(func() {
			for i := range feed {
				out[i] = s.deliver(ctx, j, items[i], run, dry)
			}
		})
	}
	start := int(s.spin % uint32(len(items)))
feed:
	for k := range items {
		select {
		case feed <- (start + k) % len(items):
		case <-ctx.Done():
			break feed
		}
	}
	close(feed)
	wg.Wait()
	return out
}

// deliver sends one recipient's message. run is "" for a manual run.
func (s *Scheduler) deliver(ctx context.Context, j *Job, it fanItem, run string, dry bool) (o fanOutcome) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("scheduler: job panicked", "job", j.Name, "user", it.user, "panic", p, "stack", string(debug.Stack()))
			o = fanOutcome{kind: outFailed, err: fmt.Errorf("job %s for %s panicked: %v", j.Name, it.user, p)}
		}
	}()
	if ctx.Err() != nil {
		return fanOutcome{kind: outCancelled}
	}
	key := j.Name + "/" + it.week.String() + "/" + it.user
	fail := func(kind fanOutcomeKind, err error) fanOutcome {
		if !strings.Contains(err.Error(), key) {
			err = fmt.Errorf("%s: %w", key, err)
		}
		s.log.Error("scheduler: delivery failed", "key", key, "err", err)
		return fanOutcome{kind: kind, err: err}
	}
	if run != "" {
		if !s.cfg.Now().Before(it.due.Add(s.cfg.Grace)) {
			s.log.Warn("scheduler: send missed its grace window; skipped", "key", key, "due", it.due)
			s.done(ctx, run, it.user)
			return fanOutcome{kind: outMissed}
		}
		if s.dataLost(ctx) {
			return fanOutcome{kind: outCancelled}
		}
		if paused, err := s.prefs.Paused(ctx); err != nil || paused {
			return fanOutcome{kind: outCancelled}
		}
	}
	if j.OptOutKind != "" {
		out, err := s.prefs.OptedOut(ctx, it.user, j.OptOutKind)
		if err != nil {
			return fail(outFailed, err)
		}
		if out {
			s.log.Debug("scheduler: recipient opted out", "key", key, "kind", j.OptOutKind)
			s.done(ctx, run, it.user)
			return fanOutcome{kind: outSkipped}
		}
	}
	msg, err := j.Build(ctx, it.user, it.due)
	if errors.Is(err, ErrSkip) {
		s.log.Debug("scheduler: recipient skipped by the job", "key", key)
		s.done(ctx, run, it.user)
		return fanOutcome{kind: outSkipped}
	}
	if err != nil {
		if ctx.Err() != nil {
			return fanOutcome{kind: outCancelled}
		}
		return fail(outFailed, fmt.Errorf("build message: %w", err))
	}
	if dry || s.poster.DryRun() {
		s.poster.logDry(key, it.user, msg)
		return fanOutcome{kind: outDry}
	}
	d := s.poster.Deliver(ctx, key, it.user, msg)
	switch d.Result {
	case Sent:
		s.done(ctx, run, it.user)
		return fanOutcome{kind: outSent}
	case AlreadySent, Found:
		s.done(ctx, run, it.user)
		return fanOutcome{kind: outAlready}
	case Held:
		return fanOutcome{kind: outHeld}
	case Unrecorded:
		// Out, but not recorded: the item stays pending until the ledger
		// has it (this Poster retries the record; others find the post).
		s.log.Warn("scheduler: sent but not recorded yet", "key", key, "err", d.Err)
		return fanOutcome{kind: outUnrecorded, err: d.Err}
	case Cancelled:
		return fanOutcome{kind: outCancelled}
	case Permanent:
		s.done(ctx, run, it.user)
		return fail(outPermanent, d.Err)
	case DryRun:
		return fanOutcome{kind: outDry}
	default:
		return fail(outFailed, d.Err)
	}
}

// done marks user done in run (if run is not ""), even if ctx has ended:
// the work it records is done.
func (s *Scheduler) done(ctx context.Context, run, user string) {
	if run == "" {
		return
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.outbox.OutboxDone(dctx, run, user); err != nil {
		s.log.Warn("scheduler: mark outbox item done", "run", run, "user", user, "err", err)
	}
}

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
	now := s.cfg.Now()
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

// RunJob runs job name once, now, for every recipient regardless of their
// local time (the `repcoach job run` command): each recipient's delivery
// key uses the current ISO week in their zone, so a recipient already sent
// this week's message is not sent it again, and the scheduled send later
// that week will not repeat it. Opt-outs are respected. Only limits the run
// to one user ID, which must be in the job's audience. DryRun logs each
// message instead of posting and leaves the ledger alone. It returns an
// error wrapping ErrUnknownJob for an unknown name, ErrPaused if posts are
// paused (unless DryRun), or the audience's error; per-recipient failures
// are in the report.
func (s *Scheduler) RunJob(ctx context.Context, name string, opts RunOptions) (RunReport, error) {
	var rep RunReport
	i, ok := s.byName[name]
	if !ok {
		names := make([]string, len(s.jobs))
		for k, j := range s.jobs {
			names[k] = j.Name
		}
		return rep, fmt.Errorf("%w %q (jobs: %s)", ErrUnknownJob, name, strings.Join(names, ", "))
	}
	j := &s.jobs[i]
	if !opts.DryRun {
		paused, err := s.prefs.Paused(ctx)
		if err != nil {
			return rep, fmt.Errorf("run %s: %w", name, err)
		}
		if paused {
			return rep, fmt.Errorf("run %s: %w", name, ErrPaused)
		}
	}
	ids, err := s.audience(ctx, j)
	if err != nil {
		return rep, fmt.Errorf("run %s: %w", name, err)
	}
	if opts.Only != "" {
		if !slices.Contains(ids, opts.Only) {
			return rep, fmt.Errorf("run %s: %s is not in its audience", name, opts.Only)
		}
		ids = []string{opts.Only}
	}
	now := s.cfg.Now()
	var items []fanItem
	for _, id := range ids {
		loc, err := s.zone(ctx, id)
		if err != nil {
			rep.add(fanOutcome{kind: outFailed, err: err})
			continue
		}
		items = append(items, fanItem{user: id, due: now, week: isoWeekOf(now.In(loc))})
	}
	for _, o := range s.fanout(ctx, j, items, "", opts.DryRun) {
		rep.add(o)
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("run %s: %w", name, err)
	}
	return rep, nil
}
