package insights

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/repcoach/repcoach/insights/numfmt"
)

// Coaching thresholds: a metric is a focus when the rep is at least 15 %
// worse than the team median, a strength when at least 15 % better.
const (
	focusBelow    = 0.85
	strengthAbove = 1.15
	maxStrengths  = 2
	// scoreCap bounds how much better than the team a metric can score, so
	// that one outlier does not crowd out the rest.
	scoreCap = 3
)

// comparison is one metric of a rep set against the team median.
type comparison struct {
	id          MetricID
	rep, team   float64
	lowerBetter bool
}

// score is rep ÷ team (team ÷ rep when lower is better), capped to
// [0, scoreCap]: above 1 the rep does better than the team median.
func (c comparison) score() float64 {
	num, den := c.rep, c.team
	if c.lowerBetter {
		num, den = c.team, c.rep
	}
	switch {
	case den == 0 && num == 0:
		return 1
	case den == 0:
		return scoreCap
	}
	return min(max(num/den, 0), scoreCap)
}

// comparisons lists the metrics of r that can fairly be compared with the
// team: the rep has enough deals for the figure to mean something and the
// team median is known. A team of one offers no comparison.
func comparisons(r *RepReport) []comparison {
	m, s := r.Metrics, r.Standing
	if s.TeamSize < 2 {
		return nil
	}
	cs := make([]comparison, 0, 8)
	add := func(ok bool, id MetricID, rep, team float64, lowerBetter bool) {
		if ok {
			cs = append(cs, comparison{id, rep, team, lowerBetter})
		}
	}
	add(m.HasAttainment && s.HasMedian(MetricAttainment) && s.MedianAttainment > 0, MetricAttainment, m.Attainment, s.MedianAttainment, false)
	add(m.Won+m.Lost >= 4 && s.HasMedian(MetricWinRate) && s.MedianWinRate > 0, MetricWinRate, m.WinRate, s.MedianWinRate, false)
	add(m.Won >= 2 && s.HasMedian(MetricAvgDealSize) && s.MedianDealSize > 0, MetricAvgDealSize, m.AvgDealSize, s.MedianDealSize, false)
	add(m.HasCycle && m.Won >= 2 && s.HasMedian(MetricCycle) && s.MedianCycleDays > 0, MetricCycle, m.MedianCycleDays, s.MedianCycleDays, true)
	add(m.HasCoverage && s.HasMedian(MetricCoverage) && s.MedianCoverage > 0, MetricCoverage, m.Coverage, s.MedianCoverage, false)
	add(m.OpenDeals >= 3 && s.HasMedian(MetricStale), MetricStale, staleShare(m), s.MedianStaleShare, true)
	add(s.MedianActivities > 0, MetricActivity, float64(activityCount(m)), s.MedianActivities, false)
	return cs
}

// coach sets r's Focus (the metric furthest below the team median, at least
// 15 % worse, with a tip) and Strengths (up to two metrics at least 15 %
// better, best first). Both need r.Standing.
func coach(r *RepReport) {
	cs := comparisons(r)
	slices.SortStableFunc(cs, func(a, b comparison) int {
		sa, sb := a.score(), b.score()
		switch {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return 0
	})
	if len(cs) > 0 && cs[0].score() <= focusBelow {
		f := finding(cs[0])
		f.Tip = tip(cs[0], r)
		r.Focus = &f
	}
	for i := len(cs) - 1; i >= 0 && len(r.Strengths) < maxStrengths; i-- {
		if cs[i].score() >= strengthAbove {
			r.Strengths = append(r.Strengths, finding(cs[i]))
		}
	}
}

func finding(c comparison) Finding {
	return Finding{Metric: string(c.id), Rep: c.rep, Team: c.team, Evidence: evidence(c)}
}

// evidence states the comparison: "win rate 22% vs team median 31%".
func evidence(c comparison) string {
	switch c.id {
	case MetricAttainment:
		return fmt.Sprintf("quota attainment %s vs team median %s", pct(c.rep), pct(c.team))
	case MetricWinRate:
		return fmt.Sprintf("win rate %s vs team median %s", pct(c.rep), pct(c.team))
	case MetricAvgDealSize:
		return fmt.Sprintf("average deal size %s vs team median %s", money(c.rep), money(c.team))
	case MetricCycle:
		return fmt.Sprintf("sales cycle %s days vs team median %s days", num(c.rep), num(c.team))
	case MetricCoverage:
		return fmt.Sprintf("pipeline coverage %.1f× vs team median %.1f×", c.rep, c.team)
	case MetricStale:
		return fmt.Sprintf("%s of open deals stale vs team median %s", pct(c.rep), pct(c.team))
	case MetricActivity:
		if c.rep == 1 {
			return fmt.Sprintf("1 activity vs team median %s", num(c.team))
		}
		return fmt.Sprintf("%s activities vs team median %s", num(c.rep), num(c.team))
	}
	return fmt.Sprintf("%s %g vs team median %g", c.id, c.rep, c.team)
}

// tip is one concrete thing to do about a weak metric, with r's numbers.
func tip(c comparison, r *RepReport) string {
	m := r.Metrics
	switch c.id {
	case MetricAttainment:
		if m.WonRevenue >= m.Quota {
			return fmt.Sprintf("You are past quota for %s, but behind your team: keep your best hours this week for the largest deals that can still close in time.", r.Period.Label)
		}
		return fmt.Sprintf("You need %s more to reach quota for %s: spend your best hours this week on the largest deals that can close in time.", money(m.Quota-m.WonRevenue), r.Period.Label)
	case MetricWinRate:
		return "Qualify harder before you propose: confirm budget, decision maker and timeline on each open deal, and close out the ones that cannot show all three."
	case MetricAvgDealSize:
		return "Before you quote, ask which other teams or sites need the same thing, and lead with the higher tier instead of the discount."
	case MetricCycle:
		return "Agree a dated close plan with the buyer early, and book the next meeting before every call ends."
	case MetricCoverage:
		if gap := m.NeededCoverage*(m.Quota-m.WonRevenue) - m.Pipeline; m.NeededCoverage > 0 && gap > 0 {
			return fmt.Sprintf("At your win rate you need about %.1f× coverage: add about %s of new pipeline, starting with accounts that bought before.", m.NeededCoverage, money(gap))
		}
		return "Book prospecting time every day this week, starting with accounts that bought before."
	case MetricStale:
		return fmt.Sprintf("Update your %d stale deals today: log the next step with a date, or mark them lost so your pipeline is honest.", m.StaleDeals)
	case MetricActivity:
		return fmt.Sprintf("Block an hour a day for calls and emails on your open deals; the team median is %s activities this period.", num(r.Standing.MedianActivities))
	}
	return ""
}

// Training is a module a rep is nudged towards.
type Training struct {
	ID     string   `json:"id"`
	Metric MetricID `json:"metric"`
	Title  string   `json:"title"`
	// Description says what the module teaches.
	Description string `json:"description"`
	// Why is the evidence that prompted the nudge; set by Nudge.
	Why string `json:"why,omitempty"`
}

// trainings are the modules RepCoach nudges towards, one per metric a rep
// can improve directly.
var trainings = []Training{
	{ID: "qualification", Metric: MetricWinRate, Title: "Qualifying deals that close", Description: "Test budget, authority, need and timeline early, and walk away from deals that will not close."},
	{ID: "deal-expansion", Metric: MetricAvgDealSize, Title: "Growing deal size", Description: "Discovery questions that uncover the bigger need, bundling, and selling on value rather than discount."},
	{ID: "close-plans", Metric: MetricCycle, Title: "Mutual close plans", Description: "Agree the steps and dates to a signature with the buyer, and keep every deal's next step booked."},
	{ID: "quota-planning", Metric: MetricAttainment, Title: "Working the number", Description: "Pick the deals that make quota this period, plan each one backwards from its close date, and review them weekly."},
	{ID: "prospecting", Metric: MetricCoverage, Title: "Prospecting to fill the pipeline", Description: "A daily prospecting routine: target lists, first-touch sequences and follow-up that books meetings."},
	{ID: "pipeline-hygiene", Metric: MetricStale, Title: "Keeping deals moving", Description: "Spot stalled deals, re-engage the buyer with a reason to act, and close out the ones that are gone."},
	{ID: "activity-planning", Metric: MetricActivity, Title: "Planning a productive week", Description: "Time-block calls, emails and meetings so the pipeline gets touched every day."},
}

// Trainings returns every training module; the slice is the caller's.
func Trainings() []Training { return slices.Clone(trainings) }

// TrainingByID returns the training module with id, and whether there is
// one.
func TrainingByID(id string) (Training, bool) {
	for _, t := range trainings {
		if t.ID == id {
			return t, true
		}
	}
	return Training{}, false
}

// Nudge returns the training module for r's focus metric, with Why set to
// the evidence, and false when r has no focus or no module fits it.
func Nudge(r RepReport) (Training, bool) {
	if r.Focus == nil {
		return Training{}, false
	}
	for _, t := range trainings {
		if string(t.Metric) == r.Focus.Metric {
			t.Why = r.Focus.Evidence
			return t, true
		}
	}
	return Training{}, false
}

// pct formats a fraction as a whole percentage: 0.224 → "22%".
func pct(x float64) string { return strconv.Itoa(int(math.Round(x*100))) + "%" }

// num formats x rounded to a whole number with thousands separators.
func num(x float64) string { return amount(x) }

// money formats an amount of money for coaching text: "$1,234". RepCoach
// shows amounts in dollars; CRM exports carry no currency column it reads.
func money(x float64) string {
	if x < 0 {
		return "-$" + amount(-x)
	}
	return "$" + amount(x)
}

// amount formats money rounded to a whole unit with thousands separators:
// 1234567.8 → "1,234,568". The CRM's currency is not known, so no symbol.
func amount(x float64) string { return numfmt.Whole(x) }

// The states of a rep's training nudge.
const (
	TrainingStarted = "started"
	TrainingDone    = "done"
	TrainingSnoozed = "snoozed"
)

// TrainingStatus is where a rep stands with one training module: started,
// done, or snoozed until Until.
type TrainingStatus struct {
	State string    `json:"state"`
	At    time.Time `json:"at"`
	Until time.Time `json:"until,omitzero"`
}
