package insights

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode"
)

const (
	// staleQuantile is the share of deals that leave a stage sooner than
	// the time after which a deal in it is stale.
	staleQuantile = 0.8
	// minSamples is the fewest stage durations that make a usual time.
	minSamples = 5
	// defaultStaleAfter applies when the data holds no usable durations.
	defaultStaleAfter = 30 * 24 * time.Hour
	// minFunnelDeals is the fewest decided deals (advanced or failed) a
	// stage needs for its conversion to count towards the bottleneck.
	minFunnelDeals = 30
)

// knownStages orders stage names common in CRM exports (Salesforce's
// default opportunity stages, HubSpot's default deal stages, Maven's),
// compared with case, spaces and punctuation folded away.
var knownStages = []string{
	"new", "lead", "prospecting", "discovery", "appointmentscheduled",
	"qualification", "qualify", "qualified", "qualifiedtobuy", "engaging",
	"needsanalysis", "demo", "presentationscheduled", "valueproposition",
	"iddecisionmakers", "decisionmakerboughtin", "perceptionanalysis",
	"proposal", "proposalpricequote", "contractsent", "negotiation",
	"negotiationreview", "commit",
}

func foldStage(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// StageOrder derives the open pipeline stages from deals as they stood at
// now (DealAt), earliest first. Open stages are those a deal open at now is
// in, or that a stage history lists before now without being the final
// stage of any deal closed before now (so "Won", "Closed Lost" and
// the like are left out). Stage names common in CRM exports keep their
// usual order; other names follow, youngest deals' stage first (by the
// median age, at now, of the open deals in it).
func StageOrder(deals []Deal, now time.Time) []string {
	closed := map[string]bool{}
	ages := map[string][]float64{}
	for i := range deals {
		d := &deals[i]
		if d.Status != StatusOpen && (d.Closed.IsZero() || Visible(d.Closed, now)) {
			closed[d.Stage] = true
		}
	}
	for i := range deals {
		d := &deals[i]
		if s, ok := DealAt(d, now, nil); ok && s.Open() && s.Stage != "" {
			age := ages[s.Stage]
			if c := d.CreatedAt(); !c.IsZero() {
				age = append(age, days(now.Sub(c)))
			}
			ages[s.Stage] = age
		}
		for _, h := range d.History {
			if !h.At.Before(now) {
				break
			}
			if _, ok := ages[h.Stage]; !ok && h.Stage != "" && !closed[h.Stage] {
				ages[h.Stage] = nil
			}
		}
	}
	rank := make(map[string]int, len(knownStages))
	for i, s := range knownStages {
		rank[s] = i
	}
	type stage struct {
		name string
		rank int
		age  float64
	}
	var stages []stage
	for name, age := range ages {
		r, ok := rank[foldStage(name)]
		if !ok {
			r = len(knownStages)
		}
		stages = append(stages, stage{name, r, median(age)})
	}
	slices.SortFunc(stages, func(a, b stage) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.age, b.age), cmp.Compare(a.name, b.name))
	})
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = s.name
	}
	return names
}

// funnelModel knows the stage order, each deal's stage index and each
// stage's usual time. It is built once and only read afterwards.
type funnelModel struct {
	stages     []string
	index      map[string]int // exact stage name → index, -1 if not open
	stageOf    []int16        // per deal
	after      []time.Duration
	pooled     time.Duration
	fixed      time.Duration
	medianDays []float64
}

// newFunnelModel measures how long deals spend in each stage, from stage
// histories: a stage lasts from entering it to entering the next, or to the
// close for a closed deal's last stage. A stage's stale threshold is the
// 80th percentile of its durations; with fewer than minSamples it falls back
// to the 80th percentile of whole sales cycles (created to close) of closed
// deals, and with too few of those to 30 days.
func newFunnelModel(deals []Deal, now time.Time, opts Options) funnelModel {
	order := opts.StageOrder
	if len(order) == 0 {
		order = StageOrder(deals, now)
	}
	f := funnelModel{stages: order, index: map[string]int{}, stageOf: make([]int16, len(deals))}
	if opts.StaleAfterDays > 0 {
		f.fixed = time.Duration(opts.StaleAfterDays) * 24 * time.Hour
	}
	folded := make(map[string]int, len(order))
	for i, s := range order {
		if _, dup := folded[foldStage(s)]; !dup {
			folded[foldStage(s)] = i
		}
	}
	lookup := func(name string) int {
		k, ok := f.index[name]
		if !ok {
			k = -1
			if i, ok := folded[foldStage(name)]; ok {
				k = i
			}
			f.index[name] = k
		}
		return k
	}
	samples := make([][]float64, len(order))
	var cycles []float64
	for i := range deals {
		d := &deals[i]
		f.stageOf[i] = int16(lookup(d.Stage))
		closedAt := time.Time{}
		if d.Status != StatusOpen && Visible(d.Closed, now) {
			closedAt = d.Closed
			if c := d.CreatedAt(); !c.IsZero() && !d.Closed.Before(c) {
				cycles = append(cycles, days(d.Closed.Sub(c)))
			}
		}
		for j, h := range d.History {
			k := lookup(h.Stage)
			if !h.At.Before(now) {
				break
			}
			next := closedAt
			if j+1 < len(d.History) && d.History[j+1].At.Before(now) {
				next = d.History[j+1].At
			}
			if k >= 0 && !next.IsZero() && !next.Before(h.At) {
				samples[k] = append(samples[k], days(next.Sub(h.At)))
			}
		}
	}
	f.pooled = defaultStaleAfter
	if len(cycles) >= minSamples {
		f.pooled = dayDuration(percentile(cycles, staleQuantile))
	}
	f.after = make([]time.Duration, len(order))
	f.medianDays = make([]float64, len(order))
	for k, xs := range samples {
		f.medianDays[k] = median(xs)
		f.after[k] = f.pooled
		if len(xs) >= minSamples {
			f.after[k] = dayDuration(percentile(xs, staleQuantile))
		}
	}
	return f
}

func dayDuration(d float64) time.Duration { return time.Duration(d * float64(24*time.Hour)) }

// indexOf returns the index of the open stage named name, or -1.
func (f *funnelModel) indexOf(name string) int {
	if k, ok := f.index[name]; ok {
		return k
	}
	return -1
}

// staleAfter is how long a deal may sit idle in stage k before it is stale.
func (f *funnelModel) staleAfter(k int) time.Duration {
	switch {
	case f.fixed > 0:
		return f.fixed
	case k >= 0 && k < len(f.after):
		return f.after[k]
	default:
		return f.pooled
	}
}

// stageOfState returns the index of the open stage of deal di in state s,
// or -1.
func (f *funnelModel) stageOfState(d *Deal, di int32, s *DealState) int {
	if s.Stage == d.Stage {
		return int(f.stageOf[di])
	}
	return f.indexOf(s.Stage)
}

// furthest returns the latest open stage in d's history before asOf, or -1.
func (f *funnelModel) furthest(d *Deal, asOf time.Time) int {
	k := -1
	for _, h := range d.History {
		if h.At.Before(asOf) {
			k = max(k, f.indexOf(h.Stage))
		}
	}
	return k
}

// reachedOpen returns the furthest stage an open deal reached by asOf.
func (f *funnelModel) reachedOpen(d *Deal, stage int, asOf time.Time) int {
	return max(stage, f.furthest(d, asOf))
}

// reachedClosed returns the furthest stage a closed deal reached: every
// open stage for a won deal; for a lost deal its history, else its stage if
// that is an open one, else (no history, a "Lost" stage) the last open
// stage, which is where a deal without history is taken to have been lost.
func (f *funnelModel) reachedClosed(d *Deal, di int32, asOf time.Time) int {
	last := len(f.stages) - 1
	if d.Status == StatusWon {
		return last
	}
	if k := f.furthest(d, asOf); k >= 0 {
		return k
	}
	if k := int(f.stageOf[di]); k >= 0 {
		return k
	}
	return last
}

// funnelStats turns the furthest-stage counts of a tally into the funnel:
// Entered(s) counts deals that reached s or beyond; Advanced(s) those that
// reached beyond s, or for the last open stage those won; InStage(s) the
// open deals still at s, which have not yet advanced or failed and so are
// left out of Conversion = Advanced ÷ (Entered − InStage).
func (f *funnelModel) funnelStats(t *tally) []StageStat {
	n := len(f.stages)
	if n == 0 || len(t.reached) != n {
		return nil
	}
	stats := make([]StageStat, n)
	var beyond int
	for k := n - 1; k >= 0; k-- {
		advanced := beyond
		if k == n-1 {
			advanced = t.won
		}
		beyond += int(t.reached[k])
		s := StageStat{Stage: f.stages[k], Entered: beyond, Advanced: advanced, MedianDays: f.medianDays[k]}
		if len(t.openAt) == n {
			s.InStage = int(t.openAt[k])
		}
		if decided := s.Entered - s.InStage; decided > 0 {
			s.Conversion = float64(s.Advanced) / float64(decided)
		}
		stats[k] = s
	}
	return stats
}

// Bottleneck returns the stage with the lowest conversion among those where
// at least minFunnelDeals (30) deals have advanced or failed, the earliest
// on a tie. It is empty unless at least two stages qualify (a lone stage
// has nothing to be lower than) and the lowest loses deals (conversion
// under 100 %).
func Bottleneck(funnel []StageStat) string {
	best, qualified := -1, 0
	for i, s := range funnel {
		if s.Entered-s.InStage < minFunnelDeals {
			continue
		}
		qualified++
		if best < 0 || s.Conversion < funnel[best].Conversion {
			best = i
		}
	}
	if qualified < 2 || funnel[best].Conversion >= 1 {
		return ""
	}
	return funnel[best].Stage
}
