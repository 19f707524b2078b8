package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/repcoach/repcoach/bot/slackfake"
	"github.com/repcoach/repcoach/insights/clock"
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

// TestOversizedFrameDropsTheSocket: a frame past MaxFrameBytes is never
// read into memory: the socket is closed, the bot reconnects and answers.
// (Before the limit, one 64 MB frame took the process to 411 MB.)
func TestOversizedFrameDropsTheSocket(t *testing.T) {
	fake, _, _ := startBot(t, Routes{Commands: []Command{
		{Name: "/echo", Summary: "echoes", Handle: func(_ context.Context, r Request) (Reply, error) { return Reply{Text: "you said " + r.Text}, nil }},
	}}, Config{MaxFrameBytes: 64 << 10})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	big := `{"envelope_id":"big-1","type":"slash_commands","accepts_response_payload":true,"payload":{"command":"/echo","user_id":"U1","text":"` +
		strings.Repeat("x", 200<<10) + `"}}`
	if ack, err := fake.SendRaw(ctx, []byte(big)); err == nil {
		t.Fatalf("a 200 KiB frame over a 64 KiB limit was read and acked (%s); want the socket dropped", ack)
	}
	if err := fake.WaitConnects(ctx, 2); err != nil {
		t.Fatalf("bot did not reconnect after the oversized frame: %v", err)
	}
	if err := fake.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := ask(t, fake, "/echo", "still here"); got != "you said still here" {
		t.Errorf("after the oversized frame the bot answers %q", got)
	}
}

// replyFaults fails the first n response_url posts with status (a 429
// carries Retry-After: 1); other calls go through.
type replyFaults struct {
	status int
	n      atomic.Int32
}

func (f *replyFaults) RoundTrip(r *http.Request) (*http.Response, error) {
	if (strings.HasPrefix(r.URL.Path, "/commands/") || strings.HasPrefix(r.URL.Path, "/actions/")) && f.n.Add(-1) >= 0 {
		h := http.Header{}
		if f.status == http.StatusTooManyRequests {
			h.Set("Retry-After", "1")
		}
		return &http.Response{StatusCode: f.status, Status: http.StatusText(f.status), Header: h, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestReplyThroughResponseURLSurvivesFailures: a reply is not lost on one
// failed response_url post (before: no retry, no fallback). Passing
// failures are retried; a URL that stays broken or is gone (404) gives way
// to an ephemeral message in the channel.
func TestReplyThroughResponseURLSurvivesFailures(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		failures int32
		wantVia  string
		waited   time.Duration // on the bot's clock: backoff and Retry-After
	}{
		{"one 503", http.StatusServiceUnavailable, 1, "response_url", replyBackoff},
		{"one 500", http.StatusInternalServerError, 1, "response_url", replyBackoff},
		{"one 429", http.StatusTooManyRequests, 1, "response_url", time.Second},
		{"404 expired", http.StatusNotFound, 1, "chat.postEphemeral", 0},
		{"503 for good", http.StatusServiceUnavailable, 100, "chat.postEphemeral", replyBackoff + 2*replyBackoff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &replyFaults{status: tc.status}
			clk := clock.NewFake(t0) // the waits take no real time
			fake, _, _ := startBot(t, Routes{Commands: []Command{
				{Name: "/echo", Summary: "echoes", Handle: func(_ context.Context, r Request) (Reply, error) { return Reply{Text: "you said " + r.Text}, nil }},
			}}, Config{HTTPClient: &http.Client{Transport: f, Timeout: 5 * time.Second}, Clock: clk})
			f.n.Store(tc.failures)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			user := slackfake.DefaultUsers()[1].ID
			if _, err := fake.SendCommand(ctx, user, "/echo", "hi"); err != nil {
				t.Fatal(err)
			}
			m, err := fake.WaitMessage(ctx, func(m slackfake.Message) bool { return m.Text == "you said hi" })
			if err != nil {
				t.Fatalf("reply lost: %v", err)
			}
			if m.Method != tc.wantVia {
				t.Errorf("reply came through %s, want %s", m.Method, tc.wantVia)
			}
			if n := len(fake.Messages()); n != 1 {
				t.Errorf("%d messages, want the reply once", n)
			}
			if got := clk.Slept(); got != tc.waited {
				t.Errorf("waited %v on the clock, want %v", got, tc.waited)
			}
		})
	}
}

// TestFormAckedInTimeWhileHandlerStalls: a form whose handler is stuck
// (a Redis stall of 4 s) is still acked inside Slack's 3 s; the handler
// finishes afterwards, and its error reaches the user by DM.
func TestFormAckedInTimeWhileHandlerStalls(t *testing.T) {
	release := make(chan struct{})
	finished := make(chan struct{})
	fake, _, _ := startBot(t, Routes{Views: []View{
		{CallbackID: "stall", Handle: func(context.Context, Request) (Reply, error) {
			<-release // ignores ctx, as a Redis client without deadlines did
			close(finished)
			return Reply{}, errors.New("redis: i/o timeout")
		}},
	}}, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	user := slackfake.DefaultUsers()[1].ID
	in, err := fake.SendViewSubmission(ctx, user, "stall", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if !in.Acked || in.TimedOut {
		t.Fatalf("form not acked in time (acked %v, latency %v)", in.Acked, in.AckLatency)
	}
	close(release)
	<-finished
	m, err := fake.WaitMessage(ctx, func(m slackfake.Message) bool { return m.Method == "chat.postMessage" })
	if err != nil {
		t.Fatalf("the late failure never reached the user: %v", err)
	}
	if m.Text != Apology {
		t.Errorf("late failure DM = %q, want the apology", m.Text)
	}
}

// turkishSay is a Sayer that writes in Turkish, as handlers.Locales does
// for a Turkish reader.
type turkishSay struct{}

func (turkishSay) Explain(context.Context, string, error) (string, bool) { return "", false }
func (turkishSay) Apology(context.Context, string) string                { return "Üzgünüm." }
func (turkishSay) UnknownCommand(context.Context, string, string, []string) string {
	return "Bilinmeyen komut."
}
func (turkishSay) FormNotSaved(_ context.Context, _ string, errs []string) string {
	return "Formunuz kaydedilemedi: " + strings.Join(errs, " ")
}

// TestLateFormErrorsInTheUsersLanguage: a form's field errors that come
// back after the ack deadline reach the user by DM through Config.Say, in
// their language, escaped for mrkdwn.
func TestLateFormErrorsInTheUsersLanguage(t *testing.T) {
	release := make(chan struct{})
	fake, _, _ := startBot(t, Routes{Views: []View{
		{CallbackID: "slow", Handle: func(context.Context, Request) (Reply, error) {
			<-release
			return Reply{ViewErrors: map[string]string{"why": "Bir neden <yazın>.", "kind": "Bir tür seçin."}}, nil
		}},
	}}, Config{Say: turkishSay{}, ViewDeadline: 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	in, err := fake.SendViewSubmission(ctx, slackfake.DefaultUsers()[1].ID, "slow", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if !in.Acked {
		t.Fatal("form not acked")
	}
	close(release)
	m, err := fake.WaitMessage(ctx, func(m slackfake.Message) bool { return m.Method == "chat.postMessage" })
	if err != nil {
		t.Fatalf("the late form errors never reached the user: %v", err)
	}
	if want := "Formunuz kaydedilemedi: Bir neden &lt;yazın&gt;. Bir tür seçin."; m.Text != want {
		t.Errorf("late form errors DM = %q, want %q", m.Text, want)
	}
}
