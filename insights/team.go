package insights

import (
	"cmp"
	"slices"
	"sort"
	"time"
)

// Quota pace thresholds. Pace = Attainment ÷ the elapsed share of the period
// (1 = exactly on pace to reach quota by the period's end).
const (
	// aheadPace: a rep at 110 % of pace or more is ahead.
	aheadPace = 1.1
	// riskPace: a rep under 80 % of pace whose forecast is also below quota
	// is at risk.
	riskPace = 0.8
	// minJudged is the share of a period that must have passed before
	// anyone is called at risk: before it, a deal or two decides pace.
	minJudged = 0.15
	// weeksShown is how many weeks WeeklyWon covers at most.
	weeksShown = 12
)

type groupKind int

const (
	groupAll groupKind = iota
	groupOffice
	groupManager
)

// group is a set of reps a TeamReport covers.
type group struct {
	kind    groupKind
	key     string
	name    string // manager or office name; "all reps" for everyone
	manager string
	members []int // rep indexes
}

// groups returns all reps, then every office, then every manager's team,
// each sorted by name. It is computed once.
func (e *engine) groups() []group {
	if e.groupList != nil {
		return e.groupList
	}
	all := group{kind: groupAll, key: TeamAll, name: "all reps"}
	offices, managers := map[string][]int{}, map[string][]int{}
	for ri, r := range e.reps {
		all.members = append(all.members, ri)
		if r.Team != "" {
			offices[r.Team] = append(offices[r.Team], ri)
		}
		if r.Manager != "" {
			managers[r.Manager] = append(managers[r.Manager], ri)
		}
	}
	gs := []group{all}
	for _, name := range sortedKeys(offices) {
		gs = append(gs, group{kind: groupOffice, key: OfficeTeam(name), name: name, members: offices[name]})
	}
	for _, name := range sortedKeys(managers) {
		gs = append(gs, group{kind: groupManager, key: ManagerTeam(name), name: name, manager: name, members: managers[name]})
	}
	e.home = make([]int, len(e.reps))
	for gi, g := range gs {
		for _, ri := range g.members {
			e.home[ri] = gi // managers come last, so they win
		}
	}
	e.groupList = gs
	return gs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// standings sets every rep's Standing against their home team: their
// manager's team, else their office, else all reps.
func (e *engine) standings(reports []RepReport, groups []group) {
	for gi, g := range groups {
		ms := make([]*Metrics, len(g.members))
		for i, ri := range g.members {
			ms[i] = &reports[ri].Metrics
		}
		base := teamStanding(ms)
		base.Team, base.TeamName, base.TeamSize = g.key, g.name, len(g.members)
		rank := ranks(ms)
		for i, ri := range g.members {
			if e.home[ri] != gi {
				continue
			}
			s := base
			s.Rank = rank[i]
			s.Percentile = percentileOfRank(rank[i], len(ms))
			reports[ri].Standing = s
		}
	}
}

// teamStanding returns the medians of ms's headline figures. Each median is
// over the members that have the figure: win rate over those with a closed
// deal, deal size over those with a win, and so on; won revenue and
// activities over all.
func teamStanding(ms []*Metrics) Standing {
	won := make([]float64, 0, len(ms))
	acts := make([]float64, 0, len(ms))
	var rate, size, cycle, att, cov, stale []float64
	for _, m := range ms {
		won = append(won, m.WonRevenue)
		acts = append(acts, float64(activityCount(*m)))
		if m.HasWinRate {
			rate = append(rate, m.WinRate)
		}
		if m.Won > 0 {
			size = append(size, m.AvgDealSize)
		}
		if m.HasCycle {
			cycle = append(cycle, m.MedianCycleDays)
		}
		if m.HasAttainment {
			att = append(att, m.Attainment)
		}
		if m.HasCoverage {
			cov = append(cov, m.Coverage)
		}
		if m.OpenDeals > 0 {
			stale = append(stale, staleShare(*m))
		}
	}
	return Standing{
		Samples: map[MetricID]int{
			MetricWonRevenue: len(won), MetricActivity: len(acts), MetricWinRate: len(rate),
			MetricAvgDealSize: len(size), MetricCycle: len(cycle), MetricAttainment: len(att),
			MetricCoverage: len(cov), MetricStale: len(stale),
		},
		MedianWonRevenue: median(won),
		MedianWinRate:    median(rate),
		MedianDealSize:   median(size),
		MedianCycleDays:  median(cycle),
		MedianAttainment: median(att),
		MedianCoverage:   median(cov),
		MedianStaleShare: median(stale),
		MedianActivities: median(acts),
	}
}

// ranks returns each entry's rank by won revenue, highest first; ties share
// the better rank (1, 2, 2, 4).
func ranks(ms []*Metrics) []int {
	order := make([]int, len(ms))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ms[order[a]].WonRevenue > ms[order[b]].WonRevenue })
	rank := make([]int, len(ms))
	for i, idx := range order {
		if i > 0 && ms[idx].WonRevenue == ms[order[i-1]].WonRevenue {
			rank[idx] = rank[order[i-1]]
		} else {
			rank[idx] = i + 1
		}
	}
	return rank
}

// percentileOfRank is the share of the others a rank is ahead of or level
// with, 0–100: rank 1 is 100, last is 0, a team of one is 100.
func percentileOfRank(rank, size int) float64 {
	if size <= 1 {
		return 100
	}
	return 100 * float64(size-rank) / float64(size-1)
}

func activityCount(m Metrics) int {
	n := 0
	for _, c := range m.Activities {
		n += c
	}
	return n
}

// staleShare is the share of open deals that are stale.
func staleShare(m Metrics) float64 {
	if m.OpenDeals == 0 {
		return 0
	}
	return float64(m.StaleDeals) / float64(m.OpenDeals)
}

// teamReports builds a TeamReport per group for the span cur. sorted holds
// the rep reports in snapshot order and pos maps a rep index to its place.
func (e *engine) teamReports(cur span, sorted []RepReport, pos []int, tallies []tally, groups []group, weeks []time.Time) []TeamReport {
	teams := make([]TeamReport, len(groups))
	for gi, g := range groups {
		total := mergeAll(tallies, g.members)
		members := membersOf(g, sorted, pos)
		ms := make([]*Metrics, len(members))
		for i := range members {
			ms[i] = &members[i].Metrics
		}
		t := TeamReport{
			Team:        g.key,
			Manager:     g.manager,
			Period:      cur.p,
			AsOf:        cur.asOf,
			Members:     members,
			Total:       total.metrics(cur),
			Standing:    teamStanding(ms),
			StageFunnel: e.funnel.funnelStats(&total),
			StaleDeals:  e.staleRefs(total.stalest, cur.asOf),
			Hygiene:     e.hygieneOf(gi),
		}
		t.Standing.Team, t.Standing.TeamName, t.Standing.TeamSize = g.key, g.name, len(members)
		for i := range members {
			t.PreviousWon += members[i].Previous.WonRevenue
		}
		t.Bottleneck = Bottleneck(t.StageFunnel)
		t.Ahead, t.AtRisk, t.NoActivity = pace(members, cur)
		t.WeeklyWon = weekAmounts(weeks, total.weekly)
		t.Recognitions = e.recognitions(members, &total, cur)
		teams[gi] = t
	}
	rankTeams(teams, groups)
	return teams
}

// membersOf returns g's rep reports in snapshot order: a sub-slice of sorted
// when they are contiguous there, else a copy.
func membersOf(g group, sorted []RepReport, pos []int) []RepReport {
	if len(g.members) == 0 {
		return nil
	}
	at := make([]int, len(g.members))
	for i, ri := range g.members {
		at[i] = pos[ri]
	}
	slices.Sort(at)
	first, last := at[0], at[len(at)-1]
	if last-first == len(at)-1 {
		return sorted[first : last+1 : last+1]
	}
	members := make([]RepReport, len(at))
	for i, p := range at {
		members[i] = sorted[p]
	}
	slices.SortStableFunc(members, func(a, b RepReport) int {
		return cmp.Compare(b.Metrics.WonRevenue, a.Metrics.WonRevenue)
	})
	return members
}

// rankTeams ranks offices among offices and managers' teams among managers'
// teams by won revenue; all reps is rank 1 of 1.
func rankTeams(teams []TeamReport, groups []group) {
	for _, kind := range []groupKind{groupAll, groupOffice, groupManager} {
		var idx []int
		var ms []*Metrics
		for gi, g := range groups {
			if g.kind == kind {
				idx = append(idx, gi)
				ms = append(ms, &teams[gi].Total)
			}
		}
		rank := ranks(ms)
		for i, gi := range idx {
			teams[gi].Standing.Rank = rank[i]
			teams[gi].Standing.Percentile = percentileOfRank(rank[i], len(ms))
		}
	}
}

// pace splits reps with a quota into ahead and at risk, and lists those
// with no deals at all in the period (none won or lost in it, none open at
// its as-of time) as without activity: they are neither. Pace is
// Attainment ÷ the elapsed share of the period at its as-of time. A rep is
// ahead at a pace of 1.1 or more (already past quota included) and at risk
// below 0.8 when their forecast is also short of quota; reps between are on
// track. Nobody is called at risk before 15 % of the period has passed, nor
// ahead at its very start. Ahead is ordered by attainment, highest first;
// AtRisk lowest first; NoActivity as members are.
func pace(members []RepReport, cur span) (ahead, atRisk, idle []RepID) {
	elapsed := cur.p.elapsed(cur.asOf)
	for i := range members {
		if m := &members[i].Metrics; m.Won+m.Lost+m.OpenDeals == 0 {
			idle = append(idle, members[i].Rep.ID)
		}
	}
	if elapsed <= 0 {
		return nil, nil, idle
	}
	var a, r []*RepReport
	for i := range members {
		m := &members[i].Metrics
		switch pace := m.Attainment / elapsed; {
		case !m.HasAttainment, m.Won+m.Lost+m.OpenDeals == 0:
		case pace >= aheadPace:
			a = append(a, &members[i])
		case elapsed < minJudged:
		case pace >= aheadPace:
			a = append(a, &members[i])
		case pace < riskPace && m.Forecast < m.Quota:
			r = append(r, &members[i])
		}
	}
	byAttainment := func(x, y *RepReport) int { return cmp.Compare(y.Metrics.Attainment, x.Metrics.Attainment) }
	slices.SortStableFunc(a, byAttainment)
	slices.SortStableFunc(r, func(x, y *RepReport) int { return byAttainment(y, x) })
	return repIDs(a), repIDs(r), idle
}

func repIDs(rs []*RepReport) []RepID {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]RepID, len(rs))
	for i, r := range rs {
		ids[i] = r.Rep.ID
	}
	return ids
}

// staleRefs turns stale deals into DealRefs.
func (e *engine) staleRefs(ss []staleDeal, asOf time.Time) []DealRef {
	if len(ss) == 0 {
		return nil
	}
	refs := make([]DealRef, len(ss))
	for i, s := range ss {
		refs[i] = e.ref(s.deal, s.stage, asOf)
		refs[i].Amount, refs[i].ListPrice = s.amount, s.listPrice
		refs[i].IdleDays = s.idle
	}
	return refs
}

// ref describes deal di as it stood at at (DealAt), in open stage k when
// k >= 0.
func (e *engine) ref(di int32, k int, at time.Time) DealRef {
	d := &e.ds.Deals[di]
	r := DealRef{ID: d.ID, Name: d.Name, Owner: d.Owner, OwnerName: string(d.Owner), Stage: d.Stage, Amount: d.Amount, Closed: d.Closed, Product: d.Product, Account: d.Account}
	// A deal that closed later shows its stage, expected amount and
	// (unknown) close date of then.
	if s, ok := DealAt(d, at, e.ds.ListPrices); ok && s.Open() {
		r.Amount, r.ListPrice, r.Closed, r.Stage = s.Amount, s.ListPrice, s.Close, s.Stage
	}
	if ri, ok := e.repIndex[d.Owner]; ok {
		r.OwnerName = e.reps[ri].Name
	}
	if k >= 0 {
		r.Stage = e.funnel.stages[k]
	}
	return r
}

// weekWindow returns the starts of the weeks WeeklyWon covers for sp: up to
// weeksShown whole calendar weeks ending with the week holding the span's
// as-of time, leaving out weeks before the first won deal in the data.
func (e *engine) weekWindow(sp span) []time.Time {
	if e.firstWon.IsZero() {
		return nil
	}
	last := e.cal.WeekStartOf(sp.asOf.Add(-time.Nanosecond))
	first := e.cal.WeekStartOf(e.firstWon)
	var weeks []time.Time
	for i := weeksShown - 1; i >= 0; i-- {
		w := last.AddDate(0, 0, -7*i)
		if !w.Before(first) {
			weeks = append(weeks, w)
		}
	}
	return weeks
}

// weeklyWon adds rep ri's won revenue by week over weeks, up to sp.asOf.
func (e *engine) weeklyWon(ri int, weeks []time.Time, sp span) []float64 {
	if len(weeks) == 0 {
		return nil
	}
	sums := make([]float64, len(weeks))
	end := weeks[len(weeks)-1].AddDate(0, 0, 7)
	for _, di := range e.deals[ri] {
		d := &e.ds.Deals[di]
		if d.Status != StatusWon || d.Closed.Before(weeks[0]) || !d.Closed.Before(end) || !d.Closed.Before(sp.asOf) {
			continue
		}
		i := sort.Search(len(weeks), func(i int) bool { return weeks[i].After(d.Closed) }) - 1
		sums[i] += d.Amount
	}
	return sums
}

func weekAmounts(weeks []time.Time, sums []float64) []WeekAmount {
	if len(weeks) == 0 {
		return nil
	}
	out := make([]WeekAmount, len(weeks))
	for i, w := range weeks {
		out[i] = WeekAmount{Start: w}
		if i < len(sums) {
			out[i].Amount = sums[i]
		}
	}
	return out
}
