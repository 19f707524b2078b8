package insights

import (
	"cmp"
	"slices"
)

// Slim returns a copy of t fit for storing and showing a team: each member
// keeps only their rep, metrics and previous won revenue (no coaching,
// stale deals or standing), and a team of more than max members keeps the
// max/2 highest and max/2 lowest by won revenue plus the first
// slimNamed reps of Ahead and of AtRisk and everyone in Recognitions, so a
// message can name them. Standing.TeamSize still counts every
// member. Members come sorted by won revenue, highest first, then name. t
// is not changed.
// slimNamed is how many reps of Ahead and of AtRisk Slim keeps by name.
const slimNamed = 10

func (t TeamReport) Slim(max int) TeamReport {
	// Sort positions, not the (large) reports; the position breaks ties,
	// which keeps the order stable.
	order := make([]int, len(t.Members))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &t.Members[i], &t.Members[j]
		return cmp.Or(cmp.Compare(b.Metrics.WonRevenue, a.Metrics.WonRevenue), cmp.Compare(a.Rep.Name, b.Rep.Name), cmp.Compare(i, j))
	})
	members := make([]RepReport, len(t.Members))
	for k, i := range order {
		m := &t.Members[i]
		members[k] = RepReport{Rep: m.Rep, Period: m.Period, Metrics: m.Metrics, Previous: Metrics{WonRevenue: m.Previous.WonRevenue}}
	}
	if len(members) > max {
		named := map[RepID]bool{}
		for _, id := range t.Ahead[:min(slimNamed, len(t.Ahead))] {
			named[id] = true
		}
		for _, id := range t.AtRisk[:min(slimNamed, len(t.AtRisk))] {
			named[id] = true
		}
		for _, a := range t.Recognitions {
			named[a.Rep] = true
		}
		keep := members[:0:0]
		for i, m := range members {
			if i < max/2 || i >= len(members)-max/2 || named[m.Rep.ID] {
				keep = append(keep, m)
			}
		}
		members = keep
	}
	t.Members = members
	return t
}
