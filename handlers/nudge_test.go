package handlers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

type trainingMem map[string]map[string]insights.TrainingStatus

func (m trainingMem) SetTraining(_ context.Context, user, id string, st insights.TrainingStatus) error {
	if m[user] == nil {
		m[user] = map[string]insights.TrainingStatus{}
	}
	m[user][id] = st
	return nil
}

func (m trainingMem) Trainings(_ context.Context, user string) (map[string]insights.TrainingStatus, error) {
	return m[user], nil
}

func TestNudgeLifecycle(t *testing.T) {
	snap := snapshot(t)
	var rep insights.RepReport
	for _, r := range snap.Reps {
		if _, ok := insights.Nudge(r); ok && r.Period.Kind == insights.PeriodQuarter {
			rep = r
			break
		}
	}
	training, _ := insights.Nudge(rep)
	st := &snapStore{snap: snap, links: map[string]insights.RepID{"UREP": rep.Rep.ID}}
	now := asOf
	status := trainingMem{}
	n := &Nudges{Reports: st, People: st, Status: status, Now: func() time.Time { return now }}
	ctx := context.Background()

	m, err := n.For(ctx, "UREP")
	if err != nil {
		t.Fatal(err)
	}
	if err := kit.CheckMessage(m.Text, m.Blocks); err != nil {
		t.Fatal(err)
	}
	if got := render(m); !strings.Contains(got, training.Title) || !strings.Contains(got, ActionNudgeStart) || !strings.Contains(got, "Why this one") {
		t.Errorf("nudge = %s, want the module, why, and a Start button", kit.Truncate(got, 300))
	}

	if m, err = n.Act(ctx, "UREP", ActionNudgeStart, training.ID); err != nil || !strings.Contains(m.Text, "Started") {
		t.Fatalf("Start = %q, %v", m.Text, err)
	}
	if m, _ = n.For(ctx, "UREP"); strings.Contains(render(m), ActionNudgeStart) || !strings.Contains(render(m), "Still on your list") {
		t.Errorf("nudge after Start = %s, want a reminder without Start", kit.Truncate(render(m), 300))
	}
	if _, err := n.Act(ctx, "UREP", ActionNudgeSnooze, training.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := n.For(ctx, "UREP"); !errors.Is(err, ErrNoMessage) {
		t.Errorf("nudge while snoozed = %v, want ErrNoMessage", err)
	}
	now = now.Add(15 * 24 * time.Hour)
	if _, err := n.For(ctx, "UREP"); err != nil {
		t.Errorf("nudge after the snooze = %v, want a nudge again", err)
	}
	if _, err := n.Act(ctx, "UREP", ActionNudgeDone, training.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := n.For(ctx, "UREP"); !errors.Is(err, ErrNoMessage) {
		t.Errorf("nudge after Done = %v, want ErrNoMessage", err)
	}
	if _, err := n.Act(ctx, "UREP", ActionNudgeDone, "no-such-module"); err == nil {
		t.Error("Act on an unknown module = nil, want an error")
	}
	got, err := progress(ctx, status, []string{"UREP", "UOTHER"}, asOf)
	if err != nil || got != (TrainingProgress{Started: 1, Done: 1}) {
		t.Errorf("progress = %+v, %v; want 1 started, 1 done", got, err)
	}
}
