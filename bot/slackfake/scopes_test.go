package slackfake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/bot/slackfake"
)

// call posts a form-encoded Web API call and returns the decoded answer and
// the HTTP response.
func call(t *testing.T, s *slackfake.Server, method string, form url.Values) (map[string]any, *http.Response) {
	t.Helper()
	resp, err := http.PostForm(s.APIURL()+method, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body, resp
}

func TestScopesEnforced(t *testing.T) {
	granted := []string{"chat:write", "users:read", "im:write"}
	s := newServer(t, slackfake.Config{BotScopes: granted})
	ctx := context.Background()
	c := api(s)

	// A method whose scope is missing fails as Slack fails it: missing_scope
	// naming what is needed and what the token has.
	body, _ := call(t, s, "conversations.history", url.Values{"token": {botToken}, "channel": {slackfake.DMChannel("U11REPWST1")}})
	if body["ok"] != false || body["error"] != "missing_scope" || body["needed"] != "im:history" || body["provided"] != strings.Join(granted, ",") {
		t.Errorf("conversations.history without im:history = %v, want missing_scope needing im:history", body)
	}
	if _, err := c.GetUserGroupsContext(ctx); err == nil || !strings.Contains(err.Error(), "missing_scope") {
		t.Errorf("usergroups.list without usergroups:read: err = %v, want missing_scope", err)
	}
	// Granted ones work.
	if _, _, err := c.PostMessageContext(ctx, "U11REPWST1", slack.MsgOptionText("hi", false)); err != nil {
		t.Errorf("chat.postMessage to a DM with chat:write: %v", err)
	}
	// Without users:read.email, users come without their email.
	u, err := c.GetUserInfoContext(ctx, "U11REPWST1")
	if err != nil || u.Profile.Email != "" {
		t.Errorf("users.info without users:read.email: email %q, err %v; want no email", u.Profile.Email, err)
	}
	// Without chat:write.public, a public channel the bot is not in refuses the post.
	if _, _, err := c.PostMessageContext(ctx, slackfake.DefaultChannel, slack.MsgOptionText("hi", false)); err == nil || !strings.Contains(err.Error(), "not_in_channel") {
		t.Errorf("chat.postMessage in a public channel without chat:write.public: err = %v, want not_in_channel", err)
	}
	// auth.test returns the granted scopes in X-OAuth-Scopes.
	body, resp := call(t, s, "auth.test", url.Values{"token": {botToken}})
	if body["ok"] != true || resp.Header.Get("X-OAuth-Scopes") != strings.Join(granted, ",") {
		t.Errorf("auth.test = %v, X-OAuth-Scopes %q; want ok and %q", body, resp.Header.Get("X-OAuth-Scopes"), strings.Join(granted, ","))
	}
}

func TestRevokedAndUninstalledTokens(t *testing.T) {
	s := newServer(t, slackfake.Config{RevokedTokens: []string{"xoxb-old"}})
	if body, _ := call(t, s, "auth.test", url.Values{"token": {"xoxb-old"}}); body["error"] != "token_revoked" {
		t.Errorf("auth.test with a revoked token = %v, want token_revoked", body)
	}
	if body, _ := call(t, s, "auth.test", url.Values{"token": {"xoxb-unknown"}}); body["error"] != "invalid_auth" {
		t.Errorf("auth.test with an unknown token = %v, want invalid_auth", body)
	}
	if body, _ := call(t, s, "auth.test", url.Values{"token": {botToken}}); body["ok"] != true {
		t.Errorf("auth.test with the bot token = %v", body)
	}
	s.Uninstall()
	if body, _ := call(t, s, "auth.test", url.Values{"token": {botToken}}); body["error"] != "token_revoked" {
		t.Errorf("auth.test after uninstall = %v, want token_revoked", body)
	}
}
