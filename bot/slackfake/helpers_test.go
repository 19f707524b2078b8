package slackfake_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/repcoach/repcoach/bot/slackfake"
)

const (
	appToken = "xapp-1-fake"
	botToken = "xoxb-fake"
)

// newServer starts a fake with cfg and closes it when the test ends.
func newServer(t *testing.T, cfg slackfake.Config) *slackfake.Server {
	t.Helper()
	if cfg.Logf == nil {
		cfg.Logf = t.Logf
	}
	s, err := slackfake.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// api returns a slack-go Web API client pointed at s.
func api(s *slackfake.Server, opts ...slack.Option) *slack.Client {
	return slack.New(botToken, append([]slack.Option{slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(appToken)}, opts...)...)
}

// startApp runs slack-go's socketmode client against s, calling handle for every event in one
// goroutine, until the test ends.
func startApp(t *testing.T, s *slackfake.Server, handle func(*socketmode.Client, socketmode.Event), opts ...socketmode.Option) *socketmode.Client {
	t.Helper()
	c := socketmode.New(api(s), opts...)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = c.RunContext(ctx) })
	wg.Go(func() {
		for {
			select {
			case evt := <-c.Events:
				handle(c, evt)
			case <-ctx.Done():
				return
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return c
}

// ackAll acks every request that carries an envelope.
func ackAll(c *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		_ = c.Ack(*evt.Request)
	}
}

// testContext is a context that ends with the test or after d.
func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// connect starts an app with handle and waits for its socket.
func connect(t *testing.T, s *slackfake.Server, handle func(*socketmode.Client, socketmode.Event), opts ...socketmode.Option) *socketmode.Client {
	t.Helper()
	c := startApp(t, s, handle, opts...)
	if err := s.WaitConnected(testContext(t, 5*time.Second), 1); err != nil {
		t.Fatalf("app did not connect: %v", err)
	}
	return c
}

// eventually polls cond every few milliseconds for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// clock is a settable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func defaultDialer() *websocket.Dialer { return &websocket.Dialer{HandshakeTimeout: 5 * time.Second} }

// dialURL opens a raw WebSocket to a Socket Mode URL, closed when the test ends.
func dialURL(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, _, err := defaultDialer().Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	return ws
}

// dialRaw opens a raw Socket Mode connection to s, as a client other than slack-go would.
func dialRaw(t *testing.T, s *slackfake.Server) *websocket.Conn {
	t.Helper()
	_, url, err := api(s).StartSocketModeContext(testContext(t, 5*time.Second))
	if err != nil {
		t.Fatalf("apps.connections.open: %v", err)
	}
	return dialURL(t, url)
}

// readJSON reads one message, failing the test after 5 s.
func readJSON(t *testing.T, ws *websocket.Conn) map[string]any {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %s", b)
	}
	return m
}
