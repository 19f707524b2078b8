package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/bot/slackfake"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// storeLedger adapts the Redis store to Ledger, as cmd does.
type storeLedger struct{ s *redisstore.Store }

func (l storeLedger) Claim(ctx context.Context, key, owner string, lease time.Duration) (ClaimState, error) {
	st, err := l.s.ClaimDelivery(ctx, key, owner, lease)
	if err != nil {
		return 0, err
	}
	switch st {
	case redisstore.Claimed:
		return ClaimNew, nil
	case redisstore.Reclaimed:
		return ClaimReclaimed, nil
	case redisstore.AlreadySent:
		return ClaimSent, nil
	case redisstore.HeldByOther:
		return ClaimHeld, nil
	}
	return 0, fmt.Errorf("unknown claim state %v", st)
}

func (l storeLedger) MarkDelivered(ctx context.Context, key, owner, ts string) error {
	return l.s.MarkDelivered(ctx, key, owner, ts)
}

// The store is the Outbox and the Prefs as it is.
var (
	_ Outbox = (*redisstore.Store)(nil)
	_ Prefs  = (*redisstore.Store)(nil)
)

// crashLedger lets the first `after` MarkDelivered calls through; every
// later one "crashes" the process: it calls crash and records nothing, as
// if the bot died between the post and the record.
type crashLedger struct {
	Ledger
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

// slackClientFor returns a slack-go client for srv, with a connection pool big
// enough for concurrent posters.
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

// fastPoster returns a Poster for tests: quick backoff, high rate.
func fastPoster(t testing.TB, api *slack.Client, l Ledger, cfg PosterConfig) *Poster {
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
	p := NewPoster(api, l, cfg)
	p.backoff = 10 * time.Millisecond
	return p
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
	if md.EventType != DeliveryEventType {
		t.Fatalf("metadata event_type = %q, want %q", md.EventType, DeliveryEventType)
	}
	return md.EventPayload.Key
}

func TestTokenBucket(t *testing.T) {
	b := newTokenBucket(10, 3) // one per 100 ms, three at once
	now := time.Unix(1000, 0)
	var got []time.Duration
	for range 5 {
		got = append(got, b.reserve(now))
	}
	want := []time.Duration{0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
	// Idle for a second refills the burst, no more.
	now = now.Add(2 * time.Second)
	got = got[:0]
	for range 4 {
		got = append(got, b.reserve(now))
	}
	want = []time.Duration{0, 0, 0, 100 * time.Millisecond}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after idle: waits = %v, want %v", got, want)
	}
	// A pause holds every token back until it ends.
	now = now.Add(2 * time.Second)
	b.pauseUntil(now.Add(time.Second))
	if w := b.reserve(now); w != time.Second {
		t.Errorf("wait during pause = %v, want 1s", w)
	}
}

func TestSpacer(t *testing.T) {
	s := newSpacer(time.Second)
	now := time.Unix(1000, 0)
	if w := s.reserve("D1", now); w != 0 {
		t.Errorf("first wait = %v, want 0", w)
	}
	if w := s.reserve("D1", now); w != time.Second {
		t.Errorf("second wait in D1 = %v, want 1s", w)
	}
	if w := s.reserve("D2", now); w != 0 {
		t.Errorf("first wait in D2 = %v, want 0", w)
	}
	s.pauseUntil("D2", now.Add(5*time.Second))
	if w := s.reserve("D2", now); w != 5*time.Second {
		t.Errorf("wait in paused D2 = %v, want 5s", w)
	}
	// The map is swept of past entries as it grows.
	for i := range 5000 {
		s.reserve(fmt.Sprintf("C%d", i), now.Add(time.Duration(i)*time.Second))
	}
	if n := len(s.next); n > 2100 {
		t.Errorf("spacer keeps %d channels, want past ones swept", n)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want errClass
	}{
		{"channel_not_found", slack.SlackErrorResponse{Err: "channel_not_found"}, errPermanent},
		{"invalid_blocks", slack.SlackErrorResponse{Err: "invalid_blocks"}, errPermanent},
		{"msg_too_long", slack.SlackErrorResponse{Err: "msg_too_long"}, errPermanent},
		{"cannot_dm_bot", slack.SlackErrorResponse{Err: "cannot_dm_bot"}, errPermanent},
		{"internal_error", slack.SlackErrorResponse{Err: "internal_error"}, errMaybePosted},
		{"fatal_error", slack.SlackErrorResponse{Err: "fatal_error"}, errMaybePosted},
		{"ratelimited", slack.SlackErrorResponse{Err: "ratelimited"}, errTransient},
		{"502", slack.StatusCodeError{Code: 502, Status: "502 Bad Gateway"}, errMaybePosted},
		{"404", slack.StatusCodeError{Code: 404, Status: "404 Not Found"}, errPermanent},
		{"net", &net.OpError{Op: "read", Err: errors.New("connection reset")}, errMaybePosted},
		{"eof", fmt.Errorf("post: %w", io.ErrUnexpectedEOF), errMaybePosted},
		{"other", errors.New("bad json"), errPermanent},
	}
	for _, tt := range tests {
		if got := classify(tt.err); got != tt.want {
			t.Errorf("classify(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDeliverOnce(t *testing.T) {
	users := fakeUsers("ONCE", 2, "UTC")
	srv := newSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	p := fastPoster(t, slackClientFor(srv, nil), storeLedger{store}, PosterConfig{Owner: "a"})
	ctx := context.Background()
	u := users[0].ID

	ts, sent, err := p.Deliver(ctx, "job/2026-W48/"+u, u, Outgoing{Text: "hello"})
	if err != nil || !sent || ts == "" {
		t.Fatalf("first Deliver = %q, %v, %v; want a ts, sent", ts, sent, err)
	}
	ts2, sent, err := p.Deliver(ctx, "job/2026-W48/"+u, u, Outgoing{Text: "hello"})
	if err != nil || sent {
		t.Fatalf("second Deliver = %q, %v, %v; want not sent, no error", ts2, sent, err)
	}
	if got, ok, _ := store.Delivered(ctx, "job/2026-W48/"+u); !ok || got != ts {
		t.Errorf("ledger has %q, %v; want %q", got, ok, ts)
	}
	ms := postsTo(srv, u)
	if len(ms) != 1 {
		t.Fatalf("%d messages to %s, want 1", len(ms), u)
	}
	if k := deliveryKey(t, ms[0]); k != "job/2026-W48/"+u {
		t.Errorf("metadata key = %q", k)
	}
	if ms[0].Channel != slackfake.DMChannel(u) || srv.Calls("conversations.open") != 0 {
		t.Errorf("posted to %s with %d conversations.open; want the DM by user ID, no open", ms[0].Channel, srv.Calls("conversations.open"))
	}
}

func TestDeliverHeldByOther(t *testing.T) {
	users := fakeUsers("HELD", 1, "UTC")
	srv := newSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	key := "job/2026-W48/" + users[0].ID
	if _, err := store.ClaimDelivery(ctx, key, "someone-else", time.Minute); err != nil {
		t.Fatal(err)
	}
	p := fastPoster(t, slackClientFor(srv, nil), storeLedger{store}, PosterConfig{Owner: "a"})
	_, sent, err := p.Deliver(ctx, key, users[0].ID, Outgoing{Text: "hi"})
	if !errors.Is(err, ErrHeld) || sent {
		t.Fatalf("Deliver = %v, %v; want ErrHeld, not sent", sent, err)
	}
	if n := srv.Calls("chat.postMessage"); n != 0 {
		t.Errorf("%d posts, want none", n)
	}
}

// A post that went out but was never recorded (the bot died in between)
// is found in the history by the next owner, and not posted again.
func TestDeliverReclaimFindsEarlierPost(t *testing.T) {
	users := fakeUsers("RECL", 1, "UTC")
	srv := newSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	u, key := users[0].ID, "job/2026-W48/"+users[0].ID

	// Some other message with other metadata sits in the DM too.
	if _, err := fastPoster(t, slackClientFor(srv, nil), storeLedger{store}, PosterConfig{Owner: "x"}).
		Post(ctx, u, Outgoing{Text: "an interactive answer"}); err != nil {
		t.Fatal(err)
	}
	crash := &crashLedger{Ledger: storeLedger{store}, crash: func() {}}
	lease := 500 * time.Millisecond
	a := fastPoster(t, slackClientFor(srv, nil), crash, PosterConfig{Owner: "a", Lease: lease})
	ts, sent, err := a.Deliver(ctx, key, u, Outgoing{Text: "feedback"})
	if !sent || !errors.Is(err, errCrashed) {
		t.Fatalf("crashing Deliver = %q, %v, %v; want sent and the crash", ts, sent, err)
	}
	time.Sleep(lease + 300*time.Millisecond)

	b := fastPoster(t, slackClientFor(srv, nil), storeLedger{store}, PosterConfig{Owner: "b", Lease: lease})
	ts2, sent, err := b.Deliver(ctx, key, u, Outgoing{Text: "feedback"})
	if err != nil || sent || ts2 != ts {
		t.Fatalf("Deliver after the crash = %q, %v, %v; want %q found, not sent", ts2, sent, err, ts)
	}
	if got, ok, _ := store.Delivered(ctx, key); !ok || got != ts {
		t.Errorf("ledger has %q, %v; want %q", got, ok, ts)
	}
	if n := len(postsTo(srv, u)); n != 2 {
		t.Errorf("%d messages in the DM, want 2 (the answer and one delivery)", n)
	}
	if srv.Calls("conversations.history") == 0 {
		t.Error("the history was not searched")
	}
}

// The same Poster that could not record a post records it on the next
// Deliver, without posting again.
func TestDeliverRetriesRecordNotPost(t *testing.T) {
	users := fakeUsers("REC", 1, "UTC")
	srv := newSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	u, key := users[0].ID, "job/2026-W48/"+users[0].ID
	flaky := &crashLedger{Ledger: storeLedger{store}, crash: func() {}}
	p := fastPoster(t, slackClientFor(srv, nil), flaky, PosterConfig{Owner: "a"})
	ts, sent, err := p.Deliver(ctx, key, u, Outgoing{Text: "x"})
	if !sent || err == nil {
		t.Fatalf("Deliver = %v, %v; want sent with a record error", sent, err)
	}
	flaky.after = 1 << 40 // the ledger is back
	ts2, sent, err := p.Deliver(ctx, key, u, Outgoing{Text: "x"})
	if err != nil || sent || ts2 != ts {
		t.Fatalf("second Deliver = %q, %v, %v; want %q recorded, not sent", ts2, sent, err, ts)
	}
	if got, ok, _ := store.Delivered(ctx, key); !ok || got != ts {
		t.Errorf("ledger has %q, %v; want %q", got, ok, ts)
	}
	if n := srv.Calls("chat.postMessage"); n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
}

// lossyTransport forwards the first chat.postMessage to Slack, then answers
// 502 as if the response had been lost on the way back.
type lossyTransport struct {
	base http.RoundTripper
	lost atomic.Int32
}

func (l *lossyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := l.base.RoundTrip(r)
	if err == nil && strings.HasSuffix(r.URL.Path, "/chat.postMessage") && l.lost.Add(1) == 1 {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return &http.Response{StatusCode: 502, Status: "502 Bad Gateway", Header: http.Header{},
			Body: io.NopCloser(bytes.NewReader(nil)), Request: r}, nil
	}
	return res, err
}

func TestDeliverAmbiguousFailureLooksBeforeRetrying(t *testing.T) {
	users := fakeUsers("LOST", 1, "UTC")
	srv := newSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	u, key := users[0].ID, "job/2026-W48/"+users[0].ID
	tr := &lossyTransport{base: http.DefaultTransport}
	p := fastPoster(t, slackClientFor(srv, tr), storeLedger{store}, PosterConfig{Owner: "a"})
	ts, sent, err := p.Deliver(ctx, key, u, Outgoing{Text: "x"})
	if err != nil || ts == "" {
		t.Fatalf("Deliver = %q, %v, %v", ts, sent, err)
	}
	if n := len(postsTo(srv, u)); n != 1 {
		t.Errorf("%d messages, want 1: the retry must find the post whose answer was lost", n)
	}
	if got, ok, _ := store.Delivered(ctx, key); !ok || got != ts {
		t.Errorf("ledger has %q, %v; want %q", got, ok, ts)
	}
}

func TestDeliverTransientErrorsRetried(t *testing.T) {
	users := fakeUsers("TRAN", 1, "UTC")
	srv := newSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	u := users[0].ID
	p := fastPoster(t, slackClientFor(srv, nil), storeLedger{store}, PosterConfig{Owner: "a", MaxRetries: 3})

	srv.FailNext("chat.postMessage", "internal_error", 2)
	if _, sent, err := p.Deliver(ctx, "k/1/"+u, u, Outgoing{Text: "x"}); err != nil || !sent {
		t.Fatalf("Deliver after 2 internal_errors = %v, %v; want sent", sent, err)
	}
	srv.FailNext("chat.postMessage", "fatal_error", 10)
	_, sent, err := p.Deliver(ctx, "k/2/"+u, u, Outgoing{Text: "x"})
	if err == nil || sent || errors.Is(err, ErrPermanent) {
		t.Fatalf("Deliver after 10 fatal_errors = %v, %v; want a transient failure", sent, err)
	}
	srv.FailNext("chat.postMessage", "", 0)
	if n := len(postsTo(srv, u)); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

func TestDeliverPermanentErrorAtOnce(t *testing.T) {
	srv := newSlackFake(t, slackfake.Config{Users: fakeUsers("PERM", 1, "UTC")})
	store := redisstore.OpenTest(t)
	p := fastPoster(t, slackClientFor(srv, nil), storeLedger{store}, PosterConfig{Owner: "a"})
	_, sent, err := p.Deliver(context.Background(), "k/1/U0NOBODY", "U0NOBODY", Outgoing{Text: "x"})
	var se slack.SlackErrorResponse
	if sent || !errors.Is(err, ErrPermanent) || !errors.As(err, &se) || se.Err != "channel_not_found" {
		t.Fatalf("Deliver to an unknown user = %v, %v; want permanent channel_not_found", sent, err)
	}
	if n := srv.Calls("chat.postMessage"); n != 1 {
		t.Errorf("%d posts, want 1 (no retry)", n)
	}
}

func TestDeliverWaitsOut429(t *testing.T) {
	users := fakeUsers("RL", 4, "UTC")
	srv := newSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	srv.RateLimitShare("chat.postMessage", 0.5)
	p := fastPoster(t, slackClientFor(srv, nil), storeLedger{store}, PosterConfig{Owner: "a", MaxRetries: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() {
			if _, sent, err := p.Deliver(ctx, "k/1/"+u.ID, u.ID, Outgoing{Text: "x"}); err != nil || !sent {
				t.Errorf("Deliver to %s = %v, %v", u.ID, sent, err)
			}
		})
	}
	wg.Wait()
	for _, u := range users {
		if n := len(postsTo(srv, u.ID)); n != 1 {
			t.Errorf("%d messages to %s, want 1", n, u.ID)
		}
	}
	if n := srv.Calls("chat.postMessage"); n <= len(users) {
		t.Errorf("%d calls; the fake should have answered some with 429", n)
	}
}

func TestDeliverStopsOn429WhenContextEnds(t *testing.T) {
	users := fakeUsers("RLC", 1, "UTC")
	srv := newSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	srv.RateLimitShare("chat.postMessage", 1)
	p := fastPoster(t, slackClientFor(srv, nil), storeLedger{store}, PosterConfig{Owner: "a"})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, sent, err := p.Deliver(ctx, "k/1/"+users[0].ID, users[0].ID, Outgoing{Text: "x"})
	if sent || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Deliver = %v, %v; want the context's error", sent, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v after the context ended", d)
	}
}

func TestPosterDryRun(t *testing.T) {
	users := fakeUsers("DRY", 1, "UTC")
	srv := newSlackFake(t, slackfake.Config{Users: users})
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(syncWriter{&mu, &logs}, nil))
	p := NewPoster(slackClientFor(srv, nil), nil, PosterConfig{DryRun: true, Logger: log})
	ts, sent, err := p.Deliver(context.Background(), "k/1/"+users[0].ID, users[0].ID, Outgoing{Text: "secret-ish text"})
	if ts != "" || sent || err != nil {
		t.Errorf("dry Deliver = %q, %v, %v", ts, sent, err)
	}
	if _, err := p.Post(context.Background(), users[0].ID, Outgoing{Text: "x"}); err != nil {
		t.Error(err)
	}
	if n := srv.Calls("chat.postMessage"); n != 0 {
		t.Errorf("%d posts in dry run", n)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	for _, want := range []string{"would post", "k/1/" + users[0].ID, "text_len=15"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "xoxb") || strings.Contains(out, "secret-ish") {
		t.Errorf("dry-run log shows a token or the text:\n%s", out)
	}
}

type syncWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l syncWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestPostPacesPerChannel(t *testing.T) {
	users := fakeUsers("PACE", 1, "UTC")
	srv := newSlackFake(t, slackfake.Config{Users: users, PerChannelPostInterval: 10 * time.Millisecond})
	p := fastPoster(t, slackClientFor(srv, nil), nil, PosterConfig{PerChannel: 100 * time.Millisecond})
	start := time.Now()
	for range 4 {
		if _, err := p.Post(context.Background(), users[0].ID, Outgoing{Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > time.Second {
		t.Errorf("4 posts in one channel took %v, want about 300ms at 100ms spacing", d)
	}
	if n := srv.Calls("chat.postMessage"); n != 4 {
		t.Errorf("%d calls, want 4 (none rate limited)", n)
	}
}

// A delivery that waits longer than its lease for its turn renews the
// lease before posting, and gives up if another owner took it meanwhile.
func TestDeliverRenewsLeaseAfterLongWait(t *testing.T) {
	users := fakeUsers("LEASE", 1, "UTC")
	srv := newSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	u := users[0].ID
	lease := 400 * time.Millisecond
	p := fastPoster(t, slackClientFor(srv, nil), storeLedger{store}, PosterConfig{Owner: "a", Lease: lease, PerChannel: time.Second})

	if _, sent, err := p.Deliver(ctx, "k/1/"+u, u, Outgoing{Text: "1"}); !sent || err != nil {
		t.Fatalf("first Deliver = %v, %v", sent, err)
	}
	// The second waits a second for the channel, past its lease: it
	// reclaims, looks, and posts.
	if _, sent, err := p.Deliver(ctx, "k/2/"+u, u, Outgoing{Text: "2"}); !sent || err != nil {
		t.Fatalf("Deliver after a long wait = %v, %v", sent, err)
	}
	if _, ok, _ := store.Delivered(ctx, "k/2/"+u); !ok {
		t.Error("k/2 not recorded")
	}
	// The third's lease is taken by another owner while it waits.
	errc := make(chan error, 1)
	go func() {
		_, sent, err := p.Deliver(ctx, "k/3/"+u, u, Outgoing{Text: "3"})
		if sent {
			err = errors.New("sent")
		}
		errc <- err
	}()
	time.Sleep(lease + 250*time.Millisecond)
	if st, err := store.ClaimDelivery(ctx, "k/3/"+u, "thief", time.Minute); err != nil || st != redisstore.Reclaimed {
		t.Fatalf("thief's claim = %v, %v; want reclaimed", st, err)
	}
	if err := <-errc; !errors.Is(err, ErrHeld) {
		t.Errorf("Deliver whose lease was taken = %v, want ErrHeld", err)
	}
	if n := len(postsTo(srv, u)); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
}

// A post whose answer was lost, then no retries left: the next Deliver of
// the key, by the same process while its lease is live, still looks in the
// history before posting.
func TestDeliverGivingUpRemembersAmbiguousPost(t *testing.T) {
	users := fakeUsers("GIVE", 1, "UTC")
	srv := newSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	u, key := users[0].ID, "job/2026-W48/"+users[0].ID
	tr := &lossyTransport{base: http.DefaultTransport}
	p := fastPoster(t, slackClientFor(srv, tr), storeLedger{store}, PosterConfig{Owner: "a"})
	p.cfg.MaxRetries = 0 // give up at the first failure (the config's zero means the default)
	if _, _, err := p.Deliver(ctx, key, u, Outgoing{Text: "x"}); err == nil {
		t.Fatal("Deliver with no retries left after a lost answer = nil error, want one")
	}
	ts, sent, err := p.Deliver(ctx, key, u, Outgoing{Text: "x"})
	if err != nil || sent || ts == "" {
		t.Fatalf("second Deliver = %q, sent %v, %v; want the earlier post found and recorded", ts, sent, err)
	}
	if n := len(postsTo(srv, u)); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}
