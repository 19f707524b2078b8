package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

// TrainingStore keeps where each person stands with their training nudges.
type TrainingStore interface {
	SetTraining(ctx context.Context, slackID, id string, st insights.TrainingStatus) error
	Trainings(ctx context.Context, slackID string) (map[string]insights.TrainingStatus, error)
}

// Nudges sends each rep, now and then, the training module aimed at their
// weakest step, with Start, Done and Snooze buttons.
type Nudges struct {
	Reports RepReports
	People  People
	Status  TrainingStore
	Now     func() time.Time
	// Locales picks each rep's language; nil is English.
	Locales *Locales
}

// printer returns the Printer for userID.
func (n *Nudges) printer(ctx context.Context, userID string) *i18n.Printer {
	if n.Locales == nil {
		return english
	}
	return n.Locales.Printer(ctx, userID)
}

// Action IDs of the nudge buttons; the training module's ID is the value.
const (
	ActionNudgeStart  = "nudge:start"
	ActionNudgeDone   = "nudge:done"
	ActionNudgeSnooze = "nudge:snooze"
)

// snoozeFor is how long Snooze quiets a nudge.
const snoozeFor = 14 * 24 * time.Hour

// For builds the nudge for the rep with Slack ID userID: the module for the
// focus of their quarter. It returns ErrNoMessage when they are not a rep,
// nothing stands out, they finished that module, or they snoozed it.
func (n *Nudges) For(ctx context.Context, userID string) (Message, error) {
	rep, err := repToSend(ctx, n.People, userID)
	if err != nil {
		return Message{}, err
	}
	q, err := n.Reports.RepReport(ctx, rep, insights.PeriodQuarter)
	if err != nil {
		return Message{}, fmt.Errorf("nudge for %s: %w", rep, err)
	}
	t, ok := insights.Nudge(q)
	if !ok {
		return Message{}, ErrNoMessage
	}
	status, err := n.Status.Trainings(ctx, userID)
	if err != nil {
		return Message{}, err
	}
	switch st := status[t.ID]; {
	case st.State == insights.TrainingDone:
		return Message{}, ErrNoMessage
	case st.State == insights.TrainingSnoozed && n.Now().Before(st.Until):
		return Message{}, ErrNoMessage
	case st.State == insights.TrainingStarted:
		return NudgeMessageIn(n.printer(ctx, userID), t, q, true), nil
	}
	return NudgeMessageIn(n.printer(ctx, userID), t, q, false), nil
}

// NudgeMessage renders a training nudge: the module, why it was chosen (for
// period), and the buttons; started says the rep already began it.
func NudgeMessage(t insights.Training, p insights.Period, started bool) Message {
	return NudgeMessageIn(english, t, insights.RepReport{Period: p}, started)
}

// NudgeMessageIn renders a training nudge in p's language: the module, why
// it was chosen (q's focus, for q's period), and the buttons; started says
// the rep already began it.
func NudgeMessageIn(p *i18n.Printer, t insights.Training, q insights.RepReport, started bool) Message {
	intro := p.T("nudge.intro")
	if started {
		intro = p.T("nudge.still")
	}
	title := trainingText(p, t, "title", t.Title)
	text := fmt.Sprintf("%s\n*%s*\n%s", intro, title, trainingText(p, t, "description", t.Description))
	why := t.Why
	if p.Lang() != i18n.English && q.Focus != nil {
		why = evidence(p, *q.Focus)
	}
	if why != "" {
		text += p.T("nudge.why", why, periodLabel(p, q.Period))
	}
	buttons := []slack.BlockElement{}
	if !started {
		buttons = append(buttons, kit.Button(ActionNudgeStart, p.T("nudge.start"), t.ID, slack.StylePrimary))
	}
	buttons = append(buttons,
		kit.Button(ActionNudgeDone, p.T("nudge.done"), t.ID, ""),
		kit.Button(ActionNudgeSnooze, p.T("nudge.snooze"), t.ID, ""),
		kit.Button(ActionOptOut+":"+KindNudge, p.T("nudge.stop"), KindNudge, ""),
	)
	return Message{
		Text:   p.T("nudge.text", title),
		Blocks: []slack.Block{kit.Section(text), slack.NewActionBlock("nudge", buttons...)},
	}
}

// trainingText is a training module's title or description in p's
// language; English as insights defines it.
func trainingText(p *i18n.Printer, t insights.Training, part, en string) string {
	if p.Lang() == i18n.English {
		return en
	}
	return p.T("training." + t.ID + "." + part)
}

// Act records a click on a nudge button (action is one of the ActionNudge
// IDs, id the module) and returns the message that replaces the nudge.
func (n *Nudges) Act(ctx context.Context, userID, action, id string) (Message, error) {
	t, ok := insights.TrainingByID(id)
	if !ok {
		return Message{}, fmt.Errorf("nudge button for unknown training %q", id)
	}
	now := n.Now()
	p := n.printer(ctx, userID)
	title := trainingText(p, t, "title", t.Title)
	st := insights.TrainingStatus{At: now}
	var text string
	switch action {
	case ActionNudgeStart:
		st.State = insights.TrainingStarted
		text = p.T("nudge.started", title)
	case ActionNudgeDone:
		st.State = insights.TrainingDone
		text = p.T("nudge.finished", title)
	case ActionNudgeSnooze:
		st.State, st.Until = insights.TrainingSnoozed, now.Add(snoozeFor)
		until := st.Until.Format("Mon 2 Jan")
		if p.Lang() != i18n.English {
			until = p.ShortDate(st.Until) + " " + p.Weekday(st.Until.Weekday())
		}
		text = p.T("nudge.snoozed", title, until)
	default:
		return Message{}, fmt.Errorf("unknown nudge action %q", action)
	}
	if err := n.Status.SetTraining(ctx, userID, id, st); err != nil {
		return Message{}, err
	}
	m := Message{Text: text, Blocks: []slack.Block{kit.Section(text)}}
	if st.State == insights.TrainingStarted {
		m.Blocks = append(m.Blocks, slack.NewActionBlock("nudge", kit.Button(ActionNudgeDone, p.T("nudge.done"), t.ID, slack.StylePrimary)))
	}
	return m, nil
}

// TrainingProgress counts, for the digest, how many of a team's reps have
// started and finished training this quarter (acted on or after since).
type TrainingProgress struct {
	Started, Done int
}

// progress reads the training status of users (Slack IDs).
func progress(ctx context.Context, store TrainingStore, users []string, since time.Time) (TrainingProgress, error) {
	var p TrainingProgress
	for _, u := range users {
		status, err := store.Trainings(ctx, u)
		if err != nil {
			return p, err
		}
		started, done := false, false
		for _, st := range status {
			if st.At.Before(since) {
				continue
			}
			started = started || st.State == insights.TrainingStarted || st.State == insights.TrainingDone
			done = done || st.State == insights.TrainingDone
		}
		if started {
			p.Started++
		}
		if done {
			p.Done++
		}
	}
	return p, nil
}
