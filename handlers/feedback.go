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

// RepList lists the reps in the current reports.
type RepList interface {
	Reps(ctx context.Context) ([]insights.RepID, error)
}

// Feedback builds the weekly feedback DM each rep gets (on Friday afternoon
// by default: Schedule says when).
type Feedback struct {
	Reports RepReports
	Teams   TeamReports
	// Received, when set, gives the recognitions people were given.
	Received RecognitionStore
	Reps     RepList
	People   People
	Users    SlackUsers
	Location *time.Location
	// Locales picks each rep's language and currency; nil is English.
	Locales *Locales
	// Schedule says when feedback goes out, for its footer.
	Schedule Schedule
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
	rep, err := repToSend(ctx, f.People, userID)
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
	p := f.Locales.DefaultPrinter()
	if userID != "" {
		p = f.Locales.Printer(ctx, userID)
	}
	return feedbackMessage(p, f.Schedule.orDefault().Feedback, week, quarter, awards, received, f.Location), nil
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

// FeedbackMessage renders a rep's weekly feedback in English; see
// FeedbackMessageIn.
func FeedbackMessage(week, quarter insights.RepReport, awards []insights.Award, received []insights.Recognition, loc *time.Location) Message {
	return FeedbackMessageIn(english, week, quarter, awards, received, loc)
}

// FeedbackMessageIn renders a rep's weekly feedback in p's language and
// currency, from their week and quarter reports, the awards the data
// suggests for them and the recognitions sales ops gave them this quarter:
// the week against the week before and the team, what they do best, one
// focus with a tip and its evidence, and the deals to work on.
func FeedbackMessageIn(p *i18n.Printer, week, quarter insights.RepReport, awards []insights.Award, received []insights.Recognition, loc *time.Location) Message {
	return feedbackMessage(p, DefaultSchedule.Feedback, week, quarter, awards, received, loc)
}

// feedbackMessage is FeedbackMessageIn for feedback sent at at.
func feedbackMessage(p *i18n.Printer, at When, week, quarter insights.RepReport, awards []insights.Award, received []insights.Recognition, loc *time.Location) Message {
	m, prev, s := week.Metrics, week.Previous, week.Standing
	first := strings.Fields(week.Rep.Name)
	hello := p.T("fb.hi")
	if len(first) > 0 {
		hello = p.T("fb.hi.name", kit.Escape(first[0]))
	}
	weekLabel, quarterLabel := periodLabel(p, week.Period), periodLabel(p, quarter.Period)
	blocks := []slack.Block{
		kit.Header(p.T("fb.header", weekLabel)),
		kit.Context(p.T("fb.context", spanIn(p, week.Period, loc), asOfIn(p, week.AsOf, loc))),
		kit.Section(p.T("fb.intro", hello, weekVerdict(p, m, prev))),
		kit.Fields(
			p.T("fb.won", p.Money(m.WonRevenue), p.T("n.deals", m.Won), p.Money(prev.WonRevenue)),
			p.T("fb.median", p.Money(s.MedianWonRevenue)),
			p.T("fb.sofar", quarterLabel, p.Money(quarter.Metrics.WonRevenue), quotaSuffixIn(p, quarter.Metrics)),
			p.T("fb.pipeline", p.Money(m.Pipeline), p.T("n.deals", m.OpenDeals)),
		),
	}
	if len(received) > 0 {
		var b strings.Builder
		b.WriteString(p.T("fb.received"))
		for _, r := range received[:min(5, len(received))] {
			k, _ := kindOf(r.Kind)
			b.WriteString(p.T("fb.received.line", k.emoji, kindLabel(p, k), r.From, kit.Escape(r.Reason)))
		}
		blocks = append(blocks, kit.Section(b.String()))
	}
	if len(awards) > 0 {
		var b strings.Builder
		b.WriteString(p.T("fb.awards"))
		for _, a := range awards {
			fmt.Fprintf(&b, "\n• %s", kit.Escape(awardReason(p, a, quarter)))
		}
		blocks = append(blocks, kit.Section(b.String()))
	}
	if len(quarter.Strengths) > 0 {
		blocks = append(blocks, kit.Section(findingsIn(p, p.T("fb.strengths"), quarter.Strengths)))
	}
	if quarter.Focus != nil {
		blocks = append(blocks, focusSectionIn(p, p.T("fb.focus"), quarter.Focus, quarter))
	}
	if len(quarter.StaleDeals) > 0 {
		blocks = append(blocks, staleSectionIn(p, p.T("fb.stale"), quarter.StaleDeals, quarter.Metrics.StaleDeals, 5))
	}
	blocks = append(blocks,
		kit.Context(p.T("fb.footer", weeklyAt(p, at))),
		OptOutButtonIn(p, KindFeedback),
	)
	text := p.T("fb.text", weekLabel, p.Money(m.WonRevenue), p.T("n.deals", m.Won))
	return Message{Text: text, Blocks: blocks}
}

// weekVerdict is one kind sentence about the week.
func weekVerdict(p *i18n.Printer, m, prev insights.Metrics) string {
	switch {
	case m.Won > 0 && m.WonRevenue > prev.WonRevenue:
		return p.T("fb.verdict.more")
	case m.Won > 0:
		return p.T("fb.verdict.won")
	case m.OpenDeals > 0:
		return p.T("fb.verdict.pipeline")
	default:
		return p.T("fb.verdict.quiet")
	}
}

// quotaSuffixIn is " (78% of quota)" in p's language, or "" without a quota.
func quotaSuffixIn(p *i18n.Printer, m insights.Metrics) string {
	if !m.HasAttainment {
		return ""
	}
	return p.T("fb.quotasuffix", p.Percent(m.Attainment))
}

// awardReason says why the data suggests an award, to the rep, in p's
// language, from the award's figures and the quarter it is for.
func awardReason(p *i18n.Printer, a insights.Award, quarter insights.RepReport) string {
	label := periodLabel(p, quarter.Period)
	switch a.Kind {
	case insights.AwardTopCloser:
		return p.T("award.top-closer", p.Money(a.Amount), label)
	case insights.AwardQuotaCrusher:
		return p.T("award.quota-crusher", p.Percent(a.Rate), label)
	case insights.AwardMostImproved:
		return p.T("award.most-improved", p.Percent(a.PrevRate), p.Percent(a.Rate))
	case insights.AwardBiggestDeal:
		return p.T("award.biggest-deal.deal", label, a.Deal, p.Money(a.Amount))
	}
	return kindLabelOf(p, a.Kind)
}

// teamAwardReason says why the data suggests an award, to a manager or
// sales ops, in p's language.
func teamAwardReason(p *i18n.Printer, a insights.Award, per insights.Period) string {
	label := periodLabel(p, per)
	switch a.Kind {
	case insights.AwardTopCloser:
		return p.T("award.team.top-closer", p.Money(a.Amount), label)
	case insights.AwardQuotaCrusher:
		return p.T("award.team.quota-crusher", p.Percent(a.Rate), label)
	case insights.AwardMostImproved:
		return p.T("award.team.most-improved", p.Percent(a.PrevRate), p.Percent(a.Rate))
	case insights.AwardBiggestDeal:
		return p.T("award.team.biggest-deal", label, a.Deal, p.Money(a.Amount))
	}
	return kindLabelOf(p, a.Kind)
}
