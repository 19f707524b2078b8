package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/bot/slackfake"
)

// TestDoctorAwardsChannel: the doctor's awards-channel line proves the bot
// can post there, asking Slack (conversations.info) as the fake Slack
// answers it like Slack: each case's verdict matches whether chat.postMessage
// then succeeds in that channel.
func TestDoctorAwardsChannel(t *testing.T) {
	channels := []slackfake.Channel{
		{ID: "C0WINS0001", Name: "wins", Member: true},
		{ID: "C0SALES001", Name: "sales"},
		{ID: "C0OLDWINS1", Name: "old-wins", Member: true, Archived: true},
		{ID: "C0LEADS001", Name: "leads", Private: true, Member: true},
		{ID: "C0BOARD001", Name: "board", Private: true},
	}
	all := manifest().OAuthConfig.Scopes.Bot
	noPublic := slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == "chat:write.public" })
	for _, tc := range []struct {
		name, channel string
		scopes        []string
		want          finding
	}{
		{"member", "C0WINS0001", all, ok("awards channel", "#wins (C0WINS0001): the bot is a member and may post")},
		{"public with chat:write.public", "C0SALES001", all, ok("awards channel", "#sales (C0SALES001): public; the bot may post without joining (chat:write.public)")},
		{"public without chat:write.public", "C0SALES001", noPublic, fail("awards channel", "#sales (C0SALES001) is public but the bot is not in it and lacks chat:write.public", "/invite @RepCoach in #sales (C0SALES001), or add chat:write.public and reinstall")},
		{"archived", "C0OLDWINS1", all, fail("awards channel", "#old-wins (C0OLDWINS1) is archived: posts there fail", "unarchive it, or set REPCOACH_AWARDS_CHANNEL to another channel")},
		{"private, invited", "C0LEADS001", all, ok("awards channel", "#leads (C0LEADS001): the bot is a member and may post")},
		{"private, not invited", "C0BOARD001", all, fail("awards channel", "C0BOARD001 does not exist, or is a private channel the bot is not in", "set REPCOACH_AWARDS_CHANNEL to the channel's ID (channel details → the C… at the bottom) and /invite @RepCoach there if it is private")},
		{"no such channel", "C0NOWHERE1", all, fail("awards channel", "C0NOWHERE1 does not exist, or is a private channel the bot is not in", "set REPCOACH_AWARDS_CHANNEL to the channel's ID (channel details → the C… at the bottom) and /invite @RepCoach there if it is private")},
		{"a name, not an ID", "#wins", all, fail("awards channel", "#wins does not exist, or is a private channel the bot is not in", "set REPCOACH_AWARDS_CHANNEL to the channel's ID (channel details → the C… at the bottom) and /invite @RepCoach there if it is private")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, err := slackfake.New(slackfake.Config{Channels: channels, BotScopes: tc.scopes})
			if err != nil {
				t.Fatal(err)
			}
			defer fake.Close()
			api := slack.New("xoxb-fake", slack.OptionAPIURL(fake.APIURL()))
			d := &doctor{cfg: Config{AwardsChannel: tc.channel, APIURL: fake.APIURL()}, api: api, scopes: tc.scopes}
			got := checkAwardsChannel(context.Background(), d)
			if got != tc.want {
				t.Errorf("checkAwardsChannel =\n  %+v\nwant\n  %+v", got, tc.want)
			}
			// The verdict is what posting there does.
			_, _, postErr := api.PostMessageContext(context.Background(), tc.channel, slack.MsgOptionText("🏆", false))
			if (got.status == "ok") != (postErr == nil) {
				t.Errorf("doctor says %s, but chat.postMessage there: %v", got.status, postErr)
			}
		})
	}
}

// TestDoctorTokens: the three token lines come from bot.CheckTokens, the
// check `repcoach run` makes at start (one copy): each problem shows on its
// own line with CheckTokens' one-line message naming the variable.
func TestDoctorTokens(t *testing.T) {
	all := manifest().OAuthConfig.Scopes.Bot
	fewer := slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == "usergroups:read" })
	for _, tc := range []struct {
		name           string
		scopes         []string
		bot, app       string
		wantBot        string
		wantScopes     string
		wantApp        string
		wantAppStatus  string
		wantScopesStat string
	}{
		{"healthy", all, "xoxb-fake", "xapp-1-fake", "valid for workspace RepCoach Fake as <@U0REPCOACH>", "all 9 granted", "opens a Socket Mode connection", "ok", "ok"},
		{"a scope missing", fewer, "xoxb-fake", "xapp-1-fake", "valid for workspace", "SLACK_BOT_TOKEN lacks the scopes usergroups:read: update the app", "opens a Socket Mode connection", "ok", "FAIL"},
		{"app token refused", all, "xoxb-fake", "xapp-1-wrong", "valid for workspace", "all 9 granted", "cannot open a Socket Mode connection: SLACK_APP_TOKEN was refused by Slack (invalid_auth)", "FAIL", "ok"},
		{"both", fewer, "xoxb-fake", "xapp-1-wrong", "valid for workspace", "SLACK_BOT_TOKEN lacks the scopes usergroups:read", "cannot open a Socket Mode connection: SLACK_APP_TOKEN was refused", "FAIL", "FAIL"},
		{"bot token revoked", all, "xoxb-revoked", "xapp-1-fake", "SLACK_BOT_TOKEN was revoked (token_revoked): the app was uninstalled", "not checked: the bot token does not work", "not checked: the bot token does not work", "FAIL", "FAIL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, err := slackfake.New(slackfake.Config{BotScopes: tc.scopes, RevokedTokens: []string{"xoxb-revoked"}})
			if err != nil {
				t.Fatal(err)
			}
			defer fake.Close()
			d := &doctor{cfg: Config{BotToken: tc.bot, AppToken: tc.app, APIURL: fake.APIURL()}}
			d.checkTokens(context.Background())
			for _, c := range []struct {
				got              finding
				want, wantStatus string
			}{
				{checkBotToken(context.Background(), d), tc.wantBot, map[bool]string{true: "ok", false: "FAIL"}[tc.bot == "xoxb-fake"]},
				{checkScopes(context.Background(), d), tc.wantScopes, tc.wantScopesStat},
				{checkAppToken(context.Background(), d), tc.wantApp, tc.wantAppStatus},
			} {
				if !strings.Contains(c.got.found, c.want) || c.got.status != c.wantStatus {
					t.Errorf("%s: %s %q, want %s containing %q", c.got.check, c.got.status, c.got.found, c.wantStatus, c.want)
				}
			}
		})
	}
}
