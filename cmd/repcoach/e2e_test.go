package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/repcoach/repcoach/bot/slackfake"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// The fixture team: two reps under one manager, with figures worked out by
// hand for Q4 2017 (as of 2017-12-31, UTC).
//
// Ana Lima: won A1 10,000 (created 1 Sep, closed 11 Oct: 40 days) and A2
// 30,000 (1 Oct → 20 Nov: 50 days), lost A3; open A4 20,000. Won revenue
// 40,000; win rate 2/3 = 67 %; average and median deal 20,000; median cycle
// 45 days; quota 80,000 → attainment 50 %; pipeline 20,000 in 1 deal;
// rank 1 of 2.
//
// Ben Ode: won B1 7,777, lost B2 and B3; open B4 5,555. Win rate 1/3 =
// 33 %; quota 40,000 → attainment 19 %; rank 2 of 2.
const (
	fixtureReps = `id,name,email,manager,team
Ana Lima,Ana Lima,ana.lima@example.com,Maria Boss,East
Ben Ode,Ben Ode,ben.ode@example.com,Maria Boss,East
`
	fixtureDeals = `id,name,owner,stage,status,amount,created,closed,moved,product,account
A1,Acme renewal,Ana Lima,Won,won,10000,2017-09-01,2017-10-11,2017-10-11,Widget,Acme
A2,Globex expansion,Ana Lima,Won,won,30000,2017-10-01,2017-11-20,2017-11-20,Widget,Globex
A3,Initech pilot,Ana Lima,Lost,lost,5000,2017-10-05,2017-11-01,2017-11-01,Widget,Initech
A4,Umbrella rollout,Ana Lima,Proposal,open,20000,2017-11-01,2018-01-31,2017-12-20,Widget,Umbrella
B1,Hooli seats,Ben Ode,Won,won,7777,2017-10-01,2017-12-01,2017-12-01,Widget,Hooli
B2,Vandelay trial,Ben Ode,Lost,lost,1000,2017-09-20,2017-10-15,2017-10-15,Widget,Vandelay
B3,Stark upsell,Ben Ode,Lost,lost,2000,2017-10-10,2017-11-15,2017-11-15,Widget,Stark
B4,Wayne order,Ben Ode,Proposal,open,5555,2017-12-01,2018-02-15,2017-12-15,Widget,Wayne
`
	fixtureQuotas = `rep,start,end,amount
Ana Lima,2017-10-01,2017-12-31,80000
Ben Ode,2017-10-01,2017-12-31,40000
`
)

var fixtureUsers = []slackfake.User{
	{ID: "U0ANA0001", Name: "ana", RealName: "Ana Lima", Email: "ana.lima@example.com", TZ: "Europe/Lisbon"},
	{ID: "U0BEN0001", Name: "ben", RealName: "Ben Ode", Email: "ben.ode@example.com", TZ: "America/Los_Angeles"},
	{ID: "U0MARIA01", Name: "maria", RealName: "Maria Boss", Email: "maria@example.com", TZ: "America/New_York"},
	{ID: "U0OPS0001", Name: "olivia", RealName: "Olivia Ops", Email: "olivia@example.com", TZ: "Europe/London"},
	{ID: "U0NEW0001", Name: "sam", RealName: "Sam Newhire", Email: "sam@example.com", TZ: "UTC"},
}

// harness is the real bot, started through run("run") exactly as in
// production, against a fake Slack and a real Redis.
type harness struct {
	done   <-chan error // run's result
	exited bool         // run returned and done was read (by waitExit)
	dir    string       // the fixture CRM files
	fake   *slackfake.Server
	logs   *syncBuffer
	stop   func()
}

func startBot(t *testing.T) *harness { return startBotWith(t, botOptions{}) }

// botOptions changes the harness's defaults: the fake workspace and
// environment variables (applied after the defaults; "" empties one;
// "{api}" stands for the fake's API URL, "{hostport}" for its address).
type botOptions struct {
	fake func(*slackfake.Config)
	env  map[string]string
	// reps and deals replace the fixture's reps and deals files.
	reps, deals string
	// sharedRedis makes the bot use a Redis other processes can reach: the
	// one at $REDIS_URL, else a miniredis server started for the test.
	sharedRedis bool
}

func startBotWith(t *testing.T, opt botOptions) *harness {
	t.Helper()
	dir := t.TempDir()
	reps := fixtureReps
	if opt.reps != "" {
		reps = opt.reps
	}
	deals := fixtureDeals
	if opt.deals != "" {
		deals = opt.deals
	}
	for name, body := range map[string]string{"reps.csv": reps, "deals.csv": deals, "quotas.csv": fixtureQuotas} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fcfg := slackfake.Config{
		Users:      fixtureUsers,
		UserGroups: map[string][]string{"sales-ops": {"U0OPS0001"}},
		AckTimeout: 3 * time.Second,
		BotScopes:  manifest().OAuthConfig.Scopes.Bot, // installed from the manifest
	}
	if opt.fake != nil {
		opt.fake(&fcfg)
	}
	fake, err := slackfake.New(fcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })

	prefix := "rce2e:" + randomHex(t) + ":"
	t.Setenv("SLACK_APP_TOKEN", "xapp-1-fake")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-fake")
	t.Setenv("SLACK_API_URL", fake.APIURL())
	t.Setenv("REPCOACH_AS_OF", "2017-12-31")
	t.Setenv("REPCOACH_TZ", "UTC")
	t.Setenv("REPCOACH_IMPORT", filepath.Join(dir, "reps.csv")+","+filepath.Join(dir, "deals.csv")+","+filepath.Join(dir, "quotas.csv"))
	t.Setenv("REPCOACH_REDIS_PREFIX", prefix)
	t.Setenv("REPCOACH_LOG_LEVEL", "debug")
	t.Setenv("REDIS_URL", os.Getenv("REDIS_URL")) // a real Redis where set, the embedded one otherwise
	t.Setenv("REPCOACH_EPHEMERAL", "true")
	if opt.sharedRedis && os.Getenv("REDIS_URL") == "" {
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Close)
		t.Setenv("REDIS_URL", "redis://"+m.Addr())
	}
	if url := os.Getenv("REDIS_URL"); url != "" {
		t.Cleanup(func() { deleteKeys(t, url, prefix) })
	}
	for k, v := range opt.env {
		v = strings.ReplaceAll(v, "{api}", fake.APIURL())
		v = strings.ReplaceAll(v, "{hostport}", strings.TrimSuffix(strings.TrimPrefix(fake.APIURL(), "http://"), "/api/"))
		t.Setenv(k, v)
	}

	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"run"}, logs, logs) }()
	h := &harness{dir: dir, fake: fake, logs: logs, done: done}
	var stop func()
	var once sync.Once
	h.stop = func() { once.Do(stop) }
	stop = func() {
		cancel()
		if h.exited {
			return
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("run did not return within 15 s of cancel")
		}
	}
	t.Cleanup(h.stop)

	wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
	defer wcancel()
	if err := fake.WaitConnected(wctx, 1); err != nil {
		t.Fatalf("bot did not connect: %v\nlogs:\n%s", err, logs)
	}
	return h
}

// waitExit waits up to 15 s for run to return by itself and returns its
// error.
func (h *harness) waitExit(t *testing.T) error {
	t.Helper()
	select {
	case err := <-h.done:
		h.exited = true
		return err
	case <-time.After(15 * time.Second):
		t.Fatalf("run did not return by itself within 15 s\nlogs:\n%s", h.logs)
		return nil
	}
}

// ask sends a slash command as user and returns the reply's text and
// blocks as one string, failing if the ack takes 3 s or more.
func (h *harness) ask(t *testing.T, user, cmd, text string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := h.fake.SendCommand(ctx, user, cmd, text)
	if err != nil {
		t.Fatalf("%s %s: %v", cmd, text, err)
	}
	if !c.Acked || c.TimedOut || c.AckLatency >= 3*time.Second {
		t.Fatalf("%s %s: acked=%v timedOut=%v after %v, want an ack within 3 s", cmd, text, c.Acked, c.TimedOut, c.AckLatency)
	}
	m, err := c.Reply(ctx)
	if err != nil {
		t.Fatalf("%s %s: no reply: %v\nlogs:\n%s", cmd, text, err, h.logs)
	}
	if m.ResponseType == "in_channel" {
		t.Errorf("%s %s: reply is in_channel, want ephemeral", cmd, text)
	}
	return m.Text + "\n" + string(m.Blocks)
}

func TestMyPerformanceEndToEnd(t *testing.T) {
	h := startBot(t)

	ana := h.ask(t, "U0ANA0001", "/myperformance", "quarter")
	for _, want := range []string{
		"Q4 2017",
		"as of Sun 31 Dec 2017",
		"$40,000",                      // won revenue
		"Won $40,000 of $80,000 quota", // attainment basis
		"*50%*",                        // attainment
		"67% (2 won, 1 lost)",          // win rate
		"$20,000 (median $20,000)",     // average and median deal
		"45 days",                      // median cycle
		"$20,000 in 1 deal",            // open pipeline
		"1 of 2 in Maria Boss's team",  // rank
	} {
		if !strings.Contains(ana, want) {
			t.Errorf("Ana's reply lacks %q:\n%s", want, ana)
		}
	}
	for _, leak := range []string{"Ben", "7,777", "5,555", "Hooli", "Wayne"} {
		if strings.Contains(ana, leak) {
			t.Errorf("Ana's reply shows another rep's data %q:\n%s", leak, ana)
		}
	}

	ben := h.ask(t, "U0BEN0001", "/myperformance", "quarter")
	for _, want := range []string{"$7,777", "33% (1 won, 2 lost)", "*19%*", "2 of 2"} {
		if !strings.Contains(ben, want) {
			t.Errorf("Ben's reply lacks %q:\n%s", want, ben)
		}
	}
	for _, leak := range []string{"Ana", "30,000", "Globex", "Umbrella"} {
		if strings.Contains(ben, leak) {
			t.Errorf("Ben's reply shows another rep's data %q:\n%s", leak, ben)
		}
	}

	if got := h.ask(t, "U0NEW0001", "/myperformance", ""); !strings.Contains(got, "couldn't match you") {
		t.Errorf("stranger's reply = %q, want the friendly no-match answer", got)
	}
	if got := h.ask(t, "U0ANA0001", "/myperformance", "fortnight"); !strings.Contains(got, "I don't know the period") || !strings.Contains(got, "last week") {
		t.Errorf("bad period reply = %q, want usage", got)
	}
	if got := h.ask(t, "U0ANA0001", "/myperformance", "help"); !strings.Contains(got, "Win rate") || !strings.Contains(got, "won ÷") {
		t.Errorf("help reply = %q, want metric definitions", got)
	}
	if strings.Contains(h.logs.String(), "xoxb-fake") || strings.Contains(h.logs.String(), "xapp-1-fake") {
		t.Error("a token reached the logs")
	}
}

func TestTeamPerformanceAccess(t *testing.T) {
	h := startBot(t)
	if got := h.ask(t, "U0MARIA01", "/teamperformance", ""); !strings.Contains(got, "Maria Boss's team") || !strings.Contains(got, "Ana Lima") || !strings.Contains(got, "Ben Ode") {
		t.Errorf("manager's team reply lacks the team:\n%s", got)
	}
	if got := h.ask(t, "U0ANA0001", "/teamperformance", ""); !strings.Contains(got, "only open to managers and sales ops") || strings.Contains(got, "Ben Ode") {
		t.Errorf("a rep asking for the team got %q, want a refusal", got)
	}
	if got := h.ask(t, "U0OPS0001", "/teamperformance", "all"); !strings.Contains(got, "Whole sales team") {
		t.Errorf("ops asking for all got:\n%s", got)
	}
	if got := h.ask(t, "U0OPS0001", "/teamperformance", "Maria Boss month"); !strings.Contains(got, "December 2017") {
		t.Errorf("ops asking for a manager's month got:\n%s", got)
	}
}

func TestBotSurvivesDisconnects(t *testing.T) {
	h := startBot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, drop := range []func(){
		func() { h.fake.Disconnect("warning") },
		func() { h.fake.Disconnect("refresh_requested") },
		func() { h.fake.DropConnections() },
		func() { h.fake.Disconnect("link_disabled") },
	} {
		before := h.fake.Connects()
		drop()
		// slack-go reconnects on every disconnect message, a warning too.
		if err := h.fake.WaitConnects(ctx, before+1); err != nil {
			t.Fatalf("step %d: bot did not reconnect: %v", i, err)
		}
		for h.fake.Connections() != 1 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		if got := h.ask(t, "U0ANA0001", "/myperformance", ""); !strings.Contains(got, "$40,000") {
			t.Fatalf("step %d: reply after reconnect = %q", i, got)
		}
	}
}

func TestRedeliveredEventHandledOnce(t *testing.T) {
	h := startBot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	envelope := func(envID string, attempt int) []byte {
		b, _ := json.Marshal(map[string]any{
			"envelope_id": envID, "type": "events_api", "accepts_response_payload": false,
			"retry_attempt": attempt, "retry_reason": map[bool]string{true: "timeout"}[attempt > 0],
			"payload": map[string]any{
				"token": "x", "team_id": slackfake.TeamID, "api_app_id": slackfake.AppID, "type": "event_callback",
				"event_id": "Ev0HOME0001", "event_time": 1700000000,
				"event": map[string]any{"type": "app_home_opened", "user": "U0ANA0001", "channel": "D0ANA0001", "tab": "home", "event_ts": "1700000000.000100"},
			},
		})
		return b
	}
	for i, env := range [][]byte{envelope("env-home-1", 0), envelope("env-home-2", 1), envelope("env-home-3", 2)} {
		if _, err := h.fake.SendRaw(ctx, env); err != nil {
			t.Fatalf("delivery %d not acked: %v", i, err)
		}
	}
	m, err := h.fake.WaitMessage(ctx, func(m slackfake.Message) bool { return m.Method == "views.publish" && m.User == "U0ANA0001" })
	if err != nil {
		t.Fatalf("App Home not published: %v\nlogs:\n%s", err, h.logs)
	}
	if !strings.Contains(string(m.View), "$40,000") {
		t.Errorf("Home view lacks Ana's won revenue: %s", m.View)
	}
	time.Sleep(300 * time.Millisecond) // let any duplicate handling finish
	if n := h.fake.Calls("views.publish"); n != 1 {
		t.Errorf("views.publish called %d times for one event delivered 3 times, want 1", n)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func randomHex(t *testing.T) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// deleteKeys removes every key under prefix from the Redis at url (a
// single Redis, Sentinel or Cluster URL; on a cluster, from every master).
func deleteKeys(t *testing.T, url, prefix string) {
	// A shared Redis under load may hold many other keys: allow a minute.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := redisstore.Open(ctx, url, redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Errorf("clean up test keys: %v", err)
		return
	}
	defer s.Close()
	if err := s.Wipe(ctx); err != nil {
		t.Errorf("clean up test keys: %v", err)
	}
}

func TestRepcoachCommandControlsDMs(t *testing.T) {
	h := startBot(t)
	if got := h.ask(t, "U0ANA0001", "/repcoach", ""); !strings.Contains(got, "as of Sun 31 Dec 2017") || !strings.Contains(got, "weekly feedback: *on*") {
		t.Errorf("status = %q, want data freshness and the rep's DM settings", got)
	}
	if got := h.ask(t, "U0ANA0001", "/repcoach", "feedback off"); !strings.Contains(got, "won't get the weekly feedback") {
		t.Errorf("feedback off = %q", got)
	}
	if got := h.ask(t, "U0ANA0001", "/repcoach", "status"); !strings.Contains(got, "weekly feedback: *off*") {
		t.Errorf("status after opting out = %q", got)
	}
	if got := h.ask(t, "U0ANA0001", "/repcoach", "pause"); !strings.Contains(got, "only open to sales ops") {
		t.Errorf("a rep pausing got %q, want a refusal", got)
	}
	if got := h.ask(t, "U0OPS0001", "/repcoach", "pause"); !strings.Contains(got, "Paused") {
		t.Errorf("ops pausing got %q", got)
	}
	if got := h.ask(t, "U0MARIA01", "/repcoach", ""); !strings.Contains(got, "*paused* (by <@U0OPS0001>") {
		t.Errorf("status while paused = %q", got)
	}
	if got := h.ask(t, "U0OPS0001", "/repcoach", "resume"); !strings.Contains(got, "Resumed") {
		t.Errorf("ops resuming got %q", got)
	}
	if got := h.ask(t, "U0OPS0001", "/repcoach", "dance"); !strings.Contains(got, "I don't know") {
		t.Errorf("unknown subcommand got %q", got)
	}
}

func TestRecognizeEndToEnd(t *testing.T) {
	h := startBot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if got := h.ask(t, "U0ANA0001", "/recognize", "<@U0BEN0001|ben> great job"); !strings.Contains(got, "only open to sales ops") {
		t.Errorf("a rep recognising got %q, want a refusal", got)
	}
	c, err := h.fake.SendCommand(ctx, "U0OPS0001", "/recognize", "<@U0ANA0001|ana> top-closer Closed Globex & <!channel> cheered")
	if err != nil || !c.Acked {
		t.Fatalf("/recognize not acked: %v", err)
	}
	m, err := c.Reply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.ResponseType != "in_channel" || !strings.Contains(m.Text, "Top closer for <@U0ANA0001>") || !strings.Contains(m.Text, "Closed Globex &amp; &lt;!channel&gt; cheered") {
		t.Errorf("recognition post = %s %q, want an in-channel award with the reason escaped", m.ResponseType, m.Text)
	}

	// Bare, it opens the form; submitting the form posts in the channel.
	c, err = h.fake.SendCommand(ctx, "U0OPS0001", "/recognize", "")
	if err != nil || !c.Acked {
		t.Fatalf("bare /recognize not acked: %v", err)
	}
	if _, err := h.fake.WaitMessage(ctx, func(m slackfake.Message) bool { return m.Method == "views.open" && m.User == "U0OPS0001" }); err != nil {
		t.Fatalf("no form opened: %v\n%s", err, h.logs)
	}
	in, err := h.fake.SendViewSubmission(ctx, "U0OPS0001", "recognize", map[string]map[string]any{
		"who":  {"user": map[string]any{"type": "users_select", "selected_user": "U0BEN0001"}},
		"kind": {"kind": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "shout-out"}}},
		"why":  {"reason": map[string]any{"type": "plain_text_input", "value": ""}},
	}, slackfake.DefaultChannel)
	if err != nil || !in.Acked || !strings.Contains(string(in.AckPayload), `"why"`) {
		t.Fatalf("empty reason: ack %s, %v; want the form kept open with an error on why", in.AckPayload, err)
	}
	in, err = h.fake.SendViewSubmission(ctx, "U0OPS0001", "recognize", map[string]map[string]any{
		"who":  {"user": map[string]any{"type": "users_select", "selected_user": "U0BEN0001"}},
		"kind": {"kind": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "shout-out"}}},
		"why":  {"reason": map[string]any{"type": "plain_text_input", "value": "Rescued the Hooli renewal"}},
	}, slackfake.DefaultChannel)
	if err != nil || !in.Acked || len(in.AckPayload) > 2 {
		t.Fatalf("form submission: ack %s, %v; want a plain ack that closes it", in.AckPayload, err)
	}
	if _, err := h.fake.WaitMessage(ctx, func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == slackfake.DefaultChannel && strings.Contains(m.Text, "Shout-out for <@U0BEN0001>")
	}); err != nil {
		t.Fatalf("form award not posted: %v\n%s", err, h.logs)
	}
}

func TestDMButtonsEndToEnd(t *testing.T) {
	h := startBot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	click := func(user, actionID, value string) slackfake.Message {
		t.Helper()
		in, err := h.fake.SendAction(ctx, user, slackfake.Action{ActionID: actionID, BlockID: "b", Value: value, MessageTS: "1700000000.000100"})
		if err != nil || !in.Acked {
			t.Fatalf("%s not acked: %v", actionID, err)
		}
		m, err := h.fake.WaitMessage(ctx, func(m slackfake.Message) bool { return m.Method == "response_url" && m.ResponseURL == in.ResponseURL })
		if err != nil {
			t.Fatalf("%s: no answer: %v\n%s", actionID, err, h.logs)
		}
		if !m.ReplaceOriginal {
			t.Errorf("%s: answer does not replace the message", actionID)
		}
		return m
	}
	if m := click("U0ANA0001", "nudge:start", "prospecting"); !strings.Contains(m.Text, "Started *Prospecting to fill the pipeline*") {
		t.Errorf("Start = %q", m.Text)
	}
	if m := click("U0ANA0001", "nudge:done", "prospecting"); !strings.Contains(m.Text, "Done: *Prospecting") {
		t.Errorf("Done = %q", m.Text)
	}
	if m := click("U0ANA0001", "optout:nudges", "nudges"); !strings.Contains(m.Text, "won't get the training nudges") {
		t.Errorf("Stop nudges = %q", m.Text)
	}
	if got := h.ask(t, "U0ANA0001", "/repcoach", ""); !strings.Contains(got, "training nudges: *off*") {
		t.Errorf("status after stopping nudges = %q", got)
	}
	if m := click("U0ANA0001", "optin:nudges", "nudges"); !strings.Contains(m.Text, "on again") {
		t.Errorf("Turn back on = %q", m.Text)
	}
}
