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

// oncePosts is an in-memory OncePoster: each key posts once; failNext
// makes that many posts fail first, as a 503 from Slack would.
type oncePosts struct {
	mu       sync.Mutex
	posted   map[string]bool
	channels []string
	failNext int
}

func (p *oncePosts) PostOnce(_ context.Context, key, channel string, _ Message) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.posted[key] {
		return false, nil
	}
	if p.failNext > 0 {
		p.failNext--
		return false, errors.New("chat.postMessage: 503 Service Unavailable")
	}
	if p.posted == nil {
		p.posted = map[string]bool{}
	}
	p.posted[key] = true
	p.channels = append(p.channels, channel)
	return true, nil
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
	var period insights.Period
	for _, tr := range snap.Teams {
		if insights.IsManagerTeam(tr.Team) && tr.Period.Kind == insights.PeriodQuarter && len(tr.Recognitions) > 0 {
			star, period = tr.Recognitions[0], tr.Period
			break
		}
	}
	out := &oncePosts{}
	a := &Awards{Teams: st, Users: users{star.Rep: "USTAR"}, Store: recStore{}, Roles: st, Poster: out, Channel: "CWINS", Now: func() time.Time { return asOf }}
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
		if s, ok := b.(*slack.SectionBlock); ok && s.Accessory != nil && s.Accessory.ButtonElement != nil && strings.Contains(s.Text.Text, kit.Escape(teamAwardReason(english, star, period))) {
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
	a.Poster = &oncePosts{}
	if got, _ := a.Approve(ctx, "UOPS", value); !strings.Contains(got.Text, "not matched to a Slack user") {
		t.Errorf("approving for an unlinked rep = %q", got.Text)
	}
	a.Channel = ""
	if _, err := a.For(ctx, "UOPS"); !errors.Is(err, ErrNoMessage) {
		t.Errorf("suggestions without a channel = %v, want ErrNoMessage", err)
	}
}

// TestAwardPostFailureLeavesItToTheNextClick: "Post it" marks the award
// posted only once it is (before, one 503 and it was never posted, and
// the retry said "already posted"), and keeps it for feedback only then.
func TestAwardPostFailureLeavesItToTheNextClick(t *testing.T) {
	snap := snapshot(t)
	st := &snapStore{snap: snap, ops: map[string]bool{"UOPS": true}}
	kept := &keptRecs{}
	out := &oncePosts{failNext: 1}
	a := &Awards{Teams: st, Users: users{"R1": "UR1"}, Store: kept, Roles: st, Poster: out, Channel: "CWINS", Now: func() time.Time { return asOf }}
	ctx := context.Background()
	value := `{"rep":"R1","name":"Ana","kind":"top-closer","reason":"most won revenue"}`
	if _, err := a.Approve(ctx, "UOPS", value); err == nil {
		t.Fatal("a click whose post failed answered without an error")
	}
	if len(kept.recs) != 0 {
		t.Errorf("award kept for feedback although not posted: %+v", kept.recs)
	}
	got, err := a.Approve(ctx, "UOPS", value)
	if err != nil || !strings.Contains(got.Text, "Posted in <#CWINS>") {
		t.Fatalf("click after the failure = %q, %v; want it posted", got.Text, err)
	}
	if got, _ := a.Approve(ctx, "UOPS", value); !strings.Contains(got.Text, "already posted") {
		t.Errorf("third click = %q, want already posted", got.Text)
	}
	if len(out.channels) != 1 || len(kept.recs) != 1 {
		t.Errorf("posts %v, kept %d; want one of each", out.channels, len(kept.recs))
	}
}

// TestAwardSuggestionLongDealName: a deal name of 1,950 characters in an
// award's reason used to overflow the button value (2,000 max) and fail
// the whole suggestions DM. No single field may fail a message.
func TestAwardSuggestionLongDealName(t *testing.T) {
	snap := snapshot(t)
	long := strings.Repeat("Mega <Deal> & Co ", 115) // 1,955 characters, escaped longer still
	found := false
	for i, tr := range snap.Teams {
		if insights.IsManagerTeam(tr.Team) && tr.Period.Kind == insights.PeriodQuarter && len(tr.Recognitions) > 0 {
			snap.Teams[i].Recognitions[0].Kind = insights.AwardBiggestDeal
			snap.Teams[i].Recognitions[0].Deal = long
			found = true
		}
	}
	if !found {
		t.Fatal("sample has no award suggestions")
	}
	st := &snapStore{snap: snap, ops: map[string]bool{"UOPS": true}}
	a := &Awards{Teams: st, Users: users{}, Store: recStore{}, Roles: st, Poster: &oncePosts{}, Channel: "CWINS", Now: func() time.Time { return asOf }}
	m, err := a.For(context.Background(), "UOPS")
	if err != nil {
		t.Fatal(err)
	}
	if err := kit.CheckMessage(m.Text, m.Blocks); err != nil {
		t.Errorf("suggestions with a long deal name break Slack's limits: %v", err)
	}
}

type keptRecs struct{ recs []insights.Recognition }

func (k *keptRecs) AddRecognition(_ context.Context, r insights.Recognition) error {
	k.recs = append(k.recs, r)
	return nil
}

func (k *keptRecs) Recognitions(context.Context, string, time.Time) ([]insights.Recognition, error) {
	return k.recs, nil
}
