package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/i18n"
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
	// Locales picks each reader's language and currency; nil is English
	// and dollars.
	Locales *Locales
}

// PerformanceUsage is the argument summary of /myperformance.
const PerformanceUsage = "[week | last week | month | quarter | ytd | help]"

// periodWords maps the Turkish arguments of /myperformance to the English
// ones insights.ParsePeriod reads. Keys are lower case, with and without
// Turkish letters, since people type both.
var periodWords = map[string]string{
	"hafta": "week", "bu hafta": "week",
	"geçen hafta": "last week", "gecen hafta": "last week",
	"ay": "month", "bu ay": "month",
	"çeyrek": "quarter", "ceyrek": "quarter", "bu çeyrek": "quarter", "bu ceyrek": "quarter",
	"yıl": "ytd", "yil": "ytd", "bu yıl": "ytd", "bu yil": "ytd", "yılbaşından beri": "ytd",
	"yardım": "help", "yardim": "help",
}

// foldedPeriodWords is periodWords with its keys folded as typed text is.
var foldedPeriodWords = func() map[string]string {
	m := map[string]string{}
	for k, v := range periodWords {
		m[fold(k)] = v
	}
	return m
}()

// periodArg reads a /myperformance argument in English or Turkish and
// returns it in English ("help" for help).
func periodArg(text string) string {
	arg := fold(text)
	if en, ok := foldedPeriodWords[arg]; ok {
		return en
	}
	if arg == "?" {
		return "help"
	}
	return arg
}

// Mine builds the /myperformance answer for the Slack user asking, for the
// period named in text in English or Turkish (the quarter when empty), in
// the user's language. A bad period gets the usage; a user who is not a
// rep gets a friendly explanation (insights.ErrUnknownRep through Explain).
func (p *Performance) Mine(ctx context.Context, userID, text string) (Message, error) {
	pr := p.Locales.DefaultPrinter()
	if p.Locales != nil {
		pr = p.Locales.Printer(ctx, userID)
	}
	arg := periodArg(text)
	if arg == "help" {
		return PerformanceHelpIn(pr), nil
	}
	kind, err := insights.ParsePeriod(arg)
	if err != nil {
		return Text(pr.T("perf.badperiod", kit.Escape(kit.Truncate(text, 40)), usageIn(pr))), nil
	}
	rep, err := p.People.RepFor(ctx, userID)
	if msg, ok := ExplainIn(pr, err); ok && pr.Lang() != i18n.English {
		return Text(msg), nil
	}
	if err != nil {
		return Message{}, err
	}
	r, err := p.Reports.RepReport(ctx, rep, kind)
	if msg, ok := ExplainIn(pr, err); ok && pr.Lang() != i18n.English {
		return Text(msg), nil
	}
	if err != nil {
		return Message{}, fmt.Errorf("report for %s (%s): %w", rep, kind, err)
	}
	return RepMessageIn(pr, r, p.Location), nil
}

// usageIn is /myperformance's argument summary in p's language.
func usageIn(p *i18n.Printer) string {
	if p.Lang() == i18n.English {
		return PerformanceUsage
	}
	return p.T("perf.usage")
}

// english renders the messages of features not yet given a reader's
// language.
var english = i18n.New(i18n.English, "USD")

// RepMessage renders a rep's report as the rep sees it, in English.
func RepMessage(r insights.RepReport, loc *time.Location) Message {
	return RepMessageIn(english, r, loc)
}

// RepMessageIn renders a rep's report as the rep sees it, in p's language
// and currency.
func RepMessageIn(p *i18n.Printer, r insights.RepReport, loc *time.Location) Message {
	m, prev, s := r.Metrics, r.Previous, r.Standing
	name := kit.Escape(r.Rep.Name)
	label := periodLabel(p, r.Period)
	blocks := []slack.Block{
		kit.Header(p.T("perf.header", label)),
		kit.Context(p.T("perf.context", spanIn(p, r.Period, loc), asOfIn(p, r.AsOf, loc))),
	}
	blocks = append(blocks, kit.Section(attainmentLine(p, m)))

	// A period that has ended is shown as it stood at its end; a running
	// one is compared with the same point of the period before.
	ended := !r.AsOf.Before(r.Period.End.Add(-time.Second))
	pipelineWhen := p.T("perf.pipeline.now")
	if ended {
		pipelineWhen = p.T("perf.pipeline.end")
	}
	// A week is too short for coverage and forecast to mean much: a deal
	// or two swings them wildly.
	weekly := r.Period.Kind == insights.PeriodWeek || r.Period.Kind == insights.PeriodLastWeek
	cov := coverage(p, m)
	if weekly {
		cov = ""
	}
	fields := []string{
		p.T("perf.won", p.Money(m.WonRevenue), trend(p, m.WonRevenue, prev.WonRevenue, previousName(p, r.Period), !ended)),
		p.T("perf.winrate", ratioIn(p, m.WinRate, m.HasWinRate, p.T("perf.wonlost", m.Won, m.Lost)), teamMedian(s, insights.MetricWinRate, p.Percent(s.MedianWinRate))),
		p.T("perf.avgdeal", dealSize(p, m), teamMedian(s, insights.MetricAvgDealSize, p.Money(s.MedianDealSize))),
		p.T("perf.cycle", days(p, m.MedianCycleDays, m.HasCycle), teamMedian(s, insights.MetricCycle, days(p, s.MedianCycleDays, true))),
		p.T("perf.pipeline", pipelineWhen, p.Money(m.Pipeline), p.T("n.deals", m.OpenDeals), cov),
	}
	if !ended && !weekly {
		fields = append(fields, p.T("perf.forecast", p.Money(m.Forecast), forecastVsQuota(p, m)))
	}
	// A rank among people who all won nothing says nothing.
	if s.TeamSize > 1 && s.Rank > 0 && m.WonRevenue > 0 {
		fields = append(fields, p.T("perf.rank", s.Rank, s.TeamSize, kit.Escape(teamNameIn(p, s.Team)), p.Money(s.MedianWonRevenue)))
	}
	if n := activityTotal(m); n > 0 {
		fields = append(fields, p.T("perf.activities", activityLine(p, m)))
	}
	blocks = append(blocks, kit.Fields(fields...))

	if len(r.Strengths) > 0 {
		blocks = append(blocks, kit.Section(findingsIn(p, p.T("perf.strengths"), r.Strengths)))
	}
	if r.Focus != nil {
		blocks = append(blocks, focusSectionIn(p, p.T("perf.focus"), r.Focus, r))
	}
	if len(r.StaleDeals) > 0 {
		blocks = append(blocks, staleSectionIn(p, p.T("perf.stale"), r.StaleDeals, m.StaleDeals, 3))
	}
	blocks = append(blocks, kit.Context(p.T("perf.footer")))

	text := p.T("perf.text", name, label, p.Money(m.WonRevenue))
	if m.HasAttainment {
		text += p.T("perf.text.quota", p.Percent(m.Attainment))
	}
	return Message{Text: text, Blocks: blocks}
}

// periodLabel names a period in p's language: "Q4 2026 (Oct–Dec)" /
// "2026 4. çeyrek (Ekim–Aralık)".
func periodLabel(p *i18n.Printer, per insights.Period) string {
	if p.Lang() != i18n.Turkish {
		return per.Label
	}
	switch per.Kind {
	case insights.PeriodWeek, insights.PeriodLastWeek:
		return p.T("period.week", p.ShortDate(per.Start), fmt.Sprint(per.Start.Year()))
	case insights.PeriodMonth:
		return p.T("period.month", p.Month(per.Start.Month()), fmt.Sprint(per.Start.Year()))
	case insights.PeriodQuarter:
		var q int
		var year string
		head, _, _ := strings.Cut(per.Label, " (")
		if _, err := fmt.Sscanf(head, "Q%d %s", &q, &year); err != nil {
			return per.Label
		}
		last := per.End.AddDate(0, -1, 0)
		return p.T("period.quarter", year, q, p.Month(per.Start.Month()), p.Month(last.Month()))
	case insights.PeriodYearToDate:
		return p.T("period.ytd", fmt.Sprint(per.Start.Year()))
	}
	return per.Label
}

// trend compares won revenue with the previous period's: "▲ 12% vs last
// quarter at this point ($8,300)"; atThisPoint says the previous figure is
// as it stood at the same point of that period.
func trend(p *i18n.Printer, cur, prev float64, prevName string, atThisPoint bool) string {
	when := prevName
	if atThisPoint {
		when = p.T("perf.atthispoint", prevName)
	}
	switch {
	case prev == 0 && cur == 0:
		return p.T("perf.nothingwon.either", when)
	case prev == 0:
		return p.T("perf.nothingwon", when)
	}
	return p.T("perf.trend", change(p, cur, prev), when, p.Money(prev))
}

// change formats the relative change from prev to cur: "▲ 12%", "▼ 5%",
// "no change", or "new" when prev is zero and cur is not.
func change(p *i18n.Printer, cur, prev float64) string {
	switch {
	case prev == 0 && cur == 0:
		return p.T("change.none")
	case prev == 0:
		return p.T("change.new")
	}
	d := (cur - prev) / math.Abs(prev)
	switch {
	case math.Abs(d) < 0.005:
		return p.T("change.none")
	case d > 0:
		return "▲ " + p.Percent(d)
	default:
		return "▼ " + p.Percent(-d)
	}
}

// dealSize shows the average and median won deal, or says there was none.
func dealSize(p *i18n.Printer, m insights.Metrics) string {
	if m.Won == 0 {
		return p.T("perf.nodealswon")
	}
	return p.T("perf.dealsize", p.Money(m.AvgDealSize), p.Money(m.MedianDealSize))
}

func attainmentLine(p *i18n.Printer, m insights.Metrics) string {
	if !m.HasAttainment {
		return p.T("perf.noquota", p.Money(m.WonRevenue))
	}
	return p.T("perf.attainment", kit.Bar(m.Attainment), p.Percent(m.Attainment), p.Money(m.WonRevenue), p.Money(m.Quota), quotaNoteIn(p, m))
}

// quotaNote says when a quota is RepCoach's default rather than one loaded
// from a quota file, and when it was annualised from less than a year.
func quotaNoteIn(p *i18n.Printer, m insights.Metrics) string {
	if m.QuotaSource != insights.QuotaDefault {
		return ""
	}
	if m.QuotaHistoryDays > 0 {
		return p.T("perf.defaultquota.history", p.T("n.days", m.QuotaHistoryDays))
	}
	return p.T("perf.defaultquota")
}

// teamMedian shows a team median, or "—" when too few teammates have the
// figure for a median to mean anything.
func teamMedian(s insights.Standing, id insights.MetricID, v string) string {
	if !s.HasMedian(id) {
		return "—"
	}
	return v
}

func coverage(p *i18n.Printer, m insights.Metrics) string {
	if !m.HasCoverage {
		return ""
	}
	s := p.T("perf.coverage", p.Decimal(m.Coverage))
	if m.NeededCoverage > 0 {
		s += p.T("perf.coverage.need", p.Decimal(m.NeededCoverage))
	}
	return s
}

// forecastVsQuota follows the most likely forecast with its share of quota
// and its range: commit (where the CRM commits deals) to best case.
func forecastVsQuota(p *i18n.Printer, m insights.Metrics) string {
	if m.Quota <= 0 {
		return p.T("perf.forecast.noquota", forecastRange(p, m))
	}
	return p.T("perf.forecast.quota", p.Percent(m.Forecast/m.Quota), forecastRange(p, m))
}

// forecastRange is "commit $X · best case $Y · " where they differ from the
// most likely forecast, else "".
func forecastRange(p *i18n.Printer, m insights.Metrics) string {
	var s string
	if m.HasCommit && m.ForecastCommit != m.Forecast {
		s += p.T("perf.forecast.commit", p.Money(m.ForecastCommit))
	}
	if m.ForecastBest > m.Forecast {
		s += p.T("perf.forecast.best", p.Money(m.ForecastBest))
	}
	return s
}

func ratioIn(p *i18n.Printer, v float64, ok bool, detail string) string {
	if !ok {
		return p.T("perf.noclosed")
	}
	return fmt.Sprintf("%s (%s)", p.Percent(v), detail)
}

func days(p *i18n.Printer, v float64, ok bool) string {
	if !ok {
		return p.T("na")
	}
	return p.T("n.days", int(math.Round(v)))
}

func activityTotal(m insights.Metrics) int {
	n := 0
	for _, c := range m.Activities {
		n += c
	}
	return n
}

func activityLine(p *i18n.Printer, m insights.Metrics) string {
	var parts []string
	for _, k := range []insights.ActivityKind{insights.ActivityCall, insights.ActivityEmail, insights.ActivityMeeting, insights.ActivityOther} {
		if n := m.Activities[k]; n > 0 {
			parts = append(parts, p.T("n."+string(k), n))
		}
	}
	return strings.Join(parts, ", ")
}

func previousName(p *i18n.Printer, per insights.Period) string {
	switch per.Kind {
	case insights.PeriodWeek:
		return p.T("prev.week")
	case insights.PeriodLastWeek:
		return p.T("prev.lastweek")
	case insights.PeriodMonth:
		return p.T("prev.month")
	case insights.PeriodQuarter:
		return p.T("prev.quarter")
	case insights.PeriodYearToDate:
		return p.T("prev.year")
	}
	return p.T("prev.period")
}

func teamName(key string) string { return teamNameIn(english, key) }

func teamNameIn(p *i18n.Printer, key string) string {
	if i := strings.IndexByte(key, ':'); i >= 0 {
		if insights.IsManagerTeam(key) {
			return p.T("team.of", key[i+1:])
		}
		return key[i+1:]
	}
	if key == insights.TeamAll {
		return p.T("team.all")
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
func dealValue(d insights.DealRef) string { return dealValueIn(english, d) }

func dealValueIn(p *i18n.Printer, d insights.DealRef) string {
	if d.ListPrice {
		if d.Amount == 0 {
			return p.T("deal.noamount")
		}
		return p.T("deal.listprice", p.Money(d.Amount))
	}
	return p.Money(d.Amount)
}

// focusSection shows the one metric to work on, its evidence and a tip.
func focusSection(title string, f *insights.Finding) slack.Block {
	text := english.T("focus.title", title, strings.ToLower(metricName(f.Metric)), f.Evidence)
	if f.Tip != "" {
		text += english.T("focus.tip", f.Tip)
	}
	return kit.Section(text)
}

// focusSectionIn is focusSection in p's language, the evidence and tip
// written from the finding's figures and r.
func focusSectionIn(p *i18n.Printer, title string, f *insights.Finding, r insights.RepReport) slack.Block {
	if p.Lang() == i18n.English && p.Currency() == "USD" {
		return focusSection(title, f) // as insights wrote it
	}
	text := p.T("focus.title", title, strings.ToLower(metricNameIn(p, f.Metric)), capitalize(evidence(p, *f)))
	if f.Tip != "" {
		if t := tip(p, f.Metric, r); t != "" {
			text += p.T("focus.tip", t)
		}
	}
	return kit.Section(text)
}

// staleSection lists up to n of a rep's stale deals by name, saying how
// many there are in all (total).
func staleSection(title string, deals []insights.DealRef, total, n int) slack.Block {
	return staleSectionIn(english, title, deals, total, n)
}

func staleSectionIn(p *i18n.Printer, title string, deals []insights.DealRef, total, n int) slack.Block {
	var b strings.Builder
	b.WriteString(title)
	if shown := min(n, len(deals)); total > shown {
		b.WriteString(p.T("stale.of", shown, total))
	}
	for _, d := range deals[:min(n, len(deals))] {
		b.WriteString(p.T("stale.line", kit.Escape(dealName(d)), kit.Escape(d.Stage), dealValueIn(p, d), p.T("n.days", d.IdleDays)))
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

func findingsIn(p *i18n.Printer, title string, fs []insights.Finding) string {
	if p.Lang() == i18n.English && p.Currency() == "USD" {
		return findings(title, fs) // as insights wrote it
	}
	var b strings.Builder
	b.WriteString(title)
	for _, f := range fs {
		fmt.Fprintf(&b, "\n• %s", capitalize(evidence(p, f)))
	}
	return b.String()
}

// evidence writes a finding's comparison in p's language.
func evidence(p *i18n.Printer, f insights.Finding) string {
	switch insights.MetricID(f.Metric) {
	case insights.MetricAttainment, insights.MetricWinRate, insights.MetricStale:
		return p.T("evidence."+f.Metric, p.Percent(f.Rep), p.Percent(f.Team))
	case insights.MetricAvgDealSize:
		return p.T("evidence."+f.Metric, p.Money(f.Rep), p.Money(f.Team))
	case insights.MetricCycle:
		return p.T("evidence."+f.Metric, p.T("n.days", int(math.Round(f.Rep))), p.T("n.days", int(math.Round(f.Team))))
	case insights.MetricCoverage:
		return p.T("evidence."+f.Metric, p.Decimal(f.Rep), p.Decimal(f.Team))
	case insights.MetricActivity:
		return p.T("evidence."+f.Metric, p.T("n.activities", int(math.Round(f.Rep))), p.Number(f.Team))
	}
	return f.Evidence
}

// tip is the concrete advice for a weak metric in p's language, with r's
// figures, as insights writes it in English.
func tip(p *i18n.Printer, metric string, r insights.RepReport) string {
	m := r.Metrics
	switch insights.MetricID(metric) {
	case insights.MetricAttainment:
		if m.WonRevenue >= m.Quota {
			return p.T("tip.attainment.past", periodLabel(p, r.Period))
		}
		return p.T("tip.attainment", p.Money(m.Quota-m.WonRevenue), periodLabel(p, r.Period))
	case insights.MetricCoverage:
		if gap := m.NeededCoverage*(m.Quota-m.WonRevenue) - m.Pipeline; m.NeededCoverage > 0 && gap > 0 {
			return p.T("tip.coverage.gap", p.Decimal(m.NeededCoverage), p.Money(gap))
		}
		return p.T("tip.coverage")
	case insights.MetricStale:
		return p.T("tip.stale", m.StaleDeals)
	case insights.MetricActivity:
		return p.T("tip.activity", p.Number(r.Standing.MedianActivities))
	case insights.MetricWinRate, insights.MetricAvgDealSize, insights.MetricCycle:
		return p.T("tip." + metric)
	}
	return ""
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

func metricName(id string) string { return metricNameIn(english, id) }

// metricNameIn names a metric in p's language: English from the
// definitions in insights, Turkish from the catalog.
func metricNameIn(p *i18n.Printer, id string) string {
	if p.Lang() != i18n.English {
		return p.T("metric." + id + ".name")
	}
	if d, ok := insights.DefinitionOf(insights.MetricID(id)); ok {
		return d.Name
	}
	return id
}

// metricFormulaIn defines a metric in p's language.
func metricFormulaIn(p *i18n.Printer, d insights.Definition) string {
	if p.Lang() != i18n.English {
		return p.T("metric." + string(d.ID) + ".formula")
	}
	return d.Formula
}

// PerformanceHelp explains /myperformance and every figure in English.
func PerformanceHelp() Message { return PerformanceHelpIn(english) }

// PerformanceHelpIn explains /myperformance and every figure in p's
// language, from the metric definitions in insights.
func PerformanceHelpIn(p *i18n.Printer) Message {
	blocks := []slack.Block{
		kit.Header(p.T("help.header")),
		kit.Section("`/myperformance " + usageIn(p) + "`\n" + p.T("help.intro")),
	}
	// The definitions take several sections: one holds at most
	// kit.MaxSectionText characters, and the Turkish ones run longer.
	var b strings.Builder
	for _, d := range insights.Definitions() {
		line := fmt.Sprintf("• *%s*: %s\n", metricNameIn(p, string(d.ID)), metricFormulaIn(p, d))
		if b.Len() > 0 && utf8.RuneCountInString(b.String()+line) > kit.MaxSectionText {
			blocks = append(blocks, kit.Section(b.String()))
			b.Reset()
		}
		b.WriteString(line)
	}
	blocks = append(blocks, kit.Section(b.String()), kit.Context(p.T("help.footer")))
	return Message{Text: p.T("help.text"), Blocks: blocks}
}

// Span says which days a period covers, in loc: "1 Oct – 31 Dec 2017".
func Span(per insights.Period, loc *time.Location) string { return spanIn(english, per, loc) }

func spanIn(p *i18n.Printer, per insights.Period, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	start, end := per.Start.In(loc), per.End.In(loc).Add(-time.Nanosecond)
	if start.Year() == end.Year() {
		return p.ShortDate(start) + " – " + p.ShortDate(end) + " " + fmt.Sprint(end.Year())
	}
	return p.ShortDate(start) + " " + fmt.Sprint(start.Year()) + " – " + p.ShortDate(end) + " " + fmt.Sprint(end.Year())
}

// AsOf says when figures were true, in loc: "as of Sun 31 Dec 2017, 23:59 UTC".
func AsOf(t time.Time, loc *time.Location) string { return asOfIn(english, t, loc) }

func asOfIn(p *i18n.Printer, t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return p.T("asof", p.DateTime(t, loc))
}

// Explain turns domain errors into the friendly text a user sees, in
// English; it reports false for anything else (an internal error).
func Explain(err error) (string, bool) { return ExplainIn(english, err) }

// ExplainIn is Explain in p's language.
func ExplainIn(p *i18n.Printer, err error) (string, bool) {
	switch {
	case errors.Is(err, insights.ErrUnknownRep):
		return p.T("explain.unknownrep"), true
	case errors.Is(err, insights.ErrNoData):
		return p.T("explain.nodata"), true
	case errors.Is(err, ErrNotInCRM):
		return p.T("explain.notincrm"), true
	case errors.Is(err, insights.ErrUnknownTeam):
		return p.T("explain.unknownteam"), true
	case errors.Is(err, ErrNotAllowed):
		return p.T("explain.notallowed", notAllowedWho(p, err)), true
	}
	return "", false
}

func quotaNote(m insights.Metrics) string { return quotaNoteIn(english, m) }

func ratio(v float64, ok bool, detail string) string { return ratioIn(english, v, ok, detail) }
