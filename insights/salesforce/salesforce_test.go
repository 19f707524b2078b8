package salesforce_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/salesforce"
	"github.com/repcoach/repcoach/insights/salesforce/sffake"
	"github.com/repcoach/repcoach/insights/sample"
)

// clock is a settable clock shared by the fake and the client's sleeps.
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

var key = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func pemKey() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key())})
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// smallSet is a hand-written org: two reps under one manager, a won deal
// with history, a lost one, an open one with no amount.
func smallSet() insights.Dataset {
	return insights.Dataset{
		Reps: []insights.Rep{
			{ID: "ana", Name: "Ana Diaz", Email: "ana@example.com", Manager: "Mia Chen", Team: "West"},
			{ID: "bo", Name: "Bo Berg", Manager: "Mia Chen", Team: "West"},
		},
		Deals: []insights.Deal{
			{ID: "d1", Name: "Acme renewal", Owner: "ana", Stage: "Closed Won", Status: insights.StatusWon, Amount: 1200, AmountKnown: true,
				Created: day(2024, 1, 2), Closed: day(2024, 3, 1), Account: "Acme",
				History: []insights.StageChange{{Stage: "Prospecting", At: day(2024, 1, 2)}, {Stage: "Proposal", At: day(2024, 2, 1), Amount: 1000, AmountKnown: true, Probability: 0.5, HasProbability: true, CloseDate: day(2024, 3, 31)}, {Stage: "Closed Won", At: day(2024, 3, 1)}}},
			{ID: "d2", Owner: "bo", Stage: "Closed Lost", Status: insights.StatusLost, Amount: 500, AmountKnown: true, Created: day(2024, 1, 5), Closed: day(2024, 2, 10)},
			{ID: "d3", Owner: "bo", Stage: "Prospecting", Status: insights.StatusOpen, Created: day(2024, 3, 5), Closed: day(2024, 6, 30), Product: "Widget",
				Probability: 0.1, HasProbability: true, ForecastCategory: insights.ForecastPipeline},
		},
	}
}

type rig struct {
	fake   *sffake.Server
	client *salesforce.Client
	clock  *clock
	slept  []time.Duration
}

func newRig(t *testing.T, ds insights.Dataset, edit func(*sffake.Config, *salesforce.Config)) *rig {
	t.Helper()
	r := &rig{clock: &clock{t: day(2024, 7, 1)}}
	fc := sffake.Config{Dataset: ds, PublicKey: &key().PublicKey, Now: r.clock.Now}
	cc := salesforce.Config{ClientID: sffake.DefaultClientID, Username: sffake.DefaultUsername, PrivateKey: pemKey(), ProductField: "Product__c",
		Sleep: func(_ context.Context, d time.Duration) error {
			r.slept = append(r.slept, d)
			r.clock.Add(d)
			return nil
		}}
	if edit != nil {
		edit(&fc, &cc)
	}
	fake, err := sffake.New(fc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	cc.LoginURL = fake.URL()
	client, err := salesforce.New(cc)
	if err != nil {
		t.Fatal(err)
	}
	r.fake, r.client = fake, client
	return r
}

func TestFullFetchMapsOpportunitiesUsersAndHistory(t *testing.T) {
	r := newRig(t, smallSet(), nil)
	ch, err := r.client.Fetch(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Full || len(ch.Deals) != 3 || len(ch.Deleted) != 0 {
		t.Fatalf("Fetch = full %v, %d deals, %d deleted; want full, 3, 0", ch.Full, len(ch.Deals), len(ch.Deleted))
	}
	ana := r.fake.UserID("ana")
	var won, open insights.Deal
	for _, d := range ch.Deals {
		switch d.Stage {
		case "Closed Won":
			won = d
		case "Prospecting":
			open = d
		}
	}
	if won.Owner != insights.RepID(ana) || won.Status != insights.StatusWon || won.Amount != 1200 || !won.AmountKnown || won.Account != "Acme" ||
		!won.Closed.Equal(day(2024, 3, 1)) || !won.Created.Equal(day(2024, 1, 2)) {
		t.Errorf("won deal = %+v", won)
	}
	wantHist := []insights.StageChange{{Stage: "Prospecting", At: day(2024, 1, 2)}, {Stage: "Proposal", At: day(2024, 2, 1), Amount: 1000, AmountKnown: true, Probability: 0.5, HasProbability: true, CloseDate: day(2024, 3, 31)}, {Stage: "Closed Won", At: day(2024, 3, 1)}}
	if !slices.EqualFunc(won.History, wantHist, func(a, b insights.StageChange) bool {
		return a.Stage == b.Stage && a.At.Equal(b.At) && a.Amount == b.Amount && a.AmountKnown == b.AmountKnown &&
			a.Probability == b.Probability && a.HasProbability == b.HasProbability && a.CloseDate.Equal(b.CloseDate)
	}) {
		t.Errorf("history = %v, want %v", won.History, wantHist)
	}
	if open.AmountKnown || open.Status != insights.StatusOpen || open.Product != "Widget" || open.History != nil ||
		!open.HasProbability || open.Probability != 0.1 || open.ForecastCategory != insights.ForecastPipeline {
		t.Errorf("open deal = %+v", open)
	}
	var gotAna insights.Rep
	for _, rep := range ch.Reps {
		if rep.ID == insights.RepID(ana) {
			gotAna = rep
		}
	}
	if gotAna.Name != "Ana Diaz" || gotAna.Email != "ana@example.com" || gotAna.Manager != "Mia Chen" || gotAna.Team != "West" {
		t.Errorf("rep = %+v", gotAna)
	}
	if !ch.Watermark.Equal(r.clock.Now().Truncate(time.Second)) {
		t.Errorf("watermark = %v, want the server's time %v", ch.Watermark, r.clock.Now())
	}
	// 4: opportunities, history, users, and the opportunity query this
	// single-currency org refused for naming CurrencyIsoCode.
	if ch.Usage == "" || ch.Requests != 4 {
		t.Errorf("usage %q, requests %d; want an api-usage and 4 (opportunities with CurrencyIsoCode refused, opportunities, history, users)", ch.Usage, ch.Requests)
	}
}

func TestPagingFollowsNextRecordsURL(t *testing.T) {
	ds := sample.Generate(sample.Config{Seed: 1, Managers: 2, RepsPerManager: 3, Deals: 700, End: day(2024, 6, 30), ActivitiesPerDeal: -1})
	r := newRig(t, ds, func(_ *sffake.Config, c *salesforce.Config) { c.BatchSize = 200 })
	ch, err := r.client.Fetch(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Deals) != 700 {
		t.Fatalf("got %d deals, want 700", len(ch.Deals))
	}
	ids := map[string]bool{}
	for _, d := range ch.Deals {
		ids[d.ID] = true
	}
	if len(ids) != 700 {
		t.Errorf("%d distinct deal IDs, want 700", len(ids))
	}
	if st := r.fake.Stats(); st.Records["Opportunity"] != 700 || st.Requests < 4+1 {
		t.Errorf("fake served %v records in %d requests; want 700 opportunities over 4 pages", st.Records, st.Requests)
	}
}

func TestExpiredSessionSignsInAgainAndContinues(t *testing.T) {
	ds := sample.Generate(sample.Config{Seed: 2, Managers: 1, RepsPerManager: 3, Deals: 500, End: day(2024, 6, 30), ActivitiesPerDeal: -1})
	r := newRig(t, ds, func(_ *sffake.Config, c *salesforce.Config) { c.BatchSize = 200 })
	ctx := context.Background()
	var pages int
	err := r.client.Query(ctx, "SELECT Id FROM Opportunity", false, func(recs []json.RawMessage) error {
		pages++
		if pages == 1 {
			r.fake.ExpireSessions()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("query across an expired session: %v", err)
	}
	st := r.fake.Stats()
	if pages != 3 || st.Tokens != 2 || st.Refused["INVALID_SESSION_ID"] != 1 {
		t.Errorf("pages %d, tokens %d, refused %v; want 3 pages, 2 tokens, one INVALID_SESSION_ID", pages, st.Tokens, st.Refused)
	}
}

func TestSessionTimeoutByClock(t *testing.T) {
	r := newRig(t, smallSet(), func(f *sffake.Config, _ *salesforce.Config) { f.SessionTTL = time.Hour })
	ctx := context.Background()
	if _, err := r.client.Fetch(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.clock.Add(2 * time.Hour)
	if _, err := r.client.Fetch(ctx, time.Time{}); err != nil {
		t.Fatalf("fetch after the session timed out: %v", err)
	}
	if st := r.fake.Stats(); st.Tokens != 2 {
		t.Errorf("tokens = %d, want 2", st.Tokens)
	}
}

func TestClientCredentials(t *testing.T) {
	r := newRig(t, smallSet(), func(_ *sffake.Config, c *salesforce.Config) {
		c.PrivateKey, c.Username, c.ClientSecret = nil, "", sffake.DefaultClientSecret
	})
	if _, err := r.client.Fetch(context.Background(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	bad := newRig(t, smallSet(), func(_ *sffake.Config, c *salesforce.Config) {
		c.PrivateKey, c.Username, c.ClientSecret = nil, "", "wrong-secret-value"
	})
	_, err := bad.client.Fetch(context.Background(), time.Time{})
	if err == nil || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("wrong secret: err = %v; want invalid_client, secret not echoed", err)
	}
}

func TestWrongUserRefused(t *testing.T) {
	r := newRig(t, smallSet(), func(_ *sffake.Config, c *salesforce.Config) { c.Username = "someone@else.example" })
	_, err := r.client.Fetch(context.Background(), time.Time{})
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("err = %v, want invalid_grant", err)
	}
}

func TestRequestLimitBacksOffAndContinues(t *testing.T) {
	r := newRig(t, smallSet(), func(f *sffake.Config, _ *salesforce.Config) { f.DailyLimit = 100 })
	r.fake.UseRequests(100) // other integrations used the day's allowance
	ch, err := r.client.Fetch(context.Background(), time.Time{})
	if err == nil {
		t.Fatalf("fetch with the allowance used up: no error")
	}
	// The usage guard stops before Salesforce must refuse again.
	if !errors.Is(err, salesforce.ErrUsage) {
		t.Fatalf("err = %v, want ErrUsage", err)
	}
	_ = ch
	if len(r.slept) == 0 || r.slept[0] != time.Minute {
		t.Errorf("slept %v, want a 1m back-off first", r.slept)
	}

	// Refused once, then the rolling window frees requests: the back-off
	// waits (on the injected clock) and the sync completes.
	r2 := newRig(t, smallSet(), func(f *sffake.Config, c *salesforce.Config) {
		f.DailyLimit = 100
		c.LimitBackoff = 24 * time.Hour
		c.MaxUsage = 1
	})
	r2.fake.UseRequests(100)
	if _, err := r2.client.Fetch(context.Background(), time.Time{}); err != nil {
		t.Fatalf("fetch after backing off: %v", err)
	}
	if st := r2.fake.Stats(); st.Refused["REQUEST_LIMIT_EXCEEDED"] != 1 || len(r2.slept) != 1 {
		t.Errorf("refused %v, slept %v; want one refusal and one wait", st.Refused, r2.slept)
	}
}

func TestUsageGuardStopsBeforeTheOrgRunsOut(t *testing.T) {
	r := newRig(t, smallSet(), func(f *sffake.Config, c *salesforce.Config) { f.DailyLimit = 100; c.MaxUsage = 0.5 })
	r.fake.UseRequests(49)
	_, err := r.client.Fetch(context.Background(), time.Time{})
	if !errors.Is(err, salesforce.ErrUsage) {
		t.Fatalf("err = %v, want ErrUsage once half the allowance is used", err)
	}
	if used, max := r.client.Usage(); used != 50 || max != 100 {
		t.Errorf("Usage() = %d/%d, want 50/100", used, max)
	}
}

func TestIncrementalFetchReadsOnlyChangesAndDeletions(t *testing.T) {
	ds := sample.Generate(sample.Config{Seed: 3, Managers: 1, RepsPerManager: 4, Deals: 300, End: day(2024, 6, 30), ActivitiesPerDeal: -1})
	r := newRig(t, ds, nil)
	ctx := context.Background()
	full, err := r.client.Fetch(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Add(time.Hour)
	ids := r.fake.OpportunityIDs()
	changed := ids[10:13]
	for _, id := range changed {
		r.fake.UpdateDeal(id, func(d *insights.Deal) { d.Stage, d.Status, d.Closed = "Won", insights.StatusWon, r.clock.Now() })
	}
	r.fake.DeleteDeal(ids[20])
	inc, err := r.client.Fetch(ctx, full.Watermark.Add(-5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range inc.Deals {
		got = append(got, d.ID)
		if d.Status != insights.StatusWon || d.History[len(d.History)-1].Stage != "Won" {
			t.Errorf("changed deal %s = %s, history %v", d.ID, d.Status, d.History)
		}
	}
	if inc.Full || !slices.Equal(got, changed) || !slices.Equal(inc.Deleted, []string{ids[20]}) {
		t.Errorf("incremental: full %v, deals %v, deleted %v; want %v and [%s]", inc.Full, got, inc.Deleted, changed, ids[20])
	}
}

func TestConnectionCutFailsTheFetch(t *testing.T) {
	r := newRig(t, smallSet(), nil)
	r.fake.CutAfter(2)
	if _, err := r.client.Fetch(context.Background(), time.Time{}); err == nil {
		t.Fatal("fetch with the connection cut: no error")
	}
	if _, err := r.client.Fetch(context.Background(), time.Time{}); err != nil {
		t.Fatalf("next fetch: %v", err)
	}
}

func TestFakeRefusesWhatSalesforceRefuses(t *testing.T) {
	r := newRig(t, smallSet(), func(_ *sffake.Config, c *salesforce.Config) { c.APIVersion = "v20.0" })
	err := r.client.Query(context.Background(), "SELECT Id FROM Opportunity", false, func([]json.RawMessage) error { return nil })
	var apiErr *salesforce.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.Code != "NOT_FOUND" {
		t.Errorf("old API version: err = %v, want 404 NOT_FOUND", err)
	}
	r = newRig(t, smallSet(), nil)
	for _, tc := range []struct{ q, code string }{
		{"SELECT Id FROM Opportunty", "INVALID_TYPE"},
		{"SELECT Id, Nme FROM Opportunity", "INVALID_FIELD"},
		{"SELECT Id FROM Opportunity WHERE SystemModstamp >= '2024-01-01T00:00:00Z'", "MALFORMED_QUERY"},
		{"SELECT Id FROM Opportunity WHERE", "INVALID_FIELD"},
		{"SELECT FROM Opportunity", "MALFORMED_QUERY"},
	} {
		err := r.client.Query(context.Background(), tc.q, false, func([]json.RawMessage) error { return nil })
		if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Code != tc.code {
			t.Errorf("%s: err = %v, want 400 %s", tc.q, err, tc.code)
		}
	}
}

// TestMultiCurrencyOrgReadsCurrencyIsoCode: in an org with multiple
// currencies every opportunity has a CurrencyIsoCode (the corporate
// currency unless set), which becomes the deal's currency; an org without
// them refuses the field (INVALID_FIELD), and the client asks again
// without it, once.
func TestMultiCurrencyOrgReadsCurrencyIsoCode(t *testing.T) {
	ds := smallSet()
	ds.Deals[0].Currency = "EUR"
	ds.Deals[0].History[1].Amount = 900
	r := newRig(t, ds, func(f *sffake.Config, _ *salesforce.Config) { f.MultiCurrency, f.CorporateCurrency = true, "GBP" })
	ch, err := r.client.Fetch(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	cur := map[float64]string{}
	for _, d := range ch.Deals {
		cur[d.Amount] = d.Currency
	}
	if cur[1200] != "EUR" || cur[500] != "GBP" || cur[0] != "GBP" {
		t.Errorf("currencies by amount = %v; want 1200 EUR, the others GBP (the corporate currency)", cur)
	}
	if st := r.fake.Stats(); st.Refused["INVALID_FIELD"] != 0 || ch.Requests != 3 {
		t.Errorf("a multi-currency org refused %v, %d requests; want none refused, 3 requests", st.Refused, ch.Requests)
	}

	single := newRig(t, smallSet(), nil)
	for range 2 {
		ch, err := single.client.Fetch(context.Background(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ch.Deals {
			if d.Currency != "" {
				t.Errorf("single-currency org: deal %s has currency %q", d.ID, d.Currency)
			}
		}
	}
	if st := single.fake.Stats(); st.Refused["INVALID_FIELD"] != 1 {
		t.Errorf("single-currency org refused %v; want CurrencyIsoCode refused once, then not asked for", st.Refused)
	}
}

// sameStages reports whether a and b hold the same stage entries.
func sameStages(a, b []insights.StageChange) bool {
	return slices.EqualFunc(a, b, func(x, y insights.StageChange) bool {
		return x.Stage == y.Stage && x.At.Equal(y.At) && x.Amount == y.Amount && x.AmountKnown == y.AmountKnown &&
			x.Probability == y.Probability && x.HasProbability == y.HasProbability && x.CloseDate.Equal(y.CloseDate)
	})
}

func TestHistoryRowsApartOrCollapsedAreSizedToFit(t *testing.T) {
	ds := smallSet()
	// d4's second row changed the amount, not the stage: it collapses.
	ds.Deals = append(ds.Deals, insights.Deal{ID: "d4", Owner: "ana", Stage: "Proposal", Status: insights.StatusOpen, Created: day(2024, 4, 1),
		History: []insights.StageChange{{Stage: "Prospecting", At: day(2024, 4, 1)}, {Stage: "Prospecting", At: day(2024, 4, 2), Amount: 10, AmountKnown: true}, {Stage: "Proposal", At: day(2024, 4, 3)}}})
	r := newRig(t, ds, nil)
	// d1's new stage is the org's last history row, apart from its others.
	r.clock.Add(time.Hour)
	d1 := r.fake.OpportunityID("d1")
	r.fake.UpdateDeal(d1, func(d *insights.Deal) { d.Stage = "Contract" })
	ch, err := r.client.Fetch(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]insights.StageChange{
		d1: append(slices.Clone(ds.Deals[0].History), insights.StageChange{Stage: "Contract", At: r.clock.Now().Truncate(time.Second),
			Amount: 1200, AmountKnown: true, CloseDate: day(2024, 3, 1)}),
		r.fake.OpportunityID("d4"): {{Stage: "Prospecting", At: day(2024, 4, 1)}, {Stage: "Proposal", At: day(2024, 4, 3)}},
	}
	for _, d := range ch.Deals {
		w, ok := want[d.ID]
		if !ok {
			continue
		}
		delete(want, d.ID)
		if !sameStages(d.History, w) {
			t.Errorf("deal %s: history %v, want %v", d.ID, d.History, w)
		}
		if cap(d.History) != len(d.History) {
			t.Errorf("deal %s: history of %d entries holds room for %d", d.ID, len(d.History), cap(d.History))
		}
	}
	if len(want) > 0 {
		t.Errorf("deals not fetched: %v", want)
	}
}

func TestFetchHoldsRepeatedStringsOnce(t *testing.T) {
	ds := sample.Generate(sample.Config{Seed: 4, Managers: 1, RepsPerManager: 2, Deals: 200, End: day(2024, 6, 30), ActivitiesPerDeal: -1})
	r := newRig(t, ds, nil)
	ch, err := r.client.Fetch(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// Each distinct value must be one string, shared by every deal that has it.
	first := map[string]*byte{}
	check := func(what, s string) {
		if s == "" {
			return
		}
		p, ok := first[what+"\x00"+s]
		if !ok {
			first[what+"\x00"+s] = unsafe.StringData(s)
		} else if p != unsafe.StringData(s) {
			t.Errorf("%s %q is held more than once", what, s)
		}
	}
	for _, d := range ch.Deals {
		check("owner", string(d.Owner))
		check("stage", d.Stage)
		check("account", d.Account)
		check("product", d.Product)
		for _, h := range d.History {
			check("stage", h.Stage)
		}
	}
	if len(first) < 4 {
		t.Errorf("only %d distinct values checked", len(first))
	}
}

func TestQueryPagesMayBeKept(t *testing.T) {
	ds := sample.Generate(sample.Config{Seed: 5, Managers: 1, RepsPerManager: 2, Deals: 500, End: day(2024, 6, 30), ActivitiesPerDeal: -1})
	r := newRig(t, ds, func(_ *sffake.Config, c *salesforce.Config) { c.BatchSize = 200 })
	var pages [][]json.RawMessage
	err := r.client.Query(context.Background(), "SELECT Id FROM Opportunity", false, func(recs []json.RawMessage) error {
		pages = append(pages, recs)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, p := range pages {
		for _, raw := range p {
			var rec struct{ Id string }
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatalf("kept record %s: %v", raw, err)
			}
			ids[rec.Id] = true
		}
	}
	if len(pages) != 3 || len(ids) != 500 {
		t.Errorf("kept %d pages of %d distinct records, want 3 pages of 500", len(pages), len(ids))
	}
}
