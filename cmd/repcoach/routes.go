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
				Summary: "Your own numbers against quota and team, privately",
				Handle: func(ctx context.Context, r bot.Request) (bot.Reply, error) {
					return reply(a.perf.Mine(ctx, r.UserID, r.Text))
				},
			},
		},
	}
}

// reply turns a handler's message into the bot's reply.
func reply(m handlers.Message, err error) (bot.Reply, error) {
	return bot.Reply{Text: m.Text, Blocks: m.Blocks}, err
}
