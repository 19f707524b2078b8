package insights

import (
	"math"
	"sync"
	"time"
)

// ForecastModel names a way of forecasting a period's won revenue. The
// backtest (Backtest, `repcoach backtest`) measures each on history; the
// default is the one that backtests best on the Maven data.
type ForecastModel string

// The forecast models.
const (
	// ForecastModelRate: won so far plus every open deal expected to close
	// in the period (overdue ones counting as closing now) × the rep's
	// trailing win rate. RepCoach's first model, kept as the baseline.
	ForecastModelRate ForecastModel = "rate"
	// ForecastModelPipeline: won so far plus the open deals that can still
	// close in the time left, each × its chance of being won in that time
	// (see Metrics.Forecast).
	ForecastModelPipeline ForecastModel = "pipeline"
	// ForecastModelPipelineNew: ForecastModelPipeline plus the revenue
	// deals not yet created are expected to bring in before the period
	// ends, from the rep's trailing run rate (see Metrics.ForecastNew).
	ForecastModelPipelineNew ForecastModel = "pipeline+new"
	// ForecastModelSeasonal: ForecastModelPipelineNew learnt at the same
	// point of past periods of the same kind (with 3 weeks left of a
	// quarter, from what deals open 3 weeks before past quarters' ends did
	// by those ends), so a quarter-end push is in the chances and the run
	// rate. Without a past period to learn from it falls back to
	// ForecastModelPipelineNew.
	ForecastModelSeasonal ForecastModel = "seasonal"
)

// DefaultForecastModel is the model Compute uses when Options leave it
// unset: the best on the Maven backtest (README, "Forecast backtest").
const DefaultForecastModel = ForecastModelSeasonal

// ForecastModels lists every model, baseline first.
func ForecastModels() []ForecastModel {
	return []ForecastModel{ForecastModelRate, ForecastModelPipeline, ForecastModelPipelineNew, ForecastModelSeasonal}
}

const (
	// hazardTrainDays is how far back deals are learnt from.
	hazardTrainDays = 540
	// hazardMaxTrain caps the deals learnt from (every k-th deal beyond).
	hazardMaxTrain = 50_000
	// hazardMinSamples is the fewest deals a stage-specific chance needs;
	// with fewer the chance pools every stage.
	hazardMinSamples = 30
	// runRateDays is the window new-business run rates are measured over.
	runRateDays = 90
	// repShrink is how many closed deals of the company's win rate a rep's
	// own win rate is blended with before it scales the company's chances.
	repShrink = 10
	// commitProbability is the CRM probability from which a deal counts as
	// committed when the CRM gives no forecast category.
	commitProbability = 0.9
)

// ageEdges are the lower edges, in days, of the age buckets chances are
// learnt for.
var ageEdges = []float64{0, 1, 2, 3, 4, 5, 6, 7, 9, 11, 14, 18, 21, 25, 30, 37, 45, 52, 60, 75, 90, 105, 120, 150, 180, 270, 365}

func ageBucket(a float64) int {
	b := 0
	for i, e := range ageEdges {
		if a >= e {
			b = i
		}
	}
	return b
}

// bucketAge is the age a bucket's chance is learnt at: its middle.
func bucketAge(b int) float64 {
	if b+1 < len(ageEdges) {
		return (ageEdges[b] + ageEdges[b+1]) / 2
	}
	return ageEdges[b] + 30
}

// trainDeal is a deal learnt from: its creation, and its outcome as known
// at the model's as-of time.
type trainDeal struct {
	created time.Time
	closed  time.Time // zero while open at the as-of time
	won     bool
	// stages are the deal's stage changes, oldest first, each with its
	// funnel stage index, looked up once rather than at every age.
	stages []stageAt
}

// stageAt is a deal's move into funnel stage k at a time.
type stageAt struct {
	at time.Time
	k  int
}

// stageAt returns the funnel index of the stage t was in just before at,
// -1 before its first recorded stage.
func (t *trainDeal) stageAt(at time.Time) int {
	k := -1
	for _, h := range t.stages {
		if !h.at.Before(at) {
			break
		}
		k = h.k
	}
	return k
}

// forecastModel weights open deals for the forecast at one as-of time,
// learning only from what was known then. It is built once per engine and
// is safe for concurrent use once built (chances are precomputed per
// remaining time).
type forecastModel struct {
	kind  ForecastModel
	asOf  time.Time
	train []trainDeal
	// chance[R][stage+1][bucket] is the share of training deals open at
	// that age (and stage) won within R days; -1 when too few.
	chance map[int][][]float64
	// eventual[stage+1][bucket] is the share won at all.
	eventual [][]float64
	nStages  int
	mu       sync.Mutex // guards chance and seasonal while they are learnt
	// seasonal[period start] holds, for the seasonal model, the chances
	// learnt at the same point of past periods and their ends (anchors).
	seasonal map[time.Time]*anchored
}

// anchored is what the seasonal model learnt for one period: ends of past
// periods of the same kind, and chances by stage and age of deals open the
// same time before those ends being won by them.
type anchored struct {
	ends   []time.Time
	left   time.Duration
	chance [][]float64
}

// remainingDays is the days left from asOf to end, to the nearest whole
// day: none at 23:59 on the period's last day.
func remainingDays(asOf, end time.Time) int {
	if !asOf.Before(end) {
		return 0
	}
	return int(math.Round(end.Sub(asOf).Hours() / 24))
}

// newForecastModel learns, from what was known at e.now, the chances the
// forecasts of periods (each holding e.now) need.
func (e *engine) newForecastModel(periods []Period) *forecastModel {
	kind := e.opts.ForecastModel
	if kind == "" {
		kind = DefaultForecastModel
	}
	m := &forecastModel{kind: kind, asOf: e.now, nStages: len(e.funnel.stages), chance: map[int][][]float64{}, seasonal: map[time.Time]*anchored{}}
	if kind == ForecastModelRate {
		return m
	}
	from := e.now.AddDate(0, 0, -hazardTrainDays)
	var n int
	for i := range e.ds.Deals {
		if c := e.ds.Deals[i].CreatedAt(); !c.IsZero() && !c.Before(from) && c.Before(e.now) {
			n++
		}
	}
	step := max(1, (n+hazardMaxTrain-1)/hazardMaxTrain)
	m.train = make([]trainDeal, 0, min(n, hazardMaxTrain)+1)
	seen := 0
	for i := range e.ds.Deals {
		d := &e.ds.Deals[i]
		c := d.CreatedAt()
		if c.IsZero() || c.Before(from) || !c.Before(e.now) {
			continue
		}
		seen++
		if (seen-1)%step != 0 {
			continue
		}
		t := trainDeal{created: c, stages: make([]stageAt, len(d.History))}
		if d.Status != StatusOpen && Visible(d.Closed, e.now) {
			t.closed, t.won = d.Closed, d.Status == StatusWon
		}
		for j, h := range d.History {
			t.stages[j] = stageAt{at: h.At, k: e.funnel.indexOf(h.Stage)}
		}
		m.train = append(m.train, t)
	}
	// Each table is learnt on its own, so they are learnt in parallel.
	var learns []func()
	for _, p := range periods {
		r := remainingDays(e.now, p.End)
		if _, ok := m.chance[r]; !ok && r > 0 {
			m.chance[r] = nil
			learns = append(learns, func() { m.setChance(r, m.learn(r)) })
		}
		if kind == ForecastModelSeasonal && r > 0 {
			if _, ok := m.seasonal[p.Start]; !ok {
				m.seasonal[p.Start] = nil
				learns = append(learns, func() { m.setSeasonal(p.Start, m.learnAnchored(e, p)) })
			}
		}
	}
	learns = append(learns, func() { m.eventual = m.learn(-1) })
	var wg sync.WaitGroup
	for _, learn := range learns {
		wg.Go(learn)
	}
	wg.Wait()
	return m
}

// setChance and setSeasonal store a learnt table while other tables are
// being learnt.
func (m *forecastModel) setChance(r int, table [][]float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.chance[r] = table
}

func (m *forecastModel) setSeasonal(start time.Time, a *anchored) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seasonal[start] = a
}

// learnAnchored learns, for period p at the as-of time, from the ends of
// past periods of the same kind within the training window: of the
// training deals open the same time before such an end (by stage and age
// then), the share won by it. Nil when there is no past period.
func (m *forecastModel) learnAnchored(e *engine, p Period) *anchored {
	a := &anchored{left: p.End.Sub(m.asOf)}
	from := m.asOf.AddDate(0, 0, -hazardTrainDays)
	for q := e.cal.Previous(p); !q.End.Before(from) && q.End.After(q.Start); q = e.cal.Previous(q) {
		if !q.End.After(m.asOf) {
			a.ends = append(a.ends, q.End)
		}
		if len(a.ends) >= 8 {
			break
		}
	}
	if len(a.ends) == 0 {
		return nil
	}
	a.chance = make([][]float64, m.nStages+1)
	won := make([][]int, m.nStages+1)
	all := make([][]int, m.nStages+1)
	for k := range a.chance {
		a.chance[k] = make([]float64, len(ageEdges))
		won[k], all[k] = make([]int, len(ageEdges)), make([]int, len(ageEdges))
	}
	for _, end := range a.ends {
		at := end.Add(-a.left)
		for i := range m.train {
			t := &m.train[i]
			if !t.created.Before(at) || !t.closed.IsZero() && t.closed.Before(at) {
				continue
			}
			b := ageBucket(days(at.Sub(t.created)))
			k := t.stageAt(at)
			isWon := t.won && t.closed.Before(end)
			all[0][b]++
			all[k+1][b]++
			if isWon {
				won[0][b]++
				won[k+1][b]++
			}
		}
	}
	for k := range a.chance {
		for b := range ageEdges {
			a.chance[k][b] = -1
			if all[k][b] >= hazardMinSamples || k == 0 && all[k][b] > 0 {
				a.chance[k][b] = float64(won[k][b]) / float64(all[k][b])
			}
		}
	}
	return a
}

// learn measures, for every stage (and all stages pooled) and age bucket,
// the share of training deals open at that age that were won within r days
// (r < 0: won at all, among those closed by the as-of time). A deal counts
// only when the whole window after that age is before the as-of time.
func (m *forecastModel) learn(r int) [][]float64 {
	out := make([][]float64, m.nStages+1)
	win := time.Duration(r) * 24 * time.Hour
	for k := range out {
		out[k] = make([]float64, len(ageEdges))
	}
	for b := range ageEdges {
		age := dayDuration(bucketAge(b))
		won := make([]int, m.nStages+1)
		all := make([]int, m.nStages+1)
		for i := range m.train {
			t := &m.train[i]
			at := t.created.Add(age)
			if !at.Before(m.asOf) || !t.closed.IsZero() && !t.closed.After(at) {
				continue // not yet that old, or closed before it
			}
			var isWon bool
			if r < 0 {
				if t.closed.IsZero() {
					continue
				}
				isWon = t.won
			} else {
				end := at.Add(win)
				if end.After(m.asOf) {
					continue // window not over yet
				}
				isWon = t.won && !t.closed.After(end)
			}
			k := t.stageAt(at)
			all[0]++
			all[k+1]++
			if isWon {
				won[0]++
				won[k+1]++
			}
		}
		for k := range out {
			out[k][b] = -1
			if all[k] >= hazardMinSamples || k == 0 && all[k] > 0 {
				out[k][b] = float64(won[k]) / float64(all[k])
			}
		}
	}
	return out
}

// lookup returns the learnt chance for stage k and age, stage-specific when
// it has enough samples, else pooled; ok is false when nothing is known.
func lookup(table [][]float64, k int, age float64) (float64, bool) {
	if table == nil {
		return 0, false
	}
	b := ageBucket(age)
	if k >= 0 && k+1 < len(table) && table[k+1][b] >= 0 {
		return table[k+1][b], true
	}
	if table[0][b] >= 0 {
		return table[0][b], true
	}
	return 0, false
}

// dealForecast is one open deal's part in a period's forecast.
type dealForecast struct {
	likely float64 // value × chance of being won in the period
	best   float64 // value, when the deal can close in the period
	commit float64 // value, when the CRM commits it
}

// weigh returns open deal d's part in the forecast of period p at asOf.
// rate is the rep's trailing win rate, repFactor scales learnt chances to
// the rep, cycleDays is the rep's usual cycle; stale deals are left out.
func (m *forecastModel) weigh(d *Deal, s *DealState, stage int, p Period, asOf time.Time, rate, repFactor, cycleDays float64, stale bool) dealForecast {
	r := remainingDays(asOf, p.End)
	if r <= 0 || s.Amount <= 0 {
		return dealForecast{}
	}
	if m.kind == ForecastModelRate {
		if p.Contains(expectedCloseOf(s, d.CreatedAt(), asOf, cycleDays)) {
			return dealForecast{likely: s.Amount * rate, best: s.Amount}
		}
		return dealForecast{}
	}
	if stale && !s.Close.IsZero() {
		return dealForecast{}
	}
	age := -1.0
	if c := d.CreatedAt(); !c.IsZero() {
		age = days(asOf.Sub(c))
	}
	// timing is the chance the deal closes (won or lost) in the period;
	// win the chance it is won when it closes.
	var timing, win float64
	switch {
	case !s.Close.IsZero():
		switch {
		case !s.Close.Before(p.End):
			return dealForecast{}
		case !s.Close.Before(asOf):
			timing = 1
		default: // overdue: less likely the longer past its date
			overdue := days(asOf.Sub(s.Close))
			timing = max(0, 1-overdue/max(cycleDays, 1))
		}
		if s.HasProbability {
			win = s.Probability
		} else if c, ok := lookup(m.eventual, stage, max(age, 0)); ok && age >= 0 {
			win = min(1, c*repFactor)
		} else {
			win = rate
		}
	case s.HasProbability && age >= 0:
		// A probability but no close date: the learnt chance of closing in
		// the time left, at the CRM's odds.
		c, ok := lookup(m.chance[r], stage, age)
		e, ok2 := lookup(m.eventual, stage, age)
		if !ok || !ok2 || e <= 0 {
			return dealForecast{}
		}
		timing, win = min(1, c/e), s.Probability
	case age >= 0:
		table := m.chance[r]
		if a := m.seasonal[p.Start]; a != nil {
			table = a.chance
		}
		c, ok := lookup(table, stage, age)
		if !ok {
			return dealForecast{}
		}
		timing, win = 1, min(1, c*repFactor)
	default:
		return dealForecast{} // neither a close date nor an age: cannot be placed in time
	}
	if timing <= 0 {
		return dealForecast{}
	}
	f := dealForecast{likely: s.Amount * timing * win, best: s.Amount}
	if timing >= 1 && (s.ForecastCategory == ForecastCommit || s.ForecastCategory == "" && s.HasProbability && s.Probability >= commitProbability) {
		f.commit = s.Amount
	}
	return f
}

// newBusiness is the revenue rep ri's deals not yet created at asOf are
// expected to win before end: over the runRateDays-long window ending r
// days before asOf (so each deal's first r days are known), the sum of won
// value × (r − cycle days) over deals won within r days, ÷ runRateDays.
// Deals created at the same pace would bring that in.
func (m *forecastModel) newBusiness(e *engine, ri int, p Period, asOf time.Time) float64 {
	end := p.End
	switch m.kind {
	case ForecastModelSeasonal:
		if a := m.seasonal[p.Start]; a != nil {
			return m.seasonalNew(e, ri, a)
		}
	case ForecastModelPipelineNew:
	default:
		return 0
	}
	r := remainingDays(asOf, end)
	if r <= 0 {
		return 0
	}
	to := asOf.AddDate(0, 0, -r)
	from := to.AddDate(0, 0, -runRateDays)
	var sum float64
	for _, di := range e.deals[ri] {
		d := &e.ds.Deals[di]
		c := d.CreatedAt()
		if d.Status != StatusWon || c.IsZero() || c.Before(from) || !c.Before(to) || !Visible(d.Closed, asOf) {
			continue
		}
		if cyc := days(d.Closed.Sub(c)); cyc <= float64(r) {
			sum += d.Amount * (float64(r) - cyc)
		}
	}
	return sum / runRateDays
}

// seasonalNew is the mean, over the past period ends a holds, of rep ri's
// revenue won in the same time before each end from deals created in it.
func (m *forecastModel) seasonalNew(e *engine, ri int, a *anchored) float64 {
	var sum float64
	for _, di := range e.deals[ri] {
		d := &e.ds.Deals[di]
		if d.Status != StatusWon || !Visible(d.Closed, m.asOf) {
			continue
		}
		c := d.CreatedAt()
		for _, end := range a.ends {
			if at := end.Add(-a.left); !c.IsZero() && !c.Before(at) && d.Closed.Before(end) {
				sum += d.Amount
			}
		}
	}
	return sum / float64(len(a.ends))
}

// expectedCloseOf is when an open deal is expected to close for the rate
// model: its expected close date, else created + cycleDays; a date before
// asOf (overdue) counts as asOf. Zero if unknown.
func expectedCloseOf(s *DealState, created, asOf time.Time, cycleDays float64) time.Time {
	exp := s.Close
	if exp.IsZero() {
		if created.IsZero() || cycleDays <= 0 {
			return time.Time{}
		}
		exp = created.Add(dayDuration(cycleDays))
	}
	if exp.Before(asOf) {
		return asOf
	}
	return exp
}
