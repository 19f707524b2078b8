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

	"github.com/repcoach/repcoach/bot/internal/bottest"
	"github.com/repcoach/repcoach/bot/slackfake"
	"github.com/repcoach/repcoach/insights/clock"
	"github.com/repcoach/repcoach/insights/delivery"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// outcome3 spreads an Outcome into the values tests compare: the ts
// posted or found, whether this call posted, and the error.
func outcome3(o Outcome) (ts string, sent bool, err error) {
	return o.TS, o.Result == Sent || o.Result == Unrecorded, o.Err
}

// t0 is when the tests' fake clocks start.
var t0 = time.Date(2026, 11, 6, 16, 0, 0, 0, time.UTC)

// fastPoster returns a Poster for tests: quick backoff, high rate, and a
// fake clock of its own (on which waits take no real time) unless cfg has
// one.
func fastPoster(t testing.TB, api *slack.Client, l delivery.Ledger, cfg PosterConfig) *Poster {
	if cfg.Clock == nil {
		cfg.Clock = clock.NewFake(t0)
	}
	if cfg.Rate == 0 {
		cfg.Rate = 2000
		cfg.Burst = 50
	}
	if cfg.PerChannel == 0 {
		cfg.PerChannel = time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = bottest.WarnLogger(t)
	}
	p := NewPoster(api, l, cfg)
	p.backoff = 10 * time.Millisecond
	p.settle = 50 * time.Millisecond
	p.recordFor = time.Second
	return p
}

// deliveryKey reads the delivery key from a message's metadata.
func deliveryKey(t testing.TB, m slackfake.Message) string {
	t.Helper()
	return bottest.DeliveryKey(t, m, DeliveryEventType)
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

// TestTokenBucketPausedFor: a bucket never paused (its zero time far in
// the past) is not paused; one paused until u is paused until u.
func TestTokenBucketPausedFor(t *testing.T) {
	b := newTokenBucket(10, 10)
	now := time.Now()
	if d := b.pausedFor(now); d != 0 {
		t.Errorf("fresh bucket paused for %v, want 0", d)
	}
	b.pauseUntil(now.Add(3 * time.Second))
	if d := b.pausedFor(now); d != 3*time.Second {
		t.Errorf("paused for %v, want 3s", d)
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
		{"proxy html 200", fmt.Errorf("post: %w", &json.SyntaxError{Offset: 1}), errMaybePosted},
		{"unknown", errors.New("something else"), errMaybePosted},
	}
	for _, tt := range tests {
		if got := classify(tt.err); got != tt.want {
			t.Errorf("classify(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDeliverOnce(t *testing.T) {
	users := bottest.FakeUsers("ONCE", 2, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	p := fastPoster(t, bottest.SlackClient(srv, nil), store, PosterConfig{Owner: "a"})
	ctx := context.Background()
	u := users[0].ID

	ts, sent, err := outcome3(p.Deliver(ctx, "job/2026-W48/"+u, u, Outgoing{Text: "hello"}))
	if err != nil || !sent || ts == "" {
		t.Fatalf("first Deliver = %q, %v, %v; want a ts, sent", ts, sent, err)
	}
	ts2, sent, err := outcome3(p.Deliver(ctx, "job/2026-W48/"+u, u, Outgoing{Text: "hello"}))
	if err != nil || sent {
		t.Fatalf("second Deliver = %q, %v, %v; want not sent, no error", ts2, sent, err)
	}
	if got, ok, _ := store.Delivered(ctx, "job/2026-W48/"+u); !ok || got != ts {
		t.Errorf("ledger has %q, %v; want %q", got, ok, ts)
	}
	ms := bottest.PostsTo(srv, u)
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
	users := bottest.FakeUsers("HELD", 1, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	key := "job/2026-W48/" + users[0].ID
	if _, err := store.ClaimDelivery(ctx, key, "someone-else", time.Minute); err != nil {
		t.Fatal(err)
	}
	p := fastPoster(t, bottest.SlackClient(srv, nil), store, PosterConfig{Owner: "a"})
	if o := p.Deliver(ctx, key, users[0].ID, Outgoing{Text: "hi"}); o.Result != Held {
		t.Fatalf("Deliver = %v (%v); want held", o.Result, o.Err)
	}
	if n := srv.Calls("chat.postMessage"); n != 0 {
		t.Errorf("%d posts, want none", n)
	}
}

// A post that went out but was never recorded (the bot died in between)
// is found in the history by the next owner, and not posted again.
func TestDeliverReclaimFindsEarlierPost(t *testing.T) {
	users := bottest.FakeUsers("RECL", 1, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	u, key := users[0].ID, "job/2026-W48/"+users[0].ID

	// Some other message with other metadata sits in the DM too.
	if _, err := fastPoster(t, bottest.SlackClient(srv, nil), store, PosterConfig{Owner: "x"}).
		Post(ctx, u, Outgoing{Text: "an interactive answer"}); err != nil {
		t.Fatal(err)
	}
	// The ledger's leases lapse on the test's clock, not in real time.
	clk := clock.NewFake(t0)
	ledger := delivery.NewMemory(clk)
	crash := &bottest.CrashLedger{Ledger: ledger, Crash: func() {}}
	lease := 2 * time.Minute
	a := fastPoster(t, bottest.SlackClient(srv, nil), crash, PosterConfig{Owner: "a", Lease: lease, Clock: clk})
	ts, sent, err := outcome3(a.Deliver(ctx, key, u, Outgoing{Text: "feedback"}))
	if !sent || !errors.Is(err, bottest.ErrCrashed) {
		t.Fatalf("crashing Deliver = %q, %v, %v; want sent and the crash", ts, sent, err)
	}
	clk.Add(lease) // the dead owner's lease lapses

	b := fastPoster(t, bottest.SlackClient(srv, nil), ledger, PosterConfig{Owner: "b", Lease: lease, Clock: clk})
	ts2, sent, err := outcome3(b.Deliver(ctx, key, u, Outgoing{Text: "feedback"}))
	if err != nil || sent || ts2 != ts {
		t.Fatalf("Deliver after the crash = %q, %v, %v; want %q found, not sent", ts2, sent, err, ts)
	}
	if got, ok := ledger.Delivered(key); !ok || got != ts {
		t.Errorf("ledger has %q, %v; want %q", got, ok, ts)
	}
	if n := len(bottest.PostsTo(srv, u)); n != 2 {
		t.Errorf("%d messages in the DM, want 2 (the answer and one delivery)", n)
	}
	if srv.Calls("conversations.history") == 0 {
		t.Error("the history was not searched")
	}
}

// The same Poster that could not record a post records it on the next
// Deliver, without posting again.
func TestDeliverRetriesRecordNotPost(t *testing.T) {
	users := bottest.FakeUsers("REC", 1, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	u, key := users[0].ID, "job/2026-W48/"+users[0].ID
	flaky := &bottest.CrashLedger{Ledger: store, Crash: func() {}}
	p := fastPoster(t, bottest.SlackClient(srv, nil), flaky, PosterConfig{Owner: "a"})
	ts, sent, err := outcome3(p.Deliver(ctx, key, u, Outgoing{Text: "x"}))
	if !sent || err == nil {
		t.Fatalf("Deliver = %v, %v; want sent with a record error", sent, err)
	}
	flaky.After = 1 << 40 // the ledger is back
	ts2, sent, err := outcome3(p.Deliver(ctx, key, u, Outgoing{Text: "x"}))
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
	users := bottest.FakeUsers("LOST", 1, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	u, key := users[0].ID, "job/2026-W48/"+users[0].ID
	tr := &lossyTransport{base: http.DefaultTransport}
	p := fastPoster(t, bottest.SlackClient(srv, tr), store, PosterConfig{Owner: "a"})
	ts, sent, err := outcome3(p.Deliver(ctx, key, u, Outgoing{Text: "x"}))
	if err != nil || ts == "" {
		t.Fatalf("Deliver = %q, %v, %v", ts, sent, err)
	}
	if n := len(bottest.PostsTo(srv, u)); n != 1 {
		t.Errorf("%d messages, want 1: the retry must find the post whose answer was lost", n)
	}
	if got, ok, _ := store.Delivered(ctx, key); !ok || got != ts {
		t.Errorf("ledger has %q, %v; want %q", got, ok, ts)
	}
}

func TestDeliverTransientErrorsRetried(t *testing.T) {
	users := bottest.FakeUsers("TRAN", 1, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	u := users[0].ID
	p := fastPoster(t, bottest.SlackClient(srv, nil), store, PosterConfig{Owner: "a", MaxRetries: 3})

	srv.FailNext("chat.postMessage", "internal_error", 2)
	if _, sent, err := outcome3(p.Deliver(ctx, "k/1/"+u, u, Outgoing{Text: "x"})); err != nil || !sent {
		t.Fatalf("Deliver after 2 internal_errors = %v, %v; want sent", sent, err)
	}
	srv.FailNext("chat.postMessage", "fatal_error", 10)
	_, sent, err := outcome3(p.Deliver(ctx, "k/2/"+u, u, Outgoing{Text: "x"}))
	if err == nil || sent || errors.Is(err, ErrPermanent) {
		t.Fatalf("Deliver after 10 fatal_errors = %v, %v; want a transient failure", sent, err)
	}
	srv.FailNext("chat.postMessage", "", 0)
	if n := len(bottest.PostsTo(srv, u)); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

func TestDeliverPermanentErrorAtOnce(t *testing.T) {
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: bottest.FakeUsers("PERM", 1, "UTC")})
	store := redisstore.OpenTest(t)
	p := fastPoster(t, bottest.SlackClient(srv, nil), store, PosterConfig{Owner: "a"})
	_, sent, err := outcome3(p.Deliver(context.Background(), "k/1/U0NOBODY", "U0NOBODY", Outgoing{Text: "x"}))
	var se slack.SlackErrorResponse
	if sent || !errors.Is(err, ErrPermanent) || !errors.As(err, &se) || se.Err != "channel_not_found" {
		t.Fatalf("Deliver to an unknown user = %v, %v; want permanent channel_not_found", sent, err)
	}
	if n := srv.Calls("chat.postMessage"); n != 1 {
		t.Errorf("%d posts, want 1 (no retry)", n)
	}
}

func TestDeliverWaitsOut429(t *testing.T) {
	users := bottest.FakeUsers("RL", 4, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	srv.RateLimitShare("chat.postMessage", 0.5) // Retry-After: 1
	clk := clock.NewFake(t0)
	p := fastPoster(t, bottest.SlackClient(srv, nil), store, PosterConfig{Owner: "a", MaxRetries: 1, Clock: clk})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() {
			if _, sent, err := outcome3(p.Deliver(ctx, "k/1/"+u.ID, u.ID, Outgoing{Text: "x"})); err != nil || !sent {
				t.Errorf("Deliver to %s = %v, %v", u.ID, sent, err)
			}
		})
	}
	wg.Wait()
	for _, u := range users {
		if n := len(bottest.PostsTo(srv, u.ID)); n != 1 {
			t.Errorf("%d messages to %s, want 1", n, u.ID)
		}
	}
	n := srv.Calls("chat.postMessage")
	if n <= len(users) {
		t.Errorf("%d calls; the fake should have answered some with 429", n)
	}
	// Each 429 was waited out on the clock, taking no real time.
	if got := clk.Now().Sub(t0); got < time.Second {
		t.Errorf("the clock moved %v over %d 429s with Retry-After 1 s; want at least 1 s", got, n-len(users))
	}
}

func TestDeliverStopsOn429WhenContextEnds(t *testing.T) {
	users := bottest.FakeUsers("RLC", 1, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	srv.RateLimitShare("chat.postMessage", 1)
	clk := clock.NewManual(t0)
	p := fastPoster(t, bottest.SlackClient(srv, nil), store, PosterConfig{Owner: "a", Clock: clk})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := make(chan Outcome, 1)
	go func() { res <- p.Deliver(ctx, "k/1/"+users[0].ID, users[0].ID, Outgoing{Text: "x"}) }()
	// It waits out the first 429; the run is stopped meanwhile.
	if err := clk.WaitSleepers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, sent, err := outcome3(<-res)
	if sent || !errors.Is(err, context.Canceled) {
		t.Errorf("Deliver = %v, %v; want the context's error", sent, err)
	}
	if n := srv.Calls("chat.postMessage"); n != 1 {
		t.Errorf("%d calls, want 1: the 429 was not waited out", n)
	}
}

func TestPosterDryRun(t *testing.T) {
	users := bottest.FakeUsers("DRY", 1, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(syncWriter{&mu, &logs}, nil))
	p := NewPoster(bottest.SlackClient(srv, nil), nil, PosterConfig{DryRun: true, Logger: log})
	ts, sent, err := outcome3(p.Deliver(context.Background(), "k/1/"+users[0].ID, users[0].ID, Outgoing{Text: "secret-ish text"}))
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
	users := bottest.FakeUsers("PACE", 1, "UTC")
	clk := clock.NewFake(t0) // Slack and the Poster on one clock
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users, PerChannelPostInterval: 100 * time.Millisecond, Now: clk.Now})
	p := fastPoster(t, bottest.SlackClient(srv, nil), nil, PosterConfig{PerChannel: 100 * time.Millisecond, Clock: clk})
	for range 4 {
		if _, err := p.Post(context.Background(), users[0].ID, Outgoing{Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if d := clk.Slept(); d != 300*time.Millisecond {
		t.Errorf("4 posts in one channel waited %v, want 300ms at 100ms spacing", d)
	}
	if n := srv.Calls("chat.postMessage"); n != 4 {
		t.Errorf("%d calls, want 4 (none rate limited)", n)
	}
}

// A delivery that waits longer than its lease for its turn renews the
// lease before posting, and gives up if another owner took it meanwhile.
func TestDeliverRenewsLeaseAfterLongWait(t *testing.T) {
	users := bottest.FakeUsers("LEASE", 1, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	clk := clock.NewManual(t0)
	ledger := delivery.NewMemory(clk)
	ctx := context.Background()
	u := users[0].ID
	const lease, gap = 2 * time.Minute, 3 * time.Minute
	p := fastPoster(t, bottest.SlackClient(srv, nil), ledger, PosterConfig{Owner: "a", Lease: lease, PerChannel: gap, Clock: clk})
	deliver := func(key string) <-chan Outcome {
		res := make(chan Outcome, 1)
		go func() { res <- p.Deliver(ctx, key, u, Outgoing{Text: key}) }()
		return res
	}

	if _, sent, err := outcome3(<-deliver("k/1/" + u)); !sent || err != nil {
		t.Fatalf("first Deliver = %v, %v", sent, err)
	}
	// The second waits for the channel past its lease: it reclaims,
	// looks, and posts.
	res := deliver("k/2/" + u)
	if err := clk.WaitSleepers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.Add(gap)
	if _, sent, err := outcome3(<-res); !sent || err != nil {
		t.Fatalf("Deliver after a long wait = %v, %v", sent, err)
	}
	if _, ok := ledger.Delivered("k/2/" + u); !ok {
		t.Error("k/2 not recorded")
	}
	// The third's lease is taken by another owner while it waits.
	res = deliver("k/3/" + u)
	if err := clk.WaitSleepers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.Add(lease)
	if st, err := ledger.ClaimDelivery(ctx, "k/3/"+u, "thief", time.Hour); err != nil || st != delivery.Reclaimed {
		t.Fatalf("thief's claim = %v, %v; want reclaimed", st, err)
	}
	clk.Add(gap - lease)
	if o := <-res; o.Result != Held {
		t.Errorf("Deliver whose lease was taken = %v (%v), want held", o.Result, o.Err)
	}
	if n := len(bottest.PostsTo(srv, u)); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
}

// A post whose answer was lost, then no retries left: the next Deliver of
// the key, by the same process while its lease is live, still looks in the
// history before posting.
func TestDeliverGivingUpRemembersAmbiguousPost(t *testing.T) {
	users := bottest.FakeUsers("GIVE", 1, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	u, key := users[0].ID, "job/2026-W48/"+users[0].ID
	tr := &lossyTransport{base: http.DefaultTransport}
	p := fastPoster(t, bottest.SlackClient(srv, tr), store, PosterConfig{Owner: "a"})
	p.cfg.MaxRetries = 0 // give up at the first failure (the config's zero means the default)
	if _, _, err := outcome3(p.Deliver(ctx, key, u, Outgoing{Text: "x"})); err == nil {
		t.Fatal("Deliver with no retries left after a lost answer = nil error, want one")
	}
	ts, sent, err := outcome3(p.Deliver(ctx, key, u, Outgoing{Text: "x"}))
	if err != nil || sent || ts == "" {
		t.Fatalf("second Deliver = %q, sent %v, %v; want the earlier post found and recorded", ts, sent, err)
	}
	if n := len(bottest.PostsTo(srv, u)); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

// proxyTransport answers chat.postMessage calls with a gateway's HTML page
// and status 200, without passing them on, while fail(n) (n counts the
// calls from 1) says so; every other call goes through.
type proxyTransport struct {
	base http.RoundTripper
	fail func(n int) bool
	n    atomic.Int32
}

func (p *proxyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/chat.postMessage") && p.fail(int(p.n.Add(1))) {
		return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"text/html"}},
			Body: io.NopCloser(strings.NewReader("<html><body>Gateway busy, try later</body></html>")), Request: r}, nil
	}
	return p.base.RoundTrip(r)
}

// TestDeliverProxyHTMLIsRetried: a 200 with an HTML page (a proxy or
// gateway, not Slack) says nothing about the post, so it is retried (after
// a look in the history), never taken as Slack refusing the message.
// Before, 45 of 500 reps lost that week's DM.
func TestDeliverProxyHTMLIsRetried(t *testing.T) {
	users := bottest.FakeUsers("HTML", 30, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	tr := &proxyTransport{base: http.DefaultTransport, fail: func(n int) bool { return n%3 == 0 }}
	p := fastPoster(t, bottest.SlackClient(srv, tr), store, PosterConfig{Owner: "a"})
	for _, u := range users {
		if o := p.Deliver(ctx, "job/2026-W48/"+u.ID, u.ID, Outgoing{Text: "hi"}); o.Result != Sent {
			t.Errorf("Deliver to %s = %v (%v), want sent", u.ID, o.Result, o.Err)
		}
	}
	for _, u := range users {
		if n := len(bottest.PostsTo(srv, u.ID)); n != 1 {
			t.Errorf("%s has %d DMs, want 1", u.ID, n)
		}
	}
}

// TestFailedDeliveryReleasesLease: a delivery that fails, or whose run is
// stopped, gives its lease back at once, so a rerun or another replica
// sends it now instead of reporting it "held by another replica" until the
// lease lapses; and where a post may have landed, it looks first.
func TestFailedDeliveryReleasesLease(t *testing.T) {
	users := bottest.FakeUsers("REL", 2, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	const lease = time.Hour

	// Every post fails through a proxy: the run gives up.
	down := &proxyTransport{base: http.DefaultTransport, fail: func(int) bool { return true }}
	a := fastPoster(t, bottest.SlackClient(srv, down), store, PosterConfig{Owner: "a", Lease: lease, MaxRetries: 1})
	k0 := "job/2026-W48/" + users[0].ID
	if o := a.Deliver(ctx, k0, users[0].ID, Outgoing{Text: "hi"}); o.Result != Failed {
		t.Fatalf("Deliver through a dead proxy = %v (%v), want failed", o.Result, o.Err)
	}
	// A run stopped (SIGTERM) while waiting for its turn in the channel.
	clk := clock.NewManual(t0)
	slow := fastPoster(t, bottest.SlackClient(srv, nil), store, PosterConfig{Owner: "s", Lease: lease, PerChannel: time.Hour, Clock: clk})
	k1 := "job/2026-W48/" + users[1].ID
	if o := slow.Deliver(ctx, "job/2026-W47/"+users[1].ID, users[1].ID, Outgoing{Text: "earlier"}); o.Result != Sent {
		t.Fatalf("first post = %v (%v)", o.Result, o.Err)
	}
	stopped, stop := context.WithCancel(ctx)
	go func() {
		if clk.WaitSleepers(stopped, 1) == nil { // waiting for its turn
			stop()
		}
	}()
	if o := slow.Deliver(stopped, k1, users[1].ID, Outgoing{Text: "hi"}); o.Result != Cancelled {
		t.Fatalf("Deliver stopped mid-wait = %v (%v), want cancelled", o.Result, o.Err)
	}

	b := fastPoster(t, bottest.SlackClient(srv, nil), store, PosterConfig{Owner: "b", Lease: lease})
	searches := srv.Calls("conversations.history")
	for _, k := range []struct{ key, user string }{{k0, users[0].ID}, {k1, users[1].ID}} {
		if o := b.Deliver(ctx, k.key, k.user, Outgoing{Text: "hi"}); o.Result != Sent {
			t.Errorf("rerun of %s = %v (%v), want sent at once, not held", k.key, o.Result, o.Err)
		}
	}
	if n := srv.Calls("conversations.history") - searches; n != 1 {
		t.Errorf("the rerun searched the history %d times, want 1 (only the delivery whose post may have landed)", n)
	}
}

// slowCommitTransport holds the first chat.postMessage until the client
// gives up on it, then lets it reach Slack commitAfter after it was sent:
// Slack slow to commit a post.
type slowCommitTransport struct {
	base        http.RoundTripper
	commitAfter time.Duration
	n           atomic.Int32
	wg          sync.WaitGroup
}

func (s *slowCommitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.URL.Path, "/chat.postMessage") || s.n.Add(1) != 1 {
		return s.base.RoundTrip(r)
	}
	body, _ := io.ReadAll(r.Body)
	late := r.Clone(context.Background())
	late.Body = io.NopCloser(bytes.NewReader(body))
	sent := time.Now()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		time.Sleep(time.Until(sent.Add(s.commitAfter)))
		if res, err := s.base.RoundTrip(late); err == nil {
			res.Body.Close()
		}
	}()
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// TestDeliverSlowCommitNotDoubled: Slack commits a post after the client
// timed out on it. The Poster waits for such a post to show before looking
// in the history, so it finds it instead of posting again (before, 6 of
// 300 reps got two DMs with the default settings). Settings are the
// defaults scaled down: the post timeout and the wait follow the lease.
func TestDeliverSlowCommitNotDoubled(t *testing.T) {
	users := bottest.FakeUsers("SLOW", 1, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	const lease = 400 * time.Millisecond // post timeout 100 ms
	tr := &slowCommitTransport{base: http.DefaultTransport, commitAfter: 250 * time.Millisecond}
	t.Cleanup(tr.wg.Wait)
	p := NewPoster(bottest.SlackClient(srv, tr), store, PosterConfig{Owner: "a", Lease: lease, Rate: 1000, Burst: 10, PerChannel: time.Millisecond, Logger: bottest.WarnLogger(t)})
	p.backoff = 10 * time.Millisecond
	u := users[0].ID
	o := p.Deliver(context.Background(), "job/2026-W48/"+u, u, Outgoing{Text: "hi"})
	tr.wg.Wait()
	if o.Result != Found && o.Result != Sent {
		t.Fatalf("Deliver = %v (%v), want the slow post found", o.Result, o.Err)
	}
	if n := len(bottest.PostsTo(srv, u)); n != 1 {
		t.Errorf("%d DMs after a slow commit, want 1", n)
	}
}

// TestSharedPostRateAcrossReplicas: REPCOACH_POST_RATE is workspace-wide.
// Three replicas sharing one limiter in Redis post at the setting between
// them (before, three at 20/s sent 66/s). It logs the measured rate.
func TestSharedPostRateAcrossReplicas(t *testing.T) {
	const rate, perReplica = 20.0, 20
	users := bottest.FakeUsers("RATE", 3*perReplica, "UTC")
	srv := bottest.NewSlackFake(t, slackfake.Config{Users: users})
	store := redisstore.OpenTest(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	start := time.Now()
	for r := range 3 {
		p := NewPoster(bottest.SlackClient(srv, nil), store, PosterConfig{
			Owner: fmt.Sprint("replica-", r), Rate: rate, Burst: 1, PerChannel: time.Millisecond, Logger: bottest.WarnLogger(t),
			Shared: store.RateLimiter("chat.postMessage", rate, 1),
		})
		wg.Go(func() {
			for _, u := range users[r*perReplica : (r+1)*perReplica] {
				if o := p.Deliver(ctx, "job/2026-W48/"+u.ID, u.ID, Outgoing{Text: "hi"}); o.Result != Sent {
					t.Errorf("Deliver = %v (%v)", o.Result, o.Err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	n := srv.Calls("chat.postMessage")
	got := float64(n-1) / elapsed.Seconds() // the first post goes at once
	t.Logf("3 replicas sharing %v posts/s: %d posts in %v = %.2f posts/s", rate, n, elapsed.Round(time.Millisecond), got)
	if got > rate*1.05 {
		t.Errorf("3 replicas posted %.1f/s together, want at most %v/s (+5%%)", got, rate)
	}
}
