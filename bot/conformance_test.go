package bot

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repcoach/repcoach/bot/slackfake"
)

// loopbackOnly sends requests for 127.0.0.1 on and answers every other
// host itself, recording it: the fixtures' response_urls point at Slack,
// which tests must never reach.
type loopbackOnly struct {
	mu      sync.Mutex
	outside []string
}

func (l *loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Host, "127.0.0.1") {
		return http.DefaultTransport.RoundTrip(r)
	}
	l.mu.Lock()
	l.outside = append(l.outside, r.URL.String())
	l.mu.Unlock()
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("ok")), Header: http.Header{}, Request: r}, nil
}

// TestFixturesReachTheRealBot sends every Socket Mode envelope in
// ../shared/slack-fixtures, byte for byte, through the fake to the real
// bot: each must be acked and routed to its handler as its type.
//
// It runs on the project's hand-written fixtures in testdata/slack-fixtures
// always, and on the real captures in ../shared/slack-fixtures where they
// are (saying so loudly where they are not). unknownHost is the host of the
// one unknown command's response_url in each set.
func TestFixturesReachTheRealBot(t *testing.T) {
	sets := []struct{ name, dir, unknownHost string }{
		{"testdata", filepath.Join("testdata", "slack-fixtures"), "acme-sales.slack.com"},
		{"shared", filepath.Join("..", "..", "shared", "slack-fixtures"), "rilke.slack.com"},
	}
	for _, set := range sets {
		files, _ := filepath.Glob(filepath.Join(set.dir, "*.json"))
		if len(files) == 0 && set.name == "shared" {
			t.Log("NOTE: ../shared/slack-fixtures is not beside this clone: only the hand-written fixtures in bot/testdata/slack-fixtures ran, not the real Slack captures")
			continue
		}
		t.Run(set.name, func(t *testing.T) { fixturesReachTheRealBot(t, files, set.unknownHost) })
	}
}

func fixturesReachTheRealBot(t *testing.T, files []string, unknownHost string) {
	fake, err := slackfake.New(slackfake.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()

	var mu sync.Mutex
	seen := map[string][]Request{}
	record := func(key string) HandlerFunc {
		return func(_ context.Context, r Request) (Reply, error) {
			mu.Lock()
			defer mu.Unlock()
			seen[key] = append(seen[key], r)
			return Reply{}, nil
		}
	}
	routes := Routes{
		Commands: []Command{
			{Name: "/hi-socket-mode", Handle: record("command")},
			{Name: "/hello-socket-mode", Handle: record("command")},
		},
		Actions: []Action{{ID: "a", Handle: record("action")}},
		Events: []Event{
			{Type: "app_mention", Handle: record("event")},
			{Type: "message", Handle: record("event")},
			{Type: "app_home_opened", Handle: record("event")},
		},
	}
	outside := &loopbackOnly{}
	b := New(Config{
		AppToken: "xapp-1-fake", BotToken: "xoxb-fake", APIURL: fake.APIURL(),
		HTTPClient: &http.Client{Transport: outside, Timeout: 10 * time.Second},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, NewRouter(routes))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := fake.WaitConnected(wctx, 1); err != nil {
		t.Fatal(err)
	}

	eventIDs := map[string]bool{}
	envelopes := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Type    string `json:"type"`
			Payload struct {
				EventID string `json:"event_id"`
			} `json:"payload"`
		}
		if json.Unmarshal(raw, &env) != nil || (env.Type != "slash_commands" && env.Type != "interactive" && env.Type != "events_api") {
			continue // hello, disconnect, acks and Web API answers are not envelopes
		}
		envelopes++
		if env.Payload.EventID != "" {
			eventIDs[env.Payload.EventID] = true
		}
		sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = fake.SendRaw(sctx, raw)
		scancel()
		if err != nil {
			t.Errorf("%s: not acked by the bot: %v", filepath.Base(f), err)
		}
	}
	if envelopes < 10 {
		t.Fatalf("only %d envelope fixtures found", envelopes)
	}

	// Handlers run after the ack; give them a moment.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(seen["command"]) + len(seen["action"]) + len(seen["event"])
		mu.Unlock()
		if n >= 2+2+len(eventIDs) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := len(seen["command"]); got != 2 {
		t.Errorf("slash command fixtures routed %d times, want 2", got)
	}
	for _, r := range seen["command"] {
		if r.UserID == "" || r.ResponseURL == "" || r.Kind != KindCommand {
			t.Errorf("command request missing fields: %+v", r)
		}
	}
	if got := len(seen["action"]); got != 2 {
		t.Errorf("block_actions fixtures routed %d times, want 2 (action_id a)", got)
	}
	// Fixtures from one SDK share event_id Ev111: Slack's event IDs are
	// unique, so the bot handles each ID once.
	if got := len(seen["event"]); got != len(eventIDs) {
		t.Errorf("events handled %d times for %d distinct event IDs, want one each", got, len(eventIDs))
	}
	// The unknown /randorilke got the help text at its response_url, which
	// the test transport kept from leaving the machine.
	time.Sleep(100 * time.Millisecond)
	outside.mu.Lock()
	defer outside.mu.Unlock()
	if len(outside.outside) != 1 || !strings.Contains(outside.outside[0], unknownHost) {
		t.Errorf("replies to Slack-hosted URLs = %v, want the one answer to the unknown command at %s", outside.outside, unknownHost)
	}
}
