package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/bot/internal/bottest"
	"github.com/repcoach/repcoach/bot/schedule"
	"github.com/repcoach/repcoach/bot/slackfake"
	"github.com/repcoach/repcoach/insights/clock"
	"github.com/repcoach/repcoach/insights/delivery"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// zoneMap answers each user's time zone from the fake's member list, as cmd
// does from users.info.
type zoneMap map[string]string

func zonesOf(users []slackfake.User) zoneMap {
	z := zoneMap{}
	for _, u := range users {
		z[u.ID] = u.TZ
	}
	return z
}

func (z zoneMap) TimeZone(_ context.Context, id string) (*time.Location, error) {
	name, ok := z[id]
	if !ok {
		return nil, fmt.Errorf("user %s not found", id)
	}
	return time.LoadLocation(name)
}

func loadZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utcDate(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

// weeklyJob is a job at `at` sending to audience, built from its name.
func weeklyJob(name string, at schedule.Weekly, audience []string) schedule.Job {
	return schedule.Job{
		Name: name, Summary: "test job " + name, At: at, OptOutKind: "feedback",
		Audience: func(context.Context) ([]string, error) { return audience, nil },
		Build: func(_ context.Context, user string, due time.Time) (schedule.Message, error) {
			return bot.Outgoing{Text: fmt.Sprintf("%s for %s, due %s", name, user, due.Format(time.RFC3339))}, nil
		},
	}
}

var fri16 = schedule.Weekly{Day: time.Friday, Hour: 16}

// schedRig is a fake Slack, a Redis store (the Outbox and the Prefs) and
// one fake clock that the schedulers, their Posters and (when simSlack)
// the fake Slack all read: waits on it take no real time.
type schedRig struct {
	srv   *slackfake.Server
	store *redisstore.Store
	clock *clock.Fake
	users []slackfake.User
}

// newSchedRig starts a fake Slack with users and a Redis store; the fake
// runs on the rig's clock when simSlack is set.
func newSchedRig(t testing.TB, users []slackfake.User, start time.Time, simSlack bool) *schedRig {
	r := &schedRig{clock: clock.NewFake(start), users: users, store: redisstore.OpenTest(t)}
	cfg := slackfake.Config{Users: users}
	if simSlack {
		cfg.Now = r.clock.Now
	}
	r.srv = bottest.NewSlackFake(t, cfg)
	return r
}

// scheduler returns a Scheduler of jobs posting as owner through a fast
// Poster (on the rig's clock unless pc has one) recording in l (the store
// if nil).
func (r *schedRig) scheduler(t testing.TB, jobs []schedule.Job, owner string, l delivery.Ledger, pc bot.PosterConfig, sc schedule.Config) *schedule.Scheduler {
	if l == nil {
		l = r.store
	}
	pc.Owner = owner
	if pc.Clock == nil {
		pc.Clock = r.clock
	}
	p := fastPoster(t, bottest.SlackClient(r.srv, nil), l, pc)
	sc.Clock = r.clock
	if sc.Logger == nil {
		sc.Logger = bottest.WarnLogger(t)
	}
	return schedule.New(jobs, bot.Scheduled{Poster: p}, r.store, r.store, zonesOf(r.users), sc)
}

// exactlyOnce checks that each user has exactly one chat.postMessage.
func (r *schedRig) exactlyOnce(t testing.TB, users []string) {
	t.Helper()
	bad := 0
	for _, u := range users {
		if n := len(bottest.PostsTo(r.srv, u)); n != 1 {
			bad++
			if bad <= 5 {
				t.Errorf("%s has %d messages, want exactly 1", u, n)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d recipients do not have exactly one message", bad, len(users))
	}
}

// drain ticks ss (moving the clock a minute each time) until run has
// nothing pending, for at most rounds ticks.
func (r *schedRig) drain(t testing.TB, ctx context.Context, run string, rounds int, ss ...*schedule.Scheduler) {
	t.Helper()
	for range rounds {
		var wg sync.WaitGroup
		for _, s := range ss {
			wg.Go(func() { s.Tick(ctx) })
		}
		wg.Wait()
		pending, err := r.store.OutboxPending(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			return
		}
		r.clock.Add(time.Minute)
	}
	pending, _ := r.store.OutboxPending(ctx, run)
	t.Fatalf("run %s still has %d pending after %d ticks", run, len(pending), rounds)
}

// Recipients in four time zones and one crossing a DST change get each
// weekly DM at their own local Friday 16:00, exactly once, never at the
// weekend, not on a holiday, over four simulated weeks stepped minute by
// minute.
func TestScheduleLocalTimesAcrossZonesAndDST(t *testing.T) {
	users := []slackfake.User{
		{ID: "U1LA", Name: "la", TZ: "America/Los_Angeles"},
		{ID: "U2UTC", Name: "utc", TZ: "UTC"},
		{ID: "U3IN", Name: "in", TZ: "Asia/Kolkata"},
		{ID: "U4LON", Name: "lon", TZ: "Europe/London"},  // BST → GMT on Sun 2026-10-25
		{ID: "U5NY", Name: "ny", TZ: "America/New_York"}, // EDT → EST on Sun 2026-11-01
	}
	start, end := utcDate(2026, 10, 19, 0, 0), utcDate(2026, 11, 16, 0, 0)
	r := newSchedRig(t, users, start, true)
	all := bottest.UserIDs(users)
	holiday := time.Date(2026, 11, 13, 0, 0, 0, 0, time.UTC)
	jobs := []schedule.Job{
		weeklyJob("weekly-feedback", fri16, all),
		weeklyJob("weekend", schedule.Weekly{Day: time.Saturday, Hour: 10}, all),
		weeklyJob("early", schedule.Weekly{Day: time.Monday, Hour: 6}, all), // quiet until 07:00
	}
	s := r.scheduler(t, jobs, "a", nil, bot.PosterConfig{}, schedule.Config{Holidays: []time.Time{holiday}})
	ctx := context.Background()
	for now := start; now.Before(end); now = now.Add(time.Minute) {
		r.clock.Set(now)
		s.Tick(ctx)
	}

	type send struct{ job, local string }
	wantFeedback := []string{"Fri 2026-10-23 16:00", "Fri 2026-10-30 16:00", "Fri 2026-11-06 16:00"}
	wantEarly := []string{"Mon 2026-10-19 07:00", "Mon 2026-10-26 07:00", "Mon 2026-11-02 07:00", "Mon 2026-11-09 07:00"}
	for _, u := range users {
		loc := loadZone(t, u.TZ)
		got := map[string][]string{}
		keys := map[string]bool{}
		for _, m := range bottest.PostsTo(r.srv, u.ID) {
			k := deliveryKey(t, m)
			if keys[k] {
				t.Errorf("%s: key %s delivered twice", u.ID, k)
			}
			keys[k] = true
			job := strings.SplitN(k, "/", 2)[0]
			local := m.At.In(loc)
			got[job] = append(got[job], local.Format("Mon 2006-01-02 15:04"))
			if d := local.Weekday(); d == time.Saturday || d == time.Sunday {
				t.Errorf("%s: %s sent at the weekend (%s)", u.ID, k, local)
			}
			if wk := schedule.WeekOf(local).String(); !strings.Contains(k, "/"+wk+"/") {
				t.Errorf("%s: key %s sent in local week %s", u.ID, k, wk)
			}
		}
		if !slices.Equal(got["weekly-feedback"], wantFeedback) {
			t.Errorf("%s (%s) weekly-feedback sent at %v, want %v", u.ID, u.TZ, got["weekly-feedback"], wantFeedback)
		}
		if !slices.Equal(got["early"], wantEarly) {
			t.Errorf("%s (%s) early job sent at %v, want %v (moved out of quiet hours)", u.ID, u.TZ, got["early"], wantEarly)
		}
		if len(got["weekend"]) > 0 {
			t.Errorf("%s: weekend job sent at %v", u.ID, got["weekend"])
		}
	}
	// The DST changes, in UTC: London 15:00 UTC before (BST), 16:00 after;
	// New York 20:00 UTC before (EDT), 21:00 after; Kolkata 10:30 UTC.
	utc := func(user string) []string {
		var out []string
		for _, m := range bottest.PostsTo(r.srv, user) {
			if strings.HasPrefix(deliveryKey(t, m), "weekly-feedback/") {
				out = append(out, m.At.UTC().Format("01-02 15:04"))
			}
		}
		return out
	}
	for user, want := range map[string][]string{
		"U4LON": {"10-23 15:00", "10-30 16:00", "11-06 16:00"},
		"U5NY":  {"10-23 20:00", "10-30 20:00", "11-06 21:00"},
		"U1LA":  {"10-23 23:00", "10-30 23:00", "11-07 00:00"},
		"U3IN":  {"10-23 10:30", "10-30 10:30", "11-06 10:30"},
	} {
		if got := utc(user); !slices.Equal(got, want) {
			t.Errorf("%s weekly-feedback at %v UTC, want %v", user, got, want)
		}
	}
	// NextDue agrees.
	ny := loadZone(t, "America/New_York")
	if got, want := s.NextDue("weekly-feedback", ny, utcDate(2026, 11, 2, 0, 0)), utcDate(2026, 11, 6, 21, 0); !got.Equal(want) {
		t.Errorf("NextDue in New York = %v, want %v", got, want)
	}
	if got, want := s.NextDue("weekly-feedback", time.UTC, utcDate(2026, 11, 7, 0, 0)), utcDate(2026, 11, 20, 16, 0); !got.Equal(want) {
		t.Errorf("NextDue over the holiday = %v, want %v", got, want)
	}
}

func TestScheduleMissedSendGrace(t *testing.T) {
	users := []slackfake.User{{ID: "U1UTC", Name: "utc", TZ: "UTC"}, {ID: "U2LA", Name: "la", TZ: "America/Los_Angeles"}}
	ctx := context.Background()
	var dues sync.Map
	job := weeklyJob("weekly-feedback", fri16, bottest.UserIDs(users))
	build := job.Build
	job.Build = func(ctx context.Context, user string, due time.Time) (schedule.Message, error) {
		dues.Store(user, due)
		return build(ctx, user, due)
	}

	t.Run("inside grace goes out late", func(t *testing.T) {
		// Down from before 16:00 until 19:00 UTC.
		r := newSchedRig(t, users, utcDate(2026, 11, 6, 19, 0), true)
		s := r.scheduler(t, []schedule.Job{job}, "a", nil, bot.PosterConfig{}, schedule.Config{})
		s.Tick(ctx)
		ms := bottest.PostsTo(r.srv, "U1UTC")
		if len(ms) != 1 || !ms[0].At.Equal(utcDate(2026, 11, 6, 19, 0)) {
			t.Fatalf("UTC recipient got %d messages (%v); want one, late, at 19:00", len(ms), ms)
		}
		if d, _ := dues.Load("U1UTC"); !d.(time.Time).Equal(utcDate(2026, 11, 6, 16, 0)) {
			t.Errorf("Build got due %v, want the scheduled 16:00", d)
		}
		if n := len(bottest.PostsTo(r.srv, "U2LA")); n != 0 {
			t.Errorf("LA recipient got %d messages before 16:00 local", n)
		}
	})
	t.Run("outside grace is skipped", func(t *testing.T) {
		// Down until 23:00 UTC, 7 h after the UTC send.
		r := newSchedRig(t, users, utcDate(2026, 11, 6, 23, 0), true)
		s := r.scheduler(t, []schedule.Job{job}, "a", nil, bot.PosterConfig{}, schedule.Config{})
		s.Tick(ctx)
		pending, _ := r.store.OutboxPending(ctx, "weekly-feedback/2026-W45")
		if !slices.Equal(pending, []string{"U2LA"}) {
			t.Errorf("pending = %v, want only the LA recipient (UTC skipped)", pending)
		}
		for range 180 { // three more hours, minute by minute
			r.clock.Add(time.Minute)
			s.Tick(ctx)
		}
		if n := len(bottest.PostsTo(r.srv, "U1UTC")); n != 0 {
			t.Errorf("UTC recipient got %d messages after the grace window", n)
		}
		if ms := bottest.PostsTo(r.srv, "U2LA"); len(ms) != 1 || !ms[0].At.Equal(utcDate(2026, 11, 7, 0, 0)) {
			t.Errorf("LA recipient got %v, want one message at 16:00 PST", ms)
		}
	})
}

// Two replicas run the same schedule at once over 240 recipients: each
// gets exactly one message.
func TestScheduleTwoReplicasExactlyOnce(t *testing.T) {
	var users []slackfake.User
	users = append(users, bottest.FakeUsers("A", 80, "UTC")...)
	users = append(users, bottest.FakeUsers("B", 80, "Asia/Kolkata")...)
	users = append(users, bottest.FakeUsers("C", 80, "America/Los_Angeles")...)
	r := newSchedRig(t, users, utcDate(2026, 11, 7, 0, 30), false)
	job := weeklyJob("weekly-feedback", fri16, bottest.UserIDs(users))
	sc := schedule.Config{Grace: 24 * time.Hour}
	s1 := r.scheduler(t, []schedule.Job{job}, "replica-1", nil, bot.PosterConfig{}, sc)
	s2 := r.scheduler(t, []schedule.Job{job}, "replica-2", nil, bot.PosterConfig{}, sc)
	ctx := context.Background()
	r.drain(t, ctx, "weekly-feedback/2026-W45", 200, s1, s2)
	r.exactlyOnce(t, bottest.UserIDs(users))
}

// The fake answers 429 to a share of posts: everything still goes out,
// once, with two replicas.
func TestScheduleRateLimitedStillOnce(t *testing.T) {
	users := bottest.FakeUsers("RL", 30, "UTC")
	r := newSchedRig(t, users, utcDate(2026, 11, 6, 16, 0), false)
	r.srv.RateLimitShare("chat.postMessage", 0.2)
	job := weeklyJob("weekly-feedback", fri16, bottest.UserIDs(users))
	s1 := r.scheduler(t, []schedule.Job{job}, "replica-1", nil, bot.PosterConfig{}, schedule.Config{})
	s2 := r.scheduler(t, []schedule.Job{job}, "replica-2", nil, bot.PosterConfig{}, schedule.Config{})
	ctx := context.Background()
	r.drain(t, ctx, "weekly-feedback/2026-W45", 200, s1, s2)
	r.exactlyOnce(t, bottest.UserIDs(users))
	if calls := r.srv.Calls("chat.postMessage"); calls <= len(users) {
		t.Errorf("%d calls for %d posts: no 429 was answered", calls, len(users))
	}
}

// A fan-out cancelled half-way (the bot stopped) is finished by a new
// process with another owner: everyone exactly once.
func TestScheduleResumesAfterShutdown(t *testing.T) {
	users := bottest.FakeUsers("CUT", 200, "UTC")
	r := newSchedRig(t, users, utcDate(2026, 11, 6, 16, 5), false)
	job := weeklyJob("weekly-feedback", fri16, bottest.UserIDs(users))
	lease := time.Second
	a := r.scheduler(t, []schedule.Job{job}, "proc-a", nil, bot.PosterConfig{Rate: 200, Burst: 1, Lease: lease}, schedule.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Tick(ctx) }()
	for r.srv.Calls("chat.postMessage") < 60 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	before := len(r.srv.Messages())
	if before >= len(users) || before < 60 {
		t.Fatalf("%d messages before the restart; want a partial fan-out", before)
	}
	b := r.scheduler(t, []schedule.Job{job}, "proc-b", nil, bot.PosterConfig{Lease: lease}, schedule.Config{})
	r.drain(t, context.Background(), "weekly-feedback/2026-W45", 200, b)
	r.exactlyOnce(t, bottest.UserIDs(users))
}

// The bot dies between posts and their records: the new process finds
// those posts in the conversations' history and does not post again.
func TestScheduleCrashBetweenPostAndRecord(t *testing.T) {
	users := bottest.FakeUsers("CRASH", 200, "UTC")
	r := newSchedRig(t, users, utcDate(2026, 11, 6, 16, 5), false)
	job := weeklyJob("weekly-feedback", fri16, bottest.UserIDs(users))
	lease := time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The ledger's leases lapse on the rig's clock: the dead process's
	// lapse as the drain moves the clock on, with no real wait.
	ledger := delivery.NewMemory(r.clock)
	crash := &bottest.CrashLedger{Ledger: ledger, After: 50, Crash: cancel}
	a := r.scheduler(t, []schedule.Job{job}, "proc-a", crash, bot.PosterConfig{Lease: lease}, schedule.Config{})
	a.Tick(ctx)
	if crash.Crashed.Load() == 0 {
		t.Fatal("the ledger never crashed")
	}
	before := len(r.srv.Messages())
	if before >= len(users) {
		t.Fatalf("%d messages before the restart; want a partial fan-out", before)
	}
	b := r.scheduler(t, []schedule.Job{job}, "proc-b", ledger, bot.PosterConfig{Lease: lease}, schedule.Config{})
	r.drain(t, context.Background(), "weekly-feedback/2026-W45", 200, b)
	r.exactlyOnce(t, bottest.UserIDs(users))
	if r.srv.Calls("conversations.history") == 0 {
		t.Error("no history was searched for the unrecorded posts")
	}
	t.Logf("%d posts unrecorded at the crash, %d messages before the restart", crash.Crashed.Load(), before)
}

func TestScheduleDryRun(t *testing.T) {
	users := bottest.FakeUsers("DRY", 3, "UTC")
	r := newSchedRig(t, users, utcDate(2026, 11, 6, 16, 0), true)
	job := weeklyJob("weekly-feedback", fri16, bottest.UserIDs(users))
	s := r.scheduler(t, []schedule.Job{job}, "a", nil, bot.PosterConfig{DryRun: true}, schedule.Config{})
	ctx := context.Background()
	for range 3 {
		s.Tick(ctx)
		r.clock.Add(time.Minute)
	}
	if n := r.srv.Calls("chat.postMessage"); n != 0 {
		t.Errorf("%d posts in dry run", n)
	}
	// The ledger was not touched: a real run still sends.
	real := r.scheduler(t, []schedule.Job{job}, "b", nil, bot.PosterConfig{}, schedule.Config{})
	real.Tick(ctx)
	r.exactlyOnce(t, bottest.UserIDs(users))
}

func TestScheduleOptOutAndPause(t *testing.T) {
	users := bottest.FakeUsers("PREF", 3, "UTC")
	r := newSchedRig(t, users, utcDate(2026, 11, 6, 16, 0), true)
	job := weeklyJob("weekly-feedback", fri16, bottest.UserIDs(users))
	s := r.scheduler(t, []schedule.Job{job}, "a", nil, bot.PosterConfig{}, schedule.Config{})
	ctx := context.Background()
	out := users[0].ID
	if err := r.store.SetOptOut(ctx, out, "feedback", true); err != nil {
		t.Fatal(err)
	}
	if err := r.store.SetPaused(ctx, true, "U02OPSLEAD"); err != nil {
		t.Fatal(err)
	}
	for range 30 {
		s.Tick(ctx)
		r.clock.Add(time.Minute)
	}
	if n := r.srv.Calls("chat.postMessage"); n != 0 {
		t.Fatalf("%d posts while paused", n)
	}
	if _, err := s.RunJob(ctx, "weekly-feedback", schedule.RunOptions{}); !errors.Is(err, schedule.ErrPaused) {
		t.Errorf("RunJob while paused = %v, want schedule.ErrPaused", err)
	}
	if err := r.store.SetPaused(ctx, false, "U02OPSLEAD"); err != nil {
		t.Fatal(err)
	}
	s.Tick(ctx) // 16:30: late, inside the grace window
	if n := len(bottest.PostsTo(r.srv, out)); n != 0 {
		t.Errorf("opted-out user got %d messages", n)
	}
	r.exactlyOnce(t, bottest.UserIDs(users[1:]))
	if pending, _ := r.store.OutboxPending(ctx, "weekly-feedback/2026-W45"); len(pending) != 0 {
		t.Errorf("pending after the run: %v", pending)
	}
}

func TestSchedulePermanentErrorDoesNotStopOthers(t *testing.T) {
	users := bottest.FakeUsers("OK", 5, "UTC")
	r := newSchedRig(t, users, utcDate(2026, 11, 6, 16, 0), true)
	audience := append([]string{"U0GONE"}, bottest.UserIDs(users)...)
	job := weeklyJob("weekly-feedback", fri16, audience)
	ctx := context.Background()
	zones := zonesOf(users)
	zones["U0GONE"] = "UTC"
	p := fastPoster(t, bottest.SlackClient(r.srv, nil), r.store, bot.PosterConfig{Owner: "a", Clock: r.clock})
	s := schedule.New([]schedule.Job{job}, bot.Scheduled{Poster: p}, r.store, r.store, zones, schedule.Config{Clock: r.clock, Logger: bottest.WarnLogger(t)})
	s.Tick(ctx)
	r.exactlyOnce(t, bottest.UserIDs(users))
	if pending, _ := r.store.OutboxPending(ctx, "weekly-feedback/2026-W45"); len(pending) != 0 {
		t.Errorf("pending after the run: %v; a permanent failure is not retried", pending)
	}
	// The manual run reports it.
	rep, err := s.RunJob(ctx, "weekly-feedback", schedule.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 1 || rep.AlreadySent != 5 || len(rep.Errors) != 1 || !errors.Is(rep.Errors[0], bot.ErrPermanent) {
		t.Errorf("report = %+v; want 1 permanent failure, 5 already sent", rep)
	}
}

func TestRunJob(t *testing.T) {
	users := bottest.FakeUsers("RUN", 3, "Europe/Berlin")
	r := newSchedRig(t, users, utcDate(2026, 11, 4, 10, 0), true) // a Wednesday
	job := weeklyJob("weekly-feedback", fri16, bottest.UserIDs(users))
	s := r.scheduler(t, []schedule.Job{job}, "a", nil, bot.PosterConfig{}, schedule.Config{})
	ctx := context.Background()

	if _, err := s.RunJob(ctx, "nope", schedule.RunOptions{}); !errors.Is(err, schedule.ErrUnknownJob) || !strings.Contains(err.Error(), "weekly-feedback") {
		t.Errorf("unknown job: %v", err)
	}
	if _, err := s.RunJob(ctx, "weekly-feedback", schedule.RunOptions{Only: "U0STRANGER"}); err == nil {
		t.Error("--only outside the audience: no error")
	}
	var mu sync.Mutex
	var shown []string
	show := func(key, user string, _ time.Time, msg schedule.Message) {
		mu.Lock()
		defer mu.Unlock()
		shown = append(shown, key+" "+msg.(bot.Outgoing).Text[:len("weekly-feedback for "+user)])
	}
	rep, err := s.RunJob(ctx, "weekly-feedback", schedule.RunOptions{DryRun: true, Show: show})
	if err != nil || rep.WouldSend != 3 || rep.Sent != 0 || r.srv.Calls("chat.postMessage") != 0 {
		t.Fatalf("dry run = %+v, %v with %d posts", rep, err, r.srv.Calls("chat.postMessage"))
	}
	slices.Sort(shown)
	for i, u := range users {
		if want := "weekly-feedback/2026-W45/" + u.ID + " weekly-feedback for " + u.ID; i >= len(shown) || shown[i] != want {
			t.Errorf("dry run showed %q, want %q", shown, want)
		}
	}
	rep, err = s.RunJob(ctx, "weekly-feedback", schedule.RunOptions{Only: users[0].ID})
	if err != nil || rep.Sent != 1 {
		t.Fatalf("--only = %+v, %v", rep, err)
	}
	rep, err = s.RunJob(ctx, "weekly-feedback", schedule.RunOptions{})
	if err != nil || rep.Sent != 2 || rep.AlreadySent != 1 {
		t.Fatalf("full run = %+v, %v; want 2 sent, 1 already", rep, err)
	}
	// Friday's scheduled send of the same week does not repeat it.
	r.clock.Set(time.Date(2026, 11, 6, 16, 0, 0, 0, loadZone(t, "Europe/Berlin")))
	s.Tick(ctx)
	r.exactlyOnce(t, bottest.UserIDs(users))
	if k := deliveryKey(t, bottest.PostsTo(r.srv, users[0].ID)[0]); k != "weekly-feedback/2026-W45/"+users[0].ID {
		t.Errorf("key = %q", k)
	}
}

// Run ticks on the real clock until its context ends, then returns nil.
func TestRunSendsAndStops(t *testing.T) {
	users := bottest.FakeUsers("LIVE", 2, "UTC")
	r := newSchedRig(t, users, time.Now(), false)
	now := time.Now().UTC().Add(-time.Minute)
	at := schedule.Weekly{Day: now.Weekday(), Hour: now.Hour(), Minute: now.Minute()}
	job := weeklyJob("live", at, bottest.UserIDs(users))
	all := []time.Weekday{0, 1, 2, 3, 4, 5, 6}
	p := fastPoster(t, bottest.SlackClient(r.srv, nil), r.store, bot.PosterConfig{Owner: "a"})
	s := schedule.New([]schedule.Job{job}, bot.Scheduled{Poster: p}, r.store, r.store, zonesOf(users),
		schedule.Config{Tick: 20 * time.Millisecond, WorkingDays: all, QuietStart: 3, QuietEnd: 3, Logger: bottest.WarnLogger(t)})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	for _, u := range users {
		if _, err := r.srv.WaitMessage(wctx, func(m slackfake.Message) bool { return m.Channel == slackfake.DMChannel(u.ID) }); err != nil {
			t.Fatalf("no message to %s: %v", u.ID, err)
		}
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	r.exactlyOnce(t, bottest.UserIDs(users))
}

func TestNewSchedulerRejectsBadTables(t *testing.T) {
	ok := weeklyJob("a", fri16, nil)
	for name, jobs := range map[string][]schedule.Job{
		"duplicate": {ok, ok},
		"unnamed":   {weeklyJob("", fri16, nil)},
		"no build":  {{Name: "b", At: fri16, Audience: ok.Audience}},
		"bad time":  {weeklyJob("c", schedule.Weekly{Day: time.Friday, Hour: 25}, nil)},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewScheduler did not panic", name)
				}
			}()
			schedule.New(jobs, nil, nil, nil, nil, schedule.Config{})
		}()
	}
	s := schedule.New([]schedule.Job{ok, weeklyJob("b", fri16, nil)}, nil, nil, nil, nil, schedule.Config{})
	if got := s.Jobs(); len(got) != 2 || got[0].Name != "a" || got[1].Name != "b" {
		t.Errorf("Jobs() = %v", got)
	}
}

// BenchmarkFanout10k fans a weekly job out to 10,000 recipients against the
// fake with chat.postMessage capped workspace-wide at 600 a second (36,000
// a minute, enforced by the fake over a sliding minute), the Poster's Rate
// set to the same 600/s. It reports the achieved rate, its share of the
// limit, the 429s and the busiest second, and fails on any duplicate or
// loss. Run it with -benchtime=1x.
func BenchmarkFanout10k(b *testing.B) {
	const n, limit = 10000, 600
	users := bottest.FakeUsers("F", n, "UTC")
	srv := bottest.NewSlackFake(b, slackfake.Config{Users: users, Limits: map[string]int{"chat.postMessage": limit * 60}})
	store := redisstore.OpenTest(b)
	clk := clock.NewFake(time.Time{}) // the scheduler's; the Poster paces on the real clock
	log := bottest.WarnLogger(b)
	all := bottest.UserIDs(users)
	job := weeklyJob("weekly-feedback", fri16, all)
	p := bot.NewPoster(bottest.SlackClient(srv, nil), store, bot.PosterConfig{Rate: limit, Burst: 1, Logger: log})
	s := schedule.New([]schedule.Job{job}, bot.Scheduled{Poster: p}, store, store, zonesOf(users), schedule.Config{Clock: clk, Workers: 16, Logger: log})
	ctx := context.Background()
	var total time.Duration
	for i := range b.N {
		// Each iteration is another week, with its own keys.
		clk.Set(utcDate(2026, 11, 6, 16, 0).AddDate(0, 0, 7*i))
		before := srv.Calls("chat.postMessage")
		start := time.Now()
		s.Tick(ctx)
		total += time.Since(start)
		if sent := len(srv.Messages()) - i*n; sent != n {
			b.Fatalf("week %d: %d messages, want %d", i, sent, n)
		}
		b.ReportMetric(float64(srv.Calls("chat.postMessage")-before-n), "429s")
	}
	b.StopTimer()
	msgs := srv.Messages()
	per := map[string]int{}
	for _, m := range msgs {
		per[m.Channel]++
	}
	for _, u := range all {
		if per[slackfake.DMChannel(u)] != b.N {
			b.Fatalf("%s has %d messages, want %d", u, per[slackfake.DMChannel(u)], b.N)
		}
	}
	// The busiest one-second window, as the fake saw it.
	peak := 0
	for lo, hi := 0, 0; hi < len(msgs); hi++ {
		for msgs[hi].At.Sub(msgs[lo].At) >= time.Second {
			lo++
		}
		peak = max(peak, hi-lo+1)
	}
	rate := float64(n*b.N) / total.Seconds()
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(100*rate/limit, "pct_of_limit")
	b.ReportMetric(float64(peak), "peak_per_s")
	if rate < 0.9*limit {
		b.Errorf("fan-out reached %.0f msgs/s, %.1f%% of the %d/s limit; want ≥ 90%%", rate, 100*rate/limit, limit)
	}
}

// A recipient whose time zone cannot be read waits; the others go out.
func TestScheduleUnknownZoneWaits(t *testing.T) {
	users := bottest.FakeUsers("TZ", 3, "UTC")
	r := newSchedRig(t, users, utcDate(2026, 11, 6, 16, 0), true)
	job := weeklyJob("weekly-feedback", fri16, bottest.UserIDs(users))
	zones := zonesOf(users)
	delete(zones, users[0].ID)
	p := fastPoster(t, bottest.SlackClient(r.srv, nil), r.store, bot.PosterConfig{Owner: "a", Clock: r.clock})
	s := schedule.New([]schedule.Job{job}, bot.Scheduled{Poster: p}, r.store, r.store, zones, schedule.Config{Clock: r.clock, Logger: bottest.WarnLogger(t)})
	ctx := context.Background()
	s.Tick(ctx)
	r.exactlyOnce(t, bottest.UserIDs(users[1:]))
	if pending, _ := r.store.OutboxPending(ctx, "weekly-feedback/2026-W45"); !slices.Equal(pending, []string{users[0].ID}) {
		t.Errorf("pending = %v, want the recipient without a zone", pending)
	}
	zones[users[0].ID] = "UTC" // Slack answers again
	r.clock.Add(time.Minute)
	s.Tick(ctx)
	r.exactlyOnce(t, bottest.UserIDs(users))
}

// TestScheduleRedisLosesDataMidFanout: Redis loses its data (a restart
// without persistence) in the middle of a fan-out. Sends are held at once
// with a clear error instead of going out again from a ledger that forgot
// them (before: 301 of 1,000 doubled, 623 silently skipped); once sales
// ops resume, each send looks in the conversation first, and everyone ends
// with exactly one message.
func TestScheduleRedisLosesDataMidFanout(t *testing.T) {
	users := bottest.FakeUsers("LOSS", 40, "UTC")
	r := newSchedRig(t, users, utcDate(2026, 11, 6, 16, 5), false)
	ctx := context.Background()
	watch, err := r.store.WatchData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	job := weeklyJob("weekly-feedback", fri16, bottest.UserIDs(users))
	build := job.Build
	var built atomic.Int32
	job.Build = func(ctx context.Context, user string, due time.Time) (schedule.Message, error) {
		if built.Add(1) == 15 {
			if err := r.store.Wipe(ctx); err != nil {
				t.Error(err)
			}
		}
		return build(ctx, user, due)
	}
	s := r.scheduler(t, []schedule.Job{job}, "a", nil, bot.PosterConfig{}, schedule.Config{Workers: 1, DataLost: watch.Lost})
	s.Tick(ctx)
	held := r.srv.Calls("chat.postMessage")
	if held < 14 || held >= len(users) {
		t.Fatalf("%d posts when Redis lost its data; want the fan-out stopped part-way", held)
	}
	by, _, paused, err := r.store.PausedBy(ctx)
	if err != nil || !paused || by != redisstore.DataLossPause {
		t.Fatalf("after the loss: paused %v by %q, %v; want held by %q", paused, by, err, redisstore.DataLossPause)
	}
	for range 3 {
		r.clock.Add(time.Minute)
		s.Tick(ctx)
	}
	if n := r.srv.Calls("chat.postMessage"); n != held {
		t.Fatalf("%d more posts while held", n-held)
	}
	if err := r.store.SetPaused(ctx, false, "UOPS"); err != nil {
		t.Fatal(err)
	}
	r.drain(t, ctx, "weekly-feedback/2026-W45", 200, s)
	r.exactlyOnce(t, bottest.UserIDs(users))
}

// TestRunJobWaitsOutADeadProcessLease: a manual run right after another
// process died mid-fan-out finds some deliveries held by its leases. It
// waits one lease on the clock (no real time), tries them again, finds the
// dead process's post in the history instead of posting twice, and sends
// the rest: nothing is left "held by another replica". Without HeldWait
// they are reported held, as before.
func TestRunJobWaitsOutADeadProcessLease(t *testing.T) {
	users := bottest.FakeUsers("DEAD", 4, "UTC")
	r := newSchedRig(t, users, utcDate(2026, 11, 4, 10, 0), true)
	ledger := delivery.NewMemory(r.clock)
	job := weeklyJob("weekly-feedback", fri16, bottest.UserIDs(users))
	ctx := context.Background()
	const lease = 2 * time.Minute

	// The dead process posted to users[0] but never recorded it, and had
	// claimed users[1] without posting.
	dead := fastPoster(t, bottest.SlackClient(r.srv, nil), &bottest.CrashLedger{Ledger: ledger, Crash: func() {}}, bot.PosterConfig{Owner: "dead", Lease: lease, Clock: r.clock})
	key := func(u slackfake.User) string { return "weekly-feedback/2026-W45/" + u.ID }
	if o := dead.Deliver(ctx, key(users[0]), users[0].ID, bot.Outgoing{Text: "weekly-feedback for " + users[0].ID}); o.Result != bot.Unrecorded {
		t.Fatalf("dead process's post = %v (%v), want unrecorded", o.Result, o.Err)
	}
	if _, err := ledger.ClaimDelivery(ctx, key(users[1]), "dead", lease); err != nil {
		t.Fatal(err)
	}

	impatient := r.scheduler(t, []schedule.Job{job}, "impatient", ledger, bot.PosterConfig{Lease: lease}, schedule.Config{})
	rep, err := impatient.RunJob(ctx, "weekly-feedback", schedule.RunOptions{})
	if err != nil || rep.Held != 2 || rep.Sent != 2 {
		t.Fatalf("run without HeldWait = %+v, %v; want 2 held, 2 sent", rep, err)
	}

	start := r.clock.Now()
	s := r.scheduler(t, []schedule.Job{job}, "rerun", ledger, bot.PosterConfig{Lease: lease}, schedule.Config{HeldWait: lease})
	rep, err = s.RunJob(ctx, "weekly-feedback", schedule.RunOptions{})
	if err != nil || !rep.OK() || rep.Held != 0 || rep.Sent != 1 || rep.AlreadySent != 3 {
		t.Fatalf("run with HeldWait = %+v, %v; want 1 sent (the claimed one), 3 already sent, none held", rep, err)
	}
	if waited := r.clock.Now().Sub(start); waited < lease {
		t.Errorf("the run waited %v on the clock, want at least the lease %v", waited, lease)
	}
	r.exactlyOnce(t, bottest.UserIDs(users))
}
