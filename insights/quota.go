package insights

import "time"

// quotaFor returns rep ri's quota for p and where it came from.
//
// A rep with any row in Dataset.Quotas has a quota from the file: each row's
// amount prorated by the share of its span [Start, End) that overlaps p
// (zero when none overlaps). Any other rep has a default quota: a yearly
// amount (Options.DefaultAnnualQuota, else the median over the rep's team of
// won revenue in the 12 months before now, annualised when the data holds
// less; see defaultQuotas) prorated by the share of the fiscal year holding
// p.Start that p spans. Shares count calendar days in the team's zone, so
// a daylight-saving change does not move a quota.
func (e *engine) quotaFor(ri int, p Period) (float64, string) {
	if qs := e.quotas[ri]; len(qs) > 0 {
		var sum float64
		for _, q := range qs {
			sum += q.Amount * overlapShare(q.Start, q.End, p.Start, p.End, e.cal.Zone())
		}
		return sum, QuotaFromFile
	}
	year := e.cal.Period(PeriodYearToDate, p.Start)
	share := overlapShare(year.Start, year.End, p.Start, p.End, e.cal.Zone())
	return e.annual[ri] * share, QuotaDefault
}

// overlapShare is the share of [start, end) that [from, to) covers, in
// calendar days in loc (hours where a bound is not a midnight), so that a
// 23- or 25-hour DST day counts as one day like any other.
func overlapShare(start, end, from, to time.Time, loc *time.Location) float64 {
	total := calendarDays(start, end, loc)
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
	return calendarDays(lo, hi, loc) / total
}

// calendarDays is the length of [a, b) in days of loc's calendar: whole
// days between their dates plus the fraction of a day their clocks differ.
func calendarDays(a, b time.Time, loc *time.Location) float64 {
	a, b = a.In(loc), b.In(loc)
	return float64(daysBetweenDates(a, b)) + float64(clock(b)-clock(a))/float64(24*time.Hour)
}

// defaultQuotas returns each rep's default yearly quota:
// Options.DefaultAnnualQuota when set, else the median trailing-12-month won
// revenue of the rep's team (manager's team, else office, else everyone),
// counting only teammates who own at least one deal so that reps without
// deals do not drag it down. When the data before now spans less than 12
// months (from its first deal created or closed), each rep's trailing
// revenue is annualised: × 365 ÷ the days it spans (e.historyDays).
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
			revenue[key] = append(revenue[key], e.trailing12[ri].wonRevenue*365/float64(e.historyDays))
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
