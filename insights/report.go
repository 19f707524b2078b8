package insights

import (
	"slices"
	"time"
)

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

// standardPeriods are the periods computed and cached after every import.
var standardPeriods = []PeriodKind{PeriodWeek, PeriodLastWeek, PeriodMonth, PeriodQuarter, PeriodYearToDate}

// StandardPeriods returns the periods computed and cached after every
// import; the slice is the caller's.
func StandardPeriods() []PeriodKind { return slices.Clone(standardPeriods) }

// Calendar says how periods fall: the team's time zone, the first day of the
// week and the first month of the fiscal year. The zero value means UTC,
// Monday and January. Use NewCalendar, or set WeekStartSet, for weeks that
// start on Sunday (see FirstWeekday).
type Calendar struct {
	Location *time.Location
	// WeekStart is the first day of the week. Sunday, the zero Weekday, is
	// read as Monday unless WeekStartSet is true.
	WeekStart       time.Weekday
	FiscalYearStart time.Month
	// WeekStartSet says WeekStart was chosen, so that time.Sunday counts.
	WeekStartSet bool
}

// Period is a half-open span of time [Start, End) in the calendar's zone.
// For periods that include now (this week, month, quarter, year to date) End
// is the end of the whole calendar period, not now.
type Period struct {
	Kind  PeriodKind `json:"kind,omitzero"`
	Start time.Time  `json:"start,omitzero"`
	End   time.Time  `json:"end,omitzero"`
	// Label is a short human name: "week of 25 Dec 2017", "December 2017",
	// "Q4 2017 (Oct–Dec)", "2017 to date"; with a fiscal year not starting
	// in January, "Q1 FY2018 (Feb–Apr)" and "FY2018 to date", the fiscal
	// year being named for the calendar year it ends in.
	Label string `json:"label,omitzero"`
}

// Metrics are one rep's (or a team's) figures for a period. Ratios are
// fractions (0.25 = 25 %). A ratio whose denominator is zero is reported as
// zero, and its Has… flag is false.
type Metrics struct {
	WonRevenue float64 `json:"won_revenue,omitzero"`
	Won        int     `json:"won,omitzero"`
	Lost       int     `json:"lost,omitzero"`
	// WinRate = Won ÷ (Won + Lost); open deals are excluded.
	WinRate    float64 `json:"win_rate,omitzero"`
	HasWinRate bool    `json:"has_win_rate,omitzero"`
	// AvgDealSize = WonRevenue ÷ Won; MedianDealSize is the median won amount.
	AvgDealSize    float64 `json:"avg_deal_size,omitzero"`
	MedianDealSize float64 `json:"median_deal_size,omitzero"`
	// MedianCycleDays is the median days from created/engaged to close over
	// won deals with both dates.
	MedianCycleDays float64 `json:"median_cycle_days,omitzero"`
	HasCycle        bool    `json:"has_cycle,omitzero"`
	// Open pipeline as of now (for a period that has ended, as of its end):
	// the count and value of deals open then, each as it stood then
	// (DealAt), not limited to the period. A deal with no amount then is
	// valued at its product's list price, else its last known amount.
	OpenDeals int     `json:"open_deals,omitzero"`
	Pipeline  float64 `json:"pipeline,omitzero"`
	// Quota for the period and Attainment = WonRevenue ÷ Quota.
	Quota         float64 `json:"quota,omitzero"`
	Attainment    float64 `json:"attainment,omitzero"`
	HasAttainment bool    `json:"has_attainment,omitzero"`
	// Coverage = (Pipeline − StalePipeline) ÷ remaining quota (Quota −
	// WonRevenue): stale deals are left out, since they are unlikely to
	// close. It is undefined (HasCoverage false) once quota is met or the
	// period is over. NeededCoverage = 1 ÷ the rep's trailing win rate.
	Coverage       float64 `json:"coverage,omitzero"`
	HasCoverage    bool    `json:"has_coverage,omitzero"`
	NeededCoverage float64 `json:"needed_coverage,omitzero"`
	// Velocity = (OpenDeals − StaleDeals) × WinRate × AvgDealSize ÷
	// MedianCycleDays, per day (a cycle under one day counts as one day);
	// zero without a win rate or a cycle. Stale deals are left out.
	Velocity float64 `json:"velocity,omitzero"`
	// Forecast ("most likely") = WonRevenue + each open deal that can still
	// be won in the time left × its chance of that, + ForecastNew. The
	// chance is the CRM's probability where it has one, times the share of
	// the deal's expected close that falls in the period; without one it
	// is learnt from the trailing 18 months with no look-ahead, at the same
	// point of past periods of the same kind (DefaultForecastModel,
	// ForecastModelSeasonal): of the deals of the same stage and age that
	// were open as long before a past period's end as there is left now,
	// the share won by that end (scaled by the rep's win rate against
	// everyone's); for a deal with an expected close date, the share of
	// such deals won at all. A deal whose expected close is after the period
	// does not count; an overdue one counts less the longer it is overdue
	// (nothing after one median cycle); a stale one with a close date does
	// not count (without one, its chance already falls with its age); one
	// with neither a close date nor a created date cannot be placed in time
	// and does not count. When the period is over, Forecast = WonRevenue.
	// Forecasts are computed for periods running at the snapshot's as-of
	// time; Previous.Forecast is Previous.WonRevenue.
	Forecast float64 `json:"forecast,omitzero"`
	// ForecastNew is the part of Forecast from deals not yet created: what
	// the rep's deals created in the same last stretch of past periods won
	// by those periods' ends, on average (see ForecastModelSeasonal).
	ForecastNew float64 `json:"forecast_new,omitzero"`
	// ForecastBest = WonRevenue + ForecastNew + the full value of every
	// open deal counted in Forecast. ForecastCommit = WonRevenue + the open
	// deals the CRM puts in its Commit forecast category (or, without
	// categories, at 90 % probability or more) due in the period; it is
	// shown only when HasCommit (the CRM gave probabilities or categories).
	ForecastBest   float64 `json:"forecast_best,omitzero"`
	ForecastCommit float64 `json:"forecast_commit,omitzero"`
	HasCommit      bool    `json:"has_commit,omitempty"`
	// StalePipeline is the value of the stale open deals (see StaleDeals).
	StalePipeline float64 `json:"stale_pipeline,omitzero"`
	// QuotaSource says where Quota came from: QuotaFromFile (Dataset.Quotas),
	// QuotaDefault (Options.DefaultAnnualQuota or the team-median rule), or
	// for a team QuotaMixed.
	QuotaSource string `json:"quota_source,omitempty"`
	// QuotaHistoryDays is set when a default quota (the team-median rule)
	// comes from less than a year of data: the days it spans; that revenue
	// was annualised (× 365 ÷ days). Zero otherwise.
	QuotaHistoryDays int `json:"quota_history_days,omitempty"`
	// Activities logged in the period, by kind.
	Activities map[ActivityKind]int `json:"activities,omitempty"`
	// StaleDeals counts open deals with no movement (Moved, else the last
	// stage change, else Created) for more whole calendar days than their
	// stage's usual time:
	// the 80th percentile of the time deals spent in that stage according to
	// stage histories, else of whole created-to-close cycles, else 30 days;
	// or Options.StaleAfterDays when set.
	StaleDeals int `json:"stale_deals,omitzero"`
}

// Standing places a rep among the team for a period: the team's median of
// each headline figure and the rep's rank (1 = best) on won revenue. A rep's
// team is their manager's team, else their office, else all reps. In a
// TeamReport, the medians are over the team's members and Rank and
// Percentile place the team among teams of its kind (offices among offices,
// managers' teams among managers' teams) by won revenue.
//
// Each median is over the members having the figure (win rate over those
// with a closed deal, deal size over those with a win, and so on); won
// revenue and activities over all. Ties share the better rank (1, 2, 2, 4).
type Standing struct {
	// Team is the team key (ManagerTeam, OfficeTeam or TeamAll); TeamName
	// the manager's or office's name, or "all reps".
	Team     string `json:"team,omitzero"`
	TeamName string `json:"team_name,omitzero"`
	TeamSize int    `json:"team_size,omitzero"`
	Rank     int    `json:"rank,omitzero"`
	// Percentile is the share of the others the rank is ahead of or level
	// with, 0–100: rank 1 is 100, last is 0, a team of one is 100.
	Percentile       float64 `json:"percentile,omitzero"`
	MedianWonRevenue float64 `json:"median_won_revenue,omitzero"`
	MedianWinRate    float64 `json:"median_win_rate,omitzero"`
	MedianDealSize   float64 `json:"median_deal_size,omitzero"`
	MedianCycleDays  float64 `json:"median_cycle_days,omitzero"`
	MedianAttainment float64 `json:"median_attainment,omitzero"`
	MedianCoverage   float64 `json:"median_coverage,omitzero"`
	// MedianStaleShare is the median share of open deals that are stale.
	MedianStaleShare float64 `json:"median_stale_share,omitzero"`
	MedianActivities float64 `json:"median_activities,omitzero"`
	// Samples counts, for each median, the members it is over. A median
	// over fewer than MinMedianSamples means nothing (see HasMedian).
	Samples map[MetricID]int `json:"samples,omitempty"`
}

// MinMedianSamples is the fewest members a team median must be over to be
// shown: with one, the "median" is one person's figure.
const MinMedianSamples = 2

// HasMedian reports whether the team median of metric id is over at least
// MinMedianSamples members; when it is not, show "—" instead of it. Won
// revenue and activities count every member.
func (s Standing) HasMedian(id MetricID) bool { return s.Samples[id] >= MinMedianSamples }

// DealRef is a deal as shown in a message.
type DealRef struct {
	ID        string `json:"id,omitzero"`
	Name      string `json:"name,omitzero"`
	Owner     RepID  `json:"owner,omitzero"`
	OwnerName string `json:"owner_name,omitzero"`
	Stage     string `json:"stage,omitzero"`
	// Amount is the deal's value; for an open deal the CRM left blank, its
	// product's list price, and then ListPrice is true.
	Amount    float64   `json:"amount,omitzero"`
	ListPrice bool      `json:"list_price,omitempty"`
	Product   string    `json:"product,omitempty"`
	Account   string    `json:"account,omitempty"`
	IdleDays  int       `json:"idle_days,omitzero"`
	Closed    time.Time `json:"closed,omitzero"`
}

// Finding is a coaching observation about one metric, with its evidence:
// the rep's value against the team median.
type Finding struct {
	Metric   string  `json:"metric,omitzero"` // a MetricID
	Rep      float64 `json:"rep,omitzero"`
	Team     float64 `json:"team,omitzero"`
	Evidence string  `json:"evidence,omitzero"`
	Tip      string  `json:"tip,omitempty"`
}

// RepReport is everything shown to one rep for one period.
type RepReport struct {
	Rep    Rep    `json:"rep,omitzero"`
	Period Period `json:"period,omitzero"`
	// AsOf is when the figures stand: now, or the period's end when that
	// has passed (last week).
	AsOf    time.Time `json:"as_of,omitzero"`
	Metrics Metrics   `json:"metrics,omitzero"`
	// Previous holds the same figures for the period before (Calendar
	// Previous), as they stood at its end.
	Previous Metrics  `json:"previous,omitzero"`
	Standing Standing `json:"standing,omitzero"`
	// Strengths are the rep's best metrics against the team; Focus the one
	// to improve, nil when nothing stands out.
	Strengths  []Finding `json:"strengths,omitempty"`
	Focus      *Finding  `json:"focus,omitempty"`
	StaleDeals []DealRef `json:"stale_deals,omitempty"`
}

// TeamReport is everything shown to a manager for one team and period.
type TeamReport struct {
	Team    string      `json:"team,omitzero"`
	Manager string      `json:"manager,omitzero"`
	Period  Period      `json:"period,omitzero"`
	AsOf    time.Time   `json:"as_of,omitzero"`
	Members []RepReport `json:"members,omitzero"`
	Total   Metrics     `json:"total,omitzero"`
	// PreviousWon is the whole team's won revenue in the previous period.
	PreviousWon float64  `json:"previous_won,omitzero"`
	Standing    Standing `json:"standing,omitzero"`
	// Members are the team's rep reports, by won revenue within manager
	// (see Snapshot). Ahead and AtRisk list reps by ID against quota pace:
	// pace = Attainment ÷ elapsed share of the period; ahead at 1.1 or more,
	// at risk under 0.8 with a forecast short of quota, once 15 % of the
	// period has passed. NoActivity lists reps with no deal in the period
	// (none won or lost in it, none open at AsOf): neither ahead nor at risk.
	Ahead      []RepID `json:"ahead,omitempty"`
	AtRisk     []RepID `json:"at_risk,omitempty"`
	NoActivity []RepID `json:"no_activity,omitempty"`
	// Bottleneck is the stage with the lowest conversion among those at
	// least five deals entered, empty if none.
	Bottleneck   string       `json:"bottleneck,omitempty"`
	StageFunnel  []StageStat  `json:"stage_funnel,omitempty"`
	StaleDeals   []DealRef    `json:"stale_deals,omitempty"`
	Hygiene      []Hygiene    `json:"hygiene,omitempty"`
	WeeklyWon    []WeekAmount `json:"weekly_won,omitempty"`
	Recognitions []Award      `json:"recognitions,omitempty"`
}

// StageStat is one stage of the funnel: deals that entered it and deals that
// went on to the next stage (for the last open stage, were won), among deals
// open at the period's as-of time or closed in the period. Without stage
// history a deal is taken to have passed every stage before its current
// one, a won deal every open stage, and a lost deal whose stage is not an
// open one to have been lost at the last open stage. MedianDays is the
// dataset-wide median time spent in the stage, from stage histories (zero
// without them).
type StageStat struct {
	Stage    string `json:"stage,omitzero"`
	Entered  int    `json:"entered,omitzero"`
	Advanced int    `json:"advanced,omitzero"`
	// InStage counts open deals still in the stage: neither advanced nor
	// lost yet, so left out of Conversion = Advanced ÷ (Entered − InStage).
	InStage    int     `json:"in_stage,omitzero"`
	Conversion float64 `json:"conversion,omitzero"`
	MedianDays float64 `json:"median_days,omitzero"`
}

// Hygiene is one kind of CRM data problem and the deals it affects.
type Hygiene struct {
	Kind  string    `json:"kind,omitzero"`
	Label string    `json:"label,omitzero"`
	Count int       `json:"count,omitzero"`
	Deals []DealRef `json:"deals,omitempty"`
}

// WeekAmount is won revenue in the week starting at Start. WeeklyWon covers
// up to 12 calendar weeks ending with the week holding the report's AsOf,
// leaving out weeks before the first won deal in the data.
type WeekAmount struct {
	Start  time.Time `json:"start,omitzero"`
	Amount float64   `json:"amount,omitzero"`
}
