package insights

import (
	"math"
	"time"
)

// BacktestWarmup is how much closed-deal history an as-of time needs before
// the backtest scores forecasts made then: a quarter, so the model has
// something to learn from.
const BacktestWarmup = 90 * 24 * time.Hour

// BacktestError is one forecast's error measured over many periods: the
// mean absolute percentage error (MAPE) and the mean signed error (bias,
// positive when forecasts ran high), both as fractions of what was won, over
// N periods that won something.
type BacktestError struct {
	MAPE float64 `json:"mape"`
	Bias float64 `json:"bias"`
	N    int     `json:"n"`
}

// BacktestScope is the errors of one model for one scope (the company, a
// manager's team or a rep) by weeks left before the quarter's end:
// ByWeeksLeft[k] for forecasts made k weeks before it (k = 1 … 13).
type BacktestScope struct {
	Key         string          `json:"key"` // TeamAll, ManagerTeam(…) or the rep ID
	Name        string          `json:"name"`
	ByWeeksLeft []BacktestError `json:"by_weeks_left"`
}

// BacktestModel is every scope's errors for one forecast model.
type BacktestModel struct {
	Model   ForecastModel   `json:"model"`
	Company BacktestScope   `json:"company"`
	Teams   []BacktestScope `json:"teams"`
	Reps    []BacktestScope `json:"reps"`
}

// MedianMAPE returns the median over scopes of the MAPE k weeks before the
// end, among scopes with at least one scored period, and how many there
// were.
func MedianMAPE(scopes []BacktestScope, k int) (float64, int) {
	var xs []float64
	for _, s := range scopes {
		if k < len(s.ByWeeksLeft) && s.ByWeeksLeft[k].N > 0 {
			xs = append(xs, s.ByWeeksLeft[k].MAPE)
		}
	}
	return median(xs), len(xs)
}

// BacktestResult is what Backtest measured.
type BacktestResult struct {
	// Quarters are those with at least one as-of time scored.
	Quarters []Period        `json:"quarters"`
	Models   []BacktestModel `json:"models"`
	// AsOfs counts the as-of times scored.
	AsOfs int `json:"as_ofs"`
}

// Backtest replays history: for every fiscal quarter that ended by until,
// at 1 to 13 whole weeks before its end (from its start on), it computes
// each model's quarter forecast for every rep, manager's team and the
// company exactly as Compute would have at that moment — from the deals as
// they stood then (DealAt), learning only from what was known then — and
// compares it with what was finally won in the quarter. As-of times with
// less than BacktestWarmup of closed-deal history before them are not
// scored. Periods that won nothing are left out of a scope's errors.
func Backtest(ds Dataset, cal Calendar, until time.Time, opts Options, models []ForecastModel) BacktestResult {
	if len(models) == 0 {
		models = ForecastModels()
	}
	var firstClose time.Time
	for i := range ds.Deals {
		d := &ds.Deals[i]
		if d.Status != StatusOpen && !d.Closed.IsZero() && (firstClose.IsZero() || d.Closed.Before(firstClose)) {
			firstClose = d.Closed
		}
	}
	res := BacktestResult{}
	if firstClose.IsZero() {
		return res
	}
	base := newEngine(&ds, cal, until, opts)
	groups := base.groups()
	var teams []int
	for gi, g := range groups {
		if g.kind == groupManager {
			teams = append(teams, gi)
		}
	}
	const maxWeeks = 13
	type acc struct{ abs, signed []float64 }
	// errs[model][scope][k]: scope 0 is the company, then teams, then reps.
	nScopes := 1 + len(teams) + len(base.reps)
	errs := make([][][]acc, len(models))
	for mi := range errs {
		errs[mi] = make([][]acc, nScopes)
		for si := range errs[mi] {
			errs[mi][si] = make([]acc, maxWeeks+1)
		}
	}
	q := cal.Period(PeriodQuarter, firstClose)
	for ; !q.End.After(until); q = cal.Period(PeriodQuarter, q.End) {
		scored := false
		actual := make([]float64, len(base.reps))
		for ri := range base.reps {
			for _, di := range base.deals[ri] {
				if d := &ds.Deals[di]; d.Status == StatusWon && q.Contains(d.Closed) {
					actual[ri] += d.Amount
				}
			}
		}
		for k := maxWeeks; k >= 1; k-- {
			asOf := q.End.AddDate(0, 0, -7*k)
			if asOf.Before(q.Start) || asOf.Sub(firstClose) < BacktestWarmup {
				continue
			}
			res.AsOfs++
			if !scored {
				res.Quarters, scored = append(res.Quarters, q), true
			}
			forecasts := forecastsAt(&ds, cal, asOf, opts, q, base.repIndex, models)
			for mi := range models {
				forecast := forecasts[mi]
				score := func(si int, f, a float64) {
					if a > 0 {
						errs[mi][si][k].abs = append(errs[mi][si][k].abs, math.Abs(f-a)/a)
						errs[mi][si][k].signed = append(errs[mi][si][k].signed, (f-a)/a)
					}
				}
				var fAll, aAll float64
				for ri := range base.reps {
					fAll += forecast[ri]
					aAll += actual[ri]
					score(1+len(teams)+ri, forecast[ri], actual[ri])
				}
				score(0, fAll, aAll)
				for ti, gi := range teams {
					var f, a float64
					for _, ri := range groups[gi].members {
						f += forecast[ri]
						a += actual[ri]
					}
					score(1+ti, f, a)
				}
			}
		}
	}
	scope := func(mi, si int, key, name string) BacktestScope {
		s := BacktestScope{Key: key, Name: name, ByWeeksLeft: make([]BacktestError, maxWeeks+1)}
		for k, a := range errs[mi][si] {
			if n := len(a.abs); n > 0 {
				s.ByWeeksLeft[k] = BacktestError{MAPE: mean(a.abs), Bias: mean(a.signed), N: n}
			}
		}
		return s
	}
	for mi, model := range models {
		bm := BacktestModel{Model: model, Company: scope(mi, 0, TeamAll, "company")}
		for ti, gi := range teams {
			bm.Teams = append(bm.Teams, scope(mi, 1+ti, groups[gi].key, groups[gi].name))
		}
		for ri, r := range base.reps {
			bm.Reps = append(bm.Reps, scope(mi, 1+len(teams)+ri, string(r.ID), r.Name))
		}
		res.Models = append(res.Models, bm)
	}
	return res
}

// forecastsAt returns, for each model, every rep's forecast for period p
// as Compute would publish it at asOf, indexed by index (rep ID → index);
// reps who did not exist yet at asOf forecast zero.
func forecastsAt(ds *Dataset, cal Calendar, asOf time.Time, opts Options, p Period, index map[RepID]int, models []ForecastModel) [][]float64 {
	e := newEngine(ds, cal, asOf, opts)
	sp := span{p: p, asOf: asOf}
	out := make([][]float64, len(models))
	for mi, model := range models {
		e.opts.ForecastModel = model
		fc := e.newForecastModel([]Period{p})
		f := make([]float64, len(e.reps))
		e.parallel(len(e.reps), func(ri int) {
			t := e.tallyRep(ri, sp, fc, e.forecastRate(ri), e.repFactor(ri), e.expectedCycle(ri))
			f[ri] = t.metrics(sp).Forecast
		})
		out[mi] = make([]float64, len(index))
		for ri, r := range e.reps {
			if i, ok := index[r.ID]; ok {
				out[mi][i] = f[ri]
			}
		}
	}
	return out
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
