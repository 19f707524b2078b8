package main

import (
	"fmt"
	"io"

	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v3"
)

// manifest returns the Slack app manifest: Socket Mode, the bot scopes the
// code's calls need (TestManifestScopesDerivedFromCode checks them against
// the code), and the slash commands from the route table.
func manifest() slack.Manifest {
	var cmds []slack.ManifestSlashCommand
	for _, c := range new(App).routes().Commands {
		cmds = append(cmds, slack.ManifestSlashCommand{Command: c.Name, Description: c.Summary, UsageHint: c.Usage, ShouldEscape: c.Mentions})
	}
	return slack.Manifest{
		Display: slack.Display{
			Name:            "RepCoach",
			Description:     "Private performance numbers, weekly feedback and coaching for your sales team.",
			LongDescription: "RepCoach reads your CRM exports and, inside Slack, shows every rep their own numbers against quota and team (/myperformance), sends each rep weekly feedback with one thing to work on, and gives managers their team's numbers (/teamperformance) and a Monday digest: who is ahead or at risk, where deals stall, forecast, stale deals and CRM data problems. Self-hosted and open source: your CRM data stays on your servers.",
			BackgroundColor: "#1d4e89",
		},
		Settings: slack.Settings{
			SocketModeEnabled:  true,
			Interactivity:      &slack.Interactivity{IsEnabled: true},
			EventSubscriptions: &slack.EventSubscriptions{BotEvents: botEvents()},
		},
		Features: slack.Features{
			AppHome:       slack.AppHome{HomeTabEnabled: true, MessagesTabEnabled: true, MessagesTabReadOnlyEnabled: true},
			BotUser:       slack.BotUser{DisplayName: "RepCoach", AlwaysOnline: true},
			SlashCommands: cmds,
		},
		OAuthConfig: slack.OAuthConfig{Scopes: slack.OAuthScopes{Bot: []string{
			"chat:write", "chat:write.public", "commands", "users:read", "users:read.email", "im:write", "im:history", "usergroups:read",
			"channels:read",
		}}},
	}
}

// botEvents lists the Events API events the route table handles, plus
// app_uninstalled and tokens_revoked, which the bot handles itself (they
// need no scope).
func botEvents() []string {
	var out []string
	for _, e := range new(App).routes().Events {
		out = append(out, e.Type)
	}
	return append(out, "app_uninstalled", "tokens_revoked")
}

func printManifest(w io.Writer) error {
	out, err := yaml.Marshal(manifest())
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	_, err = w.Write(out)
	return err
}
