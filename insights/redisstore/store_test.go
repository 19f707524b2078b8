package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/delivery"
)

var asOf1 = time.Date(2017, 12, 31, 23, 59, 59, 0, time.UTC)

// repReport builds a realistic report: metrics, standing, two strengths, a
// focus and a few stale deals.
func repReport(id insights.RepID, kind insights.PeriodKind, asOf time.Time) insights.RepReport {
	m := insights.Metrics{
		WonRevenue: 123456.78, Won: 17, Lost: 9, WinRate: 0.6538, HasWinRate: true,
		AvgDealSize: 7262.16, MedianDealSize: 5400, MedianCycleDays: 42, HasCycle: true,
		OpenDeals: 23, Pipeline: 210000, Quota: 150000, Attainment: 0.823, HasAttainment: true,
		Coverage: 7.9, HasCoverage: true, NeededCoverage: 1.53, Velocity: 2581.7, Forecast: 171000,
		Activities: map[insights.ActivityKind]int{insights.ActivityCall: 41, insights.ActivityEmail: 97, insights.ActivityMeeting: 12},
		StaleDeals: 3,
	}
	f := func(metric string) insights.Finding {
		return insights.Finding{Metric: metric, Rep: 0.65, Team: 0.48,
			Evidence: "Your win rate of 65 % is well above the team median of 48 %.",
			Tip:      "Qualify harder at the discovery stage: ask about budget and timing in the first call."}
	}
	focus := f("cycle")
	var stale []insights.DealRef
	for i := range 4 {
		stale = append(stale, insights.DealRef{ID: fmt.Sprintf("D%06d", i), Name: "Acme Corp expansion — GTX Plus Pro", Owner: id,
			OwnerName: "Anna Snelling", Stage: "Engaging", Amount: 4821, IdleDays: 37, Closed: asOf.AddDate(0, 0, 14)})
	}
	return insights.RepReport{
		Rep:    insights.Rep{ID: id, Name: "Rep " + string(id), Email: strings.ToLower(string(id)) + "@example.com", Manager: "Dustin Brinkmann", Team: "Central"},
		Period: insights.Period{Kind: kind, Start: asOf.AddDate(0, -3, 0), End: asOf.Add(time.Second), Label: "Q4 2017"},
		AsOf:   asOf, Metrics: m, Previous: m,
		Standing: insights.Standing{TeamName: "Dustin Brinkmann's team", TeamSize: 8, Rank: 3, Percentile: 0.7,
			MedianWonRevenue: 100000, MedianWinRate: 0.48, MedianDealSize: 5000, MedianCycleDays: 50, MedianAttainment: 0.66},
		Strengths:  []insights.Finding{f("win_rate"), f("deal_size")},
		Focus:      &focus,
		StaleDeals: stale,
	}
}

// snapshot builds a snapshot of reps for every standard period, with a
// team report per period for TeamAll and for each team in teams.
func snapshot(asOf time.Time, reps []insights.RepID, teams ...string) insights.Snapshot {
	snap := insights.Snapshot{AsOf: asOf}
	for _, k := range insights.StandardPeriods() {
		for _, r := range reps {
			snap.Reps = append(snap.Reps, repReport(r, k, asOf))
		}
		for _, t := range append([]string{insights.TeamAll}, teams...) {
			snap.Teams = append(snap.Teams, insights.TeamReport{Team: t, Manager: "Dustin Brinkmann",
				Period: insights.Period{Kind: k}, AsOf: asOf, Ahead: reps[:1]})
		}
	}
	return snap
}

func repIDs(n int) []insights.RepID {
	ids := make([]insights.RepID, n)
	for i := range ids {
		ids[i] = insights.RepID(fmt.Sprintf("rep:%05d", i)) // colons are allowed in IDs
	}
	return ids
}

// replica opens a second Store on the same Redis and prefix, as another
// replica of the bot would.
func replica(t *testing.T, s *Store) *Store {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if s.Embedded() {
		url = "redis://" + s.mini.Addr()
	}
	r, err := Open(t.Context(), url, Options{Prefix: s.p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// advance lets d pass for TTLs: instantly on the embedded server, by
// sleeping on a real one.
func advance(s *Store, d time.Duration) {
	if s.Embedded() {
		s.mini.FastForward(d)
		return
	}
	time.Sleep(d)
}

// counter is a go-redis hook counting round trips and commands.
type counter struct{ trips, cmds atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.trips.Add(1)
		c.cmds.Add(1)
		return next(ctx, cmd)
	}
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.trips.Add(1)
		c.cmds.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func TestOpenErrorsHidePassword(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"redis://:s3cret@127.0.0.1:1/0", "connect to Redis at 127.0.0.1:1: "},
		{"redis://user:s3cret@127.0.0.1:1/0?master_name=mymaster", "connect to Redis at Sentinel 127.0.0.1:1: "},
		{"redis://user:s3cret@127.0.0.1:1?addr=127.0.0.1:2", "connect to Redis at cluster 127.0.0.1:1,127.0.0.1:2: "},
		{"redis://user:s3cret@127.0.0.1:notaport/0", "parse Redis URL: "},
		{"redis://user:s3cret@127.0.0.1:1/0?bogus=1", "parse Redis URL for 127.0.0.1:1: "},
		{"ftp://user:s3cret@127.0.0.1:1/", "parse Redis URL for 127.0.0.1:1: "},
	} {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			// go-redis retries unreachable Sentinels for half a minute.
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			s, err := Open(ctx, tc.url, Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tc.url)
			}
			if strings.Contains(err.Error(), "s3cret") || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Open(%q) error = %q, want prefix %q and no password", tc.url, err, tc.want)
			}
		})
	}
	if _, err := Open(t.Context(), "", Options{Prefix: "a{b}:"}); err == nil {
		t.Errorf("Open with a braced prefix succeeded")
	}
}

func TestEmbedded(t *testing.T) {
	s, err := Open(t.Context(), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Embedded() {
		t.Errorf("Embedded() = false for an empty URL")
	}
	if err := s.Client().Ping(t.Context()).Err(); err != nil {
		t.Errorf("ping embedded Redis: %v", err)
	}
	// TTLs run on the wall clock even though miniredis only expires keys
	// when fast-forwarded.
	if err := s.CacheUserTZ(t.Context(), "U1", "Europe/Paris", 150*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	if _, ok, err := s.UserTZ(t.Context(), "U1"); ok || err != nil {
		t.Errorf("UserTZ after its TTL = %v, %v; want expired", ok, err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestReportsNoData(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	if _, err := s.RepReport(ctx, "r1", insights.PeriodWeek); !errors.Is(err, insights.ErrNoData) {
		t.Errorf("RepReport before publish: err = %v, want ErrNoData", err)
	}
	if _, err := s.RepReports(ctx, insights.PeriodWeek, []insights.RepID{"r1"}); !errors.Is(err, insights.ErrNoData) {
		t.Errorf("RepReports before publish: err = %v, want ErrNoData", err)
	}
	if _, err := s.TeamReport(ctx, insights.TeamAll, insights.PeriodWeek); !errors.Is(err, insights.ErrNoData) {
		t.Errorf("TeamReport before publish: err = %v, want ErrNoData", err)
	}
	if _, err := s.Teams(ctx); !errors.Is(err, insights.ErrNoData) {
		t.Errorf("Teams before publish: err = %v, want ErrNoData", err)
	}
	if _, err := s.Reps(ctx); !errors.Is(err, insights.ErrNoData) {
		t.Errorf("Reps before publish: err = %v, want ErrNoData", err)
	}
	if _, _, err := s.Current(ctx); !errors.Is(err, insights.ErrNoData) {
		t.Errorf("Current before publish: err = %v, want ErrNoData", err)
	}
	if _, err := s.Dataset(ctx); !errors.Is(err, insights.ErrNoData) {
		t.Errorf("Dataset before save: err = %v, want ErrNoData", err)
	}
}

func TestPublishAndRead(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	reps := repIDs(3)
	manager := insights.ManagerTeam("Dustin Brinkmann")
	snap := snapshot(asOf1, reps, manager, insights.OfficeTeam("Central"))
	snap.Reps = snap.Reps[1:] // rep 0 has no week report
	v, err := s.PublishSnapshot(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	if v <= 0 {
		t.Fatalf("version = %d", v)
	}
	gotV, gotAsOf, err := s.Current(ctx)
	if err != nil || gotV != v || !gotAsOf.Equal(asOf1) {
		t.Errorf("Current() = %d, %v, %v; want %d, %v", gotV, gotAsOf, err, v, asOf1)
	}
	r, err := s.RepReport(ctx, reps[1], insights.PeriodWeek)
	if err != nil {
		t.Fatal(err)
	}
	want := repReport(reps[1], insights.PeriodWeek, asOf1)
	if r.Rep != want.Rep || r.Metrics.WonRevenue != want.Metrics.WonRevenue || r.Focus == nil || len(r.StaleDeals) != 4 || !r.AsOf.Equal(asOf1) {
		t.Errorf("RepReport = %+v, want %+v", r, want)
	}
	if _, err := s.RepReport(ctx, reps[0], insights.PeriodWeek); !errors.Is(err, insights.ErrUnknownRep) {
		t.Errorf("RepReport of a rep without that period: err = %v, want ErrUnknownRep", err)
	}
	if _, err := s.RepReport(ctx, reps[0], insights.PeriodMonth); err != nil {
		t.Errorf("RepReport of rep 0 for month: %v", err)
	}
	if _, err := s.RepReport(ctx, "nobody", insights.PeriodMonth); !errors.Is(err, insights.ErrUnknownRep) || errors.Is(err, redis.Nil) {
		t.Errorf("RepReport of an unknown rep: err = %v, want ErrUnknownRep", err)
	}
	rs, err := s.RepReports(ctx, insights.PeriodQuarter, reps)
	if err != nil || len(rs) != 3 || rs[2].Rep.ID != reps[2] {
		t.Errorf("RepReports = %d reports, %v", len(rs), err)
	}
	if _, err := s.RepReports(ctx, insights.PeriodQuarter, []insights.RepID{reps[0], "nobody"}); !errors.Is(err, insights.ErrUnknownRep) || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("RepReports with an unknown rep: err = %v, want ErrUnknownRep naming it", err)
	}
	tr, err := s.TeamReport(ctx, manager, insights.PeriodQuarter)
	if err != nil || tr.Team != manager || tr.Period.Kind != insights.PeriodQuarter {
		t.Errorf("TeamReport = %+v, %v", tr, err)
	}
	if _, err := s.TeamReport(ctx, "manager:Nobody", insights.PeriodQuarter); !errors.Is(err, insights.ErrUnknownTeam) {
		t.Errorf("TeamReport of an unknown team: err = %v, want ErrUnknownTeam", err)
	}
	teams, err := s.Teams(ctx)
	if wantTeams := []string{"all", manager, "office:Central"}; err != nil || !slices.Equal(teams, wantTeams) {
		t.Errorf("Teams() = %q, %v; want %q", teams, err, wantTeams)
	}
	gotReps, err := s.Reps(ctx)
	if err != nil || !slices.Equal(gotReps, reps) {
		t.Errorf("Reps() = %q, %v; want %q", gotReps, err, reps)
	}
	for _, bad := range []insights.Snapshot{
		{Reps: []insights.RepReport{{Period: insights.Period{Kind: insights.PeriodWeek}}}},
		{Teams: []insights.TeamReport{{Team: "all"}}},
	} {
		if _, err := s.PublishSnapshot(ctx, bad); err == nil {
			t.Errorf("PublishSnapshot(%+v) succeeded", bad)
		}
	}
}

// TestPublishIsAtomicForReaders publishes versions one after another while
// readers loop: every read sees exactly one version, and a rep present in
// every version is never missing.
func TestPublishIsAtomicForReaders(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	reps := repIDs(200)
	asOf := func(i int) time.Time { return asOf1.Add(time.Duration(i) * time.Hour) }
	snapOf := func(i int) insights.Snapshot {
		// Odd versions lack the last rep: it must come and go cleanly too.
		if i%2 == 1 {
			return snapshot(asOf(i), reps[:len(reps)-1])
		}
		return snapshot(asOf(i), reps)
	}
	if _, err := s.PublishSnapshot(ctx, snapOf(0)); err != nil {
		t.Fatal(err)
	}
	const versions = 8
	var done atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	var sample []insights.RepID // spread over the reps present in every version
	for i := 0; i < len(reps)-1; i += 15 {
		sample = append(sample, reps[i])
	}
	for w := range 3 {
		wg.Go(func() {
			for i := 0; !done.Load(); i++ {
				// A batch read of reps present in every version.
				rs, err := s.RepReports(ctx, insights.PeriodMonth, sample)
				if err != nil {
					t.Errorf("reader %d: RepReports: %v", w, err)
					return
				}
				for _, r := range rs {
					if !r.AsOf.Equal(rs[0].AsOf) {
						t.Errorf("reader %d: one read mixes versions %v and %v", w, rs[0].AsOf, r.AsOf)
						return
					}
				}
				// Single reads never miss a rep present in every version.
				if _, err := s.RepReport(ctx, reps[i%(len(reps)-1)], insights.PeriodWeek); err != nil {
					t.Errorf("reader %d: RepReport: %v", w, err)
					return
				}
				if _, err := s.RepReport(ctx, reps[len(reps)-1], insights.PeriodWeek); err != nil && !errors.Is(err, insights.ErrUnknownRep) {
					t.Errorf("reader %d: RepReport of the coming and going rep: %v", w, err)
					return
				}
				reads.Add(1)
			}
		})
	}
	var last int64
	for i := 1; i <= versions; i++ {
		v, err := s.PublishSnapshot(ctx, snapOf(i))
		if err != nil {
			t.Fatal(err)
		}
		if v <= last {
			t.Errorf("version %d after %d", v, last)
		}
		last = v
	}
	done.Store(true)
	wg.Wait()
	t.Logf("%d consistent reads during %d publishes", reads.Load(), versions)
	if _, at, err := s.Current(ctx); err != nil || !at.Equal(asOf(versions)) {
		t.Errorf("Current() as of %v, %v; want %v", at, err, asOf(versions))
	}

	// The superseded versions expire after the grace period; the current
	// one does not expire.
	ttl := func(v int64) time.Duration {
		return s.rdb.PTTL(ctx, s.reportKey(v, reportField("rep", insights.PeriodWeek, string(reps[0])))).Val()
	}
	if d := ttl(last); d != -1*time.Millisecond && d != -1 {
		t.Errorf("current version key TTL = %v, want none", d)
	}
	if d := ttl(last - 1); d <= 0 || d > s.opts.Grace {
		t.Errorf("previous version key TTL = %v, want (0, %v]", d, s.opts.Grace)
	}
	if n := s.rdb.ZCard(ctx, s.snapKey("versions")).Val(); n != 1 {
		t.Errorf("%d versions registered, want 1 (the current)", n)
	}
}

func TestPublishCleansUpAbandonedAndSuperseded(t *testing.T) {
	var now atomic.Pointer[time.Time]
	start := time.Now()
	now.Store(&start)
	s := OpenTestOptions(t, Options{Now: func() time.Time { return *now.Load() }})
	ctx := t.Context()
	reps := repIDs(5)
	// A publisher that crashed after writing its reports, before finishing.
	v, err := s.rdb.Incr(ctx, s.snapKey("seq")).Result()
	if err != nil {
		t.Fatal(err)
	}
	s.rdb.ZAdd(ctx, s.snapKey("versions"), redis.Z{Score: float64(v), Member: v})
	if _, _, _, _, err := s.writeSnapshot(ctx, v, snapshot(asOf1, reps), nil); err != nil {
		t.Fatal(err)
	}
	s.rdb.HDel(ctx, s.versionKey(v, "meta"), "complete")
	if _, err := s.RepReport(ctx, reps[0], insights.PeriodWeek); !errors.Is(err, insights.ErrNoData) {
		t.Errorf("RepReport of an unpublished version: err = %v, want ErrNoData", err)
	}
	registered := func(v int64) bool {
		return s.rdb.ZScore(ctx, s.snapKey("versions"), fmt.Sprint(v)).Err() == nil
	}
	v2, err := s.PublishSnapshot(ctx, snapshot(asOf1.Add(time.Hour), reps))
	if err != nil {
		t.Fatal(err)
	}
	if d := s.rdb.PTTL(ctx, s.reportKey(v, reportField("rep", "week", string(reps[0])))).Val(); d <= 0 {
		t.Errorf("abandoned version key TTL = %v, want the grace period", d)
	}
	// It might still be written to: it stays registered, its index kept.
	if !registered(v) || s.rdb.PTTL(ctx, s.versionKey(v, "idx")).Val() > 0 {
		t.Errorf("a recently started unfinished version was forgotten")
	}
	later := start.Add(2 * abandonAfter)
	now.Store(&later)
	v3, err := s.PublishSnapshot(ctx, snapshot(asOf1.Add(2*time.Hour), reps))
	if err != nil {
		t.Fatal(err)
	}
	if registered(v) || registered(v2) || !registered(v3) {
		t.Errorf("registered after a later publish: %d %v, %d %v, %d %v; want only the current",
			v, registered(v), v2, registered(v2), v3, registered(v3))
	}
	if d := s.rdb.PTTL(ctx, s.versionKey(v, "idx")).Val(); d <= 0 {
		t.Errorf("abandoned version's index TTL = %v, want the grace period", d)
	}
	// A publisher outrun by a newer version.
	s.rdb.Set(ctx, s.snapKey("current"), v3+10, 0)
	if _, err := s.PublishSnapshot(ctx, snapshot(asOf1, reps)); !errors.Is(err, ErrSuperseded) {
		t.Errorf("PublishSnapshot behind a newer version: err = %v, want ErrSuperseded", err)
	}
	if d := s.rdb.PTTL(ctx, s.reportKey(v3+1, reportField("rep", "week", string(reps[0])))).Val(); d <= 0 || registered(v3+1) {
		t.Errorf("superseded version key TTL = %v, registered %v; want the grace period, no", d, registered(v3+1))
	}
}

func TestPublishCollapsesDuplicates(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	reps := repIDs(2500) // several concurrent batches
	snap := insights.Snapshot{AsOf: asOf1}
	for _, r := range reps {
		snap.Reps = append(snap.Reps, insights.RepReport{Rep: insights.Rep{ID: r}, Period: insights.Period{Kind: insights.PeriodWeek}})
	}
	dup := repReport(reps[0], insights.PeriodWeek, asOf1)
	dup.Rep.Name = "the last one"
	snap.Reps = append(snap.Reps, dup)
	if _, err := s.PublishSnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if r, err := s.RepReport(ctx, reps[0], insights.PeriodWeek); err != nil || r.Rep.Name != "the last one" {
		t.Errorf("RepReport of a duplicated report = %q, %v; want the last one", r.Rep.Name, err)
	}
	if got := lastOf([]int{1, 2, 3, 4, 5}, func(x *int) string { return fmt.Sprint(*x % 3) }); !slices.Equal(got, []int{4, 5, 3}) {
		t.Errorf("lastOf = %v, want [4 5 3]", got)
	}
	bad := snapshot(asOf1, reps[:1])
	bad.Reps[0].Period.Kind = "week:x"
	if _, err := s.PublishSnapshot(ctx, bad); err == nil {
		t.Errorf("PublishSnapshot with a colon in a period kind succeeded")
	}
}

// TestReportReadRoundTrips pins the cost of a read: a report is two round
// trips (the index entry of the current version, then the report's own
// key, which may sit on another Cluster master), a list or Current one.
func TestReportReadRoundTrips(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	reps := repIDs(2)
	if _, err := s.PublishSnapshot(ctx, snapshot(asOf1, reps)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RepReport(ctx, reps[0], insights.PeriodWeek); err != nil { // warm the pool
		t.Fatal(err)
	}
	var c counter
	s.Client().AddHook(&c)
	measure := func(name string, trips int64, f func() error) {
		t.Helper()
		c.trips.Store(0)
		c.cmds.Store(0)
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.trips.Load() != trips {
			t.Errorf("%s took %d round trips, %d commands; want %d round trips", name, c.trips.Load(), c.cmds.Load(), trips)
		}
	}
	measure("RepReport", 2, func() error { _, err := s.RepReport(ctx, reps[1], insights.PeriodMonth); return err })
	measure("RepReport of an unknown rep", 1, func() error {
		_, err := s.RepReport(ctx, "nobody", insights.PeriodMonth)
		if errors.Is(err, insights.ErrUnknownRep) {
			return nil
		}
		return err
	})
	measure("TeamReport", 2, func() error { _, err := s.TeamReport(ctx, insights.TeamAll, insights.PeriodMonth); return err })
	measure("RepReports", 2, func() error { _, err := s.RepReports(ctx, insights.PeriodMonth, reps); return err })
	measure("Teams", 1, func() error { _, err := s.Teams(ctx); return err })
	measure("Current", 1, func() error { _, _, err := s.Current(ctx); return err })

	// A reader that last saw an older version asks once more.
	if _, err := s.PublishSnapshot(ctx, snapshot(asOf1.Add(time.Hour), reps)); err != nil {
		t.Fatal(err)
	}
	s.seen.Store(1)
	measure("RepReport after another Store published", 3, func() error { _, err := s.RepReport(ctx, reps[1], insights.PeriodMonth); return err })

	// After Redis loses its script cache (a restart), the next read falls
	// back from EVALSHA to EVAL once: three round trips, or two when
	// another Store on the same Redis (a parallel test) loaded the scripts
	// again first.
	if err := s.rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	c.trips.Store(0)
	if _, err := s.RepReport(ctx, reps[1], insights.PeriodMonth); err != nil {
		t.Fatalf("RepReport after SCRIPT FLUSH: %v", err)
	}
	if n := c.trips.Load(); n != 2 && n != 3 {
		t.Errorf("RepReport after SCRIPT FLUSH took %d round trips, want 3 (EVALSHA, EVAL, GET) or 2", n)
	}
	measure("RepReport after reload", 2, func() error { _, err := s.RepReport(ctx, reps[1], insights.PeriodMonth); return err })
}

func TestDataset(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	day := func(d int) time.Time { return time.Date(2017, 1, d, 0, 0, 0, 0, time.UTC) }
	ds := insights.Dataset{
		Reps: []insights.Rep{{ID: "r2", Name: "Bo"}, {ID: "r1", Name: "Ann", Team: "Central"}, {ID: "r2", Name: "Bo Two"}},
		Activities: []insights.Activity{{ID: "a1", Owner: "r1", Kind: insights.ActivityCall, At: day(3)},
			{Owner: "r1", Kind: insights.ActivityEmail, At: day(4)}},
		Quotas: []insights.Quota{{Rep: "r1", Start: day(1), End: day(31), Amount: 1000},
			{Rep: "r1", Start: day(1), End: day(31), Amount: 2000}, {Rep: "r2", Start: day(1), End: day(31), Amount: 500}},
		ListPrices: map[string]float64{"GTX Pro": 4821, "MG Special": 55},
	}
	for i := range 10000 { // several buckets
		ds.Deals = append(ds.Deals, insights.Deal{ID: fmt.Sprintf("D%05d", i), Owner: "r1", Stage: "Won",
			Status: insights.StatusWon, Amount: float64(i), AmountKnown: true, Created: day(2), Closed: day(20),
			History: []insights.StageChange{{Stage: "Prospecting", At: day(2)}}})
	}
	ds.Deals = append(ds.Deals, insights.Deal{ID: "D00007", Owner: "r2", Status: insights.StatusLost})
	if err := s.SaveDataset(ctx, ds); err != nil {
		t.Fatal(err)
	}
	got, err := s.Dataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantReps := []insights.Rep{{ID: "r1", Name: "Ann", Team: "Central"}, {ID: "r2", Name: "Bo Two"}}
	if !slices.Equal(got.Reps, wantReps) {
		t.Errorf("Reps = %+v, want %+v (deduped by ID, last wins, sorted)", got.Reps, wantReps)
	}
	// Deals come back by owner, then ID: r1's 9,999, then r2's D00007.
	if last := got.Deals[len(got.Deals)-1]; len(got.Deals) != 10000 || last.ID != "D00007" || last.Owner != "r2" ||
		got.Deals[7].ID != "D00008" || got.Deals[9998].Amount != 9999 || !got.Deals[1].Closed.Equal(day(20)) || len(got.Deals[1].History) != 1 {
		t.Errorf("Deals: %d, [7] = %+v, last = %+v", len(got.Deals), got.Deals[7], last)
	}
	if len(got.Activities) != 2 || len(got.Quotas) != 2 || got.Quotas[0].Amount != 2000 {
		t.Errorf("Activities = %+v, Quotas = %+v", got.Activities, got.Quotas)
	}
	if got.ListPrices["GTX Pro"] != 4821 || len(got.ListPrices) != 2 {
		t.Errorf("ListPrices = %v", got.ListPrices)
	}
	// Saving again replaces it; the old generation expires after the grace.
	if err := s.SaveDataset(ctx, insights.Dataset{Reps: wantReps[:1]}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Dataset(ctx)
	if err != nil || len(got.Reps) != 1 || len(got.Deals) != 0 || got.ListPrices != nil {
		t.Errorf("Dataset after replacing = %+v, %v", got, err)
	}
	if d := s.rdb.PTTL(ctx, s.genKey(1, "deals", "0")).Val(); d <= 0 || d > s.opts.Grace {
		t.Errorf("old generation TTL = %v, want (0, %v]", d, s.opts.Grace)
	}
	if n := s.rdb.ZCard(ctx, s.dataKey("gens")).Val(); n != 1 {
		t.Errorf("%d generations registered, want 1 (the current)", n)
	}
	// A writer outrun by a newer generation.
	s.rdb.Set(ctx, s.dataKey("current"), 100, 0)
	if err := s.SaveDataset(ctx, ds); !errors.Is(err, ErrSuperseded) {
		t.Errorf("SaveDataset behind a newer generation: err = %v, want ErrSuperseded", err)
	}
}

func TestIdentity(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	if _, err := s.UserRep(ctx, "U1"); !errors.Is(err, insights.ErrUnknownRep) {
		t.Errorf("UserRep of an unlinked user: err = %v, want ErrUnknownRep", err)
	}
	if _, err := s.RepUser(ctx, "r1"); !errors.Is(err, insights.ErrUnknownRep) {
		t.Errorf("RepUser of an unlinked rep: err = %v, want ErrUnknownRep", err)
	}
	if err := s.LinkUsers(ctx, map[string]insights.RepID{"U1": "r1", "U2": "Anna Snelling"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.UserRep(ctx, "U2"); err != nil || rep != "Anna Snelling" {
		t.Errorf("UserRep(U2) = %q, %v", rep, err)
	}
	if id, err := s.RepUser(ctx, "r1"); err != nil || id != "U1" {
		t.Errorf("RepUser(r1) = %q, %v", id, err)
	}
	// U1 is now r3, and r1 belongs to U3: nobody keeps a stale link.
	if err := s.LinkUsers(ctx, map[string]insights.RepID{"U1": "r3"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RepUser(ctx, "r1"); !errors.Is(err, insights.ErrUnknownRep) {
		t.Errorf("RepUser(r1) after U1 moved to r3: err = %v, want ErrUnknownRep", err)
	}
	if err := s.LinkUsers(ctx, map[string]insights.RepID{"U3": "Anna Snelling"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserRep(ctx, "U2"); !errors.Is(err, insights.ErrUnknownRep) {
		t.Errorf("UserRep(U2) after its rep moved to U3: err = %v, want ErrUnknownRep", err)
	}
	if id, err := s.RepUser(ctx, "Anna Snelling"); err != nil || id != "U3" {
		t.Errorf("RepUser(Anna Snelling) = %q, %v", id, err)
	}
	// Many links go in pipelined batches, even after a script cache flush.
	s.rdb.ScriptFlush(ctx)
	many := make(map[string]insights.RepID)
	for i := range 2500 {
		many[fmt.Sprintf("W%d", i)] = insights.RepID(fmt.Sprintf("rep-%d", i))
	}
	if err := s.LinkUsers(ctx, many, time.Hour); err != nil {
		t.Fatal(err)
	}
	if id, err := s.RepUser(ctx, "rep-2499"); err != nil || id != "W2499" {
		t.Errorf("RepUser(rep-2499) = %q, %v", id, err)
	}
	if err := s.LinkUsers(ctx, many, 0); err == nil {
		t.Errorf("LinkUsers with no TTL succeeded")
	}

	if _, ok, err := s.UserTZ(ctx, "U1"); ok || err != nil {
		t.Errorf("UserTZ of an uncached user = %v, %v", ok, err)
	}
	if err := s.CacheUserTZ(ctx, "U1", "America/Los_Angeles", time.Hour); err != nil {
		t.Fatal(err)
	}
	if tz, ok, err := s.UserTZ(ctx, "U1"); tz != "America/Los_Angeles" || !ok || err != nil {
		t.Errorf("UserTZ(U1) = %q, %v, %v", tz, ok, err)
	}
}

func TestFirstDelivery(t *testing.T) {
	s := OpenTest(t)
	other := replica(t, s)
	ctx := t.Context()
	const callers = 20
	var firsts atomic.Int64
	var wg sync.WaitGroup
	for i := range callers {
		st := s
		if i%2 == 1 {
			st = other
		}
		wg.Go(func() {
			first, err := st.FirstDelivery(ctx, "Ev123", time.Second)
			if err != nil {
				t.Error(err)
			}
			if first {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if n := firsts.Load(); n != 1 {
		t.Errorf("%d of %d concurrent callers on 2 replicas got true, want exactly 1", n, callers)
	}
	advance(s, 1100*time.Millisecond)
	if first, err := s.FirstDelivery(ctx, "Ev123", time.Second); !first || err != nil {
		t.Errorf("FirstDelivery after the TTL = %v, %v; want true", first, err)
	}
}

func TestClaimDelivery(t *testing.T) {
	s := OpenTest(t)
	b := replica(t, s)
	ctx := t.Context()
	const key, lease = "weekly-feedback/2017-W52/U123", time.Second
	claim := func(st *Store, owner string, want delivery.Claim) {
		t.Helper()
		got, err := st.ClaimDelivery(ctx, key, owner, lease)
		if err != nil || got != want {
			t.Errorf("ClaimDelivery by %s = %v, %v; want %v", owner, got, err, want)
		}
	}
	claim(s, "A", delivery.New)
	claim(b, "B", delivery.Held)
	claim(s, "A", delivery.New) // renewal
	if _, ok, err := s.Delivered(ctx, key); ok || err != nil {
		t.Errorf("Delivered before marking = %v, %v", ok, err)
	}
	// A crashes; its lease lapses; B takes over and must check first.
	advance(s, lease+100*time.Millisecond)
	claim(b, "B", delivery.Reclaimed)
	if err := s.MarkDelivered(ctx, key, "A", "1.1"); !errors.Is(err, ErrNotOwner) {
		t.Errorf("MarkDelivered by the lapsed owner after a reclaim: err = %v, want ErrNotOwner", err)
	}
	if err := b.MarkDelivered(ctx, key, "B", "1514764800.000100"); err != nil {
		t.Fatal(err)
	}
	if err := b.MarkDelivered(ctx, key, "B", "1514764800.000100"); err != nil {
		t.Errorf("marking again: %v", err)
	}
	claim(s, "A", delivery.Sent)
	claim(s, "C", delivery.Sent)
	if ts, ok, err := s.Delivered(ctx, key); ts != "1514764800.000100" || !ok || err != nil {
		t.Errorf("Delivered = %q, %v, %v", ts, ok, err)
	}
	if d := s.rdb.PTTL(ctx, s.deliveryKeys(key)[0]).Val(); d < s.opts.DeliveryRetention-time.Minute {
		t.Errorf("delivered record TTL = %v, want about %v", d, s.opts.DeliveryRetention)
	}

	// An owner whose lease lapsed may still mark if nobody claimed since.
	const key2 = "digest/2018-W01/U9"
	if st, err := s.ClaimDelivery(ctx, key2, "A", lease); st != delivery.New || err != nil {
		t.Fatalf("claim key2 = %v, %v", st, err)
	}
	advance(s, lease+100*time.Millisecond)
	if err := b.MarkDelivered(ctx, key2, "B", "2.2"); !errors.Is(err, ErrNotOwner) {
		t.Errorf("MarkDelivered by a never-owner: err = %v, want ErrNotOwner", err)
	}
	if err := s.MarkDelivered(ctx, key2, "A", "2.2"); err != nil {
		t.Errorf("MarkDelivered by the lapsed but unchallenged owner: %v", err)
	}

	// Many replicas racing: exactly one claims.
	var claimed atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		st := s
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			c, err := st.ClaimDelivery(ctx, "race", fmt.Sprint("owner-", i), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if c == delivery.New || c == delivery.Reclaimed {
				claimed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := claimed.Load(); n != 1 {
		t.Errorf("%d of 20 racing claimers claimed, want 1", n)
	}
}

// TestReleaseDelivery: a released lease is free at once (a run that failed
// or was stopped leaves nothing "held by another replica"), and the next
// claim checks the conversation first only if a post may have landed.
func TestReleaseDelivery(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	const lease = time.Hour
	for _, tc := range []struct {
		maybePosted bool
		want        delivery.Claim
	}{{false, delivery.New}, {true, delivery.Reclaimed}} {
		key := fmt.Sprintf("job/2026-W48/U%v", tc.maybePosted)
		if st, err := s.ClaimDelivery(ctx, key, "A", lease); st != delivery.New || err != nil {
			t.Fatalf("claim = %v, %v", st, err)
		}
		if err := s.ReleaseDelivery(ctx, key, "B", false); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.ClaimDelivery(ctx, key, "C", lease); st != delivery.Held {
			t.Errorf("release by a non-holder freed the lease: claim = %v, want held", st)
		}
		if err := s.ReleaseDelivery(ctx, key, "A", tc.maybePosted); err != nil {
			t.Fatal(err)
		}
		if st, err := s.ClaimDelivery(ctx, key, "C", lease); st != tc.want || err != nil {
			t.Errorf("claim after release(maybePosted=%v) = %v, %v; want %v", tc.maybePosted, st, err, tc.want)
		}
	}
}

func TestOutbox(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	const run = "weekly-feedback/2017-W52"
	if p, err := s.OutboxPending(ctx, run); err != nil || len(p) != 0 {
		t.Errorf("OutboxPending of an unknown run = %q, %v", p, err)
	}
	if err := s.EnqueueOutbox(ctx, run, []string{"U3", "U1", "U2", "U1"}); err != nil {
		t.Fatal(err)
	}
	pending := func(want ...string) {
		t.Helper()
		got, err := s.OutboxPending(ctx, run)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("OutboxPending = %q, %v; want %q", got, err, want)
		}
	}
	pending("U3", "U1", "U2")
	if err := s.OutboxDone(ctx, run, "U3"); err != nil {
		t.Fatal(err)
	}
	// The job crashes and restarts: enqueueing again changes nothing.
	if err := s.EnqueueOutbox(ctx, run, []string{"U3", "U1", "U2", "U4"}); err != nil {
		t.Fatal(err)
	}
	pending("U1", "U2")
	s.OutboxDone(ctx, run, "U1")
	s.OutboxDone(ctx, run, "U2")
	pending()
	if err := s.EnqueueOutbox(ctx, run, []string{"U1"}); err != nil {
		t.Fatal(err)
	}
	pending()

	// A done item is not queued again by an enqueue that had not sealed yet.
	const run2 = "digest/2018-W01"
	keys := s.outboxKeys(run2)
	if err := enqueueScript.Run(ctx, s.rdb, keys, ms(time.Hour), "0", 0, "M1", "M2").Err(); err != nil {
		t.Fatal(err)
	}
	s.OutboxDone(ctx, run2, "M1")
	var big []string
	for i := range 2500 {
		big = append(big, fmt.Sprintf("M%d", i))
	}
	if err := s.EnqueueOutbox(ctx, run2, big); err != nil {
		t.Fatal(err)
	}
	got, err := s.OutboxPending(ctx, run2)
	if err != nil || len(got) != 2499 || slices.Contains(got, "M1") || got[0] != "M0" || got[len(got)-1] != "M2499" {
		t.Errorf("OutboxPending(run2): %d items, first %q, %v", len(got), got[:1], err)
	}
	if d := s.rdb.PTTL(ctx, keys[0]).Val(); d <= 0 {
		t.Errorf("outbox TTL = %v, want one", d)
	}
}

func TestLock(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	lock := func(owner string, ttl time.Duration, want bool) {
		t.Helper()
		got, err := s.TryLock(ctx, "scheduler", owner, ttl)
		if err != nil || got != want {
			t.Errorf("TryLock(%s) = %v, %v; want %v", owner, got, err, want)
		}
	}
	lock("A", time.Minute, true)
	lock("B", time.Minute, false)
	lock("A", time.Minute, true) // renewal
	if err := s.Unlock(ctx, "scheduler", "B"); !errors.Is(err, ErrNotOwner) {
		t.Errorf("Unlock by a non-owner: err = %v, want ErrNotOwner", err)
	}
	lock("B", time.Minute, false) // still A's
	if err := s.Unlock(ctx, "scheduler", "A"); err != nil {
		t.Errorf("Unlock by the owner: %v", err)
	}
	lock("B", time.Second, true)
	advance(s, 1100*time.Millisecond)
	lock("A", time.Minute, true)
	if err := s.Unlock(ctx, "scheduler", "B"); !errors.Is(err, ErrNotOwner) {
		t.Errorf("Unlock by an expired owner: err = %v, want ErrNotOwner", err)
	}
}

func TestPreferences(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	if out, err := s.OptedOut(ctx, "U1", "nudges"); out || err != nil {
		t.Errorf("OptedOut by default = %v, %v", out, err)
	}
	s.SetOptOut(ctx, "U1", "nudges", true)
	if out, _ := s.OptedOut(ctx, "U1", "nudges"); !out {
		t.Errorf("OptedOut after opting out = false")
	}
	if out, _ := s.OptedOut(ctx, "U1", "weekly-feedback"); out {
		t.Errorf("opting out of nudges opted out of weekly feedback")
	}
	s.SetOptOut(ctx, "U1", "nudges", false)
	if out, _ := s.OptedOut(ctx, "U1", "nudges"); out {
		t.Errorf("OptedOut after opting back in = true")
	}

	if p, err := s.Paused(ctx); p || err != nil {
		t.Errorf("Paused by default = %v, %v", p, err)
	}
	if err := s.SetPaused(ctx, true, "U0PS"); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Paused(ctx); !p {
		t.Errorf("Paused after pausing = false")
	}
	if by, at, ok, err := s.PausedBy(ctx); by != "U0PS" || at.IsZero() || !ok || err != nil {
		t.Errorf("PausedBy = %q, %v, %v, %v", by, at, ok, err)
	}
	s.SetPaused(ctx, false, "U0PS")
	if p, _ := s.Paused(ctx); p {
		t.Errorf("Paused after resuming = true")
	}
}

// TestEmbeddedRestart stops the embedded Redis and starts it again on the
// same address: the Store reconnects by itself.
func TestEmbeddedRestart(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reps := repIDs(2)
	if _, err := s.PublishSnapshot(ctx, snapshot(asOf1, reps)); err != nil {
		t.Fatal(err)
	}
	s.mini.Close()
	if _, err := s.RepReport(ctx, reps[0], insights.PeriodWeek); err == nil {
		t.Fatalf("RepReport with Redis down succeeded")
	} else {
		t.Logf("with Redis down: %v", err)
	}
	if err := s.mini.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RepReport(ctx, reps[0], insights.PeriodWeek); err != nil {
		t.Errorf("RepReport after restart: %v", err)
	}
	if first, err := s.FirstDelivery(ctx, "Ev1", time.Minute); !first || err != nil {
		t.Errorf("FirstDelivery after restart = %v, %v", first, err)
	}
	// A restart that loses the script cache, as a real one does.
	s.rdb.ScriptFlush(ctx)
	if _, err := s.TeamReport(ctx, insights.TeamAll, insights.PeriodWeek); err != nil {
		t.Errorf("TeamReport after losing the script cache: %v", err)
	}
}

func TestDatasetParts(t *testing.T) {
	s := OpenTest(t)
	ctx := context.Background()
	ds := insights.Dataset{
		Reps:       []insights.Rep{{ID: "ana", Name: "Ana"}},
		Deals:      []insights.Deal{{ID: "d1", Owner: "ana", Status: insights.StatusWon, Amount: 5}},
		Quotas:     []insights.Quota{{Rep: "ana", Amount: 10}},
		ListPrices: map[string]float64{"Widget": 3},
	}
	if err := s.SaveDataset(ctx, ds); err != nil {
		t.Fatal(err)
	}
	got, err := s.DatasetParts(ctx, PartReps|PartQuotas)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Reps) != 1 || len(got.Quotas) != 1 || got.Deals != nil || got.ListPrices != nil {
		t.Errorf("DatasetParts(reps|quotas) = %+v, want reps and quotas only", got)
	}
	all, err := s.Dataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Deals) != 1 || all.ListPrices["Widget"] != 3 {
		t.Errorf("Dataset = %+v, want every part", all)
	}
}

func TestRecognitions(t *testing.T) {
	s := OpenTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for i, reason := range []string{"old", "new"} {
		if err := s.AddRecognition(ctx, insights.Recognition{To: "U1", From: "U9", Kind: "shout-out", Reason: reason, At: t0.AddDate(0, 0, 7*i)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Recognitions(ctx, "U1", t0.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Reason != "new" {
		t.Errorf("Recognitions since a day later = %+v, want only the new one", got)
	}
	all, _ := s.Recognitions(ctx, "U1", time.Time{})
	if len(all) != 2 || all[0].Reason != "new" {
		t.Errorf("all recognitions = %+v, want both, newest first", all)
	}
	if none, err := s.Recognitions(ctx, "U2", time.Time{}); err != nil || len(none) != 0 {
		t.Errorf("recognitions of someone with none = %v, %v", none, err)
	}
}

func TestTrainings(t *testing.T) {
	s := OpenTest(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	if got, err := s.Trainings(ctx, "U1"); err != nil || len(got) != 0 {
		t.Fatalf("Trainings of nobody = %v, %v", got, err)
	}
	if err := s.SetTraining(ctx, "U1", "prospecting", insights.TrainingStatus{State: insights.TrainingStarted, At: at}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTraining(ctx, "U1", "prospecting", insights.TrainingStatus{State: insights.TrainingDone, At: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Trainings(ctx, "U1")
	if err != nil || got["prospecting"].State != insights.TrainingDone || !got["prospecting"].At.Equal(at.Add(time.Hour)) {
		t.Errorf("Trainings = %+v, %v; want prospecting done at the later time", got, err)
	}
}

func TestLanguageChoice(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	if code, ok, err := s.Language(ctx, "U1"); ok || code != "" || err != nil {
		t.Errorf("Language by default = %q, %v, %v; want none", code, ok, err)
	}
	if err := s.SetLanguage(ctx, "U1", "tr"); err != nil {
		t.Fatal(err)
	}
	if code, ok, _ := s.Language(ctx, "U1"); !ok || code != "tr" {
		t.Errorf("Language after choosing tr = %q, %v", code, ok)
	}
	if _, ok, _ := s.Language(ctx, "U2"); ok {
		t.Errorf("U1's choice applied to U2")
	}
}

// TestGoRedisLogsThroughSlog: go-redis's own lines (here a Sentinel that
// does not answer) reach the slog logger given to SetLogger, at warn level,
// instead of stderr.
func TestGoRedisLogsThroughSlog(t *testing.T) {
	var buf syncBuf
	SetLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	t.Cleanup(func() { SetLogger(slog.Default()) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Port 7099 (issue 8's range) has no Sentinel: go-redis logs the failure.
	_, err := Open(ctx, "redis://127.0.0.1:7099/0?master_name=nobody&addr=127.0.0.1:7099", Options{})
	if err == nil {
		t.Fatal("Open through a Sentinel that does not answer succeeded")
	}
	out := buf.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "source=go-redis") || !strings.Contains(out, "sentinel") {
		t.Errorf("go-redis log lines did not reach slog; got %q", out)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
