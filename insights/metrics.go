package insights

import (
	"math"
	"slices"
	"sort"
	"time"
)

// MetricID names a metric. It is the key of its Definition and the Metric of
// a Finding.
type MetricID string

// The metrics RepCoach computes.
const (
	MetricWonRevenue      MetricID = "won_revenue"
	MetricAttainment      MetricID = "attainment"
	MetricWinRate         MetricID = "win_rate"
	MetricAvgDealSize     MetricID = "avg_deal_size"
	MetricMedianDealSize  MetricID = "median_deal_size"
	MetricCycle           MetricID = "cycle"
	MetricPipeline        MetricID = "pipeline"
	MetricCoverage        MetricID = "coverage"
	MetricVelocity        MetricID = "velocity"
	MetricForecast        MetricID = "forecast"
	MetricStageConversion MetricID = "stage_conversion"
	MetricStale           MetricID = "stale"
	MetricActivity        MetricID = "activity"
)

// Definition says what a metric means, once, for code and for the help text
// users read.
type Definition struct {
	ID   MetricID `json:"id"`
	Name string   `json:"name"`
	// Formula is the user-facing one-line definition.
	Formula string `json:"formula"`
	// HigherIsBetter is false for metrics a rep should bring down (sales
	// cycle, stale deals).
	HigherIsBetter bool `json:"higher_is_better"`
}

// definitions lists every metric in the order help shows them. It is the
// single source of their meaning; Compute implements exactly these.
var definitions = []Definition{
	{MetricWonRevenue, "Won revenue", "total value of deals won (closed as won) in the period; a closed deal counts by its close date.", true},
	{MetricAttainment, "Quota attainment", "won revenue ÷ quota for the period. Quotas come from the quota file, prorated by calendar days; without one, RepCoach uses a default (a set yearly quota, or the team's median won revenue over the last 12 months, annualised when the data covers less, and says from how many days), prorated, and says so. Someone is at risk under 80 % of the pace to quota with a forecast short of it, and only once 15 % of the period has gone; someone with no deal in the period gets a \"no deals\" note instead.", true},
	{MetricWinRate, "Win rate", "deals won ÷ deals closed (won + lost) in the period; open deals are left out.", true},
	{MetricAvgDealSize, "Average deal size", "won revenue ÷ number of deals won in the period.", true},
	{MetricMedianDealSize, "Median deal size", "the middle value of the deals won in the period, so one huge deal does not skew it.", true},
	{MetricCycle, "Sales cycle", "median days from a deal's creation (or engagement) to its close, over deals won in the period.", false},
	{MetricPipeline, "Pipeline", "number and total value of deals open at the as-of time (for a past period, at its end), whatever their close date, each as it stood then; a deal with no amount then counts at its product's list price (or its last known amount).", true},
	{MetricCoverage, "Pipeline coverage", "open pipeline without stale deals ÷ quota still to win this period; you need about 1 ÷ your win rate over the last 12 months (at 25 %, 4×).", true},
	{MetricVelocity, "Pipeline velocity", "open deals that are not stale × win rate × average deal size ÷ sales-cycle days: revenue the pipeline produces per day.", true},
	{MetricForecast, "Forecast", "won so far, plus each open deal that can still close in the time left × its chance of being won in it (the CRM's probability where it has one; else, at the same point of past periods, the share of deals of the same stage and age won by the period's end), plus what deals created this late in past periods won by their end. Deals due after the period, stale ones and long-overdue ones count nothing. Best case counts those deals at full value; commit (where the CRM commits deals) only committed ones. A finished period's forecast is what was won.", true},
	{MetricStageConversion, "Stage conversion", "deals reaching the next stage ÷ deals that entered the stage and left it; the lowest is the team's bottleneck, named only when at least two stages have 30 such deals and the lowest loses some.", true},
	{MetricStale, "Stale deals", "open deals with no movement for more whole days than deals usually spend in their stage (80 % of deals move sooner), or than a number of days sales ops set.", false},
	{MetricActivity, "Activity", "calls, emails and meetings logged in the CRM during the period.", true},
}

// Definitions returns every metric's definition, in the order help shows
// them; the slice is the caller's.
func Definitions() []Definition { return slices.Clone(definitions) }

// DefinitionOf returns the definition of id and whether there is one.
func DefinitionOf(id MetricID) (Definition, bool) {
	for _, d := range definitions {
		if d.ID == id {
			return d, true
		}
	}
	return Definition{}, false
}

// maxListed caps the deals a report lists (stale deals, hygiene examples).
const maxListed = 5

// tally accumulates one rep's, or a team's, deals for one span. Teams merge
// their members' tallies.
type tally struct {
	wonRevenue float64
	won, lost  int
	wonAmounts []float64
	cycles     []float64 // days, won deals with both dates
	open       int
	pipeline   float64
	// Forecast parts: open deals weighted by their chance of being won in
	// the period (likely), at full value when they can close in it (best),
	// and those the CRM commits (commit); newBiz is the run rate of deals
	// not yet created. hasCommit: the CRM gave probabilities or categories.
	likely, best, commit, newBiz float64
	hasCommit                    bool
	stale                        int
	stalePipeline                float64
	stalest                      []staleDeal // the maxListed stalest, stalest first
	activities                   map[ActivityKind]int
	biggest                      float64
	biggestAt                    int32   // deal index of the biggest win, -1 if none
	reached                      []int32 // funnel: deals whose furthest stage is k
	openAt                       []int32 // funnel: of those, the ones still open there
	quota                        float64
	quotaDays                    int // see Metrics.QuotaHistoryDays
	source                       string
	weekly                       []float64

	// Trailing-window figures only.
	deals       int
	medianCycle float64
}

type staleDeal struct {
	deal      int32
	idle      int // whole days
	stage     int
	amount    float64 // value at the as-of time
	listPrice bool    // amount is the product's list price
}

// tallyRep adds up rep ri's deals and activities for sp, each deal as it
// stood at sp.asOf (DealAt). fc weights open deals for the forecast (nil
// for no forecast); rate is the rep's trailing win rate, repFactor scales
// learnt chances to the rep and cycleDays is the rep's usual cycle.
func (e *engine) tallyRep(ri int, sp span, fc *forecastModel, rate, repFactor, cycleDays float64) tally {
	t := tally{biggestAt: -1}
	if n := len(e.funnel.stages); n > 0 {
		t.reached, t.openAt = make([]int32, n), make([]int32, n)
	}
	for _, di := range e.deals[ri] {
		e.addDeal(&t, di, sp, fc, rate, repFactor, cycleDays)
	}
	for _, ai := range e.acts[ri] {
		a := &e.ds.Activities[ai]
		if !a.At.Before(sp.p.Start) && a.At.Before(sp.asOf) {
			if t.activities == nil {
				t.activities = map[ActivityKind]int{}
			}
			t.activities[a.Kind]++
		}
	}
	if fc != nil {
		t.newBiz = fc.newBusiness(e, ri, sp.p, sp.asOf)
	}
	return t
}

// addDeal adds deal di to t as it stood at sp.asOf (DealAt). A deal counts
// when it closed in the period before asOf, or was open at asOf.
func (e *engine) addDeal(t *tally, di int32, sp span, fc *forecastModel, rate, repFactor, cycleDays float64) {
	d := &e.ds.Deals[di]
	asOf := sp.asOf
	s, ok := DealAt(d, asOf, e.ds.ListPrices)
	if !ok {
		return
	}
	if !s.Open() {
		if s.Close.Before(sp.p.Start) {
			return
		}
		if s.Status == StatusWon {
			t.addWon(d, di)
		} else {
			t.lost++
		}
		t.addReached(e.funnel.reachedClosed(d, di, asOf))
		return
	}
	t.open++
	t.pipeline += s.Amount
	stage := e.funnel.stageOfState(d, di, &s)
	idle := e.idleDays(s.LastMove, asOf)
	stale := idle >= 0 && float64(idle) > days(e.funnel.staleAfter(stage))
	if stale {
		t.stale++
		t.stalePipeline += s.Amount
		t.keepStale(staleDeal{deal: di, idle: idle, stage: stage, amount: s.Amount, listPrice: s.ListPrice})
	}
	if fc != nil {
		f := fc.weigh(d, &s, stage, sp.p, asOf, rate, repFactor, cycleDays, stale)
		t.likely += f.likely
		t.best += f.best
		t.commit += f.commit
		if s.HasProbability || s.ForecastCategory != "" {
			t.hasCommit = true
		}
	}
	k := e.funnel.reachedOpen(d, stage, asOf)
	t.addReached(k)
	if k >= 0 && k < len(t.openAt) {
		t.openAt[k]++
	}
}

// idleDays is the whole calendar days, in the team's zone, from last to
// asOf (a deal that moved on 1 Dec is idle 30 days on 31 Dec, whatever the
// hour); -1 when last is unknown.
func (e *engine) idleDays(last, asOf time.Time) int {
	if last.IsZero() {
		return -1
	}
	return wholeDays(last, asOf, e.cal.Zone())
}

// wholeDays is the number of whole calendar days from from to to in loc:
// the days between their dates, less one when to's clock is earlier in its
// day than from's. Calendar days, not 24-hour spans, so a DST change does
// not move it.
func wholeDays(from, to time.Time, loc *time.Location) int {
	f, t := from.In(loc), to.In(loc)
	n := daysBetweenDates(f, t)
	if clock(t) < clock(f) {
		n--
	}
	return max(n, 0)
}

func daysBetweenDates(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	x := time.Date(ay, am, ad, 12, 0, 0, 0, time.UTC)
	y := time.Date(by, bm, bd, 12, 0, 0, 0, time.UTC)
	return int(y.Sub(x).Round(24*time.Hour) / (24 * time.Hour))
}

func clock(t time.Time) time.Duration {
	h, m, s := t.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
}

func (t *tally) addWon(d *Deal, di int32) {
	t.won++
	t.wonRevenue += d.Amount
	t.wonAmounts = append(t.wonAmounts, d.Amount)
	if c := d.CreatedAt(); !c.IsZero() && !d.Closed.Before(c) {
		t.cycles = append(t.cycles, days(d.Closed.Sub(c)))
	}
	if t.biggestAt < 0 || d.Amount > t.biggest {
		t.biggest, t.biggestAt = d.Amount, di
	}
}

func (t *tally) addReached(k int) {
	if k >= 0 && k < len(t.reached) {
		t.reached[k]++
	}
}

// keepStale keeps s if it is among the maxListed stalest, most idle first
// (ties: lower deal index first).
func (t *tally) keepStale(s staleDeal) {
	i := len(t.stalest)
	for i > 0 && staler(s, t.stalest[i-1]) {
		i--
	}
	if i >= maxListed {
		return
	}
	if t.stalest == nil {
		t.stalest = make([]staleDeal, 0, maxListed)
	}
	if len(t.stalest) < maxListed {
		t.stalest = append(t.stalest, staleDeal{})
	}
	copy(t.stalest[i+1:], t.stalest[i:])
	t.stalest[i] = s
}

func staler(a, b staleDeal) bool {
	if a.idle != b.idle {
		return a.idle > b.idle
	}
	return a.deal < b.deal
}

// mergeAll returns the sum of the tallies of reps, allocating each list
// once.
func mergeAll(tallies []tally, reps []int) tally {
	var won, cycles int
	for _, ri := range reps {
		won += len(tallies[ri].wonAmounts)
		cycles += len(tallies[ri].cycles)
	}
	t := tally{biggestAt: -1, wonAmounts: make([]float64, 0, won), cycles: make([]float64, 0, cycles)}
	for _, ri := range reps {
		t.merge(&tallies[ri])
	}
	return t
}

// merge adds o's figures to t, for team totals.
func (t *tally) merge(o *tally) {
	t.wonRevenue += o.wonRevenue
	t.won += o.won
	t.lost += o.lost
	t.wonAmounts = append(t.wonAmounts, o.wonAmounts...)
	t.cycles = append(t.cycles, o.cycles...)
	t.open += o.open
	t.pipeline += o.pipeline
	t.likely += o.likely
	t.best += o.best
	t.commit += o.commit
	t.newBiz += o.newBiz
	t.hasCommit = t.hasCommit || o.hasCommit
	t.stale += o.stale
	t.stalePipeline += o.stalePipeline
	for _, s := range o.stalest {
		t.keepStale(s)
	}
	for k, n := range o.activities {
		if t.activities == nil {
			t.activities = map[ActivityKind]int{}
		}
		t.activities[k] += n
	}
	if o.biggestAt >= 0 && (t.biggestAt < 0 || o.biggest > t.biggest) {
		t.biggest, t.biggestAt = o.biggest, o.biggestAt
	}
	if t.reached == nil && o.reached != nil {
		t.reached, t.openAt = make([]int32, len(o.reached)), make([]int32, len(o.reached))
	}
	for k, n := range o.reached {
		t.reached[k] += n
	}
	for k, n := range o.openAt {
		t.openAt[k] += n
	}
	t.quota += o.quota
	t.quotaDays = max(t.quotaDays, o.quotaDays)
	switch {
	case t.source == "":
		t.source = o.source
	case o.source != "" && o.source != t.source:
		t.source = QuotaMixed
	}
	if t.weekly == nil && o.weekly != nil {
		t.weekly = make([]float64, len(o.weekly))
	}
	for i, v := range o.weekly {
		t.weekly[i] += v
	}
}

// metrics turns a tally into the figures DESIGN.md defines; see Metrics and
// definitions. It sorts t's won amounts and cycles in place.
func (t *tally) metrics(sp span) Metrics {
	m := Metrics{
		WonRevenue:       t.wonRevenue,
		Won:              t.won,
		Lost:             t.lost,
		OpenDeals:        t.open,
		Pipeline:         t.pipeline,
		StalePipeline:    t.stalePipeline,
		Quota:            t.quota,
		QuotaSource:      t.source,
		QuotaHistoryDays: t.quotaDays,
		Activities:       t.activities,
		StaleDeals:       t.stale,
	}
	if t.won+t.lost > 0 {
		m.WinRate, m.HasWinRate = float64(t.won)/float64(t.won+t.lost), true
	}
	if t.won > 0 {
		m.AvgDealSize = t.wonRevenue / float64(t.won)
		m.MedianDealSize = median(t.wonAmounts)
	}
	if len(t.cycles) > 0 {
		m.MedianCycleDays, m.HasCycle = median(t.cycles), true
	}
	if t.quota > 0 {
		m.Attainment, m.HasAttainment = t.wonRevenue/t.quota, true
	}
	if remaining := t.quota - t.wonRevenue; t.quota > 0 && remaining > 0 && sp.asOf.Before(sp.p.End) {
		m.Coverage, m.HasCoverage = (t.pipeline-t.stalePipeline)/remaining, true
	}
	if m.WinRate > 0 {
		m.NeededCoverage = 1 / m.WinRate
	}
	if m.HasWinRate && m.HasCycle {
		m.Velocity = float64(t.open-t.stale) * m.WinRate * m.AvgDealSize / max(m.MedianCycleDays, 1)
	}
	m.Forecast = t.wonRevenue + t.likely + t.newBiz
	m.ForecastNew = t.newBiz
	m.ForecastBest = t.wonRevenue + t.best + t.newBiz
	m.ForecastCommit, m.HasCommit = t.wonRevenue+t.commit, t.hasCommit
	return m
}

// days converts a duration to days (24 hours each).
func days(d time.Duration) float64 { return d.Hours() / 24 }

// median returns the median of xs, sorting xs in place; zero when empty.
func median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	sort.Float64s(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 1) of xs,
// sorting xs in place; zero when empty.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	i := int(math.Ceil(p*float64(len(xs)))) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}
