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
	{MetricWonRevenue, "Won revenue", "total value of deals won (closed as won) in the period.", true},
	{MetricAttainment, "Quota attainment", "won revenue ÷ quota for the period. Quotas come from the quota file, prorated by days; without one, RepCoach uses a default (a set yearly quota, or the team's median yearly won revenue), prorated, and says so.", true},
	{MetricWinRate, "Win rate", "deals won ÷ deals closed (won + lost) in the period; open deals are left out.", true},
	{MetricAvgDealSize, "Average deal size", "won revenue ÷ number of deals won in the period.", true},
	{MetricMedianDealSize, "Median deal size", "the middle value of the deals won in the period, so one huge deal does not skew it.", true},
	{MetricCycle, "Sales cycle", "median days from a deal's creation (or engagement) to its close, over deals won in the period.", false},
	{MetricPipeline, "Pipeline", "number and total value of open deals right now, whatever their close date.", true},
	{MetricCoverage, "Pipeline coverage", "open pipeline ÷ quota still to win this period; you need about 1 ÷ your win rate over the last 12 months (at 25 %, 4×).", true},
	{MetricVelocity, "Pipeline velocity", "open deals × win rate × average deal size ÷ sales-cycle days: revenue the pipeline produces per day.", true},
	{MetricForecast, "Forecast", "won so far plus open deals expected to close this period, each weighted by your win rate over the last 12 months.", true},
	{MetricStageConversion, "Stage conversion", "deals reaching the next stage ÷ deals entering the stage; the lowest is the team's bottleneck.", true},
	{MetricStale, "Stale deals", "open deals with no movement for longer than deals usually spend in their stage (80 % of deals move sooner), or than a number of days sales ops set.", false},
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
	inPeriod   float64 // open pipeline expected to close in the period
	weighted   float64 // inPeriod, each deal weighted by its rep's win rate
	stale      int
	stalest    []staleDeal // the maxListed stalest, stalest first
	activities map[ActivityKind]int
	biggest    float64
	biggestAt  int32   // deal index of the biggest win, -1 if none
	reached    []int32 // funnel: deals whose furthest stage is k
	openAt     []int32 // funnel: of those, the ones still open there
	quota      float64
	source     string
	weekly     []float64

	// Trailing-window figures only.
	deals       int
	medianCycle float64
}

type staleDeal struct {
	deal  int32
	idle  time.Duration
	stage int
}

// tallyRep adds up rep ri's deals and activities for sp. rate weights open
// deals expected to close in the period (the forecast); cycleDays dates open
// deals that have no close date (created + cycleDays).
func (e *engine) tallyRep(ri int, sp span, rate, cycleDays float64) tally {
	t := tally{biggestAt: -1}
	if n := len(e.funnel.stages); n > 0 {
		t.reached, t.openAt = make([]int32, n), make([]int32, n)
	}
	for _, di := range e.deals[ri] {
		e.addDeal(&t, di, sp, rate, cycleDays)
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
	return t
}

// addDeal adds deal di to t as the deal stood at sp.asOf. A deal counts when
// it closed in the period before asOf, or was open at asOf.
func (e *engine) addDeal(t *tally, di int32, sp span, rate, cycleDays float64) {
	d := &e.ds.Deals[di]
	asOf := sp.asOf
	if !d.Created.IsZero() && !d.Created.Before(asOf) {
		return
	}
	if d.Status != StatusOpen && (d.Closed.IsZero() || d.Closed.Before(asOf)) {
		if d.Closed.IsZero() || d.Closed.Before(sp.p.Start) {
			return
		}
		if d.Status == StatusWon {
			t.addWon(d, di)
		} else {
			t.lost++
		}
		t.addReached(e.funnel.reachedClosed(d, di, asOf))
		return
	}
	value := e.openValue(d)
	t.open++
	t.pipeline += value
	if sp.p.Contains(expectedClose(d, asOf, cycleDays)) {
		t.inPeriod += value
		t.weighted += value * rate
	}
	stage := e.funnel.stageAt(d, di, asOf)
	if last := lastMove(d, asOf); !last.IsZero() {
		if idle := asOf.Sub(last); idle > e.funnel.staleAfter(stage) {
			t.stale++
			t.keepStale(staleDeal{deal: di, idle: idle, stage: stage})
		}
	}
	k := e.funnel.reachedOpen(d, stage, asOf)
	t.addReached(k)
	if k >= 0 && k < len(t.openAt) {
		t.openAt[k]++
	}
}

// openValue is what an open deal is worth to the pipeline: its amount, or
// when the CRM left that blank, its product's list price (zero if unknown).
func (e *engine) openValue(d *Deal) float64 {
	if d.AmountKnown || d.Amount != 0 {
		return d.Amount
	}
	return e.ds.ListPrices[d.Product]
}

func (t *tally) addWon(d *Deal, di int32) {
	t.won++
	t.wonRevenue += d.Amount
	t.wonAmounts = append(t.wonAmounts, d.Amount)
	if !d.Created.IsZero() && !d.Closed.Before(d.Created) {
		t.cycles = append(t.cycles, days(d.Closed.Sub(d.Created)))
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

// expectedClose is when an open deal is expected to close: its close date,
// else created + cycleDays; a date before asOf (overdue) is rolled forward to
// asOf, because the deal is still to be won now. Zero if unknown.
func expectedClose(d *Deal, asOf time.Time, cycleDays float64) time.Time {
	exp := d.Closed
	if exp.IsZero() {
		if d.Created.IsZero() || cycleDays <= 0 {
			return time.Time{}
		}
		exp = d.Created.Add(time.Duration(cycleDays * float64(24*time.Hour)))
	}
	if exp.Before(asOf) {
		return asOf
	}
	return exp
}

// lastMove is the last time, at or before asOf, the deal moved: Moved, else
// its latest stage change, else Created; zero if unknown.
func lastMove(d *Deal, asOf time.Time) time.Time {
	if !d.Moved.IsZero() && !d.Moved.After(asOf) {
		return d.Moved
	}
	for i := len(d.History) - 1; i >= 0; i-- {
		if at := d.History[i].At; !at.After(asOf) {
			if at.Before(d.Created) {
				return d.Created
			}
			return at
		}
	}
	return d.Created
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
	t.inPeriod += o.inPeriod
	t.weighted += o.weighted
	t.stale += o.stale
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
		PipelineInPeriod: t.inPeriod,
		Quota:            t.quota,
		QuotaSource:      t.source,
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
		m.Coverage, m.HasCoverage = t.pipeline/remaining, true
	}
	if m.WinRate > 0 {
		m.NeededCoverage = 1 / m.WinRate
	}
	if m.HasWinRate && m.HasCycle {
		m.Velocity = float64(t.open) * m.WinRate * m.AvgDealSize / max(m.MedianCycleDays, 1)
	}
	m.Forecast = t.wonRevenue + t.weighted
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
