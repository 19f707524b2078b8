package handlers

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/handlers/kit"
)

// The kinds of scheduled DM a person can opt out of.
const (
	KindFeedback = "feedback"
	KindDigest   = "digest"
	KindNudge    = "nudges"
)

// Action IDs of the opt-out buttons; the kind follows after a colon.
const (
	ActionOptOut = "optout"
	ActionOptIn  = "optin"
)

// Preferences stores who opted out of which scheduled DM.
type Preferences interface {
	SetOptOut(ctx context.Context, slackID, kind string, out bool) error
}

// OptOut handles the stop/resume buttons on scheduled DMs.
type OptOut struct {
	Prefs Preferences
	// Locales picks each person's language; nil is English.
	Locales *Locales
}

// optOutKinds are the kinds a person can opt out of; the catalog names
// each ("optout.kind."+kind).
var optOutKinds = map[string]bool{KindFeedback: true, KindDigest: true, KindNudge: true}

// OptOutButton is the button a scheduled DM carries to stop it.
func OptOutButton(kind string) *slack.ActionBlock { return OptOutButtonIn(english, kind) }

// OptOutButtonIn is OptOutButton in p's language.
func OptOutButtonIn(p *i18n.Printer, kind string) *slack.ActionBlock {
	return slack.NewActionBlock("optout", kit.Button(ActionOptOut+":"+kind, p.T("optout.button"), kind, ""))
}

// Set records the user's choice for kind and returns the message that
// replaces the one the button sat on, in the user's language.
func (o *OptOut) Set(ctx context.Context, userID, kind string, out bool) (Message, error) {
	return o.set(o.Locales.Printer(ctx, userID), ctx, userID, kind, out)
}

func (o *OptOut) set(p *i18n.Printer, ctx context.Context, userID, kind string, out bool) (Message, error) {
	if !optOutKinds[kind] {
		return Message{}, fmt.Errorf("opt-out: unknown kind %q", kind)
	}
	if err := o.Prefs.SetOptOut(ctx, userID, kind, out); err != nil {
		return Message{}, fmt.Errorf("save opt-out: %w", err)
	}
	name := p.T("optout.kind." + kind)
	if out {
		text := p.T("optout.off", name)
		return Message{Text: text, Blocks: []slack.Block{
			kit.Section(":white_check_mark: " + text),
			slack.NewActionBlock("optin", kit.Button(ActionOptIn+":"+kind, p.T("optout.again"), kind, slack.StylePrimary)),
		}}, nil
	}
	text := p.T("optout.on", name)
	return Message{Text: text, Blocks: []slack.Block{kit.Section(":wave: " + text)}}, nil
}
