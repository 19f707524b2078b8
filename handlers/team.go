package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

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
// are told it is for managers.
type Team struct {
	Reports  TeamReports
	People   People
	Roles    Roles
	Location *time.Location
}

// TeamUsage is the argument summary of /teamperformance.
const TeamUsage = "[week | last week | month | quarter | ytd] [manager name | office | all]"

// Show builds the /teamperformance answer for the Slack user asking.
func (t *Team) Show(ctx context.Context, userID, text string) (Message, error) {
	if strings.EqualFold(strings.TrimSpace(text), "help") {
		return Text("`/teamperformance " + TeamUsage + "`\nManagers see their own team; sales ops name any manager's team, an office, or `all`. The period defaults to this quarter."), nil
	}
	kind, name, err := ParseTeamArgs(text)
	if err != nil {
		return Text(fmt.Sprintf("%s\nUsage: `/teamperformance %s`", kit.Escape(err.Error()), TeamUsage)), nil
	}
	key, err := t.teamFor(ctx, userID, name)
	if err != nil {
		return Message{}, err
	}
	r, err := t.Reports.TeamReport(ctx, key, kind)
	if err != nil {
		return Message{}, fmt.Errorf("team report %s (%s): %w", key, kind, err)
	}
	return TeamMessage(r, t.Location), nil
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
		return "", NotAllowed("sales ops: as a manager you see your own team (just type `/teamperformance`)")
	}
	return "", NotAllowed("managers and sales ops; `/myperformance` shows your own numbers")
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
	if strings.EqualFold(name, "all") || strings.EqualFold(name, "everyone") {
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

// ParseTeamArgs splits /teamperformance's text into a period (the quarter
// when none is given) and a team name (empty for "my team"). The period may
// come first or last: "month Central", "Dustin Brinkmann last week".
func ParseTeamArgs(text string) (insights.PeriodKind, string, error) {
	words := strings.Fields(text)
	try := func(w []string) (insights.PeriodKind, bool) {
		if len(w) == 0 {
			return "", false
		}
		k, err := insights.ParsePeriod(strings.Join(w, " "))
		return k, err == nil
	}
	for n := min(2, len(words)); n >= 1; n-- {
		if k, ok := try(words[:n]); ok {
			return k, strings.Join(words[n:], " "), nil
		}
		if k, ok := try(words[len(words)-n:]); ok {
			return k, strings.Join(words[:len(words)-n], " "), nil
		}
	}
	return insights.PeriodQuarter, strings.Join(words, " "), nil
}

// TeamMessage renders a team report for a manager or ops.
func TeamMessage(r insights.TeamReport, loc *time.Location) Message {
	return teamMessage(r, loc, true)
}

// TeamHome renders a team report for a manager's App Home tab, where table
// and chart blocks are not available: the table becomes a list.
func TeamHome(r insights.TeamReport, loc *time.Location) []slack.Block {
	return teamMessage(r, loc, false).Blocks
}

func teamMessage(r insights.TeamReport, loc *time.Location, message bool) Message {
	title := teamTitle(r)
	blocks := []slack.Block{
		kit.Header(fmt.Sprintf("%s: %s", title, r.Period.Label)),
		kit.Context(fmt.Sprintf("%s · %s · %s · only you can see this", Span(r.Period, loc), AsOf(r.AsOf, loc), kit.Plural(max(r.Standing.TeamSize, len(r.Members)), "rep", "reps"))),
		kit.Section(teamHeadline(r)),
	}
	blocks = append(blocks, teamTable(r, message)...)
	blocks = append(blocks, teamSignals(r)...)
	if chart := weeklyChart(r.WeeklyWon, r.AsOf, loc); chart != nil && message {
		blocks = append(blocks, chart)
	}
	blocks = append(blocks, kit.Context("Attainment = won revenue ÷ quota; pace = share of the period gone. `/myperformance help` defines every figure."))
	return Message{Text: fmt.Sprintf("%s, %s: won %s%s", kit.Escape(title), r.Period.Label, kit.Money(r.Total.WonRevenue), quotaSuffix(r.Total)), Blocks: blocks}
}

func quotaSuffix(m insights.Metrics) string {
	if !m.HasAttainment {
		return ""
	}
	return fmt.Sprintf(" (%s of quota)", kit.Percent(m.Attainment))
}

// teamTitle names a team in plain text (headers, fallback text); escape it
// for mrkdwn.
func teamTitle(r insights.TeamReport) string {
	if r.Team == insights.TeamAll {
		return "Whole sales team"
	}
	return teamName(r.Team)
}

func teamHeadline(r insights.TeamReport) string {
	m := r.Total
	var b strings.Builder
	if m.HasAttainment {
		fmt.Fprintf(&b, "*Quota attainment* `%s` *%s*: won %s of %s%s", kit.Bar(m.Attainment), kit.Percent(m.Attainment), kit.Money(m.WonRevenue), kit.Money(m.Quota), quotaNote(m))
	} else {
		fmt.Fprintf(&b, "*Won* %s (no quota set)", kit.Money(m.WonRevenue))
	}
	fmt.Fprintf(&b, "\n*Forecast* %s", kit.Money(m.Forecast))
	if m.Quota > 0 {
		fmt.Fprintf(&b, " = %s of target", kit.Percent(m.Forecast/m.Quota))
	}
	fmt.Fprintf(&b, " (%swon so far plus open deals × their chance of closing won in time)", forecastRange(english, m))
	fmt.Fprintf(&b, "\n*Win rate* %s · *Open pipeline* %s in %s", ratio(m.WinRate, m.HasWinRate, fmt.Sprintf("%d won, %d lost", m.Won, m.Lost)), kit.Money(m.Pipeline), kit.Plural(m.OpenDeals, "deal", "deals"))
	return b.String()
}

// teamTable is the per-rep table: a Block Kit table in a message where it
// fits, a list otherwise.
func teamTable(r insights.TeamReport, message bool) []slack.Block {
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
		return []slack.Block{kit.Section("_No reps in this team yet._")}
	}
	if !message && len(members) <= 20 {
		var b strings.Builder
		b.WriteString("*Reps by won revenue*")
		for _, m := range members {
			fmt.Fprintf(&b, "\n• %s: %s%s · pipeline %s", kit.Escape(m.Rep.Name), kit.Money(m.Metrics.WonRevenue), quotaSuffix(m.Metrics), kit.Money(m.Metrics.Pipeline))
		}
		return []slack.Block{kit.Section(b.String())}
	}
	if message && len(members)+1 <= kit.MaxTableRows {
		t := &slack.TableBlock{Type: slack.MBTTable}
		header := []string{"Rep", "Won", "Quota", "Win rate", "Pipeline", "Stale"}
		row := make([]slack.TableCell, 0, len(header))
		for _, h := range header {
			row = append(row, slack.NewTableRawTextCell(h))
		}
		t.Rows = append(t.Rows, row)
		for _, m := range members {
			x := m.Metrics
			att := "–"
			if x.HasAttainment {
				att = kit.Percent(x.Attainment)
			}
			wr := "–"
			if x.HasWinRate {
				wr = kit.Percent(x.WinRate)
			}
			t.Rows = append(t.Rows, []slack.TableCell{
				slack.NewTableRawTextCell(kit.Truncate(m.Rep.Name, 40)),
				slack.NewTableRawTextCell(kit.Money(x.WonRevenue)),
				slack.NewTableRawTextCell(att),
				slack.NewTableRawTextCell(wr),
				slack.NewTableRawTextCell(kit.Money(x.Pipeline)),
				slack.NewTableRawTextCell(fmt.Sprint(x.StaleDeals)),
			})
		}
		return []slack.Block{t}
	}
	// Too many rows for a table (or no table here): the top and bottom ten.
	var b strings.Builder
	b.WriteString("*Top 10 by won revenue*")
	for _, m := range members[:10] {
		fmt.Fprintf(&b, "\n• %s: %s%s", kit.Escape(m.Rep.Name), kit.Money(m.Metrics.WonRevenue), quotaSuffix(m.Metrics))
	}
	b.WriteString("\n*Bottom 10*")
	for _, m := range members[len(members)-10:] {
		fmt.Fprintf(&b, "\n• %s: %s%s", kit.Escape(m.Rep.Name), kit.Money(m.Metrics.WonRevenue), quotaSuffix(m.Metrics))
	}
	return []slack.Block{kit.Section(b.String())}
}

// teamSignals are the things a manager should act on: who is ahead or at
// risk, where deals stall, stale deals, CRM hygiene and recognitions.
func teamSignals(r insights.TeamReport) []slack.Block {
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
			out = append(out, fmt.Sprintf("and %d more", len(ids)-8))
		}
		return strings.Join(out, ", ")
	}
	var blocks []slack.Block
	var pace []string
	if len(r.Ahead) > 0 {
		pace = append(pace, ":rocket: *Ahead of quota pace:* "+list(r.Ahead))
	}
	if len(r.AtRisk) > 0 {
		pace = append(pace, ":warning: *At risk of missing quota:* "+list(r.AtRisk))
	}
	if len(r.NoActivity) > 0 {
		pace = append(pace, ":zzz: *No deals this period:* "+list(r.NoActivity))
	}
	if len(pace) > 0 {
		blocks = append(blocks, kit.Section(strings.Join(pace, "\n")))
	}
	if r.Bottleneck != "" {
		text := fmt.Sprintf(":construction: *Where deals stall:* %s", kit.Escape(r.Bottleneck))
		for _, s := range r.StageFunnel {
			if s.Stage == r.Bottleneck {
				text += fmt.Sprintf(": %s of the %d deals that left it moved on rather than being lost", kit.Percent(s.Conversion), s.Entered-s.InStage)
				if s.InStage > 0 {
					text += fmt.Sprintf(" (%d more are in it now)", s.InStage)
				}
				if s.MedianDays > 0 {
					text += ", after a median " + kit.Whole(s.MedianDays) + " days"
				}
			}
		}
		blocks = append(blocks, kit.Section(text))
	}
	if len(r.StaleDeals) > 0 {
		var b strings.Builder
		b.WriteString(":hourglass: *Stalest open deals*")
		for _, d := range r.StaleDeals[:min(5, len(r.StaleDeals))] {
			fmt.Fprintf(&b, "\n• %s: %s, %s, %s, idle %d days", kit.Escape(d.OwnerName), kit.Escape(dealName(d)), kit.Escape(d.Stage), dealValue(d), d.IdleDays)
		}
		blocks = append(blocks, kit.Section(b.String()))
	}
	if len(r.Hygiene) > 0 {
		var parts []string
		for _, h := range r.Hygiene {
			if h.Count > 0 {
				parts = append(parts, fmt.Sprintf("%s: %d", kit.Escape(h.Label), h.Count))
			}
		}
		if len(parts) > 0 {
			blocks = append(blocks, kit.Section(":broom: *CRM data to fix:* "+strings.Join(parts, " · ")))
		}
	}
	if len(r.Recognitions) > 0 {
		var b strings.Builder
		b.WriteString(":trophy: *Worth recognising*")
		for _, a := range r.Recognitions[:min(3, len(r.Recognitions))] {
			fmt.Fprintf(&b, "\n• %s: %s", kit.Escape(cmpOr(names[a.Rep], string(a.Rep))), kit.Escape(a.Reason))
		}
		blocks = append(blocks, kit.Section(b.String()))
	}
	return blocks
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
