package insights

import (
	"cmp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Team keys name the groups a TeamReport covers.
const (
	// TeamAll is the key of the report covering every rep.
	TeamAll = "all"
)

// ManagerTeam returns the team key of the reps reporting to manager.
func ManagerTeam(manager string) string { return managerPrefix + manager }

const managerPrefix = "manager:"

// IsManagerTeam reports whether key is a manager's team key (ManagerTeam).
func IsManagerTeam(key string) bool { return strings.HasPrefix(key, managerPrefix) }

// OfficeTeam returns the team key of the reps in an office or region.
func OfficeTeam(office string) string { return "office:" + office }

// Snapshot holds every report computed from one dataset at one moment: a
// RepReport for every rep and standard period, and a TeamReport for every
// manager's team, every office and all reps, for every standard period.
//
// Reps is ordered by period (in Options.Periods order), then office, then
// manager, then won revenue (highest first). A TeamReport's Members may be a
// sub-slice of Reps, sharing its memory: treat a Snapshot as read-only and
// sort a copy.
type Snapshot struct {
	AsOf  time.Time    `json:"as_of"`
	Reps  []RepReport  `json:"reps"`
	Teams []TeamReport `json:"teams"`
}

// Rep returns the report of rep for the period kind, or an error wrapping
// ErrUnknownRep when the snapshot has none.
func (s *Snapshot) Rep(rep RepID, kind PeriodKind) (RepReport, error) {
	for _, r := range s.Reps {
		if r.Rep.ID == rep && r.Period.Kind == kind {
			return r, nil
		}
	}
	return RepReport{}, ErrUnknownRep
}

// Team returns the report of the team key (TeamAll, ManagerTeam(…) or
// OfficeTeam(…)) for the period kind, or ErrUnknownTeam.
func (s *Snapshot) Team(key string, kind PeriodKind) (TeamReport, error) {
	for _, t := range s.Teams {
		if t.Team == key && t.Period.Kind == kind {
			return t, nil
		}
	}
	return TeamReport{}, ErrUnknownTeam
}

// Options tune Compute. The zero value is sensible.
type Options struct {
	// Periods are the period kinds to report; StandardPeriods when empty.
	Periods []PeriodKind
	// StageOrder lists the open pipeline stages, earliest first. When empty
	// it is derived from the data (see StageOrder).
	StageOrder []string
	// StaleAfterDays, when > 0, replaces each stage's usual time as the idle
	// time after which an open deal is stale.
	StaleAfterDays int
	// DefaultAnnualQuota, when > 0, is the yearly quota of every rep without
	// a row in Dataset.Quotas, prorated to each period. When zero such a rep's
	// yearly quota is the median, over their team, of won revenue in the 12
	// months before now.
	DefaultAnnualQuota float64
	// ForecastModel chooses the forecast model; DefaultForecastModel when
	// empty.
	ForecastModel ForecastModel
}

// Quota sources, as reported in Metrics.QuotaSource.
const (
	QuotaFromFile = "file"
	QuotaDefault  = "default"
	QuotaMixed    = "mixed" // a team with both
)

// Compute builds every report from ds as of now, using cal for periods:
// a RepReport for every rep in ds.Reps and every other owner of a deal, and
// a TeamReport for every manager's team, every office and all reps, for each
// of opts.Periods.
//
// Compute sees the data as it stood at now: deals created after now are
// ignored and a deal won or lost after now counts as open. Figures for a
// period that has ended (last week, and every Previous) are those at the end
// of that period, pipeline and stale deals included; for a period holding
// now they are those at now.
//
// Compute is fastest with ds.Deals in SortDeals order, as the store
// returns them, and breaks ties between equal figures by that order.
func Compute(ds Dataset, cal Calendar, now time.Time, opts Options) Snapshot {
	e := newEngine(&ds, cal, now, opts)
	return e.snapshot()
}

// engine holds the indexes Compute builds once and shares across periods.
type engine struct {
	ds   *Dataset
	cal  Calendar
	now  time.Time
	opts Options

	reps     []Rep
	known    []bool // rep is in ds.Reps
	repIndex map[RepID]int
	deals    [][]int32 // deal indexes by rep
	acts     [][]int32 // activity indexes by rep
	quotas   [][]Quota // by rep
	orphans  []int32   // deals without an owner

	funnel funnelModel
	// trailing12 is each rep's tally over the 12 months before now.
	trailing12 []tally
	teamRate   float64 // everyone's trailing win rate
	teamCycle  float64 // everyone's trailing median cycle, days
	annual     []float64
	firstWon   time.Time
	// historyDays is how many days of the 365 before now the data covers
	// (from its first deal created or closed), at least 1.
	historyDays int

	groupList []group
	home      []int       // each rep's standing group
	hygiene   [][]Hygiene // by group, computed once
}

func newEngine(ds *Dataset, cal Calendar, now time.Time, opts Options) *engine {
	if len(opts.Periods) == 0 {
		opts.Periods = standardPeriods
	}
	e := &engine{ds: ds, cal: cal, now: now.In(cal.Zone()), opts: opts}
	e.indexReps()
	e.indexDeals()
	e.indexActivities()
	e.funnel = newFunnelModel(ds.Deals, e.now, opts)
	e.computeTrailing()
	e.annual = e.defaultQuotas()
	return e
}

func (e *engine) indexReps() {
	e.repIndex = make(map[RepID]int, len(e.ds.Reps))
	for _, r := range e.ds.Reps {
		if _, dup := e.repIndex[r.ID]; dup || r.ID == "" {
			continue
		}
		if r.Name == "" {
			r.Name = string(r.ID)
		}
		e.repIndex[r.ID] = len(e.reps)
		e.reps = append(e.reps, r)
		e.known = append(e.known, true)
	}
	// Owners of deals that did not exist yet at now are left out: they
	// were nobody's rep then.
	var extra []RepID
	seen := map[RepID]bool{}
	for i := range e.ds.Deals {
		o := e.ds.Deals[i].Owner
		if c := e.ds.Deals[i].CreatedAt(); !c.IsZero() && !c.Before(e.now) {
			continue
		}
		if _, ok := e.repIndex[o]; !ok && o != "" && !seen[o] {
			seen[o] = true
			extra = append(extra, o)
		}
	}
	slices.Sort(extra)
	for _, o := range extra {
		e.repIndex[o] = len(e.reps)
		e.reps = append(e.reps, Rep{ID: o, Name: string(o)})
		e.known = append(e.known, false)
	}
}

// indexDeals groups deal indexes by owner in one counting pass, dropping
// deals created after now.
func (e *engine) indexDeals() {
	count := make([]int32, len(e.reps))
	owner := make([]int32, len(e.ds.Deals))
	for i := range e.ds.Deals {
		d := &e.ds.Deals[i]
		owner[i] = -1
		if c := d.CreatedAt(); !c.IsZero() && !c.Before(e.now) {
			continue
		}
		if ri, ok := e.repIndex[d.Owner]; ok {
			owner[i] = int32(ri)
			count[ri]++
		} else {
			e.orphans = append(e.orphans, int32(i))
		}
	}
	e.deals = groupBy(owner, count)
	e.quotas = make([][]Quota, len(e.reps))
	for _, q := range e.ds.Quotas {
		if ri, ok := e.repIndex[q.Rep]; ok {
			e.quotas[ri] = append(e.quotas[ri], q)
		}
	}
}

func (e *engine) indexActivities() {
	count := make([]int32, len(e.reps))
	owner := make([]int32, len(e.ds.Activities))
	for i, a := range e.ds.Activities {
		owner[i] = -1
		if ri, ok := e.repIndex[a.Owner]; ok {
			owner[i] = int32(ri)
			count[ri]++
		}
	}
	e.acts = groupBy(owner, count)
}

// groupBy returns, for each group, the indexes i with owner[i] == group,
// sharing one backing array. owner -1 means no group.
func groupBy(owner []int32, count []int32) [][]int32 {
	total := 0
	for _, c := range count {
		total += int(c)
	}
	all := make([]int32, total)
	groups := make([][]int32, len(count))
	off := 0
	for g, c := range count {
		groups[g] = all[off : off : off+int(c)]
		off += int(c)
	}
	for i, g := range owner {
		if g >= 0 {
			groups[g] = append(groups[g], int32(i))
		}
	}
	return groups
}

// span is a period with the instant its figures are taken at.
type span struct {
	p    Period
	asOf time.Time
}

func (e *engine) spanOf(p Period) span {
	asOf := e.now
	if p.End.Before(asOf) {
		asOf = p.End
	}
	return span{p: p, asOf: asOf}
}

// computeTrailing tallies each rep over the 12 months before now; the result
// weights forecasts and sets default quotas.
func (e *engine) computeTrailing() {
	sp := span{p: Period{Kind: PeriodCustom, Start: e.now.AddDate(-1, 0, 0), End: e.now}, asOf: e.now}
	e.trailing12 = make([]tally, len(e.reps))
	var all tally
	for ri := range e.reps {
		t := e.tallyRep(ri, sp, nil, 0, 0, 0)
		e.trailing12[ri] = tally{won: t.won, lost: t.lost, wonRevenue: t.wonRevenue, cycles: t.cycles, deals: len(e.deals[ri])}
		all.won += t.won
		all.lost += t.lost
		all.cycles = append(all.cycles, t.cycles...)
	}
	if all.won+all.lost > 0 {
		e.teamRate = float64(all.won) / float64(all.won+all.lost)
	}
	e.teamCycle = median(all.cycles)
	for ri := range e.trailing12 {
		t := &e.trailing12[ri]
		t.medianCycle = median(t.cycles)
		t.cycles = nil
	}
	var first time.Time
	for i := range e.ds.Deals {
		d := &e.ds.Deals[i]
		if d.Status == StatusWon && Visible(d.Closed, e.now) && (e.firstWon.IsZero() || d.Closed.Before(e.firstWon)) {
			e.firstWon = d.Closed
		}
		for _, t := range []time.Time{d.CreatedAt(), d.Closed} {
			if d.Status == StatusOpen && t.Equal(d.Closed) {
				continue // an expected close date is no event
			}
			if Visible(t, e.now) && (first.IsZero() || t.Before(first)) {
				first = t
			}
		}
	}
	e.historyDays = 365
	if !first.IsZero() {
		e.historyDays = min(365, max(1, wholeDays(first, e.now, e.cal.Zone())))
	}
}

// forecastRate is the win rate that weights rep ri's open deals: their own
// over the last 12 months, or everyone's when they closed none.
func (e *engine) forecastRate(ri int) float64 {
	t := e.trailing12[ri]
	if t.won+t.lost == 0 {
		return e.teamRate
	}
	return float64(t.won) / float64(t.won+t.lost)
}

// repFactor scales chances learnt over everyone to rep ri: their trailing
// win rate, blended with repShrink closed deals at everyone's rate, ÷
// everyone's rate; 1 when nobody closed anything.
func (e *engine) repFactor(ri int) float64 {
	if e.teamRate <= 0 {
		return 1
	}
	t := e.trailing12[ri]
	blended := (float64(t.won) + repShrink*e.teamRate) / (float64(t.won+t.lost) + repShrink)
	return blended / e.teamRate
}

// expectedCycle is the days rep ri's deals usually take to close.
func (e *engine) expectedCycle(ri int) float64 {
	if c := e.trailing12[ri].medianCycle; c > 0 {
		return c
	}
	return e.teamCycle
}

func (e *engine) snapshot() Snapshot {
	kinds := e.opts.Periods
	// Tally every rep for every distinct span in one pass per rep, so that
	// a rep's deals are read while they are in cache.
	var spans []span
	var weeks [][]time.Time
	index := func(sp span) int {
		for i, s := range spans {
			if s.p.Start.Equal(sp.p.Start) && s.p.End.Equal(sp.p.End) && s.asOf.Equal(sp.asOf) {
				return i
			}
		}
		spans = append(spans, sp)
		weeks = append(weeks, nil)
		return len(spans) - 1
	}
	type pair struct {
		cur, prev   span
		icur, iprev int
	}
	pairs := make([]pair, len(kinds))
	for k, kind := range kinds {
		cur := e.spanOf(e.cal.Period(kind, e.now))
		prev := e.spanOf(e.cal.Previous(cur.p))
		// While cur runs, compare it with the previous period at the same
		// point (Monday to Thursday noon against Monday to Thursday noon),
		// not with the whole of it.
		if at := prev.p.Start.Add(cur.asOf.Sub(cur.p.Start)); cur.asOf.Before(cur.p.End) && at.Before(prev.asOf) {
			prev.asOf = at
		}
		pairs[k] = pair{cur: cur, prev: prev, icur: index(cur), iprev: index(prev)}
		weeks[pairs[k].icur] = e.weekWindow(cur)
	}
	tallies := make([][]tally, len(spans))
	var running []Period
	for i := range tallies {
		tallies[i] = make([]tally, len(e.reps))
		if spans[i].asOf.Equal(e.now) {
			running = append(running, spans[i].p)
		}
	}
	fc := e.newForecastModel(running)
	e.parallel(len(e.reps), func(ri int) {
		rate, factor, cycle := e.forecastRate(ri), e.repFactor(ri), e.expectedCycle(ri)
		for si, sp := range spans {
			// Forecasts are published for the periods running now only;
			// the model knows what was known now, not at other times.
			var f *forecastModel
			if sp.asOf.Equal(e.now) {
				f = fc
			}
			t := e.tallyRep(ri, sp, f, rate, factor, cycle)
			t.quota, t.source = e.quotaFor(ri, sp.p)
			if t.source == QuotaDefault && e.opts.DefaultAnnualQuota <= 0 && e.historyDays < 365 {
				t.quotaDays = e.historyDays
			}
			t.weekly = e.weeklyWon(ri, weeks[si], sp)
			tallies[si][ri] = t
		}
	})
	n := len(e.reps)
	s := Snapshot{AsOf: e.now, Reps: make([]RepReport, n*len(kinds))}
	for k, pr := range pairs {
		out := s.Reps[k*n : (k+1)*n : (k+1)*n]
		teams := e.reportsFor(pr.cur, pr.prev, tallies[pr.icur], tallies[pr.iprev], weeks[pr.icur], out)
		s.Teams = append(s.Teams, teams...)
	}
	return s
}

// reportsFor builds every rep report for the span cur into out, in snapshot
// order, and returns the team reports. prev is the period before cur; the
// tallies are by rep index.
func (e *engine) reportsFor(cur, prev span, tallies, prevTallies []tally, weeks []time.Time, out []RepReport) []TeamReport {
	reports := make([]RepReport, len(e.reps))
	e.parallel(len(e.reps), func(ri int) {
		reports[ri] = RepReport{
			Rep:        e.reps[ri],
			Period:     cur.p,
			AsOf:       cur.asOf,
			Metrics:    tallies[ri].metrics(cur),
			Previous:   prevTallies[ri].metrics(prev),
			StaleDeals: e.staleRefs(tallies[ri].stalest, cur.asOf),
		}
		// The coverage a rep needs follows their steadier trailing win
		// rate, as the forecast does, not one period's few deals.
		if rate := e.forecastRate(ri); rate > 0 {
			reports[ri].Metrics.NeededCoverage = 1 / rate
		}
	})
	groups := e.groups()
	e.standings(reports, groups)
	for ri := range reports {
		coach(&reports[ri])
	}
	order := e.repOrder(reports)
	pos := make([]int, len(order))
	for i, ri := range order {
		out[i] = reports[ri]
		pos[ri] = i
	}
	return e.teamReports(cur, out, pos, tallies, groups, weeks)
}

// parallel calls f(i) for i in [0, n) on up to GOMAXPROCS goroutines and
// returns when all calls have. f must only write its own i's results.
func (e *engine) parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/64+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(i)
			}
		})
	}
	wg.Wait()
}

// repOrder orders reps by office, manager, won revenue (highest first),
// name and ID, so that teams are runs of the order.
func (e *engine) repOrder(reports []RepReport) []int {
	order := make([]int, len(reports))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ra, rb := &reports[a], &reports[b]
		return cmp.Or(
			cmp.Compare(ra.Rep.Team, rb.Rep.Team),
			cmp.Compare(ra.Rep.Manager, rb.Rep.Manager),
			cmp.Compare(rb.Metrics.WonRevenue, ra.Metrics.WonRevenue),
			cmp.Compare(ra.Rep.Name, rb.Rep.Name),
			cmp.Compare(ra.Rep.ID, rb.Rep.ID),
		)
	})
	return order
}
