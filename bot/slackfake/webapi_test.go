package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/repcoach/repcoach/bot/slackfake"
)

// postRaw posts body to url and decodes the JSON answer.
func postRaw(t *testing.T, url, contentType, auth, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer is not JSON: %s", b)
	}
	return m
}

// slackErr is the Slack error code in err, or "" if err is not a Slack error answer.
func slackErr(err error) string {
	if e, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		return e.Err
	}
	return ""
}

func wantSlackErr(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := slackErr(err); got != code {
		t.Errorf("%s: err = %v, want %s", what, err, code)
	}
}

func wantRateLimited(t *testing.T, what string, err error, retry time.Duration) {
	t.Helper()
	rl, ok := errors.AsType[*slack.RateLimitedError](err)
	if !ok {
		t.Fatalf("%s: err = %v, want *slack.RateLimitedError", what, err)
	}
	if retry > 0 && rl.RetryAfter != retry {
		t.Errorf("%s: RetryAfter = %v, want %v", what, rl.RetryAfter, retry)
	}
}

func TestTokens(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	ctx := testContext(t, 5*time.Second)
	wrongType := slack.New(botToken, slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(botToken))
	_, _, err := wrongType.StartSocketModeContext(ctx)
	wantSlackErr(t, "apps.connections.open with xoxb", err, "not_allowed_token_type")

	_, err = slack.New(appToken, slack.OptionAPIURL(s.APIURL())).AuthTestContext(ctx)
	wantSlackErr(t, "auth.test with xapp", err, "not_allowed_token_type")

	_, err = slack.New("xoxb-wrong", slack.OptionAPIURL(s.APIURL())).GetUserInfoContext(ctx, "U11REPWST1")
	wantSlackErr(t, "users.info with a wrong token", err, "invalid_auth")

	if got := postRaw(t, s.APIURL()+"apps.connections.open", "application/json", "", ""); got["error"] != "not_authed" {
		t.Errorf("apps.connections.open without token = %v, want not_authed", got)
	}
	if got := postRaw(t, s.APIURL()+"chat.postMessage", "application/x-www-form-urlencoded", "", "channel=C1&text=hi"); got["error"] != "not_authed" {
		t.Errorf("chat.postMessage without token = %v, want not_authed", got)
	}
	if got := postRaw(t, s.APIURL()+"chat.postMessage", "application/x-www-form-urlencoded", "Bearer "+botToken, "channel=C1&text=hi"); got["ok"] != true {
		t.Errorf("chat.postMessage with a Bearer header = %v, want ok", got)
	}
	if got := postRaw(t, s.APIURL()+"chat.nonsense", "application/x-www-form-urlencoded", "", "token="+botToken); got["error"] != "unknown_method" {
		t.Errorf("unknown method = %v, want unknown_method", got)
	}

	// slack-go's socketmode client gives up at once on invalid_auth.
	c := socketmode.New(slack.New(botToken, slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken("xapp-wrong")))
	done := make(chan error, 1)
	go func() { done <- c.RunContext(ctx) }()
	go func() {
		for range c.Events {
		}
	}()
	select {
	case err := <-done:
		if err == nil || err.Error() != "invalid_auth" {
			t.Errorf("RunContext = %v, want invalid_auth", err)
		}
	case <-ctx.Done():
		t.Fatal("socketmode client kept retrying with an invalid token")
	}
}

func TestAuthTest(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	got, err := api(s).AuthTestContext(testContext(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != slackfake.BotUserID || got.BotID != slackfake.BotID || got.TeamID != slackfake.TeamID {
		t.Errorf("auth.test = %+v", got)
	}
}

func TestPostMessageToUserLandsInDMHistory(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	ctx := testContext(t, 5*time.Second)
	c := api(s)
	for _, week := range []string{"w1", "w2", "w3"} {
		ch, ts, err := c.PostMessageContext(ctx, "U11REPWST1",
			slack.MsgOptionText("Weekly feedback "+week, false),
			slack.MsgOptionBlocks(slack.NewDividerBlock()),
			slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "weekly_feedback", EventPayload: map[string]any{"week": week}}))
		if err != nil {
			t.Fatal(err)
		}
		if ch != "D11REPWST1" || ch != s.DMChannel("U11REPWST1") || ts == "" {
			t.Errorf("posted to %q at %q, want the DM D11REPWST1", ch, ts)
		}
	}
	page, err := c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "D11REPWST1", Limit: 2, IncludeAllMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 2 || !page.HasMore || page.ResponseMetaData.NextCursor == "" {
		t.Fatalf("first page: %d messages, has_more %v, cursor %q; want 2, true, a cursor", len(page.Messages), page.HasMore, page.ResponseMetaData.NextCursor)
	}
	if m := page.Messages[0]; m.Text != "Weekly feedback w3" || m.Metadata.EventType != "weekly_feedback" || m.Metadata.EventPayload["week"] != "w3" || m.BotID != slackfake.BotID {
		t.Errorf("newest message = %+v, want w3 with its metadata", m.Msg)
	}
	rest, err := c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "D11REPWST1", Limit: 2, Cursor: page.ResponseMetaData.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(rest.Messages) != 1 || rest.HasMore || rest.Messages[0].Text != "Weekly feedback w1" {
		t.Errorf("second page = %+v, want only w1", rest.Messages)
	}
	if rest.Messages[0].Metadata.EventType != "" {
		t.Error("metadata returned without include_all_metadata")
	}
	if got := len(s.MessagesTo("U11REPWST1")); got != 3 {
		t.Errorf("MessagesTo(user) = %d messages, want 3", got)
	}
	_, _, err = c.PostMessageContext(ctx, "U99NOBODY", slack.MsgOptionText("hi", false))
	wantSlackErr(t, "post to unknown user", err, "channel_not_found")
	_, err = c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "D99NOBODY"})
	wantSlackErr(t, "history of unknown DM", err, "channel_not_found")
}

func TestPostMessagePerChannelRate(t *testing.T) {
	clk := newClock()
	s := newServer(t, slackfake.Config{Now: clk.Now})
	ctx := testContext(t, 5*time.Second)
	c := api(s)
	post := func(ch string) error {
		_, _, err := c.PostMessageContext(ctx, ch, slack.MsgOptionText("hi", false))
		return err
	}
	for i := range 3 { // a short burst is tolerated
		if err := post("C0SALES"); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	wantRateLimited(t, "4th post in the same second", post("C0SALES"), time.Second)
	if err := post("C0OTHER"); err != nil {
		t.Errorf("another channel: %v", err)
	}
	clk.Add(time.Second)
	if err := post("C0SALES"); err != nil {
		t.Errorf("after a second: %v", err)
	}
	wantRateLimited(t, "again at once", post("C0SALES"), time.Second)
	if got := s.Calls("chat.postMessage"); got != 7 {
		t.Errorf("Calls = %d, want 7 (rejected calls count)", got)
	}
}

func TestMethodRateLimits(t *testing.T) {
	clk := newClock()
	s := newServer(t, slackfake.Config{Now: clk.Now, Limits: map[string]int{"users.info": 2, "conversations.open": -1}})
	ctx := testContext(t, 5*time.Second)
	c := api(s)
	for range 2 {
		if _, err := c.GetUserInfoContext(ctx, "U11REPWST1"); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(20 * time.Second)
	_, err := c.GetUserInfoContext(ctx, "U11REPWST1")
	wantRateLimited(t, "users.info over its override", err, 40*time.Second)
	clk.Add(40 * time.Second)
	if _, err := c.GetUserInfoContext(ctx, "U11REPWST1"); err != nil {
		t.Errorf("after the window: %v", err)
	}

	// Tier 2 by default: users.list takes 20 a minute.
	p := c.GetUsersPaginated(slack.GetUsersOptionLimit(1000))
	for i := range 20 {
		if _, err := p.Next(ctx); err != nil {
			t.Fatalf("users.list call %d: %v", i+1, err)
		}
	}
	_, err = p.Next(ctx)
	wantRateLimited(t, "21st users.list", err, 0)

	for i := range 60 { // unlimited by override, Tier 3 otherwise
		if _, _, _, err := c.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U11REPWST1"}}); err != nil {
			t.Fatalf("conversations.open call %d: %v", i+1, err)
		}
	}
}

func TestInjectedFaults(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	ctx := testContext(t, 5*time.Second)
	c := api(s)
	s.FailNext("chat.postEphemeral", "channel_not_found", 2)
	for range 2 {
		_, err := c.PostEphemeralContext(ctx, "C0SALES", "U11REPWST1", slack.MsgOptionText("x", false))
		wantSlackErr(t, "injected failure", err, "channel_not_found")
	}
	if _, err := c.PostEphemeralContext(ctx, "C0SALES", "U11REPWST1", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("after the injected failures: %v", err)
	}

	s.RateLimitShare("users.info", 0.5)
	var limited []int
	for i := range 6 {
		_, err := c.GetUserInfoContext(ctx, "U11REPWST1")
		if err != nil {
			wantRateLimited(t, "share", err, time.Second)
			limited = append(limited, i+1)
		}
	}
	if len(limited) != 3 || limited[0] != 2 || limited[2] != 6 {
		t.Errorf("rate-limited calls %v, want every 2nd: [2 4 6]", limited)
	}
	s.RateLimitShare("users.info", 0)
	if _, err := c.GetUserInfoContext(ctx, "U11REPWST1"); err != nil {
		t.Errorf("after clearing the share: %v", err)
	}
	if got := s.Calls("users.info"); got != 7 {
		t.Errorf("Calls(users.info) = %d, want 7", got)
	}
}

func TestBlockKitLimits(t *testing.T) {
	s := newServer(t, slackfake.Config{Limits: map[string]int{"chat.postMessage": -1}, PerChannelPostInterval: time.Millisecond})
	ctx := testContext(t, 5*time.Second)
	c := api(s)
	blocks := func(n int) []slack.Block {
		var out []slack.Block
		for range n {
			out = append(out, slack.NewDividerBlock())
		}
		return out
	}
	post := func(ch string, opts ...slack.MsgOption) error {
		_, _, err := c.PostMessageContext(ctx, ch, opts...)
		return err
	}
	if err := post("C01", slack.MsgOptionBlocks(blocks(50)...)); err != nil {
		t.Errorf("50 blocks: %v", err)
	}
	wantSlackErr(t, "51 blocks", post("C02", slack.MsgOptionBlocks(blocks(51)...)), "invalid_blocks")
	wantSlackErr(t, "40,001 characters", post("C03", slack.MsgOptionText(strings.Repeat("é", 40001), false)), "msg_too_long")
	long := slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", strings.Repeat("a", 3001), false, false), nil, nil)
	err := post("C04", slack.MsgOptionBlocks(long))
	wantSlackErr(t, "3,001-character section", err, "invalid_blocks")
	if e, ok := errors.AsType[slack.SlackErrorResponse](err); !ok || len(e.ResponseMetadata.Messages) == 0 || !strings.Contains(e.ResponseMetadata.Messages[0], "/blocks/0/text/text") {
		t.Errorf("invalid_blocks messages = %+v, want a json-pointer to /blocks/0/text/text", err)
	}
	wantSlackErr(t, "nothing to post", post("C05"), "no_text")
	if got := len(s.Messages()); got != 1 {
		t.Errorf("recorded %d messages, want only the valid one", got)
	}
}

func TestEphemeralUpdateAndOpen(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	ctx := testContext(t, 5*time.Second)
	c := api(s)
	if _, err := c.PostEphemeralContext(ctx, "C0SALES", "U11REPWST1", slack.MsgOptionText("just you", false)); err != nil {
		t.Fatal(err)
	}
	if m := s.MessagesTo("U11REPWST1"); len(m) != 1 || m[0].Method != "chat.postEphemeral" || m[0].Channel != "C0SALES" {
		t.Errorf("MessagesTo = %+v, want the ephemeral", m)
	}
	_, err := c.PostEphemeralContext(ctx, "C0SALES", "U99NOBODY", slack.MsgOptionText("x", false))
	wantSlackErr(t, "ephemeral to unknown user", err, "user_not_found")
	_, err = c.PostEphemeralContext(ctx, "D12REPWST2", "U11REPWST1", slack.MsgOptionText("x", false))
	wantSlackErr(t, "ephemeral in someone else's DM", err, "user_not_in_channel")

	ch, noOp, already, err := c.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U12REPWST2"}})
	if err != nil || ch.ID != "D12REPWST2" || noOp || already {
		t.Errorf("first open = %v %v %v %v, want D12REPWST2, new", ch, noOp, already, err)
	}
	_, _, already, _ = c.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U12REPWST2"}})
	if !already {
		t.Error("second open not already_open")
	}
	_, _, _, err = c.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U99NOBODY"}})
	wantSlackErr(t, "open with unknown user", err, "user_not_found")

	_, ts, err := c.PostMessageContext(ctx, ch.ID, slack.MsgOptionText("Nudge: finish the discovery course", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.UpdateMessageContext(ctx, ch.ID, ts, slack.MsgOptionText("Done, thanks!", false)); err != nil {
		t.Fatal(err)
	}
	h, _ := c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: ch.ID})
	if len(h.Messages) != 1 || h.Messages[0].Text != "Done, thanks!" || h.Messages[0].Timestamp != ts {
		t.Errorf("history after update = %+v", h.Messages)
	}
	_, _, _, err = c.UpdateMessageContext(ctx, ch.ID, "1.000001", slack.MsgOptionText("x", false))
	wantSlackErr(t, "update of unknown ts", err, "message_not_found")
}

func TestUsers(t *testing.T) {
	clk := newClock() // 14 March 2025: Los Angeles is on daylight time, London is not
	s := newServer(t, slackfake.Config{Now: clk.Now})
	ctx := testContext(t, 5*time.Second)
	c := api(s)
	u, err := c.GetUserInfoContext(ctx, "U11REPWST1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "ana.souza" || u.RealName != "Ana Souza" || u.Profile.Email != "ana.souza@repcoach.example" ||
		u.TZ != "America/Los_Angeles" || u.TZOffset != -7*3600 || u.TZLabel != "Pacific Daylight Time" {
		t.Errorf("users.info = %+v", u)
	}
	for id, want := range map[string]int{"U41REPAPC1": 19800, "U31REPEMA1": 0, "U44REPAPC4": 11 * 3600} {
		if u, _ := c.GetUserInfoContext(ctx, id); u == nil || u.TZOffset != want {
			t.Errorf("%s tz_offset = %v, want %d", id, u, want)
		}
	}
	_, err = c.GetUserInfoContext(ctx, "U99NOBODY")
	wantSlackErr(t, "unknown user", err, "user_not_found")
	clk.Add(240 * 24 * time.Hour) // November: Los Angeles is back on standard time
	if u, _ := c.GetUserInfoContext(ctx, "U11REPWST1"); u == nil || u.TZOffset != -8*3600 || u.TZLabel != "Pacific Standard Time" {
		t.Errorf("users.info in November = %+v, want offset -28800, Pacific Standard Time", u)
	}

	seen := map[string]bool{}
	pages := 0
	p := c.GetUsersPaginated(slack.GetUsersOptionLimit(7))
	for {
		p, err = p.Next(ctx)
		if p.Done(err) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range p.Users {
			if seen[u.ID] {
				t.Errorf("user %s on two pages", u.ID)
			}
			seen[u.ID] = true
		}
	}
	n := len(slackfake.DefaultUsers())
	if len(seen) != n || pages != (n+6)/7 {
		t.Errorf("users.list gave %d users in %d pages, want %d in %d", len(seen), pages, n, (n+6)/7)
	}
	if !seen[slackfake.BotUserID] || !seen["U59REPGONE"] {
		t.Error("users.list left out the bot or the deactivated user")
	}

	got, err := c.GetUserByEmailContext(ctx, "Kavya.Reddy@RepCoach.example")
	if err != nil || got.ID != "U41REPAPC1" {
		t.Errorf("lookupByEmail = %v, %v; want U41REPAPC1", got, err)
	}
	_, err = c.GetUserByEmailContext(ctx, "nobody@repcoach.example")
	wantSlackErr(t, "unknown email", err, "users_not_found")
	_, err = c.GetUserByEmailContext(ctx, "chris.old@repcoach.example")
	wantSlackErr(t, "deactivated user's email", err, "users_not_found")

	s.AddUsers(slackfake.User{ID: "U60NEWHIRE", Name: "new.hire", RealName: "New Hire", Email: "new.hire@repcoach.example", TZ: "Europe/London"})
	if got, err := c.GetUserByEmailContext(ctx, "new.hire@repcoach.example"); err != nil || got.TZLabel != "Greenwich Mean Time" {
		t.Errorf("added user = %v, %v", got, err)
	}
}

func TestUserGroups(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	ctx := testContext(t, 5*time.Second)
	c := api(s)
	groups, err := c.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
	if err != nil {
		t.Fatal(err)
	}
	want := slackfake.DefaultUserGroups()["sales-ops"]
	found := false
	for _, g := range groups {
		if g.Handle == "sales-ops" {
			found = true
			if g.ID != "S0SALESOPS" || strings.Join(g.Users, ",") != strings.Join(want, ",") {
				t.Errorf("sales-ops = %+v", g)
			}
		}
	}
	if !found || len(groups) != len(slackfake.DefaultUserGroups()) {
		t.Errorf("usergroups.list = %+v", groups)
	}
	members, err := c.GetUserGroupMembersContext(ctx, "S0SALESOPS")
	if err != nil || strings.Join(members, ",") != strings.Join(want, ",") {
		t.Errorf("usergroups.users.list = %v, %v; want %v", members, err, want)
	}
	_, err = c.GetUserGroupMembersContext(ctx, "S0NOPE")
	wantSlackErr(t, "unknown group", err, "no_such_subteam")
}

func TestResponseURL(t *testing.T) {
	clk := newClock()
	s := newServer(t, slackfake.Config{Now: clk.Now})
	connect(t, s, ackAll)
	ctx := testContext(t, 5*time.Second)
	c := api(s)
	cmd, err := s.SendCommand(ctx, "U11REPWST1", "/myperformance", "")
	if err != nil {
		t.Fatal(err)
	}
	respond := func(url, responseType, text string) error {
		_, _, err := c.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, responseType), slack.MsgOptionText(text, false))
		return err
	}
	for i := range 5 {
		if err := respond(cmd.ResponseURL, slack.ResponseTypeEphemeral, "reply"); err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
	}
	err = respond(cmd.ResponseURL, slack.ResponseTypeEphemeral, "6th")
	if e, ok := errors.AsType[slack.StatusCodeError](err); !ok || e.Code != http.StatusNotFound {
		t.Errorf("6th use: err = %v, want HTTP 404 (used_url)", err)
	}
	reply, err := cmd.Reply(ctx)
	if err != nil || reply.Method != "response_url" || reply.User != "U11REPWST1" || reply.ResponseType != "ephemeral" {
		t.Errorf("Reply = %+v, %v; want the first ephemeral response_url post", reply, err)
	}

	cmd2, _ := s.SendCommand(ctx, "U11REPWST1", "/recognize", "")
	if err := respond(cmd2.ResponseURL, slack.ResponseTypeInChannel, "Kudos to Marcus!"); err != nil {
		t.Fatal(err)
	}
	h, _ := c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: slackfake.DefaultChannel})
	if len(h.Messages) != 1 || h.Messages[0].Text != "Kudos to Marcus!" {
		t.Errorf("in_channel reply not in the channel: %+v", h.Messages)
	}
	clk.Add(31 * time.Minute)
	if err := respond(cmd2.ResponseURL, slack.ResponseTypeEphemeral, "late"); err == nil {
		t.Error("response_url still works after 30 minutes")
	}
	if got := s.Calls("response_url"); got != 8 {
		t.Errorf("Calls(response_url) = %d, want 8", got)
	}
}

func TestButtonReplacesOriginal(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	ctx := testContext(t, 5*time.Second)
	c := api(s)
	actions := make(chan slack.InteractionCallback, 1)
	connect(t, s, func(sc *socketmode.Client, evt socketmode.Event) {
		ackAll(sc, evt)
		if evt.Type == socketmode.EventTypeInteractive {
			actions <- evt.Data.(slack.InteractionCallback)
		}
	})
	button := slack.NewActionBlock("nudge", slack.NewButtonBlockElement("nudge_done", "course-42", slack.NewTextBlockObject("plain_text", "Done", false, false)))
	ch, ts, err := c.PostMessageContext(ctx, "U11REPWST1", slack.MsgOptionText("Try the discovery course", false), slack.MsgOptionBlocks(button))
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.SendAction(ctx, "U11REPWST1", slackfake.Action{ActionID: "nudge_done", BlockID: "nudge", Value: "course-42", Channel: ch, MessageTS: ts})
	if err != nil || !in.Acked {
		t.Fatalf("SendAction = %+v, %v", in, err)
	}
	cb := <-actions
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "U11REPWST1" || cb.Channel.ID != ch ||
		cb.Container.MessageTs != ts || len(cb.ActionCallback.BlockActions) != 1 ||
		cb.ActionCallback.BlockActions[0].Value != "course-42" || cb.Message.Text != "Try the discovery course" || cb.ResponseURL != in.ResponseURL {
		t.Errorf("callback = %+v", cb)
	}
	if _, _, err := c.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("Marked done", false)); err != nil {
		t.Fatal(err)
	}
	h, _ := c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: ch})
	if len(h.Messages) != 1 || h.Messages[0].Text != "Marked done" {
		t.Errorf("history after replace_original = %+v", h.Messages)
	}
	if _, _, err := c.PostMessageContext(ctx, "", slack.MsgOptionDeleteOriginal(cb.ResponseURL)); err != nil {
		t.Fatal(err)
	}
	h, _ = c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: ch})
	if len(h.Messages) != 0 {
		t.Errorf("history after delete_original = %+v", h.Messages)
	}
}

func TestViews(t *testing.T) {
	clk := newClock()
	s := newServer(t, slackfake.Config{Now: clk.Now})
	ctx := testContext(t, 5*time.Second)
	c := api(s)
	submissions := make(chan slack.InteractionCallback, 1)
	connect(t, s, func(sc *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeInteractive {
			cb := evt.Data.(slack.InteractionCallback)
			if cb.Type == slack.InteractionTypeViewSubmission {
				submissions <- cb
				_ = sc.Ack(*evt.Request, slack.NewErrorsViewSubmissionResponse(map[string]string{"reason": "Too short"}))
				return
			}
		}
		ackAll(sc, evt)
	})
	modal := slack.ModalViewRequest{Type: slack.VTModal, CallbackID: "recognize", Title: slack.NewTextBlockObject("plain_text", "Recognize", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}}}

	cmd, _ := s.SendCommand(ctx, "U02OPSLEAD", "/recognize", "")
	v, err := c.OpenViewContext(ctx, cmd.TriggerID, modal)
	if err != nil {
		t.Fatal(err)
	}
	if v.ID == "" || v.CallbackID != "recognize" || v.Type != slack.VTModal {
		t.Errorf("views.open = %+v", v.View)
	}
	_, err = c.OpenViewContext(ctx, cmd.TriggerID, modal)
	wantSlackErr(t, "trigger used twice", err, "exchanged_trigger_id")
	cmd2, _ := s.SendCommand(ctx, "U02OPSLEAD", "/recognize", "")
	clk.Add(3100 * time.Millisecond)
	_, err = c.OpenViewContext(ctx, cmd2.TriggerID, modal)
	wantSlackErr(t, "trigger 3.1s old", err, "expired_trigger_id")
	_, err = c.OpenViewContext(ctx, "1.2.nope", modal)
	wantSlackErr(t, "made-up trigger", err, "invalid_trigger_id")

	in, err := s.SendViewSubmission(ctx, "U02OPSLEAD", "recognize",
		map[string]map[string]any{"reason": {"reason_input": map[string]any{"type": "plain_text_input", "value": "ok"}}}, "meta")
	if err != nil || !in.Acked {
		t.Fatalf("SendViewSubmission = %+v, %v", in, err)
	}
	sub := <-submissions
	if sub.View.ID != v.ID || sub.View.PrivateMetadata != "meta" || sub.View.State.Values["reason"]["reason_input"].Value != "ok" {
		t.Errorf("submission view = %+v", sub.View)
	}
	var ack slack.ViewSubmissionResponse
	if err := json.Unmarshal(in.AckPayload, &ack); err != nil || ack.ResponseAction != slack.RAErrors {
		t.Errorf("ack payload = %s, want response_action errors", in.AckPayload)
	}

	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}}}
	pub, err := c.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U11REPWST1", View: home})
	if err != nil {
		t.Fatal(err)
	}
	stale := "0.stale"
	_, err = c.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U11REPWST1", View: home, Hash: &stale})
	wantSlackErr(t, "publish with a stale hash", err, "hash_conflict")
	again, err := c.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U11REPWST1", View: home, Hash: &pub.Hash})
	if err != nil || again.ID != pub.ID {
		t.Errorf("republish = %+v, %v; want the same home view", again, err)
	}
	if m := s.MessagesTo("U11REPWST1"); len(m) != 2 || m[0].Method != "views.publish" {
		t.Errorf("MessagesTo = %+v, want two views.publish", m)
	}
	upd, err := c.UpdateViewContext(ctx, modal, "", "", v.ID)
	if err != nil || upd.ID != v.ID {
		t.Errorf("views.update = %+v, %v", upd, err)
	}
	_, err = c.UpdateViewContext(ctx, modal, "", "", "V0NOPE")
	wantSlackErr(t, "update of unknown view", err, "not_found")

	var many []slack.Block
	for range 101 {
		many = append(many, slack.NewDividerBlock())
	}
	_, err = c.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U11REPWST1", View: slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: many}}})
	wantSlackErr(t, "101-block home tab", err, "invalid_arguments")

	act, err := s.SendAction(ctx, "U11REPWST1", slackfake.Action{ActionID: "refresh", View: true})
	if err != nil || !act.Acked || act.ResponseURL != "" {
		t.Errorf("home action = %+v, %v; want acked, no response_url", act, err)
	}
}

func TestWaitMessage(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	c := api(s)
	ctx := testContext(t, 5*time.Second)
	go func() {
		_, _, _ = c.PostMessageContext(context.Background(), "U31REPEMA1", slack.MsgOptionText("Your weekly digest", false))
	}()
	m, err := s.WaitMessage(ctx, func(m slackfake.Message) bool { return m.Channel == "D31REPEMA1" })
	if err != nil || m.Text != "Your weekly digest" || m.Method != "chat.postMessage" {
		t.Errorf("WaitMessage = %+v, %v", m, err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := s.WaitMessage(short, func(slackfake.Message) bool { return false }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitMessage without a match = %v, want DeadlineExceeded", err)
	}
}

// TestUserLocale: users.info and users.list carry "locale" when asked with
// include_locale=true, as Slack's do (slack-go always asks).
func TestUserLocale(t *testing.T) {
	s := newServer(t, slackfake.Config{Now: newClock().Now})
	s.AddUsers(slackfake.User{ID: "U77TURKEY1", Name: "ayse.yilmaz", RealName: "Ayşe Yılmaz", TZ: "Europe/Istanbul", Locale: "tr-TR"})
	ctx := testContext(t, 5*time.Second)
	c := api(s)
	for id, want := range map[string]string{"U77TURKEY1": "tr-TR", "U11REPWST1": "en-US"} {
		u, err := c.GetUserInfoContext(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if u.Locale != want {
			t.Errorf("users.info %s locale = %q, want %q", id, u.Locale, want)
		}
	}
	u, err := c.GetUserInfoContext(ctx, "U77TURKEY1", slack.GetUserInfoOptionIncludeLocale(false))
	if err != nil || u.Locale != "" {
		t.Errorf("users.info without include_locale: locale %q, %v; want none", u.Locale, err)
	}
	users, err := c.GetUsersContext(ctx, slack.GetUsersOptionIncludeLocale(true))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.ID == "U77TURKEY1" && u.Locale != "tr-TR" {
			t.Errorf("users.list locale = %q", u.Locale)
		}
	}
}
