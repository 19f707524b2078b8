package insights

import "time"

// PeriodKind names a calendar period relative to now.
type PeriodKind string

// The period kinds a rep or manager can ask for.
const (
	PeriodWeek       PeriodKind = "week"
	PeriodLastWeek   PeriodKind = "last-week"
	PeriodMonth      PeriodKind = "month"
	PeriodQuarter    PeriodKind = "quarter"
	PeriodYearToDate PeriodKind = "ytd"
	PeriodCustom     PeriodKind = "custom"
)

// StandardPeriods are the periods computed and cached after every import.
var StandardPeriods = []PeriodKind{PeriodWeek, PeriodLastWeek, PeriodMonth, PeriodQuarter, PeriodYearToDate}

// Calendar says how periods fall: the team's time zone, the first day of the
// week and the first month of the fiscal year. The zero value means UTC,
// Monday and January.
type Calendar struct {
	Location        *time.Location
	WeekStart       time.Weekday
	FiscalYearStart time.Month
}

// Period is a half-open span of time [Start, End) in the calendar's zone.
// For periods that include now (this week, month, quarter, year to date) End
// is the end of the whole calendar period, not now.
type Period struct {
	Kind  PeriodKind `json:"kind"`
	Start time.Time  `json:"start"`
	End   time.Time  `json:"end"`
	// Label is a short human name: "week of 25 Dec 2017", "December 2017",
	// "Q4 2017", "2017 to date".
	Label string `json:"label"`
}

// Metrics are one rep's (or a team's) figures for a period. Ratios are
// fractions (0.25 = 25 %). A ratio whose denominator is zero is reported as
// zero, and its Has… flag is false.
type Metrics struct {
	WonRevenue float64 `json:"won_revenue"`
	Won        int     `json:"won"`
	Lost       int     `json:"lost"`
	// WinRate = Won ÷ (Won + Lost); open deals are excluded.
	WinRate    float64 `json:"win_rate"`
	HasWinRate bool    `json:"has_win_rate"`
	// AvgDealSize = WonRevenue ÷ Won; MedianDealSize is the median won amount.
	AvgDealSize    float64 `json:"avg_deal_size"`
	MedianDealSize float64 `json:"median_deal_size"`
	// MedianCycleDays is the median days from created/engaged to close over
	// won deals with both dates.
	MedianCycleDays float64 `json:"median_cycle_days"`
	HasCycle        bool    `json:"has_cycle"`
	// Open pipeline as of now: open deals' count and value (not limited to
	// the period).
	OpenDeals int     `json:"open_deals"`
	Pipeline  float64 `json:"pipeline"`
	// Quota for the period and Attainment = WonRevenue ÷ Quota.
	Quota         float64 `json:"quota"`
	Attainment    float64 `json:"attainment"`
	HasAttainment bool    `json:"has_attainment"`
	// Coverage = Pipeline ÷ remaining quota; NeededCoverage = 1 ÷ WinRate.
	Coverage       float64 `json:"coverage"`
	HasCoverage    bool    `json:"has_coverage"`
	NeededCoverage float64 `json:"needed_coverage"`
	// Velocity = OpenDeals × WinRate × AvgDealSize ÷ MedianCycleDays, per day.
	Velocity float64 `json:"velocity"`
	// Forecast = WonRevenue + Pipeline closing in the period × WinRate.
	Forecast float64 `json:"forecast"`
	// Activities logged in the period, by kind.
	Activities map[ActivityKind]int `json:"activities,omitempty"`
	// StaleDeals counts open deals with no movement for longer than usual.
	StaleDeals int `json:"stale_deals"`
}

// Standing places a rep among the team for a period: the team's median of
// each headline figure and the rep's rank (1 = best) on won revenue.
type Standing struct {
	TeamName         string  `json:"team_name"`
	TeamSize         int     `json:"team_size"`
	Rank             int     `json:"rank"`
	Percentile       float64 `json:"percentile"`
	MedianWonRevenue float64 `json:"median_won_revenue"`
	MedianWinRate    float64 `json:"median_win_rate"`
	MedianDealSize   float64 `json:"median_deal_size"`
	MedianCycleDays  float64 `json:"median_cycle_days"`
	MedianAttainment float64 `json:"median_attainment"`
}

// DealRef is a deal as shown in a message.
type DealRef struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Owner     RepID     `json:"owner"`
	OwnerName string    `json:"owner_name"`
	Stage     string    `json:"stage"`
	Amount    float64   `json:"amount"`
	IdleDays  int       `json:"idle_days"`
	Closed    time.Time `json:"closed,omitzero"`
}

// Finding is a coaching observation about one metric, with its evidence:
// the rep's value against the team median.
type Finding struct {
	Metric   string  `json:"metric"` // a MetricID
	Rep      float64 `json:"rep"`
	Team     float64 `json:"team"`
	Evidence string  `json:"evidence"`
	Tip      string  `json:"tip,omitempty"`
}

// RepReport is everything shown to one rep for one period.
type RepReport struct {
	Rep      Rep       `json:"rep"`
	Period   Period    `json:"period"`
	AsOf     time.Time `json:"as_of"`
	Metrics  Metrics   `json:"metrics"`
	Previous Metrics   `json:"previous"`
	Standing Standing  `json:"standing"`
	// Strengths are the rep's best metrics against the team; Focus the one
	// to improve, nil when nothing stands out.
	Strengths  []Finding `json:"strengths,omitempty"`
	Focus      *Finding  `json:"focus,omitempty"`
	StaleDeals []DealRef `json:"stale_deals,omitempty"`
}

// TeamReport is everything shown to a manager for one team and period.
type TeamReport struct {
	Team     string      `json:"team"`
	Manager  string      `json:"manager"`
	Period   Period      `json:"period"`
	AsOf     time.Time   `json:"as_of"`
	Members  []RepReport `json:"members"`
	Total    Metrics     `json:"total"`
	Standing Standing    `json:"standing"`
	// Ahead and AtRisk list reps by ID against quota pace.
	Ahead  []RepID `json:"ahead,omitempty"`
	AtRisk []RepID `json:"at_risk,omitempty"`
	// Bottleneck is the stage with the lowest conversion, empty if unknown.
	Bottleneck   string       `json:"bottleneck,omitempty"`
	StageFunnel  []StageStat  `json:"stage_funnel,omitempty"`
	StaleDeals   []DealRef    `json:"stale_deals,omitempty"`
	Hygiene      []Hygiene    `json:"hygiene,omitempty"`
	WeeklyWon    []WeekAmount `json:"weekly_won,omitempty"`
	Recognitions []Award      `json:"recognitions,omitempty"`
}

// StageStat is one stage of the funnel: deals that entered it and deals that
// went on to the next stage.
type StageStat struct {
	Stage      string  `json:"stage"`
	Entered    int     `json:"entered"`
	Advanced   int     `json:"advanced"`
	Conversion float64 `json:"conversion"`
	MedianDays float64 `json:"median_days"`
}

// Hygiene is one kind of CRM data problem and the deals it affects.
type Hygiene struct {
	Kind  string    `json:"kind"`
	Label string    `json:"label"`
	Count int       `json:"count"`
	Deals []DealRef `json:"deals,omitempty"`
}

// WeekAmount is won revenue in the week starting at Start.
type WeekAmount struct {
	Start  time.Time `json:"start"`
	Amount float64   `json:"amount"`
}

// Award is a suggested or granted recognition.
type Award struct {
	Rep    RepID  `json:"rep"`
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}
