package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/repcoach/repcoach/bot/slackfake"
)

var errFriendly = errors.New("friendly")

// startBot runs a bot answering routes against a fresh fake Slack.
func startBot(t *testing.T, routes Routes, cfg Config) (*slackfake.Server, context.CancelFunc, chan error) {
	t.Helper()
	fake, err := slackfake.New(slackfake.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	cfg.AppToken, cfg.BotToken, cfg.APIURL = "xapp-1-fake", "xoxb-fake", fake.APIURL()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Explain = func(err error) (string, bool) {
		if errors.Is(err, errFriendly) {
			return "a friendly explanation", true
		}
		return "", false
	}
	b := New(cfg, NewRouter(routes))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := fake.WaitConnected(wctx, 1); err != nil {
		t.Fatal(err)
	}
	return fake, cancel, done
}

func ask(t *testing.T, fake *slackfake.Server, cmd, text string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := fake.SendCommand(ctx, slackfake.DefaultUsers()[1].ID, cmd, text)
	if err != nil || !c.Acked {
		t.Fatalf("%s: acked=%v err=%v", cmd, c != nil && c.Acked, err)
	}
	m, err := c.Reply(ctx)
	if err != nil {
		t.Fatalf("%s: no reply: %v", cmd, err)
	}
	return m.Text
}

func TestErrorsBecomeAnswers(t *testing.T) {
	fake, _, _ := startBot(t, Routes{Commands: []Command{
		{Name: "/boom", Summary: "panics", Handle: func(context.Context, Request) (Reply, error) { panic("kaboom") }},
		{Name: "/friendly", Summary: "domain error", Handle: func(context.Context, Request) (Reply, error) { return Reply{}, errFriendly }},
		{Name: "/broken", Summary: "internal error", Handle: func(context.Context, Request) (Reply, error) { return Reply{}, errors.New("redis down") }},
		{Name: "/echo", Summary: "echoes", Handle: func(_ context.Context, r Request) (Reply, error) { return Reply{Text: "you said " + r.Text}, nil }},
	}}, Config{})

	if got := ask(t, fake, "/boom", ""); got != Apology {
		t.Errorf("panicking handler: reply %q, want the apology", got)
	}
	if got := ask(t, fake, "/friendly", ""); got != "a friendly explanation" {
		t.Errorf("domain error: reply %q, want the explanation", got)
	}
	if got := ask(t, fake, "/broken", ""); got != Apology {
		t.Errorf("internal error: reply %q, want the apology", got)
	}
	if got := ask(t, fake, "/echo", "  hi there "); got != "you said hi there" {
		t.Errorf("after a panic the bot answers %q, want %q", got, "you said hi there")
	}
	if got := ask(t, fake, "/unknown", ""); !strings.Contains(got, "/echo") || !strings.Contains(got, "I don't know the command") {
		t.Errorf("unknown command: reply %q, want help listing the commands", got)
	}
}

func TestShutdownFinishesInFlightHandlers(t *testing.T) {
	started := make(chan struct{})
	fake, cancel, done := startBot(t, Routes{Commands: []Command{
		{Name: "/slow", Summary: "slow", Handle: func(ctx context.Context, _ Request) (Reply, error) {
			close(started)
			time.Sleep(300 * time.Millisecond)
			return Reply{Text: "finished"}, ctx.Err()
		}},
	}}, Config{ShutdownGrace: 5 * time.Second})
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	c, err := fake.SendCommand(ctx, slackfake.DefaultUsers()[1].ID, "/slow", "")
	if err != nil || !c.Acked {
		t.Fatalf("/slow not acked: %v", err)
	}
	<-started
	cancel() // SIGTERM
	if err := <-done; err != nil {
		t.Fatalf("Run after shutdown = %v, want nil", err)
	}
	done <- nil // for the cleanup
	m, err := c.Reply(ctx)
	if err != nil || m.Text != "finished" {
		t.Errorf("in-flight reply = %q, %v; want it delivered after shutdown began", m.Text, err)
	}
}

func TestRouterRejectsDuplicates(t *testing.T) {
	h := func(context.Context, Request) (Reply, error) { return Reply{}, nil }
	for name, routes := range map[string]Routes{
		"command": {Commands: []Command{{Name: "/a", Handle: h}, {Name: "/a", Handle: h}}},
		"action":  {Actions: []Action{{ID: "x", Handle: h}, {ID: "x", Handle: h}}},
		"nil":     {Commands: []Command{{Name: "/a"}}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewRouter did not panic", name)
				}
			}()
			NewRouter(routes)
		}()
	}
	r := NewRouter(Routes{
		Commands: []Command{{Name: "/a", Usage: "[x]", Summary: "does a", Handle: h}},
		Actions:  []Action{{ID: "optout", Handle: h}},
	})
	if got := r.Help(); got != "• `/a [x]` — does a\n" {
		t.Errorf("Help() = %q", got)
	}
	if r.handler(Request{Kind: KindAction, ActionID: "optout:feedback"}) == nil {
		t.Error("action optout:feedback did not route to optout")
	}
	if r.handler(Request{Kind: KindAction, ActionID: "other"}) != nil {
		t.Error("unknown action routed")
	}
}
