package crmsync_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/crmsync"
	"github.com/repcoach/repcoach/insights/redisstore"
	"github.com/repcoach/repcoach/insights/salesforce"
	"github.com/repcoach/repcoach/insights/salesforce/sffake"
	"github.com/repcoach/repcoach/insights/sample"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func deal(id string, owner insights.RepID, stage string, status insights.Status, amount float64) insights.Deal {
	return insights.Deal{ID: id, Owner: owner, Stage: stage, Status: status, Amount: amount, AmountKnown: true, Created: day(2024, 1, 1), Closed: day(2024, 2, 1)}
}

func ids(ds insights.Dataset) []string {
	var out []string
	for _, d := range ds.Deals {
		out = append(out, d.ID+"/"+string(d.Owner)+"/"+d.Stage)
	}
	return out
}

func TestApply(t *testing.T) {
	old := insights.Dataset{
		Reps: []insights.Rep{{ID: "a", Name: "Ana", Manager: "Mia", Team: "East"}, {ID: "b", Name: "Bo", Manager: "Max", Team: "West"}},
		Deals: []insights.Deal{
			deal("1", "a", "Prospecting", insights.StatusOpen, 100),
			deal("2", "a", "Won", insights.StatusWon, 200),
			deal("3", "b", "Lost", insights.StatusLost, 300),
		},
		Quotas:     []insights.Quota{{Rep: "a", Amount: 5}},
		ListPrices: map[string]float64{"x": 1},
	}
	for _, tc := range []struct {
		name      string
		ch        crmsync.Changes
		wantDeals []string
		wantDiff  crmsync.Diff
		wantReps  []insights.RepID
	}{
		{
			name:      "nothing changed",
			ch:        crmsync.Changes{Deals: []insights.Deal{deal("2", "a", "Won", insights.StatusWon, 200)}},
			wantDeals: []string{"1/a/Prospecting", "2/a/Won", "3/b/Lost"},
			wantReps:  []insights.RepID{"a", "b"},
		},
		{
			name:      "one deal moves, one is new, one deleted",
			ch:        crmsync.Changes{Deals: []insights.Deal{deal("1", "a", "Proposal", insights.StatusOpen, 100), deal("4", "a", "Prospecting", insights.StatusOpen, 50)}, Deleted: []string{"3", "404"}},
			wantDeals: []string{"1/a/Proposal", "2/a/Won", "4/a/Prospecting"},
			wantDiff:  crmsync.Diff{Changed: 3, Deleted: 1, Reps: []insights.RepID{"a", "b"}, Teams: []string{"all", "manager:Max", "manager:Mia", "office:East", "office:West"}},
			wantReps:  []insights.RepID{"a", "b"},
		},
		{
			name:      "a deal changes hands",
			ch:        crmsync.Changes{Deals: []insights.Deal{deal("3", "a", "Lost", insights.StatusLost, 300)}},
			wantDeals: []string{"1/a/Prospecting", "2/a/Won", "3/a/Lost"},
			wantDiff:  crmsync.Diff{Changed: 1, Reps: []insights.RepID{"a", "b"}, Teams: []string{"all", "manager:Max", "manager:Mia", "office:East", "office:West"}},
			wantReps:  []insights.RepID{"a", "b"},
		},
		{
			name: "full sync drops deals the CRM no longer has; users join when on a sales team",
			ch: crmsync.Changes{Full: true, Deals: []insights.Deal{deal("1", "a", "Prospecting", insights.StatusOpen, 100), deal("2", "a", "Won", insights.StatusWon, 200), deal("5", "c", "Won", insights.StatusWon, 1)},
				Reps: []insights.Rep{{ID: "c", Name: "Cy", Manager: "Mia"}, {ID: "d", Name: "Di", Manager: "Mia"}, {ID: "admin", Name: "Admin"}, {ID: "a", Email: "ana@x"}}},
			wantDeals: []string{"1/a/Prospecting", "2/a/Won", "5/c/Won"},
			wantDiff:  crmsync.Diff{Changed: 2, Deleted: 1, Reps: []insights.RepID{"b", "c"}, Teams: []string{"all", "manager:Max", "manager:Mia", "office:West"}, RepsChanged: true},
			wantReps:  []insights.RepID{"a", "b", "c", "d"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ids(old)
			ds, diff := crmsync.Apply(old, tc.ch)
			if got := ids(ds); !slices.Equal(got, tc.wantDeals) {
				t.Errorf("deals = %v, want %v", got, tc.wantDeals)
			}
			if diff.Changed != tc.wantDiff.Changed || diff.Deleted != tc.wantDiff.Deleted || !slices.Equal(diff.Reps, tc.wantDiff.Reps) ||
				!slices.Equal(diff.Teams, tc.wantDiff.Teams) || diff.RepsChanged != tc.wantDiff.RepsChanged {
				t.Errorf("diff = %+v, want %+v", diff, tc.wantDiff)
			}
			var reps []insights.RepID
			for _, r := range ds.Reps {
				reps = append(reps, r.ID)
			}
			if !slices.Equal(reps, tc.wantReps) {
				t.Errorf("reps = %v, want %v", reps, tc.wantReps)
			}
			if len(ds.Quotas) != 1 || ds.ListPrices["x"] != 1 {
				t.Errorf("quotas or list prices lost: %v %v", ds.Quotas, ds.ListPrices)
			}
			if !slices.Equal(ids(old), before) {
				t.Errorf("Apply modified old: %v", ids(old))
			}
		})
	}
	ds, _ := crmsync.Apply(old, crmsync.Changes{Reps: []insights.Rep{{ID: "a", Email: "ana@x"}}})
	if ds.Reps[0] != (insights.Rep{ID: "a", Name: "Ana", Email: "ana@x", Manager: "Mia", Team: "East"}) {
		t.Errorf("rep laid over = %+v, want the stored fields kept and the email added", ds.Reps[0])
	}
}

// --- Syncing from the fake Salesforce into a real store ---

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

type rig struct {
	clock     *clock
	fake      *sffake.Server
	store     *redisstore.Store
	syncer    *crmsync.Syncer
	publishes atomic.Int32
	failNext  atomic.Bool
	affected  [][]insights.RepID
	published []redisstore.Published
}

func newRig(t *testing.T, ds insights.Dataset) *rig {
	t.Helper()
	return newRigWith(t, ds, nil)
}

// newRigWith is newRig with the fake's configuration edited by edit.
func newRigWith(t *testing.T, ds insights.Dataset, edit func(*sffake.Config)) *rig {
	t.Helper()
	r := &rig{clock: &clock{t: day(2024, 7, 1)}}
	fc := sffake.Config{Dataset: ds, PublicKey: &rsaKey().PublicKey, Now: r.clock.Now, SessionTTL: time.Hour}
	if edit != nil {
		edit(&fc)
	}
	fake, err := sffake.New(fc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	client, err := salesforce.New(salesforce.Config{
		LoginURL: fake.URL(), ClientID: sffake.DefaultClientID, Username: sffake.DefaultUsername,
		PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey())}),
		BatchSize:  200,
		Sleep:      func(_ context.Context, d time.Duration) error { r.clock.Add(d); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	r.fake, r.store = fake, redisstore.OpenTest(t)
	cal := insights.NewCalendar(time.UTC, time.Monday, time.January)
	r.syncer = &crmsync.Syncer{Source: client, Store: r.store, Now: r.clock.Now,
		Publish: func(ctx context.Context, ds insights.Dataset, affected []insights.RepID) error {
			if r.failNext.Swap(false) {
				return errors.New("publish failed (injected)")
			}
			r.publishes.Add(1)
			r.affected = append(r.affected, affected)
			p, err := r.store.Publish(ctx, insights.Compute(ds, cal, r.clock.Now(), insights.Options{}))
			r.published = append(r.published, p)
			return err
		}}
	return r
}

func generated() insights.Dataset {
	return sample.Generate(sample.Config{Seed: 7, Managers: 2, RepsPerManager: 4, Deals: 600, End: day(2024, 6, 30), ActivitiesPerDeal: -1})
}

func (r *rig) wonRevenue(t *testing.T, rep insights.RepID) float64 {
	t.Helper()
	rr, err := r.store.RepReport(context.Background(), rep, insights.PeriodYearToDate)
	if err != nil {
		t.Fatal(err)
	}
	return rr.Metrics.WonRevenue
}

func TestIncrementalSyncFetchesOnlyTheChangedDeals(t *testing.T) {
	r := newRig(t, generated())
	ctx := context.Background()
	st, err := r.syncer.Sync(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Full || st.Total != 600 || st.Changed != 600 {
		t.Fatalf("first sync = %+v, want a full sync storing 600 deals", st)
	}
	servedBefore := r.fake.Stats().Records["Opportunity"]

	r.clock.Add(time.Hour)
	stored, err := r.store.Dataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var changed []string
	owners := map[insights.RepID]bool{}
	for _, d := range stored.Deals {
		if len(changed) < 10 && d.Status == insights.StatusOpen {
			r.fake.UpdateDeal(d.ID, func(d *insights.Deal) {
				d.Stage, d.Status, d.Closed, d.Amount, d.AmountKnown = "Won", insights.StatusWon, r.clock.Now(), 1000, true
			})
			changed = append(changed, d.ID)
			owners[d.Owner] = true
		}
	}
	if len(changed) != 10 {
		t.Fatalf("only %d open deals to change", len(changed))
	}
	st, err = r.syncer.Sync(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	served := r.fake.Stats().Records["Opportunity"] - servedBefore
	if st.Full || st.Deals != 10 || served != 10 || st.Changed != 10 || st.Total != 600 {
		t.Errorf("incremental sync = %+v, fake served %d opportunities; want 10 read, 10 changed, 600 stored", st, served)
	}
	if st.Affected != len(owners) {
		t.Errorf("affected reps = %d, want the %d owners", st.Affected, len(owners))
	}
	last := r.affected[len(r.affected)-1]
	if len(last) != len(owners) {
		t.Errorf("publish was told %v were affected, want the %d owners", last, len(owners))
	}
	ds, err := r.store.Dataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds.Deals {
		if slices.Contains(changed, d.ID) && (d.Status != insights.StatusWon || d.History[len(d.History)-1].Stage != "Won") {
			t.Errorf("deal %s after sync: %s, history %v", d.ID, d.Status, d.History)
		}
	}

	// Nothing changed since: the overlap re-reads the same 10 deals, finds
	// them unchanged, and nothing is stored or published again.
	n := r.publishes.Load()
	r.clock.Add(time.Hour)
	if st, err = r.syncer.Sync(ctx, false); err != nil || st.Deals != 10 || st.Changed != 0 || r.publishes.Load() != n {
		t.Errorf("idle sync = %+v, %v, published %d times; want 10 re-read in the overlap, nothing published", st, err, r.publishes.Load()-n)
	}
	r.clock.Add(time.Hour)
	if st, err = r.syncer.Sync(ctx, false); err != nil || st.Deals != 0 || r.publishes.Load() != n {
		t.Errorf("second idle sync = %+v, %v; want nothing read", st, err)
	}
}

func TestDeletedDealsDisappear(t *testing.T) {
	r := newRig(t, generated())
	ctx := context.Background()
	if _, err := r.syncer.Sync(ctx, false); err != nil {
		t.Fatal(err)
	}
	r.clock.Add(time.Hour)
	gone := r.fake.OpportunityIDs()[:3]
	for _, id := range gone {
		r.fake.DeleteDeal(id)
	}
	st, err := r.syncer.Sync(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.Deleted != 3 || st.Total != 597 {
		t.Errorf("sync = %+v, want 3 deleted, 597 stored", st)
	}
	ds, err := r.store.Dataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds.Deals {
		if slices.Contains(gone, d.ID) {
			t.Errorf("deleted deal %s still stored", d.ID)
		}
	}
}

func TestFullSyncOverStoredDealsFindsWhatChanged(t *testing.T) {
	r := newRig(t, generated())
	ctx := context.Background()
	if _, err := r.syncer.Sync(ctx, true); err != nil {
		t.Fatal(err)
	}
	n := r.publishes.Load()
	// Nothing changed: the stored deals, read one at a time, equal the
	// CRM's; nothing is stored or published.
	r.clock.Add(time.Hour)
	st, err := r.syncer.Sync(ctx, true)
	if err != nil || !st.Full || st.Changed != 0 || st.Deleted != 0 || st.Total != 600 || r.publishes.Load() != n {
		t.Fatalf("idle full sync = %+v, %v, published %d times; want nothing changed", st, err, r.publishes.Load()-n)
	}
	r.clock.Add(time.Hour)
	stored, err := r.store.Dataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	owners := map[insights.RepID]bool{}
	var changed int
	for _, d := range stored.Deals {
		if changed < 5 && d.Status == insights.StatusOpen {
			r.fake.UpdateDeal(d.ID, func(d *insights.Deal) { d.Amount += 1 })
			owners[d.Owner] = true
			changed++
		}
	}
	gone := stored.Deals[len(stored.Deals)-1]
	r.fake.DeleteDeal(gone.ID)
	owners[gone.Owner] = true
	st, err = r.syncer.Sync(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if st.Changed != changed+1 || st.Deleted != 1 || st.Total != 599 || st.Affected != len(owners) {
		t.Errorf("full sync = %+v, want %d changed, 1 deleted, 599 stored, %d reps affected", st, changed+1, len(owners))
	}
	ds, err := r.store.Dataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Deals) != 599 || slices.ContainsFunc(ds.Deals, func(d insights.Deal) bool { return d.ID == gone.ID }) {
		t.Errorf("stored %d deals, deleted deal %s among them: %v", len(ds.Deals), gone.ID,
			slices.ContainsFunc(ds.Deals, func(d insights.Deal) bool { return d.ID == gone.ID }))
	}
}

func TestCutConnectionPublishesNothingAndTheNextSyncCompletes(t *testing.T) {
	r := newRig(t, generated())
	ctx := context.Background()
	first, err := r.syncer.Sync(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	ana := r.fake.OpportunityIDs()
	var rep insights.RepID
	r.clock.Add(time.Hour)
	n := 0
	for _, id := range ana {
		r.fake.UpdateDeal(id, func(d *insights.Deal) {
			if n < 10 && d.Status == insights.StatusOpen && (rep == "" || d.Owner == rep) {
				rep = d.Owner
				d.Stage, d.Status, d.Closed, d.Amount, d.AmountKnown = "Won", insights.StatusWon, r.clock.Now(), 5000, true
				n++
			}
		})
	}
	verBefore, _, err := r.store.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wonBefore := r.wonRevenue(t, rep)
	r.fake.CutAfter(2) // the history query, after the opportunities were read
	st, err := r.syncer.Sync(ctx, false)
	if err == nil {
		t.Fatal("sync over a cut connection: no error")
	}
	verAfter, _, _ := r.store.Current(ctx)
	if verAfter != verBefore || r.wonRevenue(t, rep) != wonBefore {
		t.Errorf("a failed sync published: version %d -> %d, won %v -> %v", verBefore, verAfter, wonBefore, r.wonRevenue(t, rep))
	}
	if st.Error == "" || !st.Watermark.Equal(first.Watermark) {
		t.Errorf("state after failure = %+v; want the error recorded and the watermark kept", st)
	}
	saved, _ := r.store.SyncState(ctx, "salesforce")
	if saved.Error == "" || !saved.Watermark.Equal(first.Watermark) {
		t.Errorf("stored state after failure = %+v", saved)
	}

	st, err = r.syncer.Sync(ctx, false)
	if err != nil {
		t.Fatalf("next sync: %v", err)
	}
	if st.Error != "" || st.Changed != n {
		t.Errorf("next sync = %+v, want %d changed, no error", st, n)
	}
	if got, want := r.wonRevenue(t, rep), wonBefore+float64(n)*5000; math.Abs(got-want) > 1e-6 {
		t.Errorf("won revenue of %s after the next sync = %v, want %v", rep, got, want)
	}
}

func TestFailedPublishIsRetriedByTheNextSync(t *testing.T) {
	r := newRig(t, generated())
	ctx := context.Background()
	if _, err := r.syncer.Sync(ctx, false); err != nil {
		t.Fatal(err)
	}
	r.clock.Add(time.Hour)
	id := r.fake.OpportunityIDs()[0]
	r.fake.UpdateDeal(id, func(d *insights.Deal) { d.Name = "renamed" })
	r.failNext.Store(true)
	if _, err := r.syncer.Sync(ctx, false); err == nil {
		t.Fatal("no error from a failed publish")
	}
	n := r.publishes.Load()
	r.clock.Add(time.Hour)
	st, err := r.syncer.Sync(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.publishes.Load() != n+1 || st.Unpublished {
		t.Errorf("after a failed publish the next sync published %d times, state %+v; want once", r.publishes.Load()-n, st)
	}
}

func TestExpiredSessionMidSyncContinues(t *testing.T) {
	r := newRig(t, generated())
	ctx := context.Background()
	if _, err := r.syncer.Sync(ctx, false); err != nil {
		t.Fatal(err)
	}
	r.clock.Add(2 * time.Hour) // past the 1-hour session
	r.fake.UpdateDeal(r.fake.OpportunityIDs()[5], func(d *insights.Deal) { d.Amount += 1 })
	st, err := r.syncer.Sync(ctx, false)
	if err != nil {
		t.Fatalf("sync after the session expired: %v", err)
	}
	if st.Changed != 1 || r.fake.Stats().Tokens != 2 || r.fake.Stats().Refused["INVALID_SESSION_ID"] != 1 {
		t.Errorf("sync = %+v, fake %+v; want 1 change after signing in again", st, r.fake.Stats())
	}
}

func TestReadersSeeAllOfASyncOrNone(t *testing.T) {
	r := newRig(t, generated())
	ctx := context.Background()
	if _, err := r.syncer.Sync(ctx, false); err != nil {
		t.Fatal(err)
	}
	// Close one open deal of each of two reps; a reader reading both
	// reports in one call must never see one closed and not the other.
	r.clock.Add(time.Hour)
	var reps []insights.RepID
	for _, id := range r.fake.OpportunityIDs() {
		r.fake.UpdateDeal(id, func(d *insights.Deal) {
			if len(reps) < 2 && d.Status == insights.StatusOpen && !slices.Contains(reps, d.Owner) {
				reps = append(reps, d.Owner)
				d.Stage, d.Status, d.Closed, d.Amount, d.AmountKnown = "Won", insights.StatusWon, r.clock.Now(), 77777, true
			}
		})
	}
	before := [2]float64{r.wonRevenue(t, reps[0]), r.wonRevenue(t, reps[1])}
	done := make(chan struct{})
	var mixed, reads atomic.Int32
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			rs, err := r.store.RepReports(ctx, insights.PeriodYearToDate, reps)
			if err != nil || len(rs) != 2 {
				continue
			}
			reads.Add(1)
			a, b := rs[0].Metrics.WonRevenue != before[0], rs[1].Metrics.WonRevenue != before[1]
			if rs[0].Rep.ID != reps[0] {
				a, b = rs[1].Metrics.WonRevenue != before[0], rs[0].Metrics.WonRevenue != before[1]
			}
			if a != b {
				mixed.Add(1)
			}
		}
	}()
	_, err := r.syncer.Sync(ctx, false)
	time.Sleep(20 * time.Millisecond)
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if mixed.Load() != 0 || reads.Load() == 0 {
		t.Errorf("%d of %d reads saw half a sync", mixed.Load(), reads.Load())
	}
	if r.wonRevenue(t, reps[0]) != before[0]+77777 || r.wonRevenue(t, reps[1]) != before[1]+77777 {
		t.Errorf("won revenue after sync: %v, %v; want each +77777 over %v", r.wonRevenue(t, reps[0]), r.wonRevenue(t, reps[1]), before)
	}
}

// TestIncrementalPublishEqualsFullRecompute changes 10 deals in the fake
// (a reassignment, a win, a loss, amounts, a deletion), syncs
// incrementally, and compares every report the store then serves with a
// full recompute of the same data published into an empty store: they
// are the same, yet the sync wrote only the reports that changed and
// shared the rest with the previous version.
func TestIncrementalPublishEqualsFullRecompute(t *testing.T) {
	r := newRig(t, generated())
	ctx := context.Background()
	if _, err := r.syncer.Sync(ctx, false); err != nil {
		t.Fatal(err)
	}
	r.clock.Add(time.Hour)
	ids := r.fake.OpportunityIDs()
	var others []insights.RepID
	for _, rep := range generated().Reps {
		others = append(others, rep.ID)
	}
	for i, id := range ids[:9] {
		r.fake.UpdateDeal(id, func(d *insights.Deal) {
			switch i % 3 {
			case 0:
				d.Owner = others[(i+1)%len(others)]
			case 1:
				d.Stage, d.Status, d.Closed, d.Amount, d.AmountKnown = "Won", insights.StatusWon, r.clock.Now(), 4321, true
			default:
				d.Amount += 1000
			}
		})
	}
	r.fake.DeleteDeal(ids[9])
	st, err := r.syncer.Sync(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.Changed != 10 {
		t.Errorf("incremental sync = %+v, want 10 changes", st)
	}
	got := redisstore.DumpReports(t, r.store)

	ds, err := r.store.Dataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fresh := redisstore.OpenTest(t)
	cal := insights.NewCalendar(time.UTC, time.Monday, time.January)
	if _, err := fresh.Publish(ctx, insights.Compute(ds, cal, r.clock.Now(), insights.Options{})); err != nil {
		t.Fatal(err)
	}
	want := redisstore.DumpReports(t, fresh)
	if len(got) != len(want) {
		t.Errorf("after the incremental sync the store serves %d reports, a full recompute %d", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("report %s differs from a full recompute:\n got %.200s\nwant %.200s", k, got[k], w)
		}
	}
	p := r.published[len(r.published)-1]
	t.Logf("incremental publish: %d reports written, %d shared with the previous version, %d dropped", p.Written, p.Kept, p.Dropped)
	if p.Written == 0 || p.Kept == 0 || p.Written+p.Kept != len(want) {
		t.Errorf("incremental publish = %+v; want some written, the rest (of %d) shared", p, len(want))
	}
}

// TestSyncConvertsCurrencies syncs a multi-currency Salesforce org: deals
// in euros are stored in dollars at REPCOACH_FX_RATES' rate (their stage
// history too), as a CSV import converts them; a currency without a rate
// fails the sync, naming it, and nothing is stored or published.
func TestSyncConvertsCurrencies(t *testing.T) {
	ds := generated()
	var eur []string
	for i := range ds.Deals {
		if i%5 == 0 {
			ds.Deals[i].Currency = "EUR"
			eur = append(eur, ds.Deals[i].ID)
		}
	}
	for _, rates := range []map[string]float64{nil, {"EUR": 1.25}} {
		r := newRigWith(t, ds, func(c *sffake.Config) { c.MultiCurrency = true })
		r.syncer.Currency, r.syncer.Rates = "USD", rates
		st, err := r.syncer.Sync(context.Background(), false)
		if rates == nil {
			if err == nil || !strings.Contains(err.Error(), "EUR") || r.publishes.Load() != 0 {
				t.Errorf("sync without a EUR rate: %v, %d publishes; want an error naming EUR, nothing published", err, r.publishes.Load())
			}
			if _, err := r.store.Dataset(context.Background()); !errors.Is(err, insights.ErrNoData) {
				t.Errorf("sync without a EUR rate stored data: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		stored, err := r.store.Dataset(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]insights.Deal{}
		for _, d := range ds.Deals {
			byID[r.fake.OpportunityID(d.ID)] = d
		}
		n := 0
		for _, d := range stored.Deals {
			src := byID[d.ID]
			want := src.Amount
			if src.Currency == "EUR" {
				want *= 1.25
				n++
			}
			if math.Abs(d.Amount-want) > 1e-6 || d.Currency != "" {
				t.Errorf("deal %s stored %v %q; want %v in USD", d.ID, d.Amount, d.Currency, want)
			}
			for i, h := range d.History {
				if i < len(src.History) && src.History[i].AmountKnown && src.Currency == "EUR" && math.Abs(h.Amount-src.History[i].Amount*1.25) > 1e-6 {
					t.Errorf("deal %s history %d stored %v; want %v", d.ID, i, h.Amount, src.History[i].Amount*1.25)
				}
			}
		}
		if n != len(eur) || st.Total != len(ds.Deals) {
			t.Errorf("%d deals converted of %d in EUR; sync %+v", n, len(eur), st)
		}
	}
}
