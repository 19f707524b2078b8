package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

// Awards sends sales ops the awards the data suggests, each with a button
// that posts it, approved, in the recognition channel.
type Awards struct {
	Teams  TeamReports
	Users  SlackUsers
	Store  RecognitionStore
	Roles  Roles
	Poster OncePoster
	// Channel is where approved awards are posted; empty turns the
	// suggestions off.
	Channel string
	Now     func() time.Time
	// Locales picks the language of the suggestions and answers (the
	// reader's) and of the award posted (the workspace default); nil is
	// English.
	Locales *Locales
}

// ActionAwardPost is the action ID of the button that posts an award.
const ActionAwardPost = "award:post"

// maxSuggestions bounds the awards one message suggests.
const maxSuggestions = 10

// suggestion is an award as carried in its button's value: the reason is
// written in the language of the post, the workspace's.
type suggestion struct {
	Rep    insights.RepID `json:"rep"`
	Name   string         `json:"name"`
	Kind   string         `json:"kind"`
	Reason string         `json:"reason"`
}

// buttonValue is s as its button carries it, within Slack's 2,000
// characters: an over-long name or reason (a deal name from the CRM can be
// any length) is shortened rather than failing the whole message. The
// award posted says what the button says.
func (s *suggestion) buttonValue() (string, error) {
	s.Name = kit.Truncate(s.Name, maxAwardName)
	for n := maxReason; ; n /= 2 {
		s.Reason = kit.Truncate(s.Reason, n)
		b, err := json.Marshal(s)
		if err != nil {
			return "", err
		}
		if len(b) <= kit.MaxButtonValue || n < 16 {
			return string(b), nil
		}
	}
}

// maxAwardName bounds a rep's name in an award button.
const maxAwardName = 100

// For builds the suggestions message for userID, a member of sales ops,
// in their language: this quarter's awards in every manager's team. It
// returns ErrNoMessage when no channel is set or nothing deserves an award.
func (a *Awards) For(ctx context.Context, userID string) (Message, error) {
	if a.Channel == "" {
		return Message{}, ErrNoMessage
	}
	p, post := a.Locales.Printer(ctx, userID), a.Locales.DefaultPrinter()
	keys, err := a.Teams.Teams(ctx)
	if err != nil {
		return Message{}, err
	}
	var sugg []suggestion
	var reasons []string // in p's language
	var period insights.Period
	var asOf time.Time
	for _, k := range keys {
		if !insights.IsManagerTeam(k) || len(sugg) >= maxSuggestions {
			continue
		}
		t, err := a.Teams.TeamReport(ctx, k, insights.PeriodQuarter)
		if err != nil {
			return Message{}, err
		}
		period, asOf = t.Period, t.AsOf
		names := map[insights.RepID]string{}
		for _, m := range t.Members {
			names[m.Rep.ID] = m.Rep.Name
		}
		for _, aw := range t.Recognitions {
			if len(sugg) < maxSuggestions {
				sugg = append(sugg, suggestion{Rep: aw.Rep, Name: cmpOr(names[aw.Rep], string(aw.Rep)), Kind: aw.Kind, Reason: teamAwardReason(post, aw, t.Period)})
				reasons = append(reasons, teamAwardReason(p, aw, t.Period))
			}
		}
	}
	if len(sugg) == 0 {
		return Message{}, ErrNoMessage
	}
	label := periodLabel(p, period)
	blocks := []slack.Block{
		kit.Header(p.T("awards.header", label)),
		kit.Context(p.T("awards.context", asOfIn(p, asOf, nil), a.Channel)),
	}
	for i, s := range sugg {
		k, _ := kindOf(s.Kind)
		value, err := s.buttonValue()
		if err != nil {
			return Message{}, err
		}
		sec := kit.Section(p.T("awards.line", k.emoji, kindLabel(p, k), kit.Escape(s.Name), kit.Escape(reasons[i])))
		sec.Accessory = slack.NewAccessory(kit.Button(ActionAwardPost, p.T("awards.post"), value, slack.StylePrimary))
		blocks = append(blocks, sec)
	}
	return Message{Text: p.T("awards.text", len(sugg), label), Blocks: blocks}, nil
}

// Approve posts the award a button carried (value) in the recognition
// channel, on behalf of the member of sales ops who clicked, records it
// for the rep's feedback, and returns the line that replaces the button.
func (a *Awards) Approve(ctx context.Context, userID, value string) (Message, error) {
	if err := RequireOps(ctx, a.Roles, userID); err != nil {
		return Message{}, err
	}
	var s suggestion
	if err := json.Unmarshal([]byte(value), &s); err != nil {
		return Message{}, fmt.Errorf("award button value: %w", err)
	}
	if _, ok := kindOf(s.Kind); !ok {
		return Message{}, fmt.Errorf("award button: unknown kind %q", s.Kind)
	}
	p := a.Locales.Printer(ctx, userID)
	to, err := a.Users.RepUser(ctx, s.Rep)
	if errors.Is(err, insights.ErrUnknownRep) {
		return Text(p.T("awards.nouser", kit.Escape(s.Name))), nil
	}
	if err != nil {
		return Message{}, err
	}
	// Everyone in sales ops gets the same buttons: only the first click
	// posts, and a click whose post failed leaves it to the next click.
	rec := insights.Recognition{To: to, From: userID, Kind: s.Kind, Reason: s.Reason, At: a.Now()}
	post := RecognitionMessageIn(a.Locales.DefaultPrinter(), rec)
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%s", s.Rep, s.Kind, s.Reason)))
	posted, err := a.Poster.PostOnce(ctx, "award/"+hex.EncodeToString(sum[:12]), a.Channel, post)
	if err != nil {
		return Message{}, fmt.Errorf("post award in %s: %w", a.Channel, err)
	}
	if !posted {
		return Text(p.T("awards.already", kit.Escape(s.Name))), nil
	}
	if err := a.Store.AddRecognition(ctx, rec); err != nil {
		return Message{}, fmt.Errorf("award posted in %s but not kept for feedback: %w", a.Channel, err)
	}
	return Text(p.T("awards.posted", a.Channel, post.Text)), nil
}
