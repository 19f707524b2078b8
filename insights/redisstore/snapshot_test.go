package redisstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/repcoach/repcoach/insights"
)

// marked returns snap with rep i's reports named marks[i], so a reader can
// tell which version a report came from.
func marked(reps []insights.RepID, marks []int, asOf time.Time) insights.Snapshot {
	snap := snapshot(asOf, reps, insights.ManagerTeam("Dustin Brinkmann"))
	for i := range snap.Reps {
		snap.Reps[i].Rep.Name = fmt.Sprintf("mark %d", marks[i%len(reps)])
	}
	return snap
}

// TestPublishSharesUnchangedReports publishes a snapshot, then one in which
// a few reports changed, one rep left and one came: only the changed and new
// reports are written, the rest are shared with the previous version, and
// what readers get is exactly what a publish of the second snapshot into an
// empty store gives. The previous version's own reports expire after the
// flip; the shared ones do not.
func TestPublishSharesUnchangedReports(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	reps := repIDs(50)
	marks := make([]int, len(reps))
	p1, err := s.Publish(ctx, marked(reps[:49], marks, asOf1))
	if err != nil {
		t.Fatal(err)
	}
	periods := len(insights.StandardPeriods())
	if p1.Written != 51*periods || p1.Kept != 0 { // 49 reps and 2 teams per period
		t.Errorf("first publish wrote %d, kept %d; want %d, 0", p1.Written, p1.Kept, 51*periods)
	}
	marks[3], marks[7] = 1, 1
	next := append(slices.Clone(reps[1:49]), reps[49]) // rep 0 leaves, rep 49 comes
	nextMarks := append(slices.Clone(marks[1:49]), marks[49])
	snap2 := marked(next, nextMarks, asOf1)
	p2, err := s.Publish(ctx, snap2)
	if err != nil {
		t.Fatal(err)
	}
	// Written: reps 3 and 7, rep 49, and both teams (whose Ahead names
	// the first rep); dropped: rep 0.
	if p2.Base != p1.Version || p2.Written != 5*periods || p2.Kept != 46*periods || p2.Dropped != periods {
		t.Errorf("second publish = %+v; want base %d, %d written, %d kept, %d dropped",
			p2, p1.Version, 5*periods, 46*periods, periods)
	}

	fresh := OpenTest(t)
	if _, err := fresh.Publish(ctx, snap2); err != nil {
		t.Fatal(err)
	}
	got, want := DumpReports(t, s), DumpReports(t, fresh)
	if len(got) != len(want) {
		t.Errorf("shared publish holds %d reports, a fresh one %d", len(got), len(want))
	}
	for f, w := range want {
		if got[f] != w {
			t.Errorf("report %s differs from a fresh publish:\n got %.120s\nwant %.120s", f, got[f], w)
		}
	}
	if _, err := s.RepReport(ctx, reps[0], insights.PeriodWeek); err == nil {
		t.Errorf("rep 0 left, but its report is still readable")
	}

	field := func(i int) string { return reportField("rep", insights.PeriodWeek, string(reps[i])) }
	ttl := func(w int64, i int) time.Duration { return s.rdb.PTTL(ctx, s.reportKey(w, field(i))).Val() }
	if d := ttl(p1.Version, 10); d != -1 && d != -time.Millisecond {
		t.Errorf("a report shared with the current version has TTL %v, want none", d)
	}
	for _, i := range []int{0, 3} {
		if d := ttl(p1.Version, i); d <= 0 || d > s.opts.Grace {
			t.Errorf("superseded report of rep %d: TTL %v, want (0, %v]", i, d, s.opts.Grace)
		}
	}
	// A third publish that changes nothing writes nothing.
	p3, err := s.Publish(ctx, snap2)
	if err != nil || p3.Written != 0 || p3.Kept != 51*periods {
		t.Errorf("publishing the same snapshot again = %+v, %v; want nothing written", p3, err)
	}
	if d := ttl(p1.Version, 10); d != -1 && d != -time.Millisecond {
		t.Errorf("a report shared by three versions has TTL %v after the third, want none", d)
	}
}

// TestSharedPublishIsAtomicForReaders publishes versions that each change a
// few reps' reports while readers read a batch of reps: every batch matches
// exactly one published version, mixing neither changed and shared reports
// nor two versions.
func TestSharedPublishIsAtomicForReaders(t *testing.T) {
	s, url := openSnapshotStore(t, 7211)
	ctx := t.Context()
	reps := repIDs(120)
	const versions = 8
	marks := make([][]int, versions+1)
	marks[0] = make([]int, len(reps))
	for v := 1; v <= versions; v++ {
		marks[v] = slices.Clone(marks[v-1])
		for i := v; i < len(reps); i += 7 + v {
			marks[v][i] = v
		}
	}
	if _, err := s.Publish(ctx, marked(reps, marks[0], asOf1)); err != nil {
		t.Fatal(err)
	}
	var done atomic.Bool
	var reads atomic.Int64
	var wg sync.WaitGroup
	for w := range 3 {
		r := replica2(t, s, url)
		wg.Go(func() {
			for !done.Load() {
				rs, err := r.RepReports(ctx, insights.PeriodMonth, reps)
				if err != nil {
					t.Errorf("reader %d: %v", w, err)
					return
				}
				got := make([]int, len(rs))
				for i := range rs {
					fmt.Sscanf(rs[i].Rep.Name, "mark %d", &got[i])
				}
				if !slices.ContainsFunc(marks, func(m []int) bool { return slices.Equal(m, got) }) {
					t.Errorf("reader %d: a read matches no published version: %v", w, got)
					return
				}
				reads.Add(1)
			}
		})
	}
	for v := 1; v <= versions; v++ {
		if _, err := s.Publish(ctx, marked(reps, marks[v], asOf1)); err != nil {
			t.Fatal(err)
		}
	}
	done.Store(true)
	wg.Wait()
	t.Logf("%d consistent batch reads during %d publishes", reads.Load(), versions)
}

// TestSnapshotSpreadsOverCluster publishes 2,005 reports to a Redis
// Cluster (CI's REPCOACH_TEST_CLUSTER_URL, or one of its own) and checks
// that every master holds some of them and that every report reads back.
// Where no redis-server can be started it runs the read-back on the usual
// test Redis and says so.
func TestSnapshotSpreadsOverCluster(t *testing.T) {
	s, _ := openSnapshotStore(t, 7214)
	ctx := t.Context()
	reps := repIDs(400)
	snap := snapshot(asOf1, reps)
	if _, err := s.Publish(ctx, snap); err != nil {
		t.Fatal(err)
	}
	for _, k := range insights.StandardPeriods() {
		rs, err := s.RepReports(ctx, k, reps)
		if err != nil || len(rs) != len(reps) {
			t.Fatalf("RepReports(%s) = %d, %v", k, len(rs), err)
		}
	}
	cc, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		t.Logf("NOTE: no Redis Cluster (no redis-server here): read-back checked on a single Redis; the spread over masters is checked in CI")
		return
	}
	var mu sync.Mutex
	perMaster := map[string]int{}
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		n := 0
		it := c.Scan(ctx, 0, globEscape(s.p)+"snap:*", 1000).Iterator()
		for it.Next(ctx) {
			n++
		}
		mu.Lock()
		perMaster[c.Options().Addr] = n
		mu.Unlock()
		return it.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for addr, n := range perMaster {
		total += n
		if n == 0 {
			t.Errorf("master %s holds no report", addr)
		}
	}
	t.Logf("report keys per master: %v", perMaster)
	if want := len(snap.Reps) + len(snap.Teams); total != want || len(perMaster) < 2 {
		t.Errorf("%d report keys over %d masters, want %d over several", total, len(perMaster), want)
	}
}

// openSnapshotStore opens a test Store on a Redis Cluster (CI's, or one
// of its own on ports from base), else, where no redis-server can be
// started, on the usual test Redis.
func openSnapshotStore(t *testing.T, base int) (*Store, string) {
	t.Helper()
	url := clusterURL(t, base)
	if url == "" {
		return OpenTest(t), ""
	}
	return openTestAt(t, url, Options{}), url
}

// replica2 opens another Store on s's Redis and prefix (Cluster included).
func replica2(t *testing.T, s *Store, url string) *Store {
	if url != "" {
		r, err := Open(t.Context(), url, Options{Prefix: s.p})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	return replica(t, s)
}

// TestPublishMovesAsOfWithoutRewriting publishes the same figures an hour
// later: only the as-of time moved, so nothing is written again, and every
// report read says the new as-of time.
func TestPublishMovesAsOfWithoutRewriting(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	reps := repIDs(20)
	team := insights.ManagerTeam("Dustin Brinkmann")
	if _, err := s.Publish(ctx, snapshot(asOf1, reps, team)); err != nil {
		t.Fatal(err)
	}
	later := asOf1.Add(time.Hour)
	snap := snapshot(asOf1, reps, team)
	snap.AsOf = later
	for i := range snap.Reps {
		snap.Reps[i].AsOf = later
	}
	for i := range snap.Teams {
		snap.Teams[i].AsOf = later
	}
	p, err := s.Publish(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	if p.Written != 0 || p.Kept != len(snap.Reps)+len(snap.Teams) {
		t.Errorf("publishing the same figures an hour later = %+v; want nothing written, %d kept", p, len(snap.Reps)+len(snap.Teams))
	}
	for _, k := range insights.StandardPeriods() {
		r, err := s.RepReport(ctx, reps[3], k)
		if err != nil {
			t.Fatal(err)
		}
		if !r.AsOf.Equal(later) {
			t.Errorf("%s report of %s as of %v, want %v", k, reps[3], r.AsOf, later)
		}
		rs, err := s.RepReports(ctx, k, reps[:2])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if !r.AsOf.Equal(later) {
				t.Errorf("%s report of %s read in a batch as of %v, want %v", k, r.Rep.ID, r.AsOf, later)
			}
		}
		tr, err := s.TeamReport(ctx, team, k)
		if err != nil {
			t.Fatal(err)
		}
		if !tr.AsOf.Equal(later) {
			t.Errorf("%s report of %s as of %v, want %v", k, team, tr.AsOf, later)
		}
	}
}

// TestIndexEntries reads index entries with and without an as-of time
// (those without were written before as-of times moved into the index).
func TestIndexEntries(t *testing.T) {
	at := time.Date(2024, 7, 1, 9, 30, 0, 0, time.FixedZone("", 3*3600))
	for _, r := range []ref{{w: 7, fp: "0123456789abcdef0123456789abcdef", asOf: at}, {w: 12, fp: "ff"}} {
		got, ok := parseRef(r.String())
		if !ok || got.w != r.w || got.fp != r.fp || !got.asOf.Equal(r.asOf) {
			t.Errorf("parseRef(%q) = %+v, %v; want %+v", r.String(), got, ok, r)
		}
	}
	for _, bad := range []string{"", "7", "x:ff", "7:ff@yesterday", "0:ff"} {
		if r, ok := parseRef(bad); ok {
			t.Errorf("parseRef(%q) = %+v, want not ok", bad, r)
		}
	}
}
