package insights

import (
	"cmp"
	"slices"
)

// Award is a recognition the data suggests for a rep in a team's period.
// Kind says what for; the other fields are the figures a message writes
// the reason from, in the reader's language (handlers render it): insights
// writes no text for people.
type Award struct {
	Rep  RepID  `json:"rep"`
	Kind string `json:"kind"`
	// Amount is the won revenue of a top closer, or the biggest deal's
	// amount.
	Amount float64 `json:"amount,omitempty"`
	// Deal names the biggest deal: its name, else its account, product or
	// ID.
	Deal string `json:"deal,omitempty"`
	// Rate is a quota crusher's attainment, or the most improved rep's win
	// rate in the period; PrevRate is their win rate in the period before.
	Rate     float64 `json:"rate,omitempty"`
	PrevRate float64 `json:"prev_rate,omitempty"`
}

// The kinds of award RepCoach suggests.
const (
	// AwardTopCloser: the one rep with the most won revenue in the period,
	// in a team of two or more.
	AwardTopCloser = "top-closer"
	// AwardBiggestDeal: the largest deal won in the period, when the team
	// won at least two.
	AwardBiggestDeal = "biggest-deal"
	// AwardQuotaCrusher: a rep who has reached 100 % of quota for the
	// period (up to maxListed, highest attainment first).
	AwardQuotaCrusher = "quota-crusher"
	// AwardMostImproved: the largest rise in win rate over the previous
	// period, at least 10 points, with five or more closed deals in both.
	AwardMostImproved = "most-improved-win-rate"
)

const (
	minImprovement     = 0.10
	minClosedToImprove = 5
)

// recognitions suggests awards for members' real achievements in the span:
// nothing is suggested for zero revenue, a tie at the top or a team of one.
func (e *engine) recognitions(members []RepReport, total *tally, _ span) []Award {
	var awards []Award
	if a, ok := topCloser(members); ok {
		awards = append(awards, a)
	}
	if total.biggestAt >= 0 && total.biggest > 0 && total.won >= 2 {
		d := &e.ds.Deals[total.biggestAt]
		what := cmp.Or(d.Name, d.Account, d.Product, d.ID)
		awards = append(awards, Award{Rep: d.Owner, Kind: AwardBiggestDeal, Amount: d.Amount, Deal: what})
	}
	awards = append(awards, quotaCrushers(members)...)
	if a, ok := mostImproved(members); ok {
		awards = append(awards, a)
	}
	return awards
}

func topCloser(members []RepReport) (Award, bool) {
	if len(members) < 2 {
		return Award{}, false
	}
	best, second := -1, -1
	for i, m := range members {
		switch {
		case best < 0 || m.Metrics.WonRevenue > members[best].Metrics.WonRevenue:
			best, second = i, best
		case second < 0 || m.Metrics.WonRevenue > members[second].Metrics.WonRevenue:
			second = i
		}
	}
	top := members[best].Metrics.WonRevenue
	if top <= 0 || members[second].Metrics.WonRevenue == top {
		return Award{}, false
	}
	return Award{Rep: members[best].Rep.ID, Kind: AwardTopCloser, Amount: top}, true
}

func quotaCrushers(members []RepReport) []Award {
	var done []*RepReport
	for i := range members {
		if m := &members[i]; m.Metrics.HasAttainment && m.Metrics.Attainment >= 1 {
			done = append(done, m)
		}
	}
	slices.SortStableFunc(done, func(a, b *RepReport) int { return cmp.Compare(b.Metrics.Attainment, a.Metrics.Attainment) })
	var awards []Award
	for _, m := range done[:min(len(done), maxListed)] {
		awards = append(awards, Award{Rep: m.Rep.ID, Kind: AwardQuotaCrusher, Rate: m.Metrics.Attainment})
	}
	return awards
}

func mostImproved(members []RepReport) (Award, bool) {
	best, gain := -1, 0.0
	for i, m := range members {
		cur, prev := m.Metrics, m.Previous
		if cur.Won+cur.Lost < minClosedToImprove || prev.Won+prev.Lost < minClosedToImprove {
			continue
		}
		if g := cur.WinRate - prev.WinRate; g >= minImprovement && (best < 0 || g > gain) {
			best, gain = i, g
		}
	}
	if best < 0 {
		return Award{}, false
	}
	m := members[best]
	return Award{Rep: m.Rep.ID, Kind: AwardMostImproved, Rate: m.Metrics.WinRate, PrevRate: m.Previous.WinRate}, true
}
