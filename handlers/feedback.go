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

// RepList lists the reps in the current reports.
type RepList interface {
	Reps(ctx context.Context) ([]insights.RepID, error)
}

// Feedback builds the weekly feedback DM each rep gets on Friday afternoon.
type Feedback struct {
	Reports RepReports
	Teams   TeamReports
	// Received, when set, gives the recognitions people were given.
	Received RecognitionStore
	Reps     RepList
	People   People
	Users    SlackUsers
	Location *time.Location
}

// Audience returns the Slack IDs of every linked rep.
func (f *Feedback) Audience(ctx context.Context) ([]string, error) {
	reps, err := f.Reps.Reps(ctx)
	if err != nil {
		return nil, err
	}
	return linkedUsers(ctx, f.Users, reps)
}

// linkedUsers returns the Slack IDs linked to ids, skipping the unlinked.
func linkedUsers(ctx context.Context, users SlackUsers, ids []insights.RepID) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		uid, err := users.RepUser(ctx, id)
		if errors.Is(err, insights.ErrUnknownRep) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, uid)
	}
	return out, nil
}

// For builds the feedback DM for the rep with Slack ID userID, about the
// current week. It returns ErrNoMessage when the user is not a rep.
func (f *Feedback) For(ctx context.Context, userID string) (Message, error) {
	rep, err := f.People.RepFor(ctx, userID)
	if errors.Is(err, insights.ErrUnknownRep) || (err == nil && isManager(rep)) {
		return Message{}, ErrNoMessage
	}
	if err != nil {
		return Message{}, err
	}
	return f.ForRep(ctx, rep, userID)
}

// ForRep builds the feedback DM about rep, whose Slack ID is userID (empty
// when they are not linked: then no recognitions are shown).
func (f *Feedback) ForRep(ctx context.Context, rep insights.RepID, userID string) (Message, error) {
	week, err := f.Reports.RepReport(ctx, rep, insights.PeriodWeek)
	if err != nil {
		return Message{}, fmt.Errorf("feedback for %s: %w", rep, err)
	}
	quarter, err := f.Reports.RepReport(ctx, rep, insights.PeriodQuarter)
	if err != nil {
		return Message{}, fmt.Errorf("feedback for %s: %w", rep, err)
	}
	awards, err := f.awards(ctx, quarter)
	if err != nil {
		return Message{}, fmt.Errorf("feedback for %s: %w", rep, err)
	}
	var received []insights.Recognition
	if f.Received != nil && userID != "" {
		if received, err = f.Received.Recognitions(ctx, userID, quarter.Period.Start); err != nil {
			return Message{}, fmt.Errorf("feedback for %s: %w", rep, err)
		}
	}
	return FeedbackMessage(week, quarter, awards, received, f.Location), nil
}

// awards returns the recognitions the rep earned in their team this
// quarter.
func (f *Feedback) awards(ctx context.Context, quarter insights.RepReport) ([]insights.Award, error) {
	if f.Teams == nil || quarter.Rep.Manager == "" {
		return nil, nil
	}
	team, err := f.Teams.TeamReport(ctx, insights.ManagerTeam(quarter.Rep.Manager), insights.PeriodQuarter)
	if errors.Is(err, insights.ErrUnknownTeam) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return RepAwards(team, quarter.Rep.ID), nil
}

// RepAwards returns the recognitions in team that went to rep.
func RepAwards(team insights.TeamReport, rep insights.RepID) []insights.Award {
	var out []insights.Award
	for _, a := range team.Recognitions {
		if a.Rep == rep {
			out = append(out, a)
		}
	}
	return out
}

// FeedbackMessage renders a rep's weekly feedback from their week and
// quarter reports, the awards the data suggests for them and the
// recognitions sales ops gave them this quarter: the week against the week
// before and the team, what they do best, one focus with a tip and its
// evidence, and the deals to work on.
func FeedbackMessage(week, quarter insights.RepReport, awards []insights.Award, received []insights.Recognition, loc *time.Location) Message {
	m, prev, s := week.Metrics, week.Previous, week.Standing
	first := strings.Fields(week.Rep.Name)
	hello := "Hi"
	if len(first) > 0 {
		hello = "Hi " + kit.Escape(first[0])
	}
	blocks := []slack.Block{
		kit.Header("Your week: " + week.Period.Label),
		kit.Context(fmt.Sprintf("%s · %s · only you get this", Span(week.Period, loc), AsOf(week.AsOf, loc))),
		kit.Section(hello + ", here is how your week went. " + weekVerdict(m, prev)),
		kit.Fields(
			fmt.Sprintf("*Won this week*\n%s in %s (by this time last week: %s)", kit.Money(m.WonRevenue), kit.Plural(m.Won, "deal", "deals"), kit.Money(prev.WonRevenue)),
			fmt.Sprintf("*Team median this week*\n%s", kit.Money(s.MedianWonRevenue)),
			fmt.Sprintf("*%s so far*\n%s%s", quarter.Period.Label, kit.Money(quarter.Metrics.WonRevenue), quotaSuffix(quarter.Metrics)),
			fmt.Sprintf("*Open pipeline*\n%s in %s", kit.Money(m.Pipeline), kit.Plural(m.OpenDeals, "deal", "deals")),
		),
	}
	if len(received) > 0 {
		var b strings.Builder
		b.WriteString(":tada: *Recognition you received this quarter*")
		for _, r := range received[:min(5, len(received))] {
			k, _ := kindOf(r.Kind)
			fmt.Fprintf(&b, "\n• %s %s from <@%s>: %s", k.emoji, k.label, r.From, kit.Escape(r.Reason))
		}
		blocks = append(blocks, kit.Section(b.String()))
	}
	if len(awards) > 0 {
		var b strings.Builder
		b.WriteString(":trophy: *Standing out this quarter*")
		for _, a := range awards {
			fmt.Fprintf(&b, "\n• %s", kit.Escape(a.Reason))
		}
		blocks = append(blocks, kit.Section(b.String()))
	}
	if len(quarter.Strengths) > 0 {
		blocks = append(blocks, kit.Section(findings(":muscle: *Keep doing this*", quarter.Strengths)))
	}
	if quarter.Focus != nil {
		blocks = append(blocks, focusSection("Your focus for next week", quarter.Focus))
	}
	if len(quarter.StaleDeals) > 0 {
		blocks = append(blocks, staleSection(":hourglass: *Pipeline to work on next week*", quarter.StaleDeals, quarter.Metrics.StaleDeals, 5))
	}
	blocks = append(blocks,
		kit.Context("Every Friday afternoon in your time zone. `/myperformance` shows your numbers any time."),
		OptOutButton(KindFeedback),
	)
	text := fmt.Sprintf("Your week (%s): won %s in %s", week.Period.Label, kit.Money(m.WonRevenue), kit.Plural(m.Won, "deal", "deals"))
	return Message{Text: text, Blocks: blocks}
}

// weekVerdict is one kind sentence about the week.
func weekVerdict(m, prev insights.Metrics) string {
	switch {
	case m.Won > 0 && m.WonRevenue > prev.WonRevenue:
		return ":tada: You won more than last week. Nice work."
	case m.Won > 0:
		return "You closed business this week. Well done."
	case m.OpenDeals > 0:
		return "No wins this week, and that happens. Your pipeline is where next week's wins come from."
	default:
		return "A quiet week. A few new conversations now fill next month's pipeline."
	}
}
