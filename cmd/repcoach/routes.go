package main

import (
	"context"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/handlers"
)

// routes is the one table of what the bot answers: slash commands (the
// manifest and help are generated from it), buttons, modals and events.
func (a *App) routes() bot.Routes {
	return bot.Routes{
		Commands: []bot.Command{
			{
				Name:    "/myperformance",
				Usage:   handlers.PerformanceUsage,
				Summary: handlers.CommandSummary("/myperformance"),
				Handle: func(ctx context.Context, r bot.Request) (bot.Reply, error) {
					return reply(a.perf.Mine(ctx, r.UserID, r.Text))
				},
			},
			{
				Name:    "/teamperformance",
				Usage:   handlers.TeamUsage,
				Summary: handlers.CommandSummary("/teamperformance"),
				Handle: func(ctx context.Context, r bot.Request) (bot.Reply, error) {
					return reply(a.team.Show(ctx, r.UserID, r.Text))
				},
			},
			{
				Name:     "/recognize",
				Usage:    handlers.RecognizeUsage,
				Summary:  handlers.CommandSummary("/recognize"),
				Mentions: true,
				Handle: func(ctx context.Context, r bot.Request) (bot.Reply, error) {
					return reply(a.recognize.Command(ctx, r.UserID, r.ChannelID, r.TriggerID, r.Text))
				},
			},
			{
				Name:     "/repcoach",
				Usage:    handlers.AdminUsage,
				Summary:  handlers.CommandSummary("/repcoach"),
				Mentions: true,
				Handle: func(ctx context.Context, r bot.Request) (bot.Reply, error) {
					return reply(a.admin.Handle(ctx, r.UserID, r.Text))
				},
			},
		},
		Events: []bot.Event{
			{Type: "team_join", Handle: a.profileChanged},
			{Type: "user_change", Handle: a.profileChanged},
			{Type: "app_home_opened", Handle: func(ctx context.Context, r bot.Request) (bot.Reply, error) {
				if r.EventTab != "" && r.EventTab != "home" {
					return bot.Reply{}, nil
				}
				return bot.Reply{}, a.home.Opened(ctx, r.UserID)
			}},
		},
		Views: []bot.View{
			{CallbackID: handlers.RecognizeCallback, Handle: func(ctx context.Context, r bot.Request) (bot.Reply, error) {
				problems, err := a.recognize.Submit(ctx, r.UserID, r.ViewID, r.Values, r.PrivateMetadata)
				return bot.Reply{ViewErrors: problems}, err
			}},
		},
		Actions: []bot.Action{
			{ID: handlers.ActionOptOut, Handle: a.optOutAction(true)},
			{ID: handlers.ActionOptIn, Handle: a.optOutAction(false)},
			{ID: handlers.ActionAwardPost, Handle: func(ctx context.Context, r bot.Request) (bot.Reply, error) {
				return reply(a.awards.Approve(ctx, r.UserID, r.Value))
			}},
			{ID: "links", Handle: func(ctx context.Context, r bot.Request) (bot.Reply, error) {
				rep, err := reply(a.links.Act(ctx, r.UserID, r.Value))
				rep.ReplaceOriginal = false
				return rep, err
			}},
			{ID: "nudge", Handle: func(ctx context.Context, r bot.Request) (bot.Reply, error) {
				rep, err := reply(a.nudges.Act(ctx, r.UserID, r.ActionID, r.Value))
				rep.ReplaceOriginal = true
				return rep, err
			}},
		},
	}
}

// optOutAction handles the stop/resume buttons on scheduled DMs, replacing
// the message the button sat on.
func (a *App) optOutAction(out bool) bot.HandlerFunc {
	return func(ctx context.Context, r bot.Request) (bot.Reply, error) {
		rep, err := reply(a.optOut.Set(ctx, r.UserID, r.Value, out))
		rep.ReplaceOriginal = true
		return rep, err
	}
}

// profileChanged notes that a member joined or changed their profile, so
// that the link watcher matches people again soon (not at once: a
// workspace import sends thousands of these).
func (a *App) profileChanged(context.Context, bot.Request) (bot.Reply, error) {
	a.profilesChanged.Store(true)
	return bot.Reply{}, nil
}

// reply turns a handler's message into the bot's reply.
func reply(m handlers.Message, err error) (bot.Reply, error) {
	return bot.Reply{Text: m.Text, Blocks: m.Blocks, InChannel: m.InChannel}, err
}
