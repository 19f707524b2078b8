package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

// ErrNoMessage means there is nothing to send this person (not a manager,
// not a rep, no data): a scheduled job skips them quietly.
var ErrNoMessage = errors.New("nothing to send")

// recipient returns the CRM identity of userID, the recipient of a
// scheduled DM (a RepID or a manager's team key): ErrNoMessage when they
// match nobody in the CRM data.
func recipient(ctx context.Context, people People, userID string) (insights.RepID, error) {
	id, err := people.RepFor(ctx, userID)
	if errors.Is(err, insights.ErrUnknownRep) {
		return "", ErrNoMessage
	}
	return id, err
}

// repToSend is recipient for the DMs that go to reps: a manager who does
// not sell gets ErrNoMessage too.
func repToSend(ctx context.Context, people People, userID string) (insights.RepID, error) {
	id, err := recipient(ctx, people, userID)
	if err == nil && isManager(id) {
		return "", ErrNoMessage
	}
	return id, err
}

// SlackUsers finds the Slack user linked to a CRM identity (a RepID or a
// manager's team key); insights.ErrUnknownRep when none is.
type SlackUsers interface {
	RepUser(ctx context.Context, rep insights.RepID) (string, error)
}

// Digest builds the weekly digest each manager gets about their team, in
// the manager's language.
type Digest struct {
	Reports  TeamReports
	People   People
	Users    SlackUsers
	Location *time.Location
	// WeekStart is the first day of the team's week.
	WeekStart time.Weekday
	// Training, when set, gives the team's training progress.
	Training TrainingStore
	// Locales picks each manager's language and currency; nil is English.
	Locales *Locales
	// Schedule says when the digest goes out, for its footer.
	Schedule Schedule
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
	rep, err := recipient(ctx, d.People, userID)
	if err != nil {
		return Message{}, err
	}
	team := ownTeam(ctx, d.Reports, rep)
	if team == "" {
		return Message{}, ErrNoMessage
	}
	return d.forTeam(ctx, d.Locales.Printer(ctx, userID), team, due)
}

// ForTeam builds the digest of the team with key team (insights.ManagerTeam),
// due at due as For says, in the workspace's language.
func (d *Digest) ForTeam(ctx context.Context, team string, due time.Time) (Message, error) {
	return d.forTeam(ctx, d.Locales.DefaultPrinter(), team, due)
}

func (d *Digest) forTeam(ctx context.Context, p *i18n.Printer, team string, due time.Time) (Message, error) {
	quarter, err := d.Reports.TeamReport(ctx, team, insights.PeriodQuarter)
	if err != nil {
		return Message{}, fmt.Errorf("digest for %s: %w", team, err)
	}
	week, err := d.lastWeek(ctx, team, due)
	if err != nil {
		return Message{}, fmt.Errorf("digest for %s: %w", team, err)
	}
	m := DigestMessageIn(p, d.Schedule.orDefault().Digest, quarter, week, d.Location)
	if d.Training != nil {
		tp, err := d.training(ctx, quarter)
		if err != nil {
			return Message{}, fmt.Errorf("digest for %s: %w", team, err)
		}
		// Just above the closing note and button.
		at := max(0, len(m.Blocks)-2)
		line := kit.Section(p.T("digest.training", tp.Started, p.T("n.reps", max(quarter.Standing.TeamSize, len(quarter.Members))), tp.Done))
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
// zone gets a Monday digest while the team's calendar still says Sunday:
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
// week, in English, as sent at the default time.
func DigestMessage(quarter, lastWeek insights.TeamReport, loc *time.Location) Message {
	return DigestMessageIn(english, DefaultSchedule.Digest, quarter, lastWeek, loc)
}

// DigestMessageIn renders a manager's digest in p's language and currency;
// at is when digests go out, for the footer.
func DigestMessageIn(p *i18n.Printer, at When, quarter, lastWeek insights.TeamReport, loc *time.Location) Message {
	title := teamTitle(p, quarter)
	w := lastWeek.Total
	quarterLabel := periodLabel(p, quarter.Period)
	blocks := []slack.Block{
		kit.Header(p.T("digest.header", title)),
		kit.Context(p.T("digest.context", periodLabel(p, lastWeek.Period), spanIn(p, quarter.Period, loc), asOfIn(p, quarter.AsOf, loc))),
		kit.Section(p.T("digest.lastweek", spanIn(p, lastWeek.Period, loc), p.Money(w.WonRevenue), p.T("n.deals", w.Won), w.Lost, change(p, w.WonRevenue, lastWeek.PreviousWon))),
		kit.Section(p.T("digest.sofar", quarterLabel, teamHeadline(p, quarter))),
	}
	blocks = append(blocks, teamTable(p, quarter, true)...)
	blocks = append(blocks, teamSignals(p, quarter)...)
	if chart := weeklyChart(p, quarter.WeeklyWon, quarter.AsOf, loc); chart != nil {
		blocks = append(blocks, chart)
	}
	blocks = append(blocks, kit.Context(p.T("digest.footer", weeklyAt(p, at))), OptOutButtonIn(p, KindDigest))
	text := p.T("digest.text", kit.Escape(title), p.Money(w.WonRevenue), quarterLabel, p.Money(quarter.Total.WonRevenue), quotaSuffixIn(p, quarter.Total))
	return Message{Text: text, Blocks: blocks}
}

// weeklyChart draws weekly won revenue as a bar chart in p's language, at
// most Slack's 20 points, the week still running (as of asOf) marked so;
// nil without data.
func weeklyChart(p *i18n.Printer, weeks []insights.WeekAmount, asOf time.Time, loc *time.Location) slack.Block {
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
		label := p.ShortDate(w.Start.In(loc))
		if w.Start.AddDate(0, 0, 7).After(asOf) {
			label = p.T("chart.running", label)
		}
		cats = append(cats, label)
		pts = append(pts, slack.NewDataVisualizationDataPoint(label, float64(int64(w.Amount))))
	}
	axis := slack.NewDataVisualizationAxisConfig(cats...).WithXLabel(p.T("chart.x")).WithYLabel(p.T("chart.y"))
	chart := slack.NewDataVisualizationBarChart(axis, slack.NewDataVisualizationDataSeries(p.T("chart.series"), pts...))
	return slack.NewDataVisualizationBlock(p.T("chart.title"), chart)
}
