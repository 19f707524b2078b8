package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/crmsync"
)

// Control is the state /repcoach reads and changes.
type Control interface {
	SetPaused(ctx context.Context, paused bool, by string) error
	PausedBy(ctx context.Context) (by string, at time.Time, ok bool, err error)
	OptedOut(ctx context.Context, slackID, kind string) (bool, error)
	Current(ctx context.Context) (version int64, asOf time.Time, err error)
}

// SyncStatus reads how the live CRM syncs went, one State per source
// that has synced at least once.
type SyncStatus interface {
	SyncStates(ctx context.Context) ([]crmsync.State, error)
}

// Admin answers /repcoach: the bot's status, each person's own DM
// settings, and (for sales ops) pausing every scheduled post. Syncs may be
// nil when no CRM API is configured.
type Admin struct {
	Control  Control
	OptOut   *OptOut
	Roles    Roles
	Links    *Links
	Syncs    SyncStatus
	Location *time.Location
	// Locales keeps each person's language (/repcoach language tr|en).
	Locales *Locales
	// Schedule says when the scheduled DMs go out, for the status.
	Schedule Schedule
}

// AdminUsage is the argument summary of /repcoach.
const AdminUsage = "[status | language tr|en | feedback on|off | digest on|off | nudges on|off | pause | resume | links | link @person NAME | unlink @person | help]"

// Handle runs one /repcoach subcommand for the Slack user asking.
func (a *Admin) Handle(ctx context.Context, userID, text string) (Message, error) {
	cmd, args := parseAdmin(text)
	p := a.Locales.Printer(ctx, userID)
	switch {
	case cmd == "links" && len(args) == 0:
		return a.Links.Show(ctx, userID)
	case cmd == "link" || cmd == "unlink":
		return a.Links.Command(ctx, userID, cmd == "unlink", args)
	case cmd == "status" && len(args) == 0:
		return a.status(ctx, p, userID)
	case (cmd == KindFeedback || cmd == KindDigest || cmd == KindNudge) && len(args) == 1 && (args[0] == "on" || args[0] == "off"):
		return a.OptOut.set(p, ctx, userID, cmd, args[0] == "off")
	case (cmd == "pause" || cmd == "resume") && len(args) == 0:
		return a.pause(ctx, p, userID, cmd == "pause")
	case cmd == "language" && a.Locales != nil:
		return a.Locales.languageCommand(ctx, userID, args)
	case cmd == "help":
		return Text(adminHelp(p)), nil
	}
	return Text(p.T("admin.unknown", kit.Escape(kit.Truncate(text, 60)), adminHelp(p))), nil
}

// adminHelp lists /repcoach's subcommands in p's language.
func adminHelp(p *i18n.Printer) string {
	return "`/repcoach " + adminUsageIn(p) + "`\n" + p.T("admin.help")
}

// adminUsageIn is AdminUsage in p's language (the subcommands stay
// English words, as they are typed).
func adminUsageIn(p *i18n.Printer) string {
	if p.Lang() == i18n.English {
		return AdminUsage
	}
	return p.T("admin.usage")
}

func (a *Admin) status(ctx context.Context, p *i18n.Printer, userID string) (Message, error) {
	var b strings.Builder
	_, asOf, err := a.Control.Current(ctx)
	switch {
	case errors.Is(err, insights.ErrNoData):
		b.WriteString(p.T("admin.nodata"))
	case err != nil:
		return Message{}, err
	default:
		b.WriteString(p.T("admin.numbers", asOfIn(p, asOf, a.Location)))
	}
	if err := a.syncStatus(ctx, p, &b, userID); err != nil {
		return Message{}, err
	}
	by, at, paused, err := a.Control.PausedBy(ctx)
	if err != nil {
		return Message{}, err
	}
	if paused {
		when := p.DateTime(at, a.zone())
		who := kit.Escape(by) // RepCoach itself pauses when Redis lost its data
		if IsUserID(by) {
			who = "<@" + by + ">"
		}
		b.WriteString(p.T("admin.paused", who, when))
	} else {
		sched := a.Schedule.orDefault()
		b.WriteString(p.T("admin.running", weeklyAt(p, sched.Feedback), weeklyAt(p, sched.Nudge), weeklyAt(p, sched.Digest)))
	}
	if a.Links != nil {
		if ops, err := a.Roles.IsOps(ctx, userID); err == nil && ops {
			book, err := a.Links.Book.LinkBook(ctx)
			if err != nil {
				return Message{}, err
			}
			if n := len(book.Clashes); n > 0 {
				b.WriteString(p.T("admin.clashes", n))
			}
			if n := len(book.Unmatched); n > 0 {
				b.WriteString(p.T("admin.unmatched", n))
			}
		}
	}
	for _, kind := range []string{KindFeedback, KindDigest, KindNudge} {
		out, err := a.Control.OptedOut(ctx, userID, kind)
		if err != nil {
			return Message{}, err
		}
		state, other := "on", "off"
		if out {
			state, other = "off", "on"
		}
		b.WriteString(p.T("admin.setting", p.T("admin.your."+kind), p.T("admin."+state), kind, other))
	}
	return Text(b.String()), nil
}

// syncStatus writes a line per CRM sync in p's language: when it last ran
// and what it found, or that it failed (why, for sales ops only: errors
// name URLs and fields, not numbers).
func (a *Admin) syncStatus(ctx context.Context, p *i18n.Printer, b *strings.Builder, userID string) error {
	if a.Syncs == nil {
		return nil
	}
	states, err := a.Syncs.SyncStates(ctx)
	if err != nil {
		return fmt.Errorf("read sync states: %w", err)
	}
	when := func(t time.Time) string { return p.DateTime(t, a.zone()) }
	for _, st := range states {
		name := crmName(st.Source)
		if st.Error != "" {
			if st.LastOK.IsZero() {
				b.WriteString(p.T("sync.failed.none", name, when(st.LastRun)))
			} else {
				b.WriteString(p.T("sync.failed.last", name, when(st.LastRun), when(st.LastOK)))
			}
			ops, err := a.Roles.IsOps(ctx, userID)
			if err != nil {
				return fmt.Errorf("check ops membership: %w", err)
			}
			if ops {
				b.WriteString(p.T("sync.error", strings.ReplaceAll(kit.Escape(kit.Truncate(st.Error, 300)), "`", "'")))
			}
			continue
		}
		kind := p.T("sync.changes")
		if st.Full {
			kind = p.T("sync.full")
		}
		b.WriteString(p.T("sync.ok", name, when(st.LastOK), kind, p.T("n.deals", st.Deals), p.T("n.deals", st.Changed), p.T("n.deals", st.Deleted), p.T("n.deals", st.Total)))
	}
	return nil
}

func crmName(source string) string {
	switch source {
	case "salesforce":
		return "Salesforce"
	case "hubspot":
		return "HubSpot"
	}
	return source
}

func (a *Admin) pause(ctx context.Context, p *i18n.Printer, userID string, pause bool) (Message, error) {
	if err := RequireOps(ctx, a.Roles, userID); err != nil {
		return Message{}, err
	}
	if err := a.Control.SetPaused(ctx, pause, userID); err != nil {
		return Message{}, err
	}
	if pause {
		return Text(p.T("admin.pause")), nil
	}
	return Text(p.T("admin.resume")), nil
}

func (a *Admin) zone() *time.Location {
	if a.Location == nil {
		return time.UTC
	}
	return a.Location
}
