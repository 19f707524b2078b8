package hubspot_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/hubspot"
	"github.com/repcoach/repcoach/insights/hubspot/hsfake"
	"github.com/repcoach/repcoach/insights/sample"
)

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

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func smallSet() insights.Dataset {
	return insights.Dataset{
		Reps: []insights.Rep{
			{ID: "Ana Diaz", Name: "Ana Diaz", Email: "ana@example.com", Team: "West"},
			{ID: "Bo Berg", Name: "Bo Berg", Team: "East"},
		},
		Deals: []insights.Deal{
			{ID: "d1", Name: "Acme renewal", Owner: "Ana Diaz", Stage: "Closed Won", Status: insights.StatusWon, Amount: 1200, AmountKnown: true,
				Created: day(2024, 1, 2), Closed: day(2024, 3, 1), Account: "Acme",
				History: []insights.StageChange{{Stage: "Appointment Scheduled", At: day(2024, 1, 2)}, {Stage: "Contract Sent", At: day(2024, 2, 1)}, {Stage: "Closed Won", At: day(2024, 3, 1)}}},
			{ID: "d2", Owner: "Bo Berg", Stage: "Closed Lost", Status: insights.StatusLost, Amount: 500, AmountKnown: true, Created: day(2024, 1, 5), Closed: day(2024, 2, 10)},
			{ID: "d3", Owner: "Bo Berg", Stage: "Appointment Scheduled", Status: insights.StatusOpen, Created: day(2024, 3, 5), Closed: day(2024, 6, 30),
				Product: "Widget", Probability: 0.2, HasProbability: true, ForecastCategory: insights.ForecastBestCase, Currency: "EUR"},
		},
	}
}

type rig struct {
	fake   *hsfake.Server
	client *hubspot.Client
	clock  *clock
	slept  []time.Duration
}

func newRig(t *testing.T, ds insights.Dataset, edit func(*hsfake.Config, *hubspot.Config)) *rig {
	t.Helper()
	r := &rig{clock: &clock{t: day(2024, 7, 1)}}
	fc := hsfake.Config{Dataset: ds, Now: r.clock.Now}
	cc := hubspot.Config{Token: hsfake.DefaultToken, ProductProperty: "product",
		Sleep: func(_ context.Context, d time.Duration) error {
			r.slept = append(r.slept, d)
			r.clock.Add(d)
			return nil
		}}
	if edit != nil {
		edit(&fc, &cc)
	}
	fake, err := hsfake.New(fc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	cc.BaseURL = fake.URL()
	client, err := hubspot.New(cc)
	if err != nil {
		t.Fatal(err)
	}
	r.fake, r.client = fake, client
	return r
}

func TestFullFetchMapsDealsOwnersStagesAndHistory(t *testing.T) {
	r := newRig(t, smallSet(), nil)
	ch, err := r.client.Fetch(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Full || len(ch.Deals) != 3 {
		t.Fatalf("Fetch: full %v, %d deals; want a full fetch of 3", ch.Full, len(ch.Deals))
	}
	byStage := map[string]insights.Deal{}
	for _, d := range ch.Deals {
		byStage[d.Stage] = d
	}
	won, lost, open := byStage["Closed Won"], byStage["Closed Lost"], byStage["Appointment Scheduled"]
	if won.Owner != "Ana Diaz" || won.Status != insights.StatusWon || won.Amount != 1200 || won.Account != "Acme" || !won.Closed.Equal(day(2024, 3, 1)) {
		t.Errorf("won deal = %+v", won)
	}
	var stages []string
	for _, h := range won.History {
		stages = append(stages, h.Stage+"@"+h.At.Format("01-02"))
	}
	if want := []string{"Appointment Scheduled@01-02", "Contract Sent@02-01", "Closed Won@03-01"}; !slices.Equal(stages, want) || !won.Moved.Equal(day(2024, 3, 1)) {
		t.Errorf("history %v, moved %v; want %v and moved at the last stage change", stages, won.Moved, want)
	}
	if lost.Status != insights.StatusLost || lost.Owner != "Bo Berg" {
		t.Errorf("lost deal = %+v", lost)
	}
	if open.Status != insights.StatusOpen || open.AmountKnown || open.Product != "Widget" || !open.HasProbability || open.Probability != 0.2 || open.ForecastCategory != insights.ForecastBestCase || open.Currency != "EUR" {
		t.Errorf("open deal = %+v", open)
	}
	var ana insights.Rep
	for _, rep := range ch.Reps {
		if rep.ID == "Ana Diaz" {
			ana = rep
		}
	}
	if ana.Email != "ana@example.com" || ana.Team != "West" || ana.Name != "Ana Diaz" {
		t.Errorf("owner Ana = %+v", ana)
	}
	if !strings.HasPrefix(ch.Usage, "daily-remaining=") || ch.Requests == 0 || !ch.Watermark.Equal(r.clock.Now()) {
		t.Errorf("usage %q, requests %d, watermark %v", ch.Usage, ch.Requests, ch.Watermark)
	}
}

func TestSearchWindowsPastTheTenThousandCap(t *testing.T) {
	ds := sample.Generate(sample.Config{Seed: 4, Managers: 2, RepsPerManager: 5, Deals: 10_600, End: day(2024, 6, 30), ActivitiesPerDeal: -1})
	r := newRig(t, ds, func(f *hsfake.Config, _ *hubspot.Config) { f.TenSecondly, f.SearchPerSecond = -1, -1 })
	ch, err := r.client.Fetch(context.Background(), day(2000, 1, 1)) // everything, through search
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, d := range ch.Deals {
		seen[d.ID]++
	}
	if len(ch.Deals) != 10_600 || len(seen) != 10_600 {
		t.Errorf("incremental fetch of 10,600 changed deals got %d (%d distinct)", len(ch.Deals), len(seen))
	}
	if st := r.fake.Stats(); st.Refused["VALIDATION_ERROR"] != 0 {
		t.Errorf("the fake refused %v: the client paged past the search cap", st.Refused)
	}
}

func TestFakeRefusesSearchPastTheCap(t *testing.T) {
	ds := sample.Generate(sample.Config{Seed: 4, Managers: 1, RepsPerManager: 2, Deals: 300, End: day(2024, 6, 30), ActivitiesPerDeal: -1})
	r := newRig(t, ds, nil)
	err := r.client.SearchPage(context.Background(), "9900")
	var apiErr *hubspot.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Category != "VALIDATION_ERROR" {
		t.Errorf("search after 9,900 with 200 a page: err = %v, want 400 VALIDATION_ERROR", err)
	}
}

func TestRateLimitsWaitAsToldAndContinue(t *testing.T) {
	ds := sample.Generate(sample.Config{Seed: 5, Managers: 1, RepsPerManager: 3, Deals: 400, End: day(2024, 6, 30), ActivitiesPerDeal: -1})
	r := newRig(t, ds, func(f *hsfake.Config, _ *hubspot.Config) { f.TenSecondly, f.SearchPerSecond = 4, 1 })
	ctx := context.Background()
	full, err := r.client.Fetch(ctx, time.Time{})
	if err != nil {
		t.Fatalf("full fetch under a 4-per-10-seconds limit: %v", err)
	}
	if len(full.Deals) != 400 {
		t.Errorf("got %d deals, want 400", len(full.Deals))
	}
	st := r.fake.Stats()
	if st.Refused["TEN_SECONDLY_ROLLING"] == 0 || len(r.slept) != st.Refused["TEN_SECONDLY_ROLLING"] {
		t.Errorf("refused %v, slept %d times; want every 429 waited out once", st.Refused, len(r.slept))
	}
	for _, d := range r.slept {
		if d <= 0 || d > 10*time.Second {
			t.Errorf("waited %v: want Retry-After's 1-10 s", d)
		}
	}
	// Searches are limited to one a second on top.
	r.clock.Add(time.Hour)
	if _, err := r.client.Fetch(ctx, day(2000, 1, 1)); err != nil {
		t.Fatalf("incremental fetch under the search limit: %v", err)
	}
	if st := r.fake.Stats(); st.Refused["SECONDLY"] == 0 && st.Refused["TEN_SECONDLY_ROLLING"] == 0 {
		t.Errorf("refused %v; want the limits hit", st.Refused)
	}
}

func TestIncrementalReadsChangesAndArchivedDeals(t *testing.T) {
	ds := sample.Generate(sample.Config{Seed: 6, Managers: 1, RepsPerManager: 4, Deals: 300, End: day(2024, 6, 30), ActivitiesPerDeal: -1})
	r := newRig(t, ds, nil)
	ctx := context.Background()
	full, err := r.client.Fetch(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Add(time.Hour)
	var ids []string
	for _, d := range full.Deals {
		if d.Status == insights.StatusOpen && len(ids) < 5 {
			ids = append(ids, d.ID)
			r.fake.UpdateDeal(d.ID, func(d *insights.Deal) { d.Stage, d.Status, d.Closed = "Won", insights.StatusWon, r.clock.Now() })
		}
	}
	slices.Sort(ids)
	gone := r.fake.DealIDs()[0]
	if slices.Contains(ids, gone) {
		t.Fatal("test set-up: pick another deal to delete")
	}
	r.fake.DeleteDeal(gone)
	inc, err := r.client.Fetch(ctx, full.Watermark.Add(-5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range inc.Deals {
		got = append(got, d.ID)
		if d.Status != insights.StatusWon || d.History[len(d.History)-1].Stage != "Won" || !d.Moved.Equal(r.clock.Now()) {
			t.Errorf("changed deal %s: %s, history %v, moved %v", d.ID, d.Status, d.History, d.Moved)
		}
	}
	slices.Sort(got)
	if inc.Full || !slices.Equal(got, ids) || !slices.Equal(inc.Deleted, []string{gone}) {
		t.Errorf("incremental: deals %v, deleted %v; want %v and [%s]", got, inc.Deleted, ids, gone)
	}
}

func TestBadAndRotatedTokens(t *testing.T) {
	r := newRig(t, smallSet(), func(_ *hsfake.Config, c *hubspot.Config) { c.Token = "pat-na1-wrong-secret" })
	_, err := r.client.Fetch(context.Background(), time.Time{})
	var apiErr *hubspot.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Category != "INVALID_AUTHENTICATION" || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("bad token: err = %v; want 401 INVALID_AUTHENTICATION without the token", err)
	}
	r = newRig(t, smallSet(), nil)
	r.fake.RotateToken("pat-na1-new")
	_, err = r.client.Fetch(context.Background(), time.Time{})
	if !errors.As(err, &apiErr) || apiErr.Category != "EXPIRED_AUTHENTICATION" {
		t.Errorf("rotated token: err = %v; want EXPIRED_AUTHENTICATION", err)
	}
}

func TestConnectionCutFailsTheFetch(t *testing.T) {
	r := newRig(t, smallSet(), nil)
	r.fake.CutAfter(3)
	if _, err := r.client.Fetch(context.Background(), time.Time{}); err == nil {
		t.Fatal("fetch over a cut connection: no error")
	}
	if _, err := r.client.Fetch(context.Background(), time.Time{}); err != nil {
		t.Fatalf("next fetch: %v", err)
	}
}
