package slackfake_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/repcoach/repcoach/bot/slackfake"
)

// fixtureSets returns the Socket Mode payload sets to test with, by name:
// "testdata", the project's own hand-written fixtures, always; "shared",
// the real captures in ../shared/slack-fixtures, where they are (the test
// says so loudly when they are not).
func fixtureSets(t *testing.T) map[string]map[string][]byte {
	t.Helper()
	sets := map[string]map[string][]byte{"testdata": readFixtures(t, filepath.Join("..", "testdata", "slack-fixtures"))}
	if shared := readFixtures(t, filepath.Join("..", "..", "..", "shared", "slack-fixtures")); len(shared) > 0 {
		sets["shared"] = shared
	} else {
		t.Log("NOTE: ../shared/slack-fixtures is not beside this clone: only the hand-written fixtures in bot/testdata/slack-fixtures ran, not the real Slack captures")
	}
	return sets
}

func readFixtures(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// fixtureNamed returns the fixture whose file name starts with prefix.
func fixtureNamed(t *testing.T, files map[string][]byte, prefix string) []byte {
	t.Helper()
	for name, b := range files {
		if strings.HasPrefix(name, prefix) {
			return b
		}
	}
	t.Fatalf("no fixture %s*", prefix)
	return nil
}

// TestFixturesThroughSlackGo sends every envelope fixture byte for byte through the fake to
// slack-go's socketmode client, which must decode it into the expected event and ack it.
func TestFixturesThroughSlackGo(t *testing.T) {
	for set, files := range fixtureSets(t) {
		t.Run(set, func(t *testing.T) { fixturesThroughSlackGo(t, files) })
	}
}

func fixturesThroughSlackGo(t *testing.T, files map[string][]byte) {
	s := newServer(t, slackfake.Config{AckTimeout: 2 * time.Second})
	events := make(chan socketmode.Event, 1000)
	connect(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		ackAll(c, evt)
		events <- evt
	})
	ctx := testContext(t, 30*time.Second)
	// next returns the next event of one of the given types, skipping connection chatter.
	next := func(types ...socketmode.EventType) socketmode.Event {
		t.Helper()
		for {
			select {
			case evt := <-events:
				for _, typ := range types {
					if evt.Type == typ {
						return evt
					}
				}
			case <-ctx.Done():
				t.Fatalf("no %v event", types)
			}
		}
	}

	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var sent int
	for _, name := range names {
		b := files[name]
		var head struct {
			EnvelopeID string `json:"envelope_id"`
			Type       string `json:"type"`
			Reason     string `json:"reason"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.HasPrefix(name, "ack_") || strings.HasPrefix(name, "apps.connections.open") {
			continue // client-to-Slack messages and HTTP answers: see the tests below
		}
		if head.Type == "event_callback" { // a bare Events API body: wrap it as Socket Mode does
			b = []byte(`{"envelope_id":"wrapped-` + name + `","payload":` + string(b) + `,"type":"events_api","accepts_response_payload":false,"retry_attempt":0,"retry_reason":""}`)
			head.Type, head.EnvelopeID = "events_api", "wrapped-"+name
		}
		t.Run(name, func(t *testing.T) {
			before := s.Connects()
			ack, err := s.SendRaw(ctx, b)
			if err != nil {
				t.Fatalf("SendRaw: %v", err)
			}
			if head.EnvelopeID != "" && ack != nil {
				t.Errorf("ack payload = %s, want none (slack-go's Ack without payload)", ack)
			}
			switch head.Type {
			case "hello":
				next(socketmode.EventTypeHello)
			case "disconnect":
				// slack-go treats every disconnect, warning included, as a request to reconnect.
				if err := s.WaitConnects(ctx, before+1); err != nil {
					t.Fatalf("no reconnect after %s: %v", head.Reason, err)
				}
				eventually(t, "the old socket to close", func() bool { return s.Connections() == 1 })
			case "slash_commands":
				evt := next(socketmode.EventTypeSlashCommand)
				if cmd, ok := evt.Data.(slack.SlashCommand); !ok || cmd.Command == "" {
					t.Errorf("data = %#v, want a slack.SlashCommand", evt.Data)
				}
			case "interactive":
				evt := next(socketmode.EventTypeInteractive)
				if cb, ok := evt.Data.(slack.InteractionCallback); !ok || cb.Type == "" {
					t.Errorf("data = %#v, want a slack.InteractionCallback", evt.Data)
				}
			case "events_api":
				evt := next(socketmode.EventTypeEventsAPI)
				if ev, ok := evt.Data.(slackevents.EventsAPIEvent); !ok || ev.InnerEvent.Type == "" {
					t.Errorf("data = %#v, want a slackevents.EventsAPIEvent", evt.Data)
				}
			default:
				t.Fatalf("fixture of unknown type %q", head.Type)
			}
		})
		sent++
	}
	if sent < 10 {
		t.Errorf("only %d fixtures sent", sent)
	}
}

// TestAckFixturesAccepted answers envelopes with Slack's documented ack messages, verbatim.
func TestAckFixturesAccepted(t *testing.T) {
	for set, files := range fixtureSets(t) {
		t.Run(set, func(t *testing.T) { ackFixturesAccepted(t, files) })
	}
}

func ackFixturesAccepted(t *testing.T, files map[string][]byte) {
	s := newServer(t, slackfake.Config{AckTimeout: 2 * time.Second})
	ws := dialRaw(t, s)
	readJSON(t, ws) // hello
	for _, name := range []string{"ack_plain.", "ack_slash_commands_with_payload."} {
		ack := fixtureNamed(t, files, name)
		var want struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		_ = json.Unmarshal(ack, &want)
		done := make(chan json.RawMessage, 1)
		errc := make(chan error, 1)
		go func() {
			p, err := s.SendRaw(context.Background(), []byte(`{"envelope_id":"`+want.EnvelopeID+`","payload":{},"type":"slash_commands","accepts_response_payload":true}`))
			done <- p
			errc <- err
		}()
		readJSON(t, ws)
		if err := ws.WriteMessage(1, ack); err != nil {
			t.Fatal(err)
		}
		got := <-done
		if err := <-errc; err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !jsonEqual(got, want.Payload) {
			t.Errorf("%s: ack payload = %s, want %s", name, got, want.Payload)
		}
	}
}

// TestConnectionsOpenAnswerShape compares apps.connections.open's answer with Slack's documented one.
func TestConnectionsOpenAnswerShape(t *testing.T) {
	for set, files := range fixtureSets(t) {
		t.Run(set, func(t *testing.T) { connectionsOpenAnswerShape(t, files) })
	}
}

func connectionsOpenAnswerShape(t *testing.T, files map[string][]byte) {
	s := newServer(t, slackfake.Config{})
	var doc map[string]any
	_ = json.Unmarshal(fixtureNamed(t, files, "apps.connections.open.response."), &doc)
	got := postRaw(t, s.APIURL()+"apps.connections.open", "application/json", "Bearer "+appToken, "")
	if len(got) != len(doc) || got["ok"] != true {
		t.Errorf("answer %v, want the keys of %v", got, doc)
	}
	if u, _ := got["url"].(string); !strings.Contains(u, "/link/?ticket=") {
		t.Errorf("url = %q, want …/link/?ticket=…", u)
	}
	// Slack's Node SDK sends a form body instead.
	form := postRaw(t, s.APIURL()+"apps.connections.open", "application/x-www-form-urlencoded", "Bearer "+appToken, "")
	if form["ok"] != true {
		t.Errorf("form body answer = %v, want ok", form)
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}
