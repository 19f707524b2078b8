package schedule_test

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

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/bot/schedule"
	"github.com/repcoach/repcoach/bot/slackfake"
	"github.com/repcoach/repcoach/insights/delivery"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// The store is the Outbox and the Prefs as it is.
var (
	_ schedule.Outbox = (*redisstore.Store)(nil)
	_ schedule.Prefs  = (*redisstore.Store)(nil)
)

// crashLedger lets the first `after` MarkDelivered calls through; every
// later one "crashes" the process: it calls crash and records nothing, as
// if the bot died between the post and the record.
type crashLedger struct {
	delivery.Ledger
	after   int64
	n       atomic.Int64
	crash   func()
	crashed atomic.Int64
}

var errCrashed = errors.New("simulated crash")

func (c *crashLedger) MarkDelivered(ctx context.Context, key, owner, ts string) error {
	if c.n.Add(1) > c.after {
		c.crashed.Add(1)
		c.crash()
		return errCrashed
	}
	return c.Ledger.MarkDelivered(ctx, key, owner, ts)
}

// fakeUsers returns n workspace members U<prefix><i> in zone tz.
func fakeUsers(prefix string, n int, tz string) []slackfake.User {
	out := make([]slackfake.User, n)
	for i := range out {
		id := fmt.Sprintf("U%s%05d", prefix, i)
		out[i] = slackfake.User{ID: id, Name: strings.ToLower(id), RealName: id, Email: strings.ToLower(id) + "@x.example", TZ: tz}
	}
	return out
}

func userIDs(users []slackfake.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

func newSlackFake(t testing.TB, cfg slackfake.Config) *slackfake.Server {
	t.Helper()
	srv, err := slackfake.New(cfg)
	if err != nil {
		t.Fatalf("start fake Slack: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// slackClientFor returns a slack-go client for srv, with a connection pool
// big enough for concurrent posters.
func slackClientFor(srv *slackfake.Server, rt http.RoundTripper) *slack.Client {
	if rt == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		rt = tr
	}
	hc := &http.Client{Transport: rt, Timeout: 10 * time.Second}
	return slack.New("xoxb-fake", slack.OptionAPIURL(srv.APIURL()), slack.OptionHTTPClient(hc))
}

// warnLogger logs to the test at warn level and above.
func warnLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// fastPoster returns a Poster for tests: a high rate, little spacing.
func fastPoster(t testing.TB, api *slack.Client, l delivery.Ledger, cfg bot.PosterConfig) *bot.Poster {
	if cfg.Rate == 0 {
		cfg.Rate = 2000
		cfg.Burst = 50
	}
	if cfg.PerChannel == 0 {
		cfg.PerChannel = time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = warnLogger(t)
	}
	return bot.NewPoster(api, l, cfg)
}

// postsTo returns the chat.postMessage messages recorded in the conversation.
func postsTo(srv *slackfake.Server, user string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range srv.MessagesTo(user) {
		if m.Method == "chat.postMessage" {
			out = append(out, m)
		}
	}
	return out
}

// deliveryKey reads the delivery key from a message's metadata.
func deliveryKey(t testing.TB, m slackfake.Message) string {
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
	if md.EventType != bot.DeliveryEventType {
		t.Fatalf("metadata event_type = %q, want %q", md.EventType, bot.DeliveryEventType)
	}
	return md.EventPayload.Key
}
