package handlers

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

type onceMem struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (o *onceMem) FirstDelivery(_ context.Context, id string, _ time.Duration) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen[id] {
		return false, nil
	}
	o.seen[id] = true
	return true, nil
}

type posts struct{ channels []string }

func (p *posts) PostMessageContext(_ context.Context, channel string, _ ...slack.MsgOption) (string, string, error) {
	p.channels = append(p.channels, channel)
	return channel, "1.2", nil
}

type users map[insights.RepID]string

func (u users) RepUser(_ context.Context, rep insights.RepID) (string, error) {
	if id, ok := u[rep]; ok {
		return id, nil
	}
	return "", insights.ErrUnknownRep
}

func TestAwardSuggestionsAndApproval(t *testing.T) {
	snap := snapshot(t)
	st := &snapStore{snap: snap, ops: map[string]bool{"UOPS": true}}
	var star insights.Award
	for _, tr := range snap.Teams {
		if insights.IsManagerTeam(tr.Team) && tr.Period.Kind == insights.PeriodQuarter && len(tr.Recognitions) > 0 {
			star = tr.Recognitions[0]
			break
		}
	}
	out := &posts{}
	a := &Awards{Teams: st, Users: users{star.Rep: "USTAR"}, Store: recStore{}, Once: &onceMem{seen: map[string]bool{}}, Roles: st, Poster: out, Channel: "CWINS", Now: func() time.Time { return asOf }}
	ctx := context.Background()

	m, err := a.For(ctx, "UOPS")
	if err != nil {
		t.Fatal(err)
	}
	if err := kit.CheckMessage(m.Text, m.Blocks); err != nil {
		t.Fatal(err)
	}
	var value string
	for _, b := range m.Blocks {
		if s, ok := b.(*slack.SectionBlock); ok && s.Accessory != nil && s.Accessory.ButtonElement != nil && strings.Contains(s.Text.Text, kit.Escape(star.Reason)) {
			value = s.Accessory.ButtonElement.Value
		}
	}
	if value == "" {
		t.Fatalf("no Post button for %+v in %s", star, render(m))
	}

	if _, err := a.Approve(ctx, "UREP", value); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("a rep approving = %v, want ErrNotAllowed", err)
	}
	got, err := a.Approve(ctx, "UOPS", value)
	if err != nil || !strings.Contains(got.Text, "Posted in <#CWINS>") || len(out.channels) != 1 || out.channels[0] != "CWINS" {
		t.Fatalf("approve = %q, %v, posts %v; want one post in CWINS", got.Text, err, out.channels)
	}
	if got, _ := a.Approve(ctx, "UOPS", value); !strings.Contains(got.Text, "already posted") || len(out.channels) != 1 {
		t.Errorf("second click = %q, posts %v; want no second post", got.Text, out.channels)
	}

	a.Users = users{}
	a.Once = &onceMem{seen: map[string]bool{}}
	if got, _ := a.Approve(ctx, "UOPS", value); !strings.Contains(got.Text, "not matched to a Slack user") {
		t.Errorf("approving for an unlinked rep = %q", got.Text)
	}
	a.Channel = ""
	if _, err := a.For(ctx, "UOPS"); !errors.Is(err, ErrNoMessage) {
		t.Errorf("suggestions without a channel = %v, want ErrNoMessage", err)
	}
}
