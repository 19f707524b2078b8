// Package insights is RepCoach's domain: deals, reps, activities and quotas
// as imported from a CRM, calendar periods in the team's time zone, and the
// metrics, trends, forecasts, hygiene findings and coaching tips computed from
// them. It is pure: functions take data and the current time and return
// values. It imports nothing of Slack or Redis and never reads the clock.
package insights

import (
	"cmp"
	"errors"
	"slices"
	"time"
)

// Domain errors. Handlers turn these into a friendly answer; anything else is
// an internal failure.
var (
	// ErrNoData means no CRM data has been imported yet.
	ErrNoData = errors.New("no CRM data imported yet")
	// ErrUnknownRep means the person asking is not a rep in the CRM data.
	ErrUnknownRep = errors.New("not a rep in the CRM data")
	// ErrUnknownTeam means no team matches the name asked for.
	ErrUnknownTeam = errors.New("no such team")
)

// RepID identifies a rep across imports: the CRM owner ID where the export
// has one, else the rep's full name as written in the CRM.
type RepID string

// Status is where a deal stands: open, won or lost.
type Status string

// The deal statuses.
const (
	StatusOpen Status = "open"
	StatusWon  Status = "won"
	StatusLost Status = "lost"
)

// Deal is one CRM opportunity. Dates are instants; a date-only CRM value is
// the start of that day in the team's time zone and belongs to that day.
type Deal struct {
	ID     string  `json:"id"`
	Name   string  `json:"name,omitempty"`
	Owner  RepID   `json:"owner"`
	Stage  string  `json:"stage"`
	Status Status  `json:"status"`
	Amount float64 `json:"amount"`
	// Probability is the CRM's chance, 0–1, that the deal is won, as the CRM
	// sets it for the deal's current stage (Salesforce Probability ÷ 100,
	// HubSpot deal stage probability). Meaningful only when HasProbability;
	// when false, forecasts weight the deal by trailing win rates instead.
	Probability float64 `json:"probability,omitempty"`
	// AmountKnown is false when the CRM left the amount blank. (The two
	// flags sit side by side to share a word: a million deals are held at
	// once.)
	AmountKnown    bool `json:"amount_known"`
	HasProbability bool `json:"has_probability,omitempty"`
	// Currency is the ISO 4217 code of Amount where the CRM names one per
	// deal (Salesforce CurrencyIsoCode, HubSpot Deal Currency Code); empty
	// means the workspace's currency. ConvertCurrency empties it.
	Currency string `json:"currency,omitempty"`
	// Created is when the deal was created or first engaged; zero if unknown.
	Created time.Time `json:"created,omitzero"`
	// Closed is the close date: actual for won and lost deals, expected for
	// open ones; zero if unknown.
	Closed time.Time `json:"closed,omitzero"`
	// Moved is the last time the deal changed stage or was touched; zero if
	// unknown (then Created stands in).
	Moved   time.Time `json:"moved,omitzero"`
	Product string    `json:"product,omitempty"`
	Account string    `json:"account,omitempty"`
	// History lists the stages the deal entered, oldest first, where the CRM
	// export has it. A closed deal's history may end with its closing stage
	// at Closed. Point-in-time figures read the deal's stage (and, where an
	// entry records them, amount, probability and expected close) at any
	// moment from it; see DealAt.
	History []StageChange `json:"history,omitempty"`
	// ForecastCategory is the CRM's forecast category for the deal
	// (ForecastCommit, ForecastBestCase, ForecastPipeline, ForecastOmitted,
	// ForecastClosed), "" when the CRM has none.
	ForecastCategory string `json:"forecast_category,omitempty"`
}

// The forecast categories a CRM may put a deal in (Salesforce
// ForecastCategoryName, HubSpot forecast category), folded to these.
const (
	ForecastCommit   = "commit"
	ForecastBestCase = "best_case"
	ForecastPipeline = "pipeline"
	ForecastOmitted  = "omitted"
	ForecastClosed   = "closed"
)

// StageChange records a deal entering a stage at At. Where the CRM's
// history has them (Salesforce OpportunityHistory does), it also records
// what the deal looked like from At on: its amount, probability (0–1) and
// expected close date; the Known/Has flags say which are set. Point-in-time
// figures use the latest entry before a moment (see DealAt); an entry
// without an amount leaves the amount as the last entry that had one.
//
// A million deals hold a few million of these: the two flags come last, side
// by side, so that they share one word (88 bytes an entry, not 96).
type StageChange struct {
	Stage       string    `json:"stage"`
	At          time.Time `json:"at"`
	Amount      float64   `json:"amount,omitempty"`
	Probability float64   `json:"probability,omitempty"`
	// CloseDate is the expected close date the CRM showed from At on; zero
	// if the entry does not say.
	CloseDate      time.Time `json:"close_date,omitzero"`
	AmountKnown    bool      `json:"amount_known,omitempty"`
	HasProbability bool      `json:"has_probability,omitempty"`
}

// ActivityKind is the kind of a sales activity.
type ActivityKind string

// The activity kinds.
const (
	ActivityCall    ActivityKind = "call"
	ActivityEmail   ActivityKind = "email"
	ActivityMeeting ActivityKind = "meeting"
	ActivityOther   ActivityKind = "other"
)

// Activity is a call, email or meeting logged in the CRM.
type Activity struct {
	ID     string       `json:"id"`
	Owner  RepID        `json:"owner"`
	Kind   ActivityKind `json:"kind"`
	At     time.Time    `json:"at"`
	DealID string       `json:"deal_id,omitempty"`
}

// Rep is a salesperson. Manager is the manager's full name as the CRM has it;
// Team is the team or regional office.
type Rep struct {
	ID      RepID  `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email,omitempty"`
	Manager string `json:"manager,omitempty"`
	Team    string `json:"team,omitempty"`
}

// Quota is a rep's revenue target for the days [Start, End).
type Quota struct {
	Rep    RepID     `json:"rep"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Amount float64   `json:"amount"`
}

// Dataset is everything imported from the CRM.
type Dataset struct {
	Reps       []Rep      `json:"reps"`
	Deals      []Deal     `json:"deals"`
	Activities []Activity `json:"activities,omitempty"`
	Quotas     []Quota    `json:"quotas,omitempty"`
	// ListPrices maps product name to list price, where known.
	ListPrices map[string]float64 `json:"list_prices,omitempty"`
}

// Recognition is an award sales ops gave someone in Slack. To and From are
// Slack user IDs; Kind is an Award kind or "shout-out".
type Recognition struct {
	To     string    `json:"to"`
	From   string    `json:"from"`
	Kind   string    `json:"kind"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// SortDeals sorts deals by owner, then ID, in place; deals with the same
// owner and ID keep their order. Compute reads each rep's deals several
// times over and reads them more than twice as fast when they lie
// together in memory (BenchmarkCompute1M), and it breaks ties between
// equal figures (which stale deal is listed first) by their order. The
// store returns deals in this order; an import and a CRM sync sort them so
// before they publish.
func SortDeals(deals []Deal) {
	sorted := true
	for i := 1; i < len(deals) && sorted; i++ {
		sorted = compareDeals(&deals[i-1], &deals[i]) <= 0
	}
	if sorted {
		return
	}
	// Number the owners in order, bucket the deals' positions by owner
	// (a counting sort: comparing scattered deals would wait on memory at
	// every step), sort each owner's few by ID, then move each deal once.
	group := make([]int32, len(deals))
	seen := map[RepID]int32{}
	var owners []RepID
	for i := range deals {
		g, ok := seen[deals[i].Owner]
		if !ok {
			g = int32(len(owners))
			seen[deals[i].Owner] = g
			owners = append(owners, deals[i].Owner)
		}
		group[i] = g
	}
	byName := make([]int32, len(owners))
	for i := range byName {
		byName[i] = int32(i)
	}
	slices.SortFunc(byName, func(a, b int32) int { return cmp.Compare(owners[a], owners[b]) })
	rank := make([]int32, len(owners))
	for r, g := range byName {
		rank[g] = int32(r)
	}
	start := make([]int32, len(owners)+1)
	for i, g := range group {
		group[i] = rank[g]
		start[group[i]+1]++
	}
	for r := range owners {
		start[r+1] += start[r]
	}
	order := make([]int32, len(deals))
	next := slices.Clone(start)
	for i, r := range group {
		order[next[r]] = int32(i)
		next[r]++
	}
	for r := range owners {
		slices.SortStableFunc(order[start[r]:start[r+1]], func(a, b int32) int { return cmp.Compare(deals[a].ID, deals[b].ID) })
	}
	permute(deals, order)
}

// permute moves deals in place so that deals[i] becomes the deal that was
// at order[i], following the permutation's cycles; order is used up.
func permute(deals []Deal, order []int32) {
	for i := range order {
		if order[i] == int32(i) {
			continue // in place, or moved already
		}
		first := deals[i]
		j := i
		for {
			k := int(order[j])
			order[j] = int32(j)
			if k == i {
				deals[j] = first
				break
			}
			deals[j] = deals[k]
			j = k
		}
	}
}

func compareDeals(a, b *Deal) int {
	return cmp.Or(cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.ID, b.ID))
}
