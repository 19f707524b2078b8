// Package handlers holds RepCoach's features, one file each: performance
// (/myperformance), team (/teamperformance and the manager digest),
// feedback (the weekly rep DM), home (the App Home tab). Each builds Block
// Kit messages from insights reports and declares the small interfaces it
// needs; none knows Socket Mode or Redis. Every message it builds passes
// kit.CheckMessage.
package handlers

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/insights"
)

// Message is a Slack message: fallback text (for notifications and screen
// readers) and blocks.
type Message struct {
	Text   string
	Blocks []slack.Block
	// InChannel shows a command's answer to the whole channel; answers are
	// private (ephemeral) by default.
	InChannel bool
}

// Text returns a message of plain mrkdwn text.
func Text(s string) Message { return Message{Text: s} }

// isManager reports whether a linked identity is a manager's team key
// (insights.ManagerTeam) rather than a rep.
func isManager(id insights.RepID) bool { return insights.IsManagerTeam(string(id)) }

// ErrNotAllowed means the user may not see or do what they asked. Wrap it
// with NotAllowed to say who may.
var ErrNotAllowed = errors.New("not allowed")

type notAllowed struct{ who string }

func (e notAllowed) Error() string { return "not allowed: only " + english.T(e.who) }
func (e notAllowed) Unwrap() error { return ErrNotAllowed }

// NotAllowed returns an ErrNotAllowed that says who may: who is the
// catalog key of the words, such as "who.ops" ("sales ops").
func NotAllowed(who string) error { return notAllowed{who: who} }

// notAllowedWho says who may, in p's language.
func notAllowedWho(p *i18n.Printer, err error) string {
	var na notAllowed
	if errors.As(err, &na) {
		return p.T(na.who)
	}
	return p.T("who.access")
}

// Roles says who is sales ops.
type Roles interface {
	IsOps(ctx context.Context, slackUserID string) (bool, error)
}

// RequireOps is the one sales-ops check every command, button and form
// uses: it returns nil when userID is sales ops, an ErrNotAllowed naming
// sales ops when not, and a wrapped error when roles cannot tell.
func RequireOps(ctx context.Context, roles Roles, userID string) error {
	ops, err := roles.IsOps(ctx, userID)
	if err != nil {
		return fmt.Errorf("check ops membership: %w", err)
	}
	if !ops {
		return NotAllowed("who.ops")
	}
	return nil
}
