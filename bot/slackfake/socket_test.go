package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/repcoach/repcoach/bot/slackfake"
)

func TestSlackGoStaysConnectedOnPings(t *testing.T) {
	s := newServer(t, slackfake.Config{PingInterval: 50 * time.Millisecond})
	var hellos atomic.Int32
	connect(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeHello {
			hellos.Add(1)
		}
	}, socketmode.OptionPingInterval(300*time.Millisecond))

	// Four of slack-go's ping windows: without pings it would have reconnected several times.
	time.Sleep(1200 * time.Millisecond)
	if got := s.Connects(); got != 1 {
		t.Errorf("connections accepted = %d, want 1 (slack-go reconnected: pings not seen)", got)
	}
	if got := hellos.Load(); got != 1 {
		t.Errorf("hello events = %d, want 1", got)
	}
}

func TestSlackGoReconnectsWithoutPings(t *testing.T) {
	// The fake pings every second, slack-go expects one every 200ms: it must give up and reconnect.
	s := newServer(t, slackfake.Config{PingInterval: time.Second})
	connect(t, s, ackAll, socketmode.OptionPingInterval(200*time.Millisecond))
	if err := s.WaitConnects(testContext(t, 5*time.Second), 2); err != nil {
		t.Fatalf("slack-go did not reconnect after missing pings: %v", err)
	}
}

func TestPingIntervalOverTenSecondsRejected(t *testing.T) {
	if _, err := slackfake.New(slackfake.Config{PingInterval: 11 * time.Second}); err == nil {
		t.Fatal("New accepted an 11s ping interval")
	}
}

func TestSlackGoReconnectsAfterDisconnectAndDrop(t *testing.T) {
	s := newServer(t, slackfake.Config{PingInterval: 100 * time.Millisecond, AckTimeout: 2 * time.Second})
	connect(t, s, ackAll, socketmode.OptionPingInterval(time.Second))
	ctx := testContext(t, 10*time.Second)

	command := func() {
		t.Helper()
		cmd, err := s.SendCommand(ctx, "U11REPWST1", "/myperformance", "")
		if err != nil {
			t.Fatalf("SendCommand: %v", err)
		}
		if !cmd.Acked {
			t.Fatalf("command not acked: %+v", cmd)
		}
	}
	command()

	s.Disconnect("refresh_requested")
	if err := s.WaitConnects(ctx, 2); err != nil {
		t.Fatalf("no reconnect after refresh_requested: %v", err)
	}
	command()

	s.DropConnections()
	if err := s.WaitConnects(ctx, 3); err != nil {
		t.Fatalf("no reconnect after dropped connection: %v", err)
	}
	command()

	if got := s.Calls("apps.connections.open"); got != 3 {
		t.Errorf("apps.connections.open calls = %d, want 3 (one fresh URL per connection)", got)
	}
}

func TestDisconnectWarningKeepsSocket(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	// A raw client, so that we see what Slack sends rather than slack-go's reaction to it.
	ws := dialRaw(t, s)
	readJSON(t, ws) // hello
	// The fake sends hello before it lists the socket: wait for the
	// listing, or a loaded machine can send the warning to no one.
	if err := s.WaitConnects(testContext(t, 5*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	s.Disconnect("warning")
	msg := readJSON(t, ws)
	if msg["type"] != "disconnect" || msg["reason"] != "warning" {
		t.Fatalf("got %v, want a disconnect warning", msg)
	}
	if host, _ := msg["debug_info"].(map[string]any)["host"].(string); host == "" {
		t.Errorf("disconnect has no debug_info.host: %v", msg)
	}
	if got := s.Connections(); got != 1 {
		t.Errorf("connections after warning = %d, want 1", got)
	}
	s.Disconnect("link_disabled")
	msg = readJSON(t, ws)
	if msg["reason"] != "link_disabled" {
		t.Fatalf("got %v, want link_disabled", msg)
	}
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Error("socket still open after link_disabled")
	}
	if got := s.Connections(); got != 0 {
		t.Errorf("connections after link_disabled = %d, want 0", got)
	}
}

func TestCommandAckPayloadIsTheReply(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	var got slack.SlashCommand
	var mu sync.Mutex
	connect(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeSlashCommand {
			return
		}
		mu.Lock()
		got = evt.Data.(slack.SlashCommand)
		mu.Unlock()
		_ = c.Ack(*evt.Request, map[string]any{"text": "Your numbers", "blocks": []any{map[string]any{"type": "divider"}}})
	})
	ctx := testContext(t, 5*time.Second)
	cmd, err := s.SendCommand(ctx, "U11REPWST1", "/myperformance", "last week")
	if err != nil {
		t.Fatal(err)
	}
	if !cmd.Acked || cmd.TimedOut || cmd.AckLatency <= 0 {
		t.Errorf("Acked=%v TimedOut=%v AckLatency=%v, want acked in time", cmd.Acked, cmd.TimedOut, cmd.AckLatency)
	}
	mu.Lock()
	sc := got
	mu.Unlock()
	want := slack.SlashCommand{Token: sc.Token, TeamID: slackfake.TeamID, TeamDomain: slackfake.TeamDomain,
		ChannelID: slackfake.DefaultChannel, ChannelName: "general", UserID: "U11REPWST1", UserName: "ana.souza",
		Command: "/myperformance", Text: "last week", ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID, APIAppID: slackfake.AppID}
	if sc != want {
		t.Errorf("slack-go decoded\n%+v\nwant\n%+v", sc, want)
	}
	if !strings.HasPrefix(cmd.ResponseURL, "http://127.0.0.1:") {
		t.Errorf("response_url %q does not point at the fake", cmd.ResponseURL)
	}
	reply, err := cmd.Reply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if reply.Method != "ack" || reply.Text != "Your numbers" || reply.User != "U11REPWST1" || reply.ResponseType != "ephemeral" {
		t.Errorf("reply = %+v, want the ack's ephemeral text", reply)
	}
}

func TestCommandEnvelopeShape(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	ws := dialRaw(t, s)
	readJSON(t, ws) // hello
	done := make(chan *slackfake.Command)
	go func() {
		cmd, _ := s.SendCommand(context.Background(), "U11REPWST1", "/recognize", "<@U12REPWST2> great demo")
		done <- cmd
	}()
	_, raw, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	keys := func(b []byte) []string {
		var out []string
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.Token() // {
		for dec.More() {
			k, _ := dec.Token()
			out = append(out, k.(string))
			var skip json.RawMessage
			_ = dec.Decode(&skip)
		}
		return out
	}
	if got, want := strings.Join(keys(raw), ","), "envelope_id,payload,type,accepts_response_payload"; got != want {
		t.Errorf("envelope keys = %s, want %s", got, want)
	}
	var env struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	_ = json.Unmarshal(raw, &env)
	want := "token,team_id,team_domain,channel_id,channel_name,user_id,user_name,command,text,api_app_id,is_enterprise_install,response_url,trigger_id"
	if got := strings.Join(keys(env.Payload), ","); got != want {
		t.Errorf("payload keys = %s, want %s", got, want)
	}
	if !strings.Contains(string(env.Payload), `"is_enterprise_install":"false"`) {
		t.Errorf("is_enterprise_install is not the string \"false\": %s", env.Payload)
	}
	// The Node SDK's ack: always a payload, here empty.
	if err := ws.WriteMessage(1, []byte(`{"envelope_id":"`+env.EnvelopeID+`","payload":{}}`)); err != nil {
		t.Fatal(err)
	}
	cmd := <-done
	if cmd == nil || !cmd.Acked || string(cmd.AckPayload) != "{}" {
		t.Fatalf("command = %+v, want acked with payload {}", cmd)
	}
}

func TestCommandWithoutAckTimesOut(t *testing.T) {
	s := newServer(t, slackfake.Config{AckTimeout: 150 * time.Millisecond})
	connect(t, s, func(*socketmode.Client, socketmode.Event) {}) // never acks
	cmd, err := s.SendCommand(testContext(t, 5*time.Second), "U11REPWST1", "/myperformance", "")
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Acked || !cmd.TimedOut {
		t.Errorf("Acked=%v TimedOut=%v, want a timeout", cmd.Acked, cmd.TimedOut)
	}
}

func TestCommandWithoutSocket(t *testing.T) {
	s := newServer(t, slackfake.Config{AckTimeout: 50 * time.Millisecond})
	if _, err := s.SendCommand(testContext(t, 5*time.Second), "U11REPWST1", "/x", ""); !errors.Is(err, slackfake.ErrNoConnection) {
		t.Errorf("err = %v, want ErrNoConnection", err)
	}
}

func TestEnvelopesSpreadOverSockets(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	var a, b atomic.Int32
	count := func(n *atomic.Int32) func(*socketmode.Client, socketmode.Event) {
		return func(c *socketmode.Client, evt socketmode.Event) {
			if evt.Type == socketmode.EventTypeSlashCommand {
				n.Add(1)
				_ = c.Ack(*evt.Request)
			}
		}
	}
	startApp(t, s, count(&a))
	startApp(t, s, count(&b))
	ctx := testContext(t, 10*time.Second)
	if err := s.WaitConnected(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		cmd, err := s.SendCommand(ctx, "U11REPWST1", "/myperformance", "")
		if err != nil || !cmd.Acked {
			t.Fatalf("SendCommand: %v %+v", err, cmd)
		}
	}
	if a.Load() != 3 || b.Load() != 3 {
		t.Errorf("commands per socket = %d and %d, want 3 and 3", a.Load(), b.Load())
	}
}

func TestEventRedeliveredUntilAcked(t *testing.T) {
	s := newServer(t, slackfake.Config{AckTimeout: 100 * time.Millisecond,
		EventRetryDelays: []time.Duration{0, 10 * time.Millisecond, 10 * time.Millisecond}})
	type delivery struct {
		envelopeID, eventID, reason string
		attempt                     int
	}
	deliveries := make(chan delivery, 10)
	connect(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeEventsAPI {
			return
		}
		var p struct {
			EventID string `json:"event_id"`
		}
		_ = json.Unmarshal(evt.Request.Payload, &p)
		deliveries <- delivery{evt.Request.EnvelopeID, p.EventID, evt.Request.RetryReason, evt.Request.RetryAttempt}
		if evt.Request.RetryAttempt == 2 { // ignore the first two deliveries
			_ = c.Ack(*evt.Request)
		}
		if inner, ok := evt.Data.(slackevents.EventsAPIEvent); !ok || inner.InnerEvent.Type != "app_home_opened" {
			t.Errorf("event data = %#v, want an app_home_opened EventsAPIEvent", evt.Data)
		}
	})
	ctx := testContext(t, 5*time.Second)
	id, err := s.SendEvent(ctx, map[string]any{"type": "app_home_opened", "user": "U11REPWST1", "channel": "D11REPWST1", "tab": "home", "event_ts": "1700000000.000100"})
	if err != nil {
		t.Fatal(err)
	}
	attempt, err := s.WaitEventAcked(ctx, id)
	if err != nil || attempt != 2 {
		t.Fatalf("WaitEventAcked = %d, %v; want 2, nil", attempt, err)
	}
	seen := map[string]bool{}
	for i := range 3 {
		d := <-deliveries
		wantReason := map[bool]string{true: "", false: "timeout"}[i == 0]
		if d.eventID != id || d.attempt != i || d.reason != wantReason || seen[d.envelopeID] {
			t.Errorf("delivery %d = %+v, want event %s, retry_attempt %d, reason %q, new envelope", i, d, id, i, wantReason)
		}
		seen[d.envelopeID] = true
	}
	if got := s.EventDeliveries(id); got != 3 {
		t.Errorf("deliveries = %d, want 3", got)
	}
}

func TestEventGivesUpAfterThreeRetries(t *testing.T) {
	s := newServer(t, slackfake.Config{AckTimeout: 30 * time.Millisecond,
		EventRetryDelays: []time.Duration{0, time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond}})
	connect(t, s, func(*socketmode.Client, socketmode.Event) {})
	ctx := testContext(t, 5*time.Second)
	id, err := s.SendEvent(ctx, map[string]any{"type": "app_home_opened", "user": "U11REPWST1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitEventAcked(ctx, id); !errors.Is(err, slackfake.ErrEventNotAcked) {
		t.Fatalf("err = %v, want ErrEventNotAcked", err)
	}
	if got := s.EventDeliveries(id); got != 4 {
		t.Errorf("deliveries = %d, want 4 (the first and 3 retries)", got)
	}
}

func TestOversizedAckIsDropped(t *testing.T) {
	s := newServer(t, slackfake.Config{AckTimeout: 200 * time.Millisecond})
	ws := dialRaw(t, s)
	readJSON(t, ws)
	done := make(chan error)
	go func() {
		_, err := s.SendRaw(context.Background(), []byte(`{"envelope_id":"big-1","payload":{},"type":"slash_commands","accepts_response_payload":true}`))
		done <- err
	}()
	readJSON(t, ws)
	big := `{"envelope_id":"big-1","payload":{"text":"` + strings.Repeat("x", 20480) + `"}}`
	if err := ws.WriteMessage(1, []byte(big)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, slackfake.ErrAckTimeout) {
		t.Errorf("SendRaw err = %v, want ErrAckTimeout (a 20 kB ack is dropped)", err)
	}
}

func TestConnectionURLIsSingleUse(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	_, url, err := api(s).StartSocketModeContext(testContext(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "ws://127.0.0.1:") || !strings.Contains(url, "/link/?ticket=") {
		t.Errorf("url = %q, want ws://127.0.0.1:PORT/link/?ticket=…", url)
	}
	ws := dialURL(t, url)
	readJSON(t, ws)
	if _, _, err := defaultDialer().Dial(url, nil); err == nil {
		t.Error("second dial with the same URL succeeded")
	}
}

func TestTooManyWebsockets(t *testing.T) {
	s := newServer(t, slackfake.Config{})
	for range 10 {
		ws := dialRaw(t, s)
		readJSON(t, ws)
	}
	ws := dialRaw(t, s)
	if msg := readJSON(t, ws); msg["reason"] != "too_many_websockets" {
		t.Errorf("11th socket got %v, want disconnect too_many_websockets", msg)
	}
	// The fake lists a socket just after its hello: wait for all ten.
	if err := s.WaitConnects(testContext(t, 5*time.Second), 10); err != nil {
		t.Fatal(err)
	}
	if got := s.Connections(); got != 10 {
		t.Errorf("connections = %d, want 10", got)
	}
}
