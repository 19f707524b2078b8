package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

// TeamReports reads cached team reports and lists the teams in them.
type TeamReports interface {
	TeamReport(ctx context.Context, team string, kind insights.PeriodKind) (insights.TeamReport, error)
	Teams(ctx context.Context) ([]string, error)
}

// Team answers /teamperformance and builds the manager digest. A manager
// sees their own team only; ops see any team, an office, or everyone; reps
// are told it is for managers. Answers are in the asker's language.
type Team struct {
	Reports  TeamReports
	People   People
	Roles    Roles
	Location *time.Location
	// Locales picks each reader's language and currency; nil is English
	// and dollars.
	Locales *Locales
}

// TeamUsage is the argument summary of /teamperformance.
const TeamUsage = "[week | last week | month | quarter | ytd] [manager name | office | all]"

// teamUsageIn is TeamUsage in p's language.
func teamUsageIn(p *i18n.Printer) string {
	if p.Lang() == i18n.English {
		return TeamUsage
	}
	return p.T("team.usage")
}

// Show builds the /teamperformance answer for the Slack user asking, in
// their language; text names the period and team in English or Turkish.
func (t *Team) Show(ctx context.Context, userID, text string) (Message, error) {
	p := t.Locales.Printer(ctx, userID)
	if periodArg(text) == "help" {
		return Text(p.T("team.help", teamUsageIn(p))), nil
	}
	kind, name := ParseTeamArgs(text)
	key, err := t.teamFor(ctx, userID, name)
	if err != nil {
		return Message{}, err
	}
	r, err := t.Reports.TeamReport(ctx, key, kind)
	if err != nil {
		return Message{}, fmt.Errorf("team report %s (%s): %w", key, kind, err)
	}
	return TeamMessageIn(p, r, t.Location), nil
}

// teamFor decides which team the user may see: their own as a manager, or
// the one named (ops only).
func (t *Team) teamFor(ctx context.Context, userID, name string) (string, error) {
	id, err := t.People.RepFor(ctx, userID)
	if err != nil && !errors.Is(err, insights.ErrUnknownRep) {
		return "", err
	}
	own := ownTeam(ctx, t.Reports, id)
	// A manager asking for their own team needs no ops check, so a Slack
	// hiccup reading the ops group never locks them out.
	if own != "" && (name == "" || t.sameTeam(ctx, own, name)) {
		return own, nil
	}
	ops, err := t.Roles.IsOps(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("check ops membership: %w", err)
	}
	switch {
	case ops && name != "":
		return t.findTeam(ctx, name)
	case ops:
		return insights.TeamAll, nil
	case own != "":
		return "", NotAllowed("team.forbidden.own")
	}
	return "", NotAllowed("team.forbidden")
}

// ownTeam returns the team key of the team id manages: id itself for a
// manager, the team under a rep's name for a rep who also manages (a
// player-coach), else "".
func ownTeam(ctx context.Context, reports TeamReports, id insights.RepID) string {
	switch {
	case isManager(id):
		return string(id)
	case id == "":
		return ""
	}
	if key, err := findTeam(ctx, reports, string(id)); err == nil && insights.IsManagerTeam(key) {
		return key
	}
	return ""
}

func (t *Team) sameTeam(ctx context.Context, own, name string) bool {
	key, err := t.findTeam(ctx, name)
	return err == nil && key == own
}

// findTeam resolves a typed team name (a manager, an office or "all") to a
// team key, ignoring case.
func (t *Team) findTeam(ctx context.Context, name string) (string, error) {
	return findTeam(ctx, t.Reports, name)
}

func findTeam(ctx context.Context, reports TeamReports, name string) (string, error) {
	if allWords[periodArg(name)] {
		return insights.TeamAll, nil
	}
	keys, err := reports.Teams(ctx)
	if err != nil {
		return "", fmt.Errorf("list teams: %w", err)
	}
	want := normName(name)
	for _, k := range keys {
		_, label, _ := strings.Cut(k, ":")
		if normName(label) == want {
			return k, nil
		}
	}
	return "", fmt.Errorf("team %q: %w", name, insights.ErrUnknownTeam)
}

// allWords name the whole sales team, in English and Turkish (folded, as
// periodArg leaves them: without Turkish letters).
var allWords = map[string]bool{"all": true, "everyone": true, "hepsi": true, "herkes": true, "tumu": true, "tum ekip": true}

// ParseTeamArgs splits /teamperformance's text into a period (the quarter
// when none is given) and a team name (empty for "my team"). The period may
// come first or last, in English or Turkish: "month Central", "Dustin
// Brinkmann last week", "geçen hafta Ayşe Yılmaz".
func ParseTeamArgs(text string) (insights.PeriodKind, string) {
	words := strings.Fields(text)
	try := func(w []string) (insights.PeriodKind, bool) {
		if len(w) == 0 {
			return "", false
		}
		k, err := insights.ParsePeriod(periodArg(strings.Join(w, " ")))
		return k, err == nil
	}
	for n := min(2, len(words)); n >= 1; n-- {
		if k, ok := try(words[:n]); ok {
			return k, strings.Join(words[n:], " ")
		}
		if k, ok := try(words[len(words)-n:]); ok {
			return k, strings.Join(words[:len(words)-n], " ")
		}
	}
	return insights.PeriodQuarter, strings.Join(words, " ")
}

// TeamMessage renders a team report for a manager or ops, in English.
func TeamMessage(r insights.TeamReport, loc *time.Location) Message {
	return TeamMessageIn(english, r, loc)
}

// TeamMessageIn renders a team report for a manager or ops in p's language
// and currency.
func TeamMessageIn(p *i18n.Printer, r insights.TeamReport, loc *time.Location) Message {
	return teamMessage(p, r, loc, true)
}

// TeamHome renders a team report for a manager's App Home tab in p's
// language, where table and chart blocks are not available: the table
// becomes a list.
func TeamHome(p *i18n.Printer, r insights.TeamReport, loc *time.Location) []slack.Block {
	return teamMessage(p, r, loc, false).Blocks
}

func teamMessage(p *i18n.Printer, r insights.TeamReport, loc *time.Location, message bool) Message {
	title := teamTitle(p, r)
	label := periodLabel(p, r.Period)
	blocks := []slack.Block{
		kit.Header(p.T("team.header", title, label)),
		kit.Context(p.T("team.context", spanIn(p, r.Period, loc), asOfIn(p, r.AsOf, loc), p.T("n.reps", max(r.Standing.TeamSize, len(r.Members))))),
		kit.Section(teamHeadline(p, r)),
	}
	blocks = append(blocks, teamTable(p, r, message)...)
	blocks = append(blocks, teamSignals(p, r)...)
	if chart := weeklyChart(p, r.WeeklyWon, r.AsOf, loc); chart != nil && message {
		blocks = append(blocks, chart)
	}
	blocks = append(blocks, kit.Context(p.T("team.footer")))
	return Message{Text: p.T("team.text", kit.Escape(title), label, p.Money(r.Total.WonRevenue), quotaSuffixIn(p, r.Total)), Blocks: blocks}
}

// teamTitle names a team in plain text (headers, fallback text); escape it
// for mrkdwn.
func teamTitle(p *i18n.Printer, r insights.TeamReport) string {
	if r.Team == insights.TeamAll {
		return p.T("team.whole")
	}
	return teamNameIn(p, r.Team)
}

func teamHeadline(p *i18n.Printer, r insights.TeamReport) string {
	m := r.Total
	var b strings.Builder
	if m.HasAttainment {
		b.WriteString(p.T("team.attainment", kit.Bar(m.Attainment), p.Percent(m.Attainment), p.Money(m.WonRevenue), p.Money(m.Quota), quotaNoteIn(p, m)))
	} else {
		b.WriteString(p.T("team.noquota", p.Money(m.WonRevenue)))
	}
	b.WriteString(p.T("team.forecast", p.Money(m.Forecast)))
	if m.Quota > 0 {
		b.WriteString(p.T("team.forecast.target", p.Percent(m.Forecast/m.Quota)))
	}
	b.WriteString(p.T("team.forecast.how", forecastRange(p, m)))
	b.WriteString(p.T("team.winrate", ratioIn(p, m.WinRate, m.HasWinRate, p.T("perf.wonlost", m.Won, m.Lost)), p.Money(m.Pipeline), p.T("n.deals", m.OpenDeals)))
	return b.String()
}

// teamTable is the per-rep table: a Block Kit table in a message where it
// fits, a list otherwise.
func teamTable(p *i18n.Printer, r insights.TeamReport, message bool) []slack.Block {
	members := slices.Clone(r.Members)
	slices.SortStableFunc(members, func(a, b insights.RepReport) int {
		switch {
		case a.Metrics.WonRevenue > b.Metrics.WonRevenue:
			return -1
		case a.Metrics.WonRevenue < b.Metrics.WonRevenue:
			return 1
		}
		return strings.Compare(a.Rep.Name, b.Rep.Name)
	})
	if len(members) == 0 {
		return []slack.Block{kit.Section(p.T("team.empty"))}
	}
	if !message && len(members) <= 20 {
		var b strings.Builder
		b.WriteString(p.T("team.list"))
		for _, m := range members {
			b.WriteString(p.T("team.list.line", kit.Escape(m.Rep.Name), p.Money(m.Metrics.WonRevenue), quotaSuffixIn(p, m.Metrics), p.Money(m.Metrics.Pipeline)))
		}
		return []slack.Block{kit.Section(b.String())}
	}
	if message && len(members)+1 <= kit.MaxTableRows {
		t := &slack.TableBlock{Type: slack.MBTTable}
		header := []string{p.T("team.col.rep"), p.T("team.col.won"), p.T("team.col.quota"), p.T("team.col.winrate"), p.T("team.col.pipeline"), p.T("team.col.stale")}
		row := make([]slack.TableCell, 0, len(header))
		for _, h := range header {
			row = append(row, slack.NewTableRawTextCell(h))
		}
		t.Rows = append(t.Rows, row)
		for _, m := range members {
			x := m.Metrics
			att := "–"
			if x.HasAttainment {
				att = p.Percent(x.Attainment)
			}
			wr := "–"
			if x.HasWinRate {
				wr = p.Percent(x.WinRate)
			}
			t.Rows = append(t.Rows, []slack.TableCell{
				slack.NewTableRawTextCell(kit.Truncate(m.Rep.Name, 40)),
				slack.NewTableRawTextCell(p.Money(x.WonRevenue)),
				slack.NewTableRawTextCell(att),
				slack.NewTableRawTextCell(wr),
				slack.NewTableRawTextCell(p.Money(x.Pipeline)),
				slack.NewTableRawTextCell(p.Number(float64(x.StaleDeals))),
			})
		}
		return []slack.Block{t}
	}
	// Too many rows for a table (or no table here): the top and bottom ten.
	var b strings.Builder
	b.WriteString(p.T("team.top"))
	for _, m := range members[:10] {
		b.WriteString(p.T("team.line", kit.Escape(m.Rep.Name), p.Money(m.Metrics.WonRevenue), quotaSuffixIn(p, m.Metrics)))
	}
	b.WriteString("\n" + p.T("team.bottom"))
	for _, m := range members[len(members)-10:] {
		b.WriteString(p.T("team.line", kit.Escape(m.Rep.Name), p.Money(m.Metrics.WonRevenue), quotaSuffixIn(p, m.Metrics)))
	}
	return []slack.Block{kit.Section(b.String())}
}

// teamSignals are the things a manager should act on: who is ahead or at
// risk, where deals stall, stale deals, CRM hygiene and recognitions.
func teamSignals(p *i18n.Printer, r insights.TeamReport) []slack.Block {
	names := map[insights.RepID]string{}
	for _, m := range r.Members {
		names[m.Rep.ID] = m.Rep.Name
	}
	list := func(ids []insights.RepID) string {
		var out []string
		for _, id := range ids[:min(8, len(ids))] {
			out = append(out, kit.Escape(cmpOr(names[id], string(id))))
		}
		if len(ids) > 8 {
			out = append(out, p.T("team.andmore", len(ids)-8))
		}
		return strings.Join(out, ", ")
	}
	var blocks []slack.Block
	var pace []string
	if len(r.Ahead) > 0 {
		pace = append(pace, p.T("team.ahead", list(r.Ahead)))
	}
	if len(r.AtRisk) > 0 {
		pace = append(pace, p.T("team.atrisk", list(r.AtRisk)))
	}
	if len(r.NoActivity) > 0 {
		pace = append(pace, p.T("team.nodeals", list(r.NoActivity)))
	}
	if len(pace) > 0 {
		blocks = append(blocks, kit.Section(strings.Join(pace, "\n")))
	}
	if r.Bottleneck != "" {
		text := p.T("team.bottleneck", kit.Escape(r.Bottleneck))
		for _, s := range r.StageFunnel {
			if s.Stage == r.Bottleneck {
				text += p.T("team.bottleneck.conv", p.Percent(s.Conversion), s.Entered-s.InStage)
				if s.InStage > 0 {
					text += p.T("team.bottleneck.in", s.InStage)
				}
				if s.MedianDays > 0 {
					text += p.T("team.bottleneck.after", p.T("n.days", int(math.Round(s.MedianDays))))
				}
			}
		}
		blocks = append(blocks, kit.Section(text))
	}
	if len(r.StaleDeals) > 0 {
		var b strings.Builder
		b.WriteString(p.T("team.stale"))
		for _, d := range r.StaleDeals[:min(5, len(r.StaleDeals))] {
			b.WriteString(p.T("team.stale.line", kit.Escape(d.OwnerName), kit.Escape(dealName(d)), kit.Escape(d.Stage), dealValueIn(p, d), p.T("n.days", d.IdleDays)))
		}
		blocks = append(blocks, kit.Section(b.String()))
	}
	if len(r.Hygiene) > 0 {
		var parts []string
		for _, h := range r.Hygiene {
			if h.Count > 0 {
				parts = append(parts, fmt.Sprintf("%s: %s", kit.Escape(hygieneLabel(p, h)), p.Number(float64(h.Count))))
			}
		}
		if len(parts) > 0 {
			blocks = append(blocks, kit.Section(p.T("team.hygiene", strings.Join(parts, " · "))))
		}
	}
	if len(r.Recognitions) > 0 {
		var b strings.Builder
		b.WriteString(p.T("team.recognise"))
		for _, a := range r.Recognitions[:min(3, len(r.Recognitions))] {
			fmt.Fprintf(&b, "\n• %s: %s", kit.Escape(cmpOr(names[a.Rep], string(a.Rep))), kit.Escape(teamAwardReason(p, a, r.Period)))
		}
		blocks = append(blocks, kit.Section(b.String()))
	}
	return blocks
}

// hygieneLabel names a kind of CRM data problem in p's language; one the
// catalog does not know keeps insights' label.
func hygieneLabel(p *i18n.Printer, h insights.Hygiene) string {
	if key := "hygiene." + h.Kind; i18n.Has(p.Lang(), key) {
		return p.T(key)
	}
	return h.Label
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
