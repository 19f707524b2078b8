package slackfake_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/bot/slackfake"
)

// TestConversationsInfoAndPosting: conversations.info shows a channel as
// Slack does for a bot token (is_private, is_archived, is_member; a
// private channel without the bot does not exist), and chat.postMessage
// refuses the channels the bot cannot post in with Slack's errors.
func TestConversationsInfoAndPosting(t *testing.T) {
	channels := []slackfake.Channel{
		{ID: "C0MEMBER01", Name: "wins", Member: true},
		{ID: "C0PUBLIC01", Name: "sales"},
		{ID: "C0ARCHIVE1", Name: "old-wins", Member: true, Archived: true},
		{ID: "C0PRIVATE1", Name: "leads", Private: true, Member: true},
		{ID: "C0SECRET01", Name: "board", Private: true},
	}
	for _, tc := range []struct {
		name, channel string
		scopes        []string
		wantInfo      string // "" for ok, else the error
		private, arch bool
		member        bool
		wantPost      string
	}{
		{"member", "C0MEMBER01", nil, "", false, false, true, ""},
		{"public, not in it", "C0PUBLIC01", nil, "", false, false, false, ""},
		{"public, not in it, no chat:write.public", "C0PUBLIC01", []string{"chat:write", "channels:read"}, "", false, false, false, "not_in_channel"},
		{"archived", "C0ARCHIVE1", nil, "", false, true, true, "is_archived"},
		{"private, in it", "C0PRIVATE1", nil, "", true, false, true, ""},
		{"private, not in it", "C0SECRET01", nil, "channel_not_found", false, false, false, "channel_not_found"},
		{"no such channel", "C0NOWHERE1", nil, "channel_not_found", false, false, false, "channel_not_found"},
		{"no channels:read", "C0MEMBER01", []string{"chat:write"}, "missing_scope", false, false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, slackfake.Config{Channels: channels, BotScopes: tc.scopes})
			c := api(s)
			ctx := context.Background()
			ch, err := c.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: tc.channel})
			switch {
			case tc.wantInfo != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantInfo) {
					t.Errorf("conversations.info = %v, want %s", err, tc.wantInfo)
				}
			case err != nil:
				t.Errorf("conversations.info: %v", err)
			case ch.ID != tc.channel || ch.IsPrivate != tc.private || ch.IsArchived != tc.arch || ch.IsMember != tc.member || !ch.IsChannel || ch.Name == "":
				t.Errorf("conversations.info = %+v, want private %v archived %v member %v", ch.GroupConversation, tc.private, tc.arch, tc.member)
			}
			_, _, err = c.PostMessageContext(ctx, tc.channel, slack.MsgOptionText("hi", false))
			if tc.wantPost == "" && err != nil {
				t.Errorf("chat.postMessage: %v", err)
			}
			if tc.wantPost != "" && (err == nil || !strings.Contains(err.Error(), tc.wantPost)) {
				t.Errorf("chat.postMessage = %v, want %s", err, tc.wantPost)
			}
		})
	}
	// The scope follows the conversation's kind, as for conversations.history.
	s := newServer(t, slackfake.Config{BotScopes: []string{"channels:read"}})
	body, _ := call(t, s, "conversations.info", url.Values{"token": {botToken}, "channel": {"G0OLDPRIV1"}})
	if body["error"] != "missing_scope" || body["needed"] != "groups:read" {
		t.Errorf("conversations.info of a G… channel with channels:read only = %v, want missing_scope needing groups:read", body)
	}
}
