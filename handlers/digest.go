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

// ErrNoMessage means there is nothing to send this person (not a manager,
// not a rep, no data): a scheduled job skips them quietly.
var ErrNoMessage = errors.New("nothing to send")

// SlackUsers finds the Slack user linked to a CRM identity (a RepID or a
// manager's team key); insights.ErrUnknownRep when none is.
type SlackUsers interface {
	RepUser(ctx context.Context, rep insights.RepID) (string, error)
}

// Digest builds the Monday digest each manager gets about their team.
type Digest struct {
	Reports  TeamReports
	People   People
	Users    SlackUsers
	Location *time.Location
	// WeekStart is the first day of the team's week.
	WeekStart time.Weekday
	// Training, when set, gives the team's training progress.
	Training TrainingStore
}

// Audience returns the Slack IDs of every linked manager.
func (d *Digest) Audience(ctx context.Context) ([]string, error) {
	keys, err := d.Reports.Teams(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, k := range keys {
		if !isManager(insights.RepID(k)) {
			continue
		}
		uid, err := d.Users.RepUser(ctx, insights.RepID(k))
		if errors.Is(err, insights.ErrUnknownRep) {
			// A manager who also sells is linked as a rep, under their name.
			_, name, _ := strings.Cut(k, ":")
			uid, err = d.Users.RepUser(ctx, insights.RepID(name))
		}
		switch {
		case errors.Is(err, insights.ErrUnknownRep):
		case err != nil:
			return nil, err
		default:
			ids = append(ids, uid)
		}
	}
	return ids, nil
}

// For builds the digest for the manager with Slack ID userID, due at due
// (in the manager's own time zone; zero means now). It returns ErrNoMessage
// when the user manages no team.
func (d *Digest) For(ctx context.Context, userID string, due time.Time) (Message, error) {
	rep, err := d.People.RepFor(ctx, userID)
	if errors.Is(err, insights.ErrUnknownRep) {
		return Message{}, ErrNoMessage
	}
	if err != nil {
		return Message{}, err
	}
	team := ownTeam(ctx, d.Reports, rep)
	if team == "" {
		return Message{}, ErrNoMessage
	}
	return d.ForTeam(ctx, team, due)
}

// ForTeam builds the digest of the team with key team (insights.ManagerTeam),
// due at due as For says.
func (d *Digest) ForTeam(ctx context.Context, team string, due time.Time) (Message, error) {
	quarter, err := d.Reports.TeamReport(ctx, team, insights.PeriodQuarter)
	if err != nil {
		return Message{}, fmt.Errorf("digest for %s: %w", team, err)
	}
	week, err := d.lastWeek(ctx, team, due)
	if err != nil {
		return Message{}, fmt.Errorf("digest for %s: %w", team, err)
	}
	m := DigestMessage(quarter, week, d.Location)
	if d.Training != nil {
		p, err := d.training(ctx, quarter)
		if err != nil {
			return Message{}, fmt.Errorf("digest for %s: %w", team, err)
		}
		// Just above the closing note and button.
		at := max(0, len(m.Blocks)-2)
		line := kit.Section(fmt.Sprintf(":mortar_board: *Training this quarter:* %d of %s started the module for their focus, %d finished it.", p.Started, kit.Plural(max(quarter.Standing.TeamSize, len(quarter.Members)), "rep", "reps"), p.Done))
		m.Blocks = append(m.Blocks[:at], append([]slack.Block{line}, m.Blocks[at:]...)...)
	}
	return m, nil
}

// training counts the team's reps who started and finished a nudge's
// training this quarter.
func (d *Digest) training(ctx context.Context, quarter insights.TeamReport) (TrainingProgress, error) {
	ids := make([]insights.RepID, 0, len(quarter.Members))
	for _, m := range quarter.Members {
		ids = append(ids, m.Rep.ID)
	}
	users, err := linkedUsers(ctx, d.Users, ids)
	if err != nil {
		return TrainingProgress{}, err
	}
	return progress(ctx, d.Training, users, quarter.Period.Start)
}

// lastWeek returns the team's report for the week before due's week as the
// manager counts weeks, in due's own zone. A manager east of the team's
// zone gets the Monday digest while the team's calendar still says Sunday:
// their "last week" is then the team's current week, all but over.
func (d *Digest) lastWeek(ctx context.Context, team string, due time.Time) (insights.TeamReport, error) {
	last, err := d.Reports.TeamReport(ctx, team, insights.PeriodLastWeek)
	if err != nil || due.IsZero() {
		return last, err
	}
	back := (int(due.Weekday()) - int(d.WeekStart) + 7) % 7
	want := due.AddDate(0, 0, -back-7)
	if sameDay(last.Period.Start, want) {
		return last, nil
	}
	cur, err := d.Reports.TeamReport(ctx, team, insights.PeriodWeek)
	if err == nil && sameDay(cur.Period.Start, want) {
		return cur, nil
	}
	return last, nil
}

// sameDay reports whether a and b fall on the same date, each in its own
// zone.
func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// DigestMessage renders a manager's digest from the team's quarter and last
// week.
func DigestMessage(quarter, lastWeek insights.TeamReport, loc *time.Location) Message {
	title := teamTitle(quarter)
	w := lastWeek.Total
	blocks := []slack.Block{
		kit.Header("Monday digest: " + title),
		kit.Context(fmt.Sprintf("%s · quarter %s · %s", lastWeek.Period.Label, Span(quarter.Period, loc), AsOf(quarter.AsOf, loc))),
		kit.Section(fmt.Sprintf("*Last week* (%s): won %s in %s, %s lost · %s", Span(lastWeek.Period, loc), kit.Money(w.WonRevenue), kit.Plural(w.Won, "deal", "deals"), fmt.Sprint(w.Lost), kit.Change(w.WonRevenue, lastWeek.PreviousWon)+" vs the week before")),
		kit.Section("*" + quarter.Period.Label + " so far*\n" + teamHeadline(quarter)),
	}
	blocks = append(blocks, teamTable(quarter, true)...)
	blocks = append(blocks, teamSignals(quarter)...)
	if chart := weeklyChart(quarter.WeeklyWon, quarter.AsOf, loc); chart != nil {
		blocks = append(blocks, chart)
	}
	blocks = append(blocks, kit.Context("You get this every Monday morning in your time zone. `/teamperformance` shows it any time."), OptOutButton(KindDigest))
	text := fmt.Sprintf("Monday digest for %s: last week won %s; %s so far %s%s", kit.Escape(title), kit.Money(w.WonRevenue), quarter.Period.Label, kit.Money(quarter.Total.WonRevenue), quotaSuffix(quarter.Total))
	return Message{Text: text, Blocks: blocks}
}

// weeklyChart draws weekly won revenue as a bar chart, at most Slack's 20
// points, the week still running (as of asOf) marked "so far"; nil
// without data.
func weeklyChart(weeks []insights.WeekAmount, asOf time.Time, loc *time.Location) slack.Block {
	if len(weeks) == 0 {
		return nil
	}
	if loc == nil {
		loc = time.UTC
	}
	weeks = weeks[max(0, len(weeks)-kit.MaxChartPoints):]
	cats := make([]string, 0, len(weeks))
	pts := make([]slack.DataVisualizationDataPoint, 0, len(weeks))
	for _, w := range weeks {
		label := w.Start.In(loc).Format("2 Jan")
		if w.Start.AddDate(0, 0, 7).After(asOf) {
			label += " so far"
		}
		cats = append(cats, label)
		pts = append(pts, slack.NewDataVisualizationDataPoint(label, float64(int64(w.Amount))))
	}
	axis := slack.NewDataVisualizationAxisConfig(cats...).WithXLabel("Week starting").WithYLabel("Won revenue")
	chart := slack.NewDataVisualizationBarChart(axis, slack.NewDataVisualizationDataSeries("Won", pts...))
	return slack.NewDataVisualizationBlock("Won revenue by week", chart)
}
