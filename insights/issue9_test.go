package insights

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// The tests in this file reproduce the findings of issue 9, one table test
// each (finding 5 is TestBottleneckNeedsEnoughDeals, the stale threshold of
// finding 6 TestStaleUsesStageUsualTime, and the property that no figure
// uses later events TestNoLookAhead).

// wonDeal is a won deal of owner, created days before closed.
func wonDeal(id string, owner RepID, amount float64, closed time.Time, cycleDays int) Deal {
	return Deal{ID: id, Owner: owner, Stage: "Won", Status: StatusWon, Amount: amount, AmountKnown: true,
		Created: closed.AddDate(0, 0, -cycleDays), Closed: closed, Account: "Acme", Product: "Widget"}
}

// TestForecastNearPeriodEnd is finding 1: every overdue open deal counted
// as closing now at the rep's full win rate, so at 23:59 on 31 Dec the
// forecast was far above what was won. Now an overdue deal counts less the
// longer it is overdue (nothing after one median cycle), and with no time
// left the forecast is what was won.
func TestForecastNearPeriodEnd(t *testing.T) {
	ds := Dataset{Reps: []Rep{{ID: "ana", Name: "Ana"}}, ListPrices: map[string]float64{"Widget": 100}}
	// A year of wins, 30-day cycles, one loss a month: trailing rate 0.5.
	for i := range 12 {
		closed := day(2017, time.Month(i+1), 10)
		ds.Deals = append(ds.Deals, wonDeal("w"+string(rune('a'+i)), "ana", 1000, closed, 30),
			Deal{ID: "l" + string(rune('a'+i)), Owner: "ana", Stage: "Lost", Status: StatusLost, AmountKnown: true, Created: closed.AddDate(0, 0, -30), Closed: closed})
	}
	// Overdue since 1 Oct, but touched on 20 Dec, so not stale.
	ds.Deals = append(ds.Deals, Deal{ID: "late", Owner: "ana", Stage: "Negotiation", Status: StatusOpen, Amount: 10000, AmountKnown: true,
		Created: day(2017, 9, 1), Closed: day(2017, 10, 1), Moved: day(2017, 12, 20), Account: "Acme", Product: "Widget"},
		// Due within the quarter, 10 days overdue on 27 Dec.
		Deal{ID: "due", Owner: "ana", Stage: "Negotiation", Status: StatusOpen, Amount: 2000, AmountKnown: true,
			Created: day(2017, 11, 1), Closed: day(2017, 12, 17), Moved: day(2017, 12, 20), Account: "Acme", Product: "Widget"})
	won := 3000.0 // Oct, Nov, Dec
	tests := []struct {
		name  string
		model ForecastModel
		asOf  time.Time
		want  float64
	}{
		{"old model, 23:59 on 31 Dec (for contrast)", ForecastModelRate, endOf2017, won},
		{"old model, 27 Dec: both overdue deals at the full rate", ForecastModelRate, day(2017, 12, 27), won + (10000+2000)*0.5},
		{"27 Dec: 87 days overdue counts nothing, 10 days a third less", ForecastModelPipeline, day(2017, 12, 27), won + 2000*0.5*(1-10.0/30)},
		{"23:59 on 31 Dec: no time left", ForecastModelPipeline, endOf2017, won},
		{"23:59 on 31 Dec, with new business", ForecastModelPipelineNew, endOf2017, won},
		{"23:59 on 31 Dec, seasonal (the default)", "", endOf2017, won},
	}
	for _, tt := range tests {
		s := Compute(ds, Calendar{}, tt.asOf, Options{ForecastModel: tt.model, StaleAfterDays: 30})
		r, err := s.Rep("ana", PeriodQuarter)
		if err != nil {
			t.Fatal(err)
		}
		if !near(r.Metrics.Forecast, tt.want) {
			t.Errorf("%s: forecast = %v, want %v", tt.name, r.Metrics.Forecast, tt.want)
		}
		// A finished period's forecast is what was won.
		if ly := mustRep(t, s, "ana", PeriodLastWeek); ly.Metrics.Forecast != ly.Metrics.WonRevenue {
			t.Errorf("%s: last week's forecast %v, want its won %v", tt.name, ly.Metrics.Forecast, ly.Metrics.WonRevenue)
		}
	}
}

func mustRep(t *testing.T, s Snapshot, id RepID, kind PeriodKind) RepReport {
	t.Helper()
	r, err := s.Rep(id, kind)
	if err != nil {
		t.Fatalf("Rep(%s, %s): %v", id, kind, err)
	}
	return r
}

// TestPointInTime is finding 2: an earlier as-of, last week and previous
// periods used what happened later. A deal later lost at $0 counted $0 in
// the pipeline (and "$0" in a stale list), a later win its final value; a
// real future close date drove the forecast. Now each counts as it stood.
func TestPointInTime(t *testing.T) {
	lp := map[string]float64{"Widget": 1000}
	engaging := func(at time.Time) []StageChange { return []StageChange{{Stage: "Engaging", At: at}} }
	ds := Dataset{
		Reps:       []Rep{{ID: "ana", Name: "Ana"}},
		ListPrices: lp,
		Deals: []Deal{
			// Maven style: lost deals have close_value 0, won ones their final value.
			{ID: "lostLater", Owner: "ana", Stage: "Lost", Status: StatusLost, Amount: 0, AmountKnown: true, Product: "Widget",
				Created: day(2017, 5, 1), Closed: day(2017, 7, 10), History: append(engaging(day(2017, 5, 1)), StageChange{Stage: "Lost", At: day(2017, 7, 10)})},
			{ID: "wonLater", Owner: "ana", Stage: "Won", Status: StatusWon, Amount: 5000, AmountKnown: true, Product: "Widget",
				Created: day(2017, 6, 1), Closed: day(2017, 6, 20), History: append(engaging(day(2017, 6, 1)), StageChange{Stage: "Won", At: day(2017, 6, 20)})},
			{ID: "notYet", Owner: "ana", Stage: "Won", Status: StatusWon, Amount: 7000, AmountKnown: true, Product: "Widget",
				Created: day(2017, 6, 16), Closed: day(2017, 6, 30)},
			// No list price, no history: its last known amount stands in.
			{ID: "gadget", Owner: "ana", Stage: "Closed Lost", Status: StatusLost, Amount: 800, AmountKnown: true, Product: "Gadget",
				Created: day(2017, 6, 1), Closed: day(2017, 6, 19)},
		},
	}
	tests := []struct {
		name      string
		asOf      time.Time
		kind      PeriodKind
		open      int
		pipeline  float64
		won       float64
		stage     string
		closeDate time.Time
	}{
		// 15 Jun: lostLater, wonLater (list price 1000 each) and gadget (800) open; notYet not created.
		{"as of 15 Jun", time.Date(2017, 6, 15, 23, 59, 0, 0, time.UTC), PeriodQuarter, 3, 2800, 0, "Engaging", time.Time{}},
		// Last week as of Wed 21 Jun is 12–19 Jun, figures at its end (19 Jun 00:00): gadget closes
		// on the 19th, so it was still open then; wonLater too; notYet was created on the 16th.
		{"last week, as of 21 Jun", day(2017, 6, 21), PeriodLastWeek, 4, 3800, 0, "Engaging", time.Time{}},
		// The quarter as of 21 Jun: wonLater and gadget closed; lostLater and notYet open at list price.
		{"as of 21 Jun", day(2017, 6, 21), PeriodQuarter, 2, 2000, 5000, "", time.Time{}},
	}
	for _, tt := range tests {
		s := Compute(ds, Calendar{}, tt.asOf, Options{StaleAfterDays: 1})
		r := mustRep(t, s, "ana", tt.kind)
		m := r.Metrics
		if m.OpenDeals != tt.open || !near(m.Pipeline, tt.pipeline) || !near(m.WonRevenue, tt.won) {
			t.Errorf("%s: open %d worth %v, won %v; want %d worth %v, won %v", tt.name, m.OpenDeals, m.Pipeline, m.WonRevenue, tt.open, tt.pipeline, tt.won)
		}
		for _, d := range r.StaleDeals {
			if d.Amount == 0 {
				t.Errorf("%s: stale deal %s listed at $0", tt.name, d.ID)
			}
			if d.ID == "wonLater" && (d.Stage != tt.stage || !d.Closed.Equal(tt.closeDate) || !d.ListPrice) {
				t.Errorf("%s: wonLater shown in stage %q closing %v (list price %v), want %q, no close date, at list price", tt.name, d.Stage, d.Closed, d.ListPrice, tt.stage)
			}
		}
	}
	// The state itself, deal by deal.
	states := []struct {
		deal   int
		at     time.Time
		exists bool
		want   DealState
	}{
		{0, day(2017, 6, 15), true, DealState{Status: StatusOpen, Stage: "Engaging", Amount: 1000, ListPrice: true, LastMove: day(2017, 5, 1)}},
		{0, day(2017, 7, 10), true, DealState{Status: StatusOpen, Stage: "Engaging", Amount: 1000, ListPrice: true, LastMove: day(2017, 5, 1)}},
		{0, day(2017, 7, 11), true, DealState{Status: StatusLost, Stage: "Lost", Amount: 0, AmountKnown: true, Close: day(2017, 7, 10), LastMove: day(2017, 7, 10)}},
		{2, day(2017, 6, 16), false, DealState{}},
		{3, day(2017, 6, 2), true, DealState{Status: StatusOpen, Amount: 800, AmountKnown: true, LastMove: day(2017, 6, 1)}},
	}
	for _, tt := range states {
		got, ok := DealAt(&ds.Deals[tt.deal], tt.at, lp)
		if ok != tt.exists || got != tt.want {
			t.Errorf("DealAt(%s, %s) = %+v, %v; want %+v, %v", ds.Deals[tt.deal].ID, tt.at.Format(time.DateOnly), got, ok, tt.want, tt.exists)
		}
	}
}

// TestDefaultQuotaAndRisk is finding 3: the default quota came from less
// than 12 months of history without scaling (406 % median attainment in Q1
// 2017), and "at risk" fired on a quarter's first day and for reps with no
// deals. Now the trailing revenue is annualised over the history there is,
// and says so; nobody is at risk before 15 % of the period, and a rep with
// no deals gets a "no activity" note instead.
func TestDefaultQuotaAndRisk(t *testing.T) {
	ds := Dataset{Reps: []Rep{{ID: "ana", Manager: "Max"}, {ID: "bob", Manager: "Max"}, {ID: "cat", Manager: "Max"}}}
	// Data from 1 Mar 2017: ana wins 3000 and bob 1000 in March, and ana
	// loses one deal in Q2 on 20 Apr.
	ds.Deals = []Deal{
		wonDeal("a1", "ana", 3000, day(2017, 3, 20), 19), wonDeal("b1", "bob", 1000, day(2017, 3, 25), 24),
		{ID: "a2", Owner: "ana", Stage: "Lost", Status: StatusLost, AmountKnown: true, Created: day(2017, 3, 1), Closed: day(2017, 4, 20)},
		{ID: "b2", Owner: "bob", Stage: "Open", Status: StatusOpen, Amount: 5000, AmountKnown: true, Created: day(2017, 3, 30), Moved: day(2017, 3, 30)},
	}
	tests := []struct {
		name        string
		asOf        time.Time
		historyDays int
		quota       float64 // each rep's quarter quota
		atRisk      []RepID
		noActivity  []RepID
	}{
		// 31 Mar: 30 whole days of data; median of 3000 and 1000 = 2000, × 365/30 a year, × 90/365 for Q1.
		// ana won 3000 of 6000, bob 1000: both behind; cat had no deal at all.
		{"end of Q1", time.Date(2017, 3, 31, 23, 59, 0, 0, time.UTC), 30, 2000 * 365 / 30.0 * 90 / 365, []RepID{"ana", "bob"}, []RepID{"cat"}},
		// 1 Apr, the first day of Q2: nobody is judged yet.
		{"first day of Q2", time.Date(2017, 4, 1, 12, 0, 0, 0, time.UTC), 31, 2000 * 365 / 31.0 * 91 / 365, nil, []RepID{"cat"}},
		// 1 May, a third into Q2: ana (a loss, nothing won) and bob (an open deal) are at risk; cat had no deal at all.
		{"a third into Q2", time.Date(2017, 5, 1, 12, 0, 0, 0, time.UTC), 61, 2000 * 365 / 61.0 * 91 / 365, []RepID{"ana", "bob"}, []RepID{"cat"}},
	}
	for _, tt := range tests {
		s := Compute(ds, Calendar{}, tt.asOf, Options{})
		m := mustRep(t, s, "ana", PeriodQuarter).Metrics
		if m.QuotaHistoryDays != tt.historyDays || math.Abs(m.Quota-tt.quota) > 1e-6 || m.QuotaSource != QuotaDefault {
			t.Errorf("%s: quota %v from %d days (%s), want %v from %d days (default)", tt.name, m.Quota, m.QuotaHistoryDays, m.QuotaSource, tt.quota, tt.historyDays)
		}
		team, err := s.Team(ManagerTeam("Max"), PeriodQuarter)
		if err != nil {
			t.Fatal(err)
		}
		risk := slices.Clone(team.AtRisk)
		slices.Sort(risk)
		if !slices.Equal(risk, tt.atRisk) || !slices.Equal(team.NoActivity, tt.noActivity) {
			t.Errorf("%s: at risk %v, no activity %v; want %v, %v", tt.name, team.AtRisk, team.NoActivity, tt.atRisk, tt.noActivity)
		}
	}
}

// TestQuotaTipPastQuota is finding 4: "You need -$12,216 more to reach
// quota" for a rep already past it, whose attainment was still below the
// team's.
func TestQuotaTipPastQuota(t *testing.T) {
	tests := []struct {
		name     string
		won      float64
		want     string
		notWants []string
	}{
		{"short of quota", 8000, "You need $2,000 more to reach quota", nil},
		{"past quota", 22216, "You are past quota", []string{"-$", "need"}},
		{"exactly at quota", 10000, "You are past quota", []string{"$0 more"}},
	}
	for _, tt := range tests {
		r := RepReport{
			Period:   Period{Label: "Q4 2017"},
			Metrics:  Metrics{WonRevenue: tt.won, Quota: 10000, Attainment: tt.won / 10000, HasAttainment: true},
			Standing: Standing{TeamSize: 5, MedianAttainment: 4, Samples: map[MetricID]int{MetricAttainment: 5}},
		}
		coach(&r)
		if r.Focus == nil || r.Focus.Metric != string(MetricAttainment) {
			t.Fatalf("%s: focus %+v, want attainment", tt.name, r.Focus)
		}
		if !strings.Contains(r.Focus.Tip, tt.want) {
			t.Errorf("%s: tip %q, want it to say %q", tt.name, r.Focus.Tip, tt.want)
		}
		for _, bad := range tt.notWants {
			if strings.Contains(r.Focus.Tip, bad) {
				t.Errorf("%s: tip %q says %q", tt.name, r.Focus.Tip, bad)
			}
		}
	}
}

// TestStaleLastWeekBoundary is finding 6's second half: for last week, a
// deal that closed the next day (Monday) was dropped from the stale count,
// because its close was taken as known at the week's end.
func TestStaleLastWeekBoundary(t *testing.T) {
	hist := func(closed time.Time, final string) []StageChange {
		return []StageChange{{Stage: "Qualification", At: day(2017, 11, 1)}, {Stage: final, At: closed}}
	}
	tests := []struct {
		name   string
		closed time.Time // last week ends at Mon 25 Dec 00:00
		stale  int
	}{
		{"closed the next day, Monday", day(2017, 12, 25), 1},
		{"closed on Tuesday", day(2017, 12, 26), 1},
		{"closed on Sunday, within last week", day(2017, 12, 24), 0},
	}
	for _, tt := range tests {
		ds := Dataset{Reps: []Rep{{ID: "ana"}}, Deals: []Deal{{ID: "d", Owner: "ana", Stage: "Lost", Status: StatusLost, AmountKnown: true,
			Created: day(2017, 11, 1), Closed: tt.closed, History: hist(tt.closed, "Lost")}}}
		s := Compute(ds, Calendar{}, time.Date(2017, 12, 27, 12, 0, 0, 0, time.UTC), Options{StaleAfterDays: 10, StageOrder: []string{"Qualification"}})
		if got := mustRep(t, s, "ana", PeriodLastWeek).Metrics.StaleDeals; got != tt.stale {
			t.Errorf("%s: last week's stale deals = %d, want %d", tt.name, got, tt.stale)
		}
	}
}

// TestFinding7 covers finding 7's domain parts: team medians over nobody
// ("team median 0 %"), proration by hours across DST, and Salesforce deals
// created (loaded) after the as-of but closed before it. Rounding half up is
// in handlers/kit (TestPercentRoundsHalfUp).
func TestFinding7(t *testing.T) {
	t.Run("medians need teammates with the figure", func(t *testing.T) {
		ds := Dataset{Reps: []Rep{{ID: "ana", Manager: "Max"}, {ID: "bob", Manager: "Max"}, {ID: "cat", Manager: "Max"}},
			Deals: []Deal{wonDeal("a", "ana", 1000, day(2017, 12, 1), 10)}}
		st := mustRep(t, Compute(ds, Calendar{}, endOf2017, Options{}), "bob", PeriodQuarter).Standing
		for _, tt := range []struct {
			id   MetricID
			want bool
		}{{MetricWinRate, false}, {MetricAvgDealSize, false}, {MetricCycle, false}, {MetricWonRevenue, true}} {
			if got := st.HasMedian(tt.id); got != tt.want {
				t.Errorf("HasMedian(%s) = %v, want %v (samples %v)", tt.id, got, tt.want, st.Samples)
			}
		}
	})
	t.Run("proration by calendar days across DST", func(t *testing.T) {
		la, err := time.LoadLocation("America/Los_Angeles")
		if err != nil {
			t.Fatal(err) // zone data is embedded in this test binary (period_test.go)
		}
		cal := Calendar{Location: la}
		d := func(m time.Month, dd int) time.Time { return time.Date(2017, m, dd, 0, 0, 0, 0, la) }
		ds := Dataset{Reps: []Rep{{ID: "ana"}},
			Quotas: []Quota{{Rep: "ana", Start: d(1, 1), End: time.Date(2018, 1, 1, 0, 0, 0, 0, la), Amount: 36500}},
			Deals:  []Deal{{ID: "w", Owner: "ana", Status: StatusWon, Stage: "Won", Amount: 12600, AmountKnown: true, Created: d(2, 1), Closed: d(3, 20)}}}
		for _, tt := range []struct {
			kind  PeriodKind
			quota float64
		}{{PeriodQuarter, 9000}, {PeriodMonth, 3100}} {
			m := mustRep(t, Compute(ds, cal, time.Date(2017, 3, 31, 12, 0, 0, 0, la), Options{}), "ana", tt.kind).Metrics
			if !near(m.Quota, tt.quota) {
				t.Errorf("%s quota = %v, want %v (calendar days of 36500 a year)", tt.kind, m.Quota, tt.quota)
			}
		}
	})
	t.Run("closed before the as-of, created after it", func(t *testing.T) {
		ds := Dataset{Reps: []Rep{{ID: "005X"}}, Deals: []Deal{
			{ID: "006A", Owner: "005X", Stage: "Closed Won", Status: StatusWon, Amount: 4750000, AmountKnown: true,
				Created: time.Date(2024, 1, 22, 16, 14, 25, 0, time.UTC), Closed: day(2023, 11, 12)},
		}}
		m := mustRep(t, Compute(ds, Calendar{}, time.Date(2023, 12, 31, 23, 59, 0, 0, time.UTC), Options{}), "005X", PeriodQuarter).Metrics
		if m.WonRevenue != 4750000 || m.Won != 1 {
			t.Errorf("Q4 2023 won = %v (%d deals), want 4750000 (1)", m.WonRevenue, m.Won)
		}
	})
}

// TestCoverageLeavesOutStale is finding 8: coverage and velocity were
// inflated by deals idle for 400+ days.
func TestCoverageLeavesOutStale(t *testing.T) {
	ds := Dataset{Reps: []Rep{{ID: "ana"}},
		Quotas: []Quota{{Rep: "ana", Start: day(2017, 10, 1), End: day(2018, 1, 1), Amount: 10000}},
		Deals: []Deal{
			wonDeal("w1", "ana", 2000, day(2017, 10, 20), 20), wonDeal("w2", "ana", 2000, day(2017, 11, 20), 20),
			{ID: "l", Owner: "ana", Stage: "Lost", Status: StatusLost, AmountKnown: true, Created: day(2017, 10, 1), Closed: day(2017, 11, 1)},
			{ID: "fresh", Owner: "ana", Stage: "Negotiation", Status: StatusOpen, Amount: 3000, AmountKnown: true, Created: day(2017, 11, 20), Moved: day(2017, 11, 25)},
			{ID: "idle", Owner: "ana", Stage: "Negotiation", Status: StatusOpen, Amount: 90000, AmountKnown: true, Created: day(2016, 9, 1), Moved: day(2016, 10, 1)},
		}}
	m := mustRep(t, Compute(ds, Calendar{}, day(2017, 12, 1), Options{StaleAfterDays: 60}), "ana", PeriodQuarter).Metrics
	for _, tt := range []metric{
		{"Pipeline", m.Pipeline, 93000}, {"StalePipeline", m.StalePipeline, 90000}, {"StaleDeals", float64(m.StaleDeals), 1},
		{"Coverage", m.Coverage, 3000.0 / 6000}, // 10000 quota − 4000 won
		{"Velocity", m.Velocity, 1 * (2.0 / 3) * 2000 / 20},
	} {
		if !near(tt.got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestBacktestReplaysCompute shows the backtest scores exactly the forecast
// Compute publishes at each as-of time, and that it reports every scope.
func TestBacktestReplaysCompute(t *testing.T) {
	now := day(2017, 12, 31)
	ds := benchDataset(40, 4000, now)
	cal := Calendar{}
	for _, asOf := range []time.Time{day(2017, 8, 14), day(2017, 11, 20)} {
		q := cal.Period(PeriodQuarter, asOf)
		snap := Compute(ds, cal, asOf, Options{})
		e := newEngine(&ds, cal, now, Options{})
		got := forecastsAt(&ds, cal, asOf, Options{}, q, e.repIndex, []ForecastModel{DefaultForecastModel})[0]
		for _, r := range snap.Reps {
			if r.Period.Kind != PeriodQuarter {
				continue
			}
			if f := got[e.repIndex[r.Rep.ID]]; !near(f, r.Metrics.Forecast) {
				t.Errorf("%s as of %s: backtest forecast %v, Compute %v", r.Rep.ID, asOf.Format(time.DateOnly), f, r.Metrics.Forecast)
			}
		}
	}
	res := Backtest(ds, cal, now, Options{}, []ForecastModel{ForecastModelRate, ForecastModelSeasonal})
	if len(res.Models) != 2 || res.AsOfs == 0 {
		t.Fatalf("backtest: %d models, %d as-of times", len(res.Models), res.AsOfs)
	}
	for _, m := range res.Models {
		if len(m.Teams) != 4 || len(m.Reps) != 40 || m.Company.ByWeeksLeft[1].N == 0 {
			t.Errorf("%s: %d teams, %d reps, %d quarters scored a week before the end", m.Model, len(m.Teams), len(m.Reps), m.Company.ByWeeksLeft[1].N)
		}
	}
}
