package insights

import "time"

// quotaFor returns rep ri's quota for p and where it came from.
//
// A rep with any row in Dataset.Quotas has a quota from the file: each row's
// amount prorated by the share of its span [Start, End) that overlaps p
// (zero when none overlaps). Any other rep has a default quota: a yearly
// amount (Options.DefaultAnnualQuota, else the median over the rep's team of
// won revenue in the 12 months before now; see defaultQuotas) prorated by
// the share of the fiscal year holding p.Start that p spans.
func (e *engine) quotaFor(ri int, p Period) (float64, string) {
	if qs := e.quotas[ri]; len(qs) > 0 {
		var sum float64
		for _, q := range qs {
			sum += q.Amount * overlapShare(q.Start, q.End, p.Start, p.End)
		}
		return sum, QuotaFromFile
	}
	year := e.cal.Period(PeriodYearToDate, p.Start)
	share := float64(p.End.Sub(p.Start)) / float64(year.End.Sub(year.Start))
	return e.annual[ri] * share, QuotaDefault
}

// overlapShare is the share of [start, end) that [from, to) covers.
func overlapShare(start, end, from, to time.Time) float64 {
	total := end.Sub(start)
	if total <= 0 {
		return 0
	}
	lo, hi := start, end
	if from.After(lo) {
		lo = from
	}
	if to.Before(hi) {
		hi = to
	}
	if !hi.After(lo) {
		return 0
	}
	return float64(hi.Sub(lo)) / float64(total)
}

// defaultQuotas returns each rep's default yearly quota:
// Options.DefaultAnnualQuota when set, else the median trailing-12-month won
// revenue of the rep's team (manager's team, else office, else everyone),
// counting only teammates who own at least one deal so that reps without
// deals do not drag it down.
func (e *engine) defaultQuotas() []float64 {
	annual := make([]float64, len(e.reps))
	if e.opts.DefaultAnnualQuota > 0 {
		for i := range annual {
			annual[i] = e.opts.DefaultAnnualQuota
		}
		return annual
	}
	revenue := map[string][]float64{}
	for ri, r := range e.reps {
		if e.trailing12[ri].deals > 0 {
			key := quotaTeam(r)
			revenue[key] = append(revenue[key], e.trailing12[ri].wonRevenue)
		}
	}
	medians := make(map[string]float64, len(revenue))
	for key, xs := range revenue {
		medians[key] = median(xs)
	}
	for ri, r := range e.reps {
		annual[ri] = medians[quotaTeam(r)]
	}
	return annual
}

func quotaTeam(r Rep) string {
	switch {
	case r.Manager != "":
		return ManagerTeam(r.Manager)
	case r.Team != "":
		return OfficeTeam(r.Team)
	}
	return TeamAll
}
