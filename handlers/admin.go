package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

// Control is the state /repcoach reads and changes.
type Control interface {
	SetPaused(ctx context.Context, paused bool, by string) error
	PausedBy(ctx context.Context) (by string, at time.Time, ok bool, err error)
	OptedOut(ctx context.Context, slackID, kind string) (bool, error)
	Current(ctx context.Context) (version int64, asOf time.Time, err error)
}

// Admin answers /repcoach: the bot's status, each person's own DM
// settings, and (for sales ops) pausing every scheduled post.
type Admin struct {
	Control  Control
	OptOut   *OptOut
	Roles    Roles
	Location *time.Location
	// Locales keeps each person's language (/repcoach language tr|en).
	Locales *Locales
}

// AdminUsage is the argument summary of /repcoach.
const AdminUsage = "[status | language tr|en | feedback on|off | digest on|off | nudges on|off | pause | resume | help]"

// Handle runs one /repcoach subcommand for the Slack user asking.
func (a *Admin) Handle(ctx context.Context, userID, text string) (Message, error) {
	words := strings.Fields(strings.ToLower(text))
	if len(words) == 0 {
		words = []string{"status"}
	}
	switch {
	case words[0] == "status" && len(words) == 1:
		return a.status(ctx, userID)
	case (words[0] == KindFeedback || words[0] == KindDigest || words[0] == KindNudge) && len(words) == 2 && (words[1] == "on" || words[1] == "off"):
		return a.OptOut.Set(ctx, userID, words[0], words[1] == "off")
	case (words[0] == "pause" || words[0] == "resume") && len(words) == 1:
		return a.pause(ctx, userID, words[0] == "pause")
	case (words[0] == "language" || words[0] == "dil") && a.Locales != nil:
		return a.Locales.languageCommand(ctx, userID, words[1:])
	case words[0] == "help":
		return Text(adminHelp), nil
	}
	return Text(fmt.Sprintf("I don't know `/repcoach %s`.\n%s", kit.Escape(kit.Truncate(text, 60)), adminHelp)), nil
}

const adminHelp = "`/repcoach " + AdminUsage + "`\n" +
	"• `status`: how fresh the numbers are, whether scheduled DMs are going out, and your own DM settings\n" +
	"• `language tr|en`: write to me in Turkish or English (by default your Slack language)\n" +
	"• `feedback on|off`, `digest on|off`, `nudges on|off`: start or stop your Friday feedback, Monday digest or training nudge DMs\n" +
	"• `pause`, `resume`: stop or restart every scheduled DM for everyone (sales ops only)"

func (a *Admin) status(ctx context.Context, userID string) (Message, error) {
	var b strings.Builder
	_, asOf, err := a.Control.Current(ctx)
	switch {
	case errors.Is(err, insights.ErrNoData):
		b.WriteString(":hourglass_flowing_sand: No CRM data is loaded yet.")
	case err != nil:
		return Message{}, err
	default:
		fmt.Fprintf(&b, ":bar_chart: Numbers %s.", AsOf(asOf, a.Location))
	}
	by, at, paused, err := a.Control.PausedBy(ctx)
	if err != nil {
		return Message{}, err
	}
	if paused {
		fmt.Fprintf(&b, "\n:double_vertical_bar: Scheduled DMs are *paused* (by <@%s>, %s). Sales ops can `/repcoach resume`.", kit.Escape(by), at.In(a.zone()).Format("Mon 2 Jan 15:04 MST"))
	} else {
		b.WriteString("\n:arrow_forward: Scheduled DMs are going out: weekly feedback on Friday afternoons, training nudges midweek and the team digest on Monday mornings, in each person's time zone.")
	}
	for _, kind := range []string{KindFeedback, KindDigest, KindNudge} {
		out, err := a.Control.OptedOut(ctx, userID, kind)
		if err != nil {
			return Message{}, err
		}
		state := "on"
		if out {
			state = "off"
		}
		fmt.Fprintf(&b, "\nYour %s: *%s* (`/repcoach %s %s` to change)", kindNames[kind], state, kind, map[string]string{"on": "off", "off": "on"}[state])
	}
	return Text(b.String()), nil
}

func (a *Admin) pause(ctx context.Context, userID string, pause bool) (Message, error) {
	if err := RequireOps(ctx, a.Roles, userID); err != nil {
		return Message{}, err
	}
	if err := a.Control.SetPaused(ctx, pause, userID); err != nil {
		return Message{}, err
	}
	if pause {
		return Text(":double_vertical_bar: Paused: no scheduled DM goes out until someone in sales ops types `/repcoach resume`. Sends missed meanwhile go out late if resumed within a few hours, else wait for next week."), nil
	}
	return Text(":arrow_forward: Resumed: scheduled DMs go out again."), nil
}

func (a *Admin) zone() *time.Location {
	if a.Location == nil {
		return time.UTC
	}
	return a.Location
}
