package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/repcoach/repcoach/bot/slackfake"
)

// Finding 7: a password inside SLACK_API_URL (a proxy) reached the log.
func TestAPIURLPasswordNotLogged(t *testing.T) {
	const password = "Pr0xyPassw0rd"
	h := startBotWith(t, botOptions{env: map[string]string{"SLACK_API_URL": "http://proxyuser:" + password + "@{hostport}/api/"}})
	if got := h.ask(t, "U0ANA0001", "/myperformance", "quarter"); !strings.Contains(got, "$40,000") {
		t.Fatalf("the bot does not answer through the proxy URL: %s", got)
	}
	h.stop()
	logs := h.logs.String()
	if strings.Contains(logs, password) {
		t.Errorf("the proxy password reached the log:\n%s", logs)
	}
	if !strings.Contains(logs, "proxyuser:xxxxx@") {
		t.Errorf("the log does not show the (redacted) Slack API URL:\n%s", logs)
	}

	// A bad URL is named in the error, without its password.
	t.Setenv("SLACK_API_URL", "ftp://proxyuser:"+password+"@example.com/api/")
	var out bytes.Buffer
	err := run(context.Background(), []string{"run"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "SLACK_API_URL") || strings.Contains(err.Error()+out.String(), password) {
		t.Errorf("run with a bad SLACK_API_URL = %v (logs %q): want an error naming SLACK_API_URL without the password", err, out.String())
	}
}

// waitAnswer asks until the answer contains want or 15 s pass, and returns
// the last answer.
func (h *harness) waitAnswer(t *testing.T, user, cmd, text, want string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := h.ask(t, user, cmd, text)
		if strings.Contains(got, want) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Finding 4: with nothing imported yet, /myperformance told a rep to ask
// for the mapping file instead of saying no data is loaded.
func TestNoDataYetAnswer(t *testing.T) {
	h := startBotWith(t, botOptions{env: map[string]string{"REPCOACH_IMPORT": ""}})
	got := h.ask(t, "U0ANA0001", "/myperformance", "")
	if !strings.Contains(got, "No CRM data has been loaded yet") || strings.Contains(got, "mapping file") {
		t.Errorf("/myperformance before any import = %q, want the no-data answer", got)
	}
	for _, cmd := range []string{"/teamperformance"} {
		if got := h.ask(t, "U0MARIA01", cmd, ""); !strings.Contains(got, "No CRM data has been loaded yet") {
			t.Errorf("%s before any import = %q, want the no-data answer", cmd, got)
		}
	}
}

// Finding 3: after `repcoach import` added reps, they were told "I
// couldn't match you" until the daily refresh or a restart.
func TestImportRefreshesLinks(t *testing.T) {
	h := startBotWith(t, botOptions{env: map[string]string{"REPCOACH_IMPORT": ""}, sharedRedis: true})
	if got := h.ask(t, "U0ANA0001", "/myperformance", "quarter"); strings.Contains(got, "$40,000") {
		t.Fatalf("numbers before the import: %s", got)
	}
	var out bytes.Buffer
	files := []string{filepath.Join(h.dir, "reps.csv"), filepath.Join(h.dir, "deals.csv"), filepath.Join(h.dir, "quotas.csv")}
	if err := run(context.Background(), append([]string{"import"}, files...), &out, &out); err != nil {
		t.Fatalf("repcoach import: %v\n%s", err, out.String())
	}
	if got := h.waitAnswer(t, "U0ANA0001", "/myperformance", "quarter", "$40,000"); !strings.Contains(got, "$40,000") {
		t.Errorf("Ana after `repcoach import` = %q, want her numbers within seconds\nlogs:\n%s", got, h.logs)
	}
}

// mavenReps are the fixture reps without emails, as the Maven set has them:
// people can only be matched by name.
const mavenReps = `id,name,email,manager,team
Ana Lima,Ana Lima,,Maria Boss,East
Ben Ode,Ben Ode,,Maria Boss,East
`

// Finding 2, end to end: a guest and a member who copied reps' names.
func TestCopiedNamesSeeNothing(t *testing.T) {
	guest := slackfake.User{ID: "U0GUEST01", Name: "ana.l", RealName: "Ana Lima", Email: "ana@partner.example", Restricted: true}
	copier := slackfake.User{ID: "U0COPY001", Name: "benny", RealName: "Benny Oddly", DisplayName: "Ben Ode", Email: "benny@example.com"}
	h := startBotWith(t, botOptions{reps: mavenReps, fake: func(c *slackfake.Config) {
		c.Users = append(slices.Clone(fixtureUsers), guest, copier)
	}})
	if got := h.ask(t, "U0ANA0001", "/myperformance", "quarter"); !strings.Contains(got, "$40,000") {
		t.Errorf("Ana, whose name a guest copied, got %q; want her numbers", got)
	}
	if got := h.ask(t, "U0GUEST01", "/myperformance", "quarter"); strings.Contains(got, "$40,000") || !strings.Contains(got, "couldn't match you") {
		t.Errorf("a guest with Ana's name got %q; want the no-match answer", got)
	}
	if got := h.ask(t, "U0COPY001", "/myperformance", "quarter"); strings.Contains(got, "7,777") || !strings.Contains(got, "couldn't match you") {
		t.Errorf("a member with Ben's display name got %q; want the no-match answer", got)
	}
	if got := h.ask(t, "U0BEN0001", "/myperformance", "quarter"); !strings.Contains(got, "$7,777") {
		t.Errorf("Ben got %q; want his numbers", got)
	}

	// An unmatched member now copies Ben's full real name: Ben stays linked
	// (sticky), the copier sees nothing, and sales ops are told.
	copier.RealName = "Ben Ode"
	h.fake.AddUsers(copier)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := h.fake.SendEvent(ctx, map[string]any{"type": "user_change", "user": map[string]any{"id": copier.ID, "real_name": copier.RealName}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(h.logs.String(), `why="Slack profiles changed"`); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("user_change did not make the bot match people again:\n%s", h.logs)
		}
	}
	if got := h.ask(t, "U0OPS0001", "/repcoach", "links"); !strings.Contains(got, `Ben Ode is linked to \u003c@U0BEN0001\u003e (name); \u003c@U0COPY001\u003e also use`) {
		t.Errorf("/repcoach links for ops after the copy = %q, want the clash reported", got)
	}
	if got := h.ask(t, "U0OPS0001", "/repcoach", "status"); !strings.Contains(got, "identity clashes between CRM people and Slack users to settle") {
		t.Errorf("/repcoach status for ops = %q, want the clashes counted", got)
	}
	if got := h.ask(t, "U0ANA0001", "/repcoach", "status"); strings.Contains(got, "identity clash") {
		t.Errorf("/repcoach status for a rep mentions clashes: %q", got)
	}
	if got := h.ask(t, "U0BEN0001", "/myperformance", "quarter"); !strings.Contains(got, "$7,777") {
		t.Errorf("Ben after someone copied his name got %q; want his numbers still", got)
	}
	if got := h.ask(t, "U0COPY001", "/myperformance", "quarter"); strings.Contains(got, "7,777") {
		t.Errorf("the copier got Ben's numbers: %q", got)
	}
	if !strings.Contains(h.logs.String(), "identity clash") {
		t.Errorf("the clash was not logged:\n%s", h.logs)
	}
}

// Sales ops move, remove and keep links from Slack; only they may.
func TestOpsSettleLinksFromSlack(t *testing.T) {
	h := startBotWith(t, botOptions{reps: mavenReps})
	if got := h.ask(t, "U0ANA0001", "/repcoach", "link <@U0ANA0001|ana> Ben Ode"); !strings.Contains(got, "only open to sales ops") {
		t.Errorf("a rep linking got %q, want a refusal", got)
	}
	if got := h.ask(t, "U0ANA0001", "/repcoach", "links"); !strings.Contains(got, "only open to sales ops") {
		t.Errorf("a rep listing links got %q, want a refusal", got)
	}
	// Move: Ben's link goes to Sam.
	if got := h.ask(t, "U0OPS0001", "/repcoach", "link <@U0NEW0001|sam> ben ode"); !strings.Contains(got, "<@U0NEW0001> is *Ben Ode* now") {
		t.Fatalf("ops moving a link got %q", got)
	}
	if got := h.ask(t, "U0NEW0001", "/myperformance", "quarter"); !strings.Contains(got, "$7,777") {
		t.Errorf("Sam after ops linked him to Ben Ode got %q", got)
	}
	if got := h.ask(t, "U0BEN0001", "/myperformance", "quarter"); strings.Contains(got, "7,777") {
		t.Errorf("Ben still sees Ben Ode's numbers after the move: %q", got)
	}
	// Remove: Sam is linked to nobody, and the name match does not relink anyone.
	if got := h.ask(t, "U0OPS0001", "/repcoach", "unlink <@U0NEW0001>"); !strings.Contains(got, "linked to nobody") {
		t.Fatalf("ops unlinking got %q", got)
	}
	if got := h.ask(t, "U0NEW0001", "/myperformance", "quarter"); strings.Contains(got, "7,777") {
		t.Errorf("Sam still sees Ben Ode's numbers after the unlink: %q", got)
	}
	if got := h.ask(t, "U0OPS0001", "/repcoach", "link <@U0NEW0001> Nobody Known"); !strings.Contains(got, "couldn't find that person") {
		t.Errorf("linking to an unknown name got %q", got)
	}
	// Keep (the links view's menu): Ana's name link becomes a decision.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, who := range []string{"U0ANA0001", "U0OPS0001"} {
		in, err := h.fake.SendAction(ctx, who, slackfake.Action{ActionID: "links:menu", BlockID: "b", Value: "links:confirm|U0ANA0001", MessageTS: "1700000000.000100"})
		if err != nil || !in.Acked {
			t.Fatalf("links menu not acked: %v", err)
		}
		m, err := h.fake.WaitMessage(ctx, func(m slackfake.Message) bool { return m.Method == "response_url" && m.ResponseURL == in.ResponseURL })
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"U0ANA0001": "only open to sales ops", "U0OPS0001": "Kept: <@U0ANA0001> is *Ana Lima* for good"}[who]
		if !strings.Contains(m.Text, want) {
			t.Errorf("%s choosing Keep got %q, want %q", who, m.Text, want)
		}
	}
	if got := h.ask(t, "U0OPS0001", "/repcoach", "links"); !strings.Contains(got, "1 by sales ops") {
		t.Errorf("links view after Keep = %q, want 1 link by sales ops", got)
	}
}

// Finding 5: a wrong but well-formed bot token went unnoticed, and a bad
// app token ended with a line that did not name SLACK_APP_TOKEN. Each bad
// token kind now stops `repcoach run` at start with one line naming the
// variable.
func TestStartupBadTokens(t *testing.T) {
	t.Setenv("REPCOACH_EPHEMERAL", "true") // these runs use the embedded Redis on purpose
	allButHistory := slices.DeleteFunc(slices.Clone(manifest().OAuthConfig.Scopes.Bot), func(s string) bool { return s == "im:history" })
	tests := []struct {
		name     string
		bot, app string
		fake     slackfake.Config
		want     []string
	}{
		{"bot token unset", "", "xapp-1-fake", slackfake.Config{}, []string{"SLACK_BOT_TOKEN is not set"}},
		{"bot token of the wrong kind", "xapp-2-other", "xapp-1-fake", slackfake.Config{}, []string{`SLACK_BOT_TOKEN="xapp-…" (rest hidden): want a bot token starting with xoxb-`}},
		{"bot token well-formed but wrong", "xoxb-wrong-but-well-formed", "xapp-1-fake", slackfake.Config{}, []string{"SLACK_BOT_TOKEN was refused by Slack (invalid_auth)"}},
		{"bot token revoked", "xoxb-fake", "xapp-1-fake", slackfake.Config{RevokedTokens: []string{"xoxb-fake"}}, []string{"SLACK_BOT_TOKEN was revoked (token_revoked)"}},
		{"bot token from an old manifest", "xoxb-fake", "xapp-1-fake", slackfake.Config{BotScopes: allButHistory}, []string{"SLACK_BOT_TOKEN lacks the scopes im:history"}},
		{"app token unset", "xoxb-fake", "", slackfake.Config{}, []string{"SLACK_APP_TOKEN is not set"}},
		{"app token of the wrong kind", "xoxb-fake", "xoxb-fake", slackfake.Config{}, []string{`SLACK_APP_TOKEN="xoxb-…" (rest hidden): want an app-level token starting with xapp-`}},
		{"app token well-formed but wrong", "xoxb-fake", "xapp-1-wrong-but-well-formed", slackfake.Config{}, []string{"SLACK_APP_TOKEN was refused by Slack (invalid_auth)"}},
		{"app token revoked", "xoxb-fake", "xapp-1-fake", slackfake.Config{RevokedTokens: []string{"xapp-1-fake"}}, []string{"SLACK_APP_TOKEN was revoked (token_revoked)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.fake
			if cfg.BotScopes == nil {
				cfg.BotScopes = manifest().OAuthConfig.Scopes.Bot
			}
			fake, err := slackfake.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer fake.Close()
			t.Setenv("SLACK_BOT_TOKEN", tt.bot)
			t.Setenv("SLACK_APP_TOKEN", tt.app)
			t.Setenv("SLACK_API_URL", fake.APIURL())
			t.Setenv("REPCOACH_IMPORT", "")
			t.Setenv("REPCOACH_TZ", "UTC")
			t.Setenv("REDIS_URL", "")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var logs bytes.Buffer
			err = run(ctx, []string{"run"}, &logs, &logs)
			if err == nil || ctx.Err() != nil {
				t.Fatalf("run = %v (context %v), want it to fail at start\nlogs:\n%s", err, ctx.Err(), logs.String())
			}
			line := "repcoach: " + err.Error() // what main prints
			if strings.Contains(line, "\n") {
				t.Errorf("the error is more than one line:\n%s", line)
			}
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("error = %q, want it to say %q", line, w)
				}
			}
			for _, tok := range []string{tt.bot, tt.app} {
				if len(tok) > 5 && strings.Contains(line+logs.String(), tok) {
					t.Errorf("a token reached the error or the log: %q", line)
				}
			}
			if n := fake.Connects(); n != 0 {
				t.Errorf("the bot opened %d Socket Mode connections with a bad token", n)
			}
		})
	}
}

// On app_uninstalled / tokens_revoked the bot stops cleanly with a clear
// log line.
func TestStopsWhenUninstalled(t *testing.T) {
	for _, event := range []map[string]any{
		{"type": "app_uninstalled"},
		{"type": "tokens_revoked", "tokens": map[string]any{"oauth": []string{}, "bot": []string{"U0REPCOACH"}}},
	} {
		t.Run(event["type"].(string), func(t *testing.T) {
			h := startBot(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			h.fake.Uninstall()
			if _, err := h.fake.SendEvent(ctx, event); err != nil {
				t.Fatal(err)
			}
			if err := h.waitExit(t); err != nil {
				t.Errorf("run after %s = %v, want a clean stop (nil)", event["type"], err)
			}
			logs := h.logs.String()
			if !strings.Contains(logs, "Slack says the app was uninstalled or its tokens revoked ("+event["type"].(string)+"); stopping") {
				t.Errorf("no clear log line for %s:\n%s", event["type"], logs)
			}
		})
	}
}
