package slackfake_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/repcoach/repcoach/bot/slackfake"
)

func TestCloseStopsPendingRetries(t *testing.T) {
	s, err := slackfake.New(slackfake.Config{AckTimeout: 20 * time.Millisecond}) // default retry delays: 0, 1m, 5m
	if err != nil {
		t.Fatal(err)
	}
	connect(t, s, func(*socketmode.Client, socketmode.Event) {}) // never acks
	if _, err := s.SendEvent(testContext(t, 5*time.Second), map[string]any{"type": "app_home_opened", "user": "U11REPWST1"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v with a retry pending, want it to stop the retry at once", d)
	}
	if _, err := s.SendCommand(context.Background(), "U11REPWST1", "/x", ""); err == nil {
		t.Error("SendCommand after Close succeeded")
	}
}

func TestReplyByEphemeralPost(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	c := api(s)
	connect(t, s, func(sc *socketmode.Client, evt socketmode.Event) {
		ackAll(sc, evt)
		if cmd, ok := evt.Data.(slack.SlashCommand); ok {
			_, _ = c.PostEphemeral(cmd.ChannelID, cmd.UserID, slack.MsgOptionText("Only you can see this", false))
		}
	})
	ctx := testContext(t, 5*time.Second)
	cmd, err := s.SendCommandIn(ctx, "C0SALESFLR", "U12REPWST2", "/myperformance", "month")
	if err != nil {
		t.Fatal(err)
	}
	m, err := cmd.Reply(ctx)
	if err != nil || m.Method != "chat.postEphemeral" || m.Channel != "C0SALESFLR" || m.User != "U12REPWST2" {
		t.Errorf("Reply = %+v, %v; want the ephemeral post", m, err)
	}
}

func TestNodeStyleFormBodies(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	form := url.Values{"token": {botToken}, "user_id": {"U11REPWST1"}, "view": {`{"type":"home","blocks":[{"type":"divider"}]}`}}
	got := postRaw(t, s.APIURL()+"views.publish", "application/x-www-form-urlencoded", "", form.Encode())
	if got["ok"] != true {
		t.Fatalf("views.publish with a form body = %v", got)
	}
	if v, _ := got["view"].(map[string]any); v["type"] != "home" || v["id"] == "" {
		t.Errorf("view = %v", got["view"])
	}
	json := `{"channel":"C0SALES","text":"hi","blocks":[{"type":"divider"}]}`
	if got := postRaw(t, s.APIURL()+"chat.postMessage", "application/json; charset=utf-8", "Bearer "+botToken, json); got["ok"] != true {
		t.Errorf("chat.postMessage with a JSON body = %v", got)
	}
}

func TestUnlimitedPostMessage(t *testing.T) {
	s := newServer(t, slackfake.Config{Limits: map[string]int{"chat.postMessage": -1}})
	c := api(s)
	ctx := testContext(t, 5*time.Second)
	for i := range 20 {
		if _, _, err := c.PostMessageContext(ctx, "C0SALES", slack.MsgOptionText("hi", false)); err != nil {
			t.Fatalf("post %d: %v", i+1, err)
		}
	}
}

// BenchmarkCommandRoundTrip measures a slash command from the fake to slack-go and its ack back.
func BenchmarkCommandRoundTrip(b *testing.B) {
	s, err := slackfake.New(slackfake.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := socketmode.New(api(s))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = c.RunContext(ctx) }()
	go func() {
		for {
			select {
			case evt := <-c.Events:
				ackAll(c, evt)
			case <-ctx.Done():
				return
			}
		}
	}()
	if err := s.WaitConnected(ctx, 1); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if cmd, err := s.SendCommand(ctx, "U11REPWST1", "/myperformance", ""); err != nil || !cmd.Acked {
			b.Fatalf("%v %+v", err, cmd)
		}
	}
}
