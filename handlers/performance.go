package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

// RepReports reads a rep's cached report for a period.
type RepReports interface {
	RepReport(ctx context.Context, rep insights.RepID, kind insights.PeriodKind) (insights.RepReport, error)
}

// People tells which CRM rep a Slack user is. It returns
// insights.ErrUnknownRep when the user matches no rep.
type People interface {
	RepFor(ctx context.Context, slackUserID string) (insights.RepID, error)
}

// Performance answers /myperformance: a rep's own numbers, privately.
type Performance struct {
	Reports RepReports
	People  People
	// Location is the team's time zone, for "as of" times.
	Location *time.Location
}

// PerformanceUsage is the argument summary of /myperformance.
const PerformanceUsage = "[week | last week | month | quarter | ytd | help]"

// Mine builds the /myperformance answer for the Slack user asking, for the
// period named in text (the quarter when empty). A bad period gets the
// usage; a user who is not a rep gets a friendly explanation
// (insights.ErrUnknownRep through Explain).
func (p *Performance) Mine(ctx context.Context, userID, text string) (Message, error) {
	arg := strings.ToLower(strings.TrimSpace(text))
	if arg == "help" || arg == "?" {
		return PerformanceHelp(), nil
	}
	kind, err := insights.ParsePeriod(arg)
	if err != nil {
		return Text(fmt.Sprintf("I don't know the period “%s”. Try `/myperformance %s`.", kit.Escape(kit.Truncate(text, 40)), PerformanceUsage)), nil
	}
	rep, err := p.People.RepFor(ctx, userID)
	if err != nil {
		return Message{}, err
	}
	r, err := p.Reports.RepReport(ctx, rep, kind)
	if err != nil {
		return Message{}, fmt.Errorf("report for %s (%s): %w", rep, kind, err)
	}
	return RepMessage(r, p.Location), nil
}

// RepMessage renders a rep's report as the rep sees it.
func RepMessage(r insights.RepReport, loc *time.Location) Message {
	m, prev, s := r.Metrics, r.Previous, r.Standing
	name := kit.Escape(r.Rep.Name)
	blocks := []slack.Block{
		kit.Header("Your numbers: " + r.Period.Label),
		kit.Context(fmt.Sprintf("%s · %s · only you can see this", Span(r.Period, loc), AsOf(r.AsOf, loc))),
	}
	blocks = append(blocks, kit.Section(attainmentLine(m)))

	// A period that has ended is shown as it stood at its end; a running
	// one is compared with the same point of the period before.
	ended := !r.AsOf.Before(r.Period.End.Add(-time.Second))
	pipelineWhen := "now"
	if ended {
		pipelineWhen = "at period end"
	}
	// A week is too short for coverage and forecast to mean much: a deal
	// or two swings them wildly.
	weekly := r.Period.Kind == insights.PeriodWeek || r.Period.Kind == insights.PeriodLastWeek
	cov := coverage(m)
	if weekly {
		cov = ""
	}
	fields := []string{
		fmt.Sprintf("*Won revenue*\n%s (%s)", kit.Money(m.WonRevenue), trend(m.WonRevenue, prev.WonRevenue, previousName(r.Period), !ended)),
		fmt.Sprintf("*Win rate*\n%s · team median %s", ratio(m.WinRate, m.HasWinRate, fmt.Sprintf("%d won, %d lost", m.Won, m.Lost)), kit.Percent(s.MedianWinRate)),
		fmt.Sprintf("*Average deal*\n%s · team median %s", dealSize(m), kit.Money(s.MedianDealSize)),
		fmt.Sprintf("*Sales cycle*\n%s · team median %s", days(m.MedianCycleDays, m.HasCycle), days(s.MedianCycleDays, s.MedianCycleDays > 0)),
		fmt.Sprintf("*Open pipeline (%s)*\n%s in %s%s", pipelineWhen, kit.Money(m.Pipeline), kit.Plural(m.OpenDeals, "deal", "deals"), cov),
	}
	if !ended && !weekly {
		fields = append(fields, fmt.Sprintf("*Forecast*\n%s%s", kit.Money(m.Forecast), forecastVsQuota(m)))
	}
	// A rank among people who all won nothing says nothing.
	if s.TeamSize > 1 && s.Rank > 0 && m.WonRevenue > 0 {
		fields = append(fields, fmt.Sprintf("*Rank on won revenue*\n%d of %d in %s · team median %s", s.Rank, s.TeamSize, kit.Escape(teamName(s.Team)), kit.Money(s.MedianWonRevenue)))
	}
	if n := activityTotal(m); n > 0 {
		fields = append(fields, fmt.Sprintf("*Activities*\n%s", activityLine(m)))
	}
	blocks = append(blocks, kit.Fields(fields...))

	if len(r.Strengths) > 0 {
		blocks = append(blocks, kit.Section(findings(":muscle: *What you do best*", r.Strengths)))
	}
	if r.Focus != nil {
		blocks = append(blocks, focusSection("One thing to work on", r.Focus))
	}
	if len(r.StaleDeals) > 0 {
		blocks = append(blocks, staleSection(":hourglass: *Deals waiting on you*", r.StaleDeals, m.StaleDeals, 3))
	}
	blocks = append(blocks, kit.Context("`/myperformance week`, `month`, `quarter` or `ytd` for other periods · `/myperformance help` explains each figure"))

	text := fmt.Sprintf("%s, %s: won %s", name, r.Period.Label, kit.Money(m.WonRevenue))
	if m.HasAttainment {
		text += fmt.Sprintf(", %s of quota", kit.Percent(m.Attainment))
	}
	return Message{Text: text, Blocks: blocks}
}

// trend compares won revenue with the previous period's: "▲ 12% vs last
// quarter at this point ($8,300)"; atThisPoint says the previous figure is
// as it stood at the same point of that period.
func trend(cur, prev float64, prevName string, atThisPoint bool) string {
	when := prevName
	if atThisPoint {
		when += " at this point"
	}
	switch {
	case prev == 0 && cur == 0:
		return "nothing won " + when + " either"
	case prev == 0:
		return "nothing won " + when
	}
	return fmt.Sprintf("%s vs %s (%s)", kit.Change(cur, prev), when, kit.Money(prev))
}

// dealSize shows the average and median won deal, or says there was none.
func dealSize(m insights.Metrics) string {
	if m.Won == 0 {
		return "n/a (no deals won)"
	}
	return fmt.Sprintf("%s (median %s)", kit.Money(m.AvgDealSize), kit.Money(m.MedianDealSize))
}

func attainmentLine(m insights.Metrics) string {
	if !m.HasAttainment {
		return fmt.Sprintf("*Quota:* none set for this period · won *%s*", kit.Money(m.WonRevenue))
	}
	return fmt.Sprintf("*Quota attainment* `%s` *%s*\nWon %s of %s quota%s", kit.Bar(m.Attainment), kit.Percent(m.Attainment), kit.Money(m.WonRevenue), kit.Money(m.Quota), quotaNote(m))
}

// quotaNote says when a quota is RepCoach's default rather than one loaded
// from a quota file.
func quotaNote(m insights.Metrics) string {
	if m.QuotaSource == insights.QuotaDefault {
		return " _(a default quota, as none is loaded for you)_"
	}
	return ""
}

func coverage(m insights.Metrics) string {
	if !m.HasCoverage {
		return ""
	}
	s := fmt.Sprintf("\ncovers %.1f× the quota still to win", m.Coverage)
	if m.NeededCoverage > 0 {
		s += fmt.Sprintf(" (you need %.1f× at your win rate)", m.NeededCoverage)
	}
	return s
}

func forecastVsQuota(m insights.Metrics) string {
	if m.Quota <= 0 {
		return " (won so far plus pipeline weighted by your win rate)"
	}
	return fmt.Sprintf(" = %s of quota\nwon so far plus pipeline weighted by your win rate", kit.Percent(m.Forecast/m.Quota))
}

func ratio(v float64, ok bool, detail string) string {
	if !ok {
		return "n/a (no closed deals)"
	}
	return fmt.Sprintf("%s (%s)", kit.Percent(v), detail)
}

func days(v float64, ok bool) string {
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.0f days", v)
}

func activityTotal(m insights.Metrics) int {
	n := 0
	for _, c := range m.Activities {
		n += c
	}
	return n
}

func activityLine(m insights.Metrics) string {
	var parts []string
	for _, k := range []insights.ActivityKind{insights.ActivityCall, insights.ActivityEmail, insights.ActivityMeeting, insights.ActivityOther} {
		if n := m.Activities[k]; n > 0 {
			parts = append(parts, kit.Plural(n, string(k), string(k)+"s"))
		}
	}
	return strings.Join(parts, ", ")
}

func previousName(p insights.Period) string {
	switch p.Kind {
	case insights.PeriodWeek:
		return "last week"
	case insights.PeriodLastWeek:
		return "the week before"
	case insights.PeriodMonth:
		return "last month"
	case insights.PeriodQuarter:
		return "last quarter"
	case insights.PeriodYearToDate:
		return "last year"
	}
	return "previous period"
}

func teamName(key string) string {
	if i := strings.IndexByte(key, ':'); i >= 0 {
		if insights.IsManagerTeam(key) {
			return key[i+1:] + "'s team"
		}
		return key[i+1:]
	}
	if key == insights.TeamAll {
		return "the whole sales team"
	}
	return key
}

// dealName names a deal for a message: its name, else its ID with the
// product and account, which is how a rep recognises it.
func dealName(d insights.DealRef) string {
	if d.Name != "" {
		return d.Name
	}
	name := d.ID
	if extra := strings.Trim(d.Product+", "+d.Account, ", "); extra != "" {
		name += " (" + extra + ")"
	}
	return name
}

// dealValue shows a deal's amount, marking a list price standing in for a
// blank one.
func dealValue(d insights.DealRef) string {
	if d.ListPrice {
		if d.Amount == 0 {
			return "no amount"
		}
		return kit.Money(d.Amount) + " at list price"
	}
	return kit.Money(d.Amount)
}

// focusSection shows the one metric to work on, its evidence and a tip.
func focusSection(title string, f *insights.Finding) slack.Block {
	text := fmt.Sprintf(":dart: *%s: %s*\n%s", title, strings.ToLower(metricName(f.Metric)), f.Evidence)
	if f.Tip != "" {
		text += "\n_Try this:_ " + f.Tip
	}
	return kit.Section(text)
}

// staleSection lists up to n of a rep's stale deals by name, saying how
// many there are in all (total).
func staleSection(title string, deals []insights.DealRef, total, n int) slack.Block {
	var b strings.Builder
	b.WriteString(title)
	if shown := min(n, len(deals)); total > shown {
		fmt.Fprintf(&b, " (the %d stalest of %d)", shown, total)
	}
	for _, d := range deals[:min(n, len(deals))] {
		fmt.Fprintf(&b, "\n• %s: %s, %s, no movement for %d days", kit.Escape(dealName(d)), kit.Escape(d.Stage), dealValue(d), d.IdleDays)
	}
	return kit.Section(b.String())
}

// findings lists coaching findings as bullet lines of their evidence.
func findings(title string, fs []insights.Finding) string {
	var b strings.Builder
	b.WriteString(title)
	for _, f := range fs {
		fmt.Fprintf(&b, "\n• %s", capitalize(f.Evidence))
	}
	return b.String()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

func metricName(id string) string {
	if d, ok := insights.DefinitionOf(insights.MetricID(id)); ok {
		return d.Name
	}
	return id
}

// PerformanceHelp explains /myperformance and every figure, generated from
// the metric definitions in insights.
func PerformanceHelp() Message {
	var b strings.Builder
	for _, d := range insights.Definitions() {
		fmt.Fprintf(&b, "• *%s*: %s\n", d.Name, d.Formula)
	}
	blocks := []slack.Block{
		kit.Header("How /myperformance works"),
		kit.Section("`/myperformance " + PerformanceUsage + "`\nShows your own numbers, privately, for this week, last week, this month, this quarter (the default) or the year to date. Periods are whole calendar periods in the team's time zone; each answer says which period and as of when."),
		kit.Section(b.String()),
		kit.Context("Numbers come from the CRM export your sales-ops team loads. Something looks wrong? Check the deal in the CRM first, then ask #sales-ops."),
	}
	return Message{Text: "How /myperformance works and what each figure means", Blocks: blocks}
}

// Span says which days a period covers, in loc: "1 Oct – 31 Dec 2017".
func Span(p insights.Period, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	start, end := p.Start.In(loc), p.End.In(loc).Add(-time.Nanosecond)
	if start.Year() == end.Year() {
		return start.Format("2 Jan") + " – " + end.Format("2 Jan 2006")
	}
	return start.Format("2 Jan 2006") + " – " + end.Format("2 Jan 2006")
}

// AsOf says when figures were true, in loc: "as of Sun 31 Dec 2017, 23:59 UTC".
func AsOf(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return "as of " + t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST")
}

// Explain turns domain errors into the friendly text a user sees; it
// reports false for anything else (an internal error).
func Explain(err error) (string, bool) {
	switch {
	case errors.Is(err, insights.ErrUnknownRep):
		return ":wave: I couldn't match you to a rep in the CRM data. I match people by the email on their Slack profile, then by full name. If you do sell, ask your sales-ops team to add you to RepCoach's mapping file; if you manage a team, try `/teamperformance`.", true
	case errors.Is(err, insights.ErrNoData):
		return ":hourglass_flowing_sand: No CRM data has been loaded yet, so I have no numbers to show. Your sales-ops team can load an export with `repcoach import`.", true
	case errors.Is(err, insights.ErrUnknownTeam):
		return ":mag: I couldn't find that team. Try a manager's full name or an office, as written in the CRM.", true
	case errors.Is(err, ErrNotAllowed):
		return ":lock: Sorry, that's only open to " + notAllowedWho(err) + ".", true
	}
	return "", false
}
