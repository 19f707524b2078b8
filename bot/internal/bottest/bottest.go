// Package bottest holds what the tests of bot and bot/schedule share: a
// fake workspace, a slack-go client for it, a test logger and a ledger
// that simulates a crash between a post and its record.
package bottest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/bot/slackfake"
	"github.com/repcoach/repcoach/insights/delivery"
)

// CrashLedger lets the first After MarkDelivered calls through; every
// later one "crashes" the process: it calls Crash and records nothing, as
// if the bot died between the post and the record. Crashed counts them.
type CrashLedger struct {
	delivery.Ledger
	After   int64
	Crash   func()
	Crashed atomic.Int64
	n       atomic.Int64
}

// ErrCrashed is what a CrashLedger's MarkDelivered returns once crashed.
var ErrCrashed = errors.New("simulated crash")

func (c *CrashLedger) MarkDelivered(ctx context.Context, key, owner, ts string) error {
	if c.n.Add(1) > c.After {
		c.Crashed.Add(1)
		c.Crash()
		return ErrCrashed
	}
	return c.Ledger.MarkDelivered(ctx, key, owner, ts)
}

// FakeUsers returns n workspace members U<prefix><i> in zone tz.
func FakeUsers(prefix string, n int, tz string) []slackfake.User {
	out := make([]slackfake.User, n)
	for i := range out {
		id := fmt.Sprintf("U%s%05d", prefix, i)
		out[i] = slackfake.User{ID: id, Name: strings.ToLower(id), RealName: id, Email: strings.ToLower(id) + "@x.example", TZ: tz}
	}
	return out
}

// UserIDs returns the IDs of users.
func UserIDs(users []slackfake.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

// NewSlackFake starts a fake Slack for the test and closes it at cleanup.
func NewSlackFake(t testing.TB, cfg slackfake.Config) *slackfake.Server {
	t.Helper()
	srv, err := slackfake.New(cfg)
	if err != nil {
		t.Fatalf("start fake Slack: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// SlackClient returns a slack-go client for srv through rt, or, when rt is
// nil, with a connection pool big enough for concurrent posters.
func SlackClient(srv *slackfake.Server, rt http.RoundTripper) *slack.Client {
	if rt == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		rt = tr
	}
	hc := &http.Client{Transport: rt, Timeout: 10 * time.Second}
	return slack.New("xoxb-fake", slack.OptionAPIURL(srv.APIURL()), slack.OptionHTTPClient(hc))
}

// WarnLogger logs to the test at warn level and above.
func WarnLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// PostsTo returns the chat.postMessage messages recorded in the
// conversation with user.
func PostsTo(srv *slackfake.Server, user string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range srv.MessagesTo(user) {
		if m.Method == "chat.postMessage" {
			out = append(out, m)
		}
	}
	return out
}

// DeliveryKey reads the delivery key from a message's metadata, failing t
// unless its event type is eventType (bot.DeliveryEventType: this package
// cannot import bot, whose own tests use it).
func DeliveryKey(t testing.TB, m slackfake.Message, eventType string) string {
	t.Helper()
	var md struct {
		EventType    string `json:"event_type"`
		EventPayload struct {
			Key string `json:"key"`
		} `json:"event_payload"`
	}
	if err := json.Unmarshal(m.Metadata, &md); err != nil {
		t.Fatalf("metadata of %s %s: %v (%s)", m.Channel, m.TS, err, m.Metadata)
	}
	if md.EventType != eventType {
		t.Fatalf("metadata event_type = %q, want %q", md.EventType, eventType)
	}
	return md.EventPayload.Key
}
