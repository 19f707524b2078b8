package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DefaultChannel is the public channel commands are typed in unless SendCommandIn names another.
const DefaultChannel = "C0GENERAL1"

// verificationToken is the deprecated token Slack still puts in payloads.
const verificationToken = "fake-verification-token"

// ErrAckTimeout is returned by SendRaw when the envelope was not acked within AckTimeout.
var ErrAckTimeout = errors.New("slackfake: envelope not acked in time")

// ErrEventNotAcked is returned by WaitEventAcked when every delivery of an event went unacked.
var ErrEventNotAcked = errors.New("slackfake: event not acked after all retries")

// wireEnvelope is a Socket Mode envelope, with keys in the order of the fixtures.
type wireEnvelope struct {
	EnvelopeID             string  `json:"envelope_id"`
	Payload                any     `json:"payload"`
	Type                   string  `json:"type"`
	AcceptsResponsePayload bool    `json:"accepts_response_payload"`
	RetryAttempt           *int    `json:"retry_attempt,omitempty"`
	RetryReason            *string `json:"retry_reason,omitempty"`
}

// commandPayload is a slash command as Socket Mode delivers it.
type commandPayload struct {
	Token               string `json:"token"`
	TeamID              string `json:"team_id"`
	TeamDomain          string `json:"team_domain"`
	ChannelID           string `json:"channel_id"`
	ChannelName         string `json:"channel_name"`
	UserID              string `json:"user_id"`
	UserName            string `json:"user_name"`
	Command             string `json:"command"`
	Text                string `json:"text"`
	APIAppID            string `json:"api_app_id"`
	IsEnterpriseInstall string `json:"is_enterprise_install"`
	ResponseURL         string `json:"response_url"`
	TriggerID           string `json:"trigger_id"`
}

// Command is a slash command the fake sent, and what became of its ack.
type Command struct {
	EnvelopeID, ResponseURL, TriggerID string
	Channel, UserID                    string
	SentAt                             time.Time // Config.Now when sent
	Acked                              bool      // acked within AckTimeout
	AckLatency                         time.Duration
	AckPayload                         json.RawMessage // nil when the ack had no payload; {} is kept
	TimedOut                           bool            // no ack in time: the user saw operation_timeout

	s    *Server
	from int // index of the first message recorded after sending
}

// Interaction is a block action or view submission the fake sent, and what became of its ack.
type Interaction struct {
	EnvelopeID, ResponseURL, TriggerID string
	Acked                              bool
	AckLatency                         time.Duration
	AckPayload                         json.RawMessage
	TimedOut                           bool
}

// Action is a click on an interactive element.
type Action struct {
	ActionID, BlockID, Value string
	Type                     string // default "button"
	Channel                  string // conversation of the message; default the user's DM with the bot
	MessageTS                string // the message the element is on
	View                     bool   // the element is in the user's App Home view, not a message
}

func channelName(id string) string {
	switch {
	case strings.HasPrefix(id, "D"):
		return "directmessage"
	case id == DefaultChannel:
		return "general"
	}
	return strings.ToLower(id)
}

func userRef(u User) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Name, "name": u.Name, "team_id": TeamID}
}

// SendCommand types command (e.g. "/myperformance") with text as userID in DefaultChannel and
// delivers it to one socket like Slack; see SendCommandIn.
func (s *Server) SendCommand(ctx context.Context, userID, command, text string) (*Command, error) {
	return s.SendCommandIn(ctx, DefaultChannel, userID, command, text)
}

// SendCommandIn sends a slash_commands envelope typed in channel (D… for the user's DM with the
// bot) to one socket and returns once it is acked or AckTimeout has passed (then TimedOut is set).
// It returns ErrNoConnection if no socket was open within AckTimeout, an error for an unknown
// user, ctx's error or ErrClosed.
func (s *Server) SendCommandIn(ctx context.Context, channel, userID, command, text string) (*Command, error) {
	s.mu.Lock()
	u, ok := s.dir.user(userID)
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("slackfake: unknown user %q", userID)
	}
	c := &Command{EnvelopeID: newUUID(), Channel: channel, UserID: userID, SentAt: s.cfg.Now(), s: s, from: len(s.messages)}
	c.ResponseURL = s.newResponseURLLocked("commands", channel, userID, "")
	c.TriggerID = s.newTriggerLocked(userID)
	s.mu.Unlock()

	frame, _ := json.Marshal(wireEnvelope{
		EnvelopeID: c.EnvelopeID, Type: "slash_commands", AcceptsResponsePayload: true,
		Payload: commandPayload{
			Token: verificationToken, TeamID: TeamID, TeamDomain: TeamDomain,
			ChannelID: channel, ChannelName: channelName(channel), UserID: u.ID, UserName: u.Name,
			Command: command, Text: text, APIAppID: AppID, IsEnterpriseInstall: "false",
			ResponseURL: c.ResponseURL, TriggerID: c.TriggerID,
		},
	})
	env := &envelope{id: c.EnvelopeID, kind: "slash_commands", channel: channel, user: userID, responseURL: c.ResponseURL}
	ok, latency, payload, err := s.exchange(ctx, env, frame)
	if err != nil {
		return nil, err
	}
	c.Acked, c.AckLatency, c.AckPayload, c.TimedOut = ok, latency, payload, !ok
	return c, nil
}

// exchange delivers an envelope and waits for its ack, then forgets it.
func (s *Server) exchange(ctx context.Context, env *envelope, frame []byte) (ok bool, latency time.Duration, payload json.RawMessage, err error) {
	if err := s.deliver(ctx, env, frame); err != nil {
		return false, 0, nil, err
	}
	ok, latency, payload, err = s.awaitAck(ctx, env)
	s.mu.Lock()
	if s.pending[env.id] == env {
		delete(s.pending, env.id)
	}
	s.mu.Unlock()
	return ok, latency, payload, err
}

// Reply waits for the app's first answer to the command: an ack payload with text or blocks, a
// POST to its response_url, or a chat.postEphemeral to the user in the command's channel.
func (c *Command) Reply(ctx context.Context) (Message, error) {
	return c.s.waitMessageFrom(ctx, c.from, func(m Message) bool {
		switch m.Method {
		case "ack":
			return m.EnvelopeID == c.EnvelopeID
		case "response_url":
			return m.ResponseURL == c.ResponseURL
		case "chat.postEphemeral":
			return m.User == c.UserID && m.Channel == c.Channel
		}
		return false
	})
}

// SendAction sends a block_actions envelope for a click by userID and waits for its ack like
// SendCommand. For a message action the payload carries the stored message (when MessageTS names
// one), its channel and a fresh response_url; for an App Home action, the user's published view.
func (s *Server) SendAction(ctx context.Context, userID string, a Action) (*Interaction, error) {
	if a.Type == "" {
		a.Type = "button"
	}
	s.mu.Lock()
	u, ok := s.dir.user(userID)
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("slackfake: unknown user %q", userID)
	}
	in := &Interaction{EnvelopeID: newUUID(), TriggerID: s.newTriggerLocked(userID)}
	actionTS := s.newTSLocked()
	action := map[string]any{"action_id": a.ActionID, "block_id": a.BlockID, "value": a.Value, "type": a.Type, "action_ts": actionTS}
	p := map[string]any{
		"type": "block_actions", "user": userRef(u), "api_app_id": AppID, "token": verificationToken,
		"trigger_id": in.TriggerID, "team": map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise": nil, "is_enterprise_install": false, "state": map[string]any{"values": map[string]any{}},
		"actions": []any{action},
	}
	if a.View {
		v := s.views[s.homes[userID]]
		if v == nil {
			v = &view{id: "V0FAKEHOME", kind: "home", body: map[string]json.RawMessage{}}
		}
		p["container"] = map[string]any{"type": "view", "view_id": v.id}
		p["view"] = v.json()
	} else {
		if a.Channel == "" {
			a.Channel = DMChannel(userID)
		}
		in.ResponseURL = s.newResponseURLLocked("actions", a.Channel, userID, a.MessageTS)
		p["container"] = map[string]any{"type": "message", "message_ts": a.MessageTS, "channel_id": a.Channel, "is_ephemeral": false}
		p["channel"] = map[string]any{"id": a.Channel, "name": channelName(a.Channel)}
		msg := obj{"type": "message", "ts": a.MessageTS, "text": ""}
		if m := s.findLocked(a.Channel, a.MessageTS); m != nil {
			msg = messageJSON(m, false)
		}
		p["message"] = msg
		p["response_url"] = in.ResponseURL
	}
	s.mu.Unlock()

	frame, _ := json.Marshal(wireEnvelope{EnvelopeID: in.EnvelopeID, Type: "interactive", Payload: p})
	env := &envelope{id: in.EnvelopeID, kind: "interactive", channel: a.Channel, user: userID, responseURL: in.ResponseURL}
	return s.interact(ctx, in, env, frame)
}

func (s *Server) interact(ctx context.Context, in *Interaction, env *envelope, frame []byte) (*Interaction, error) {
	ok, latency, payload, err := s.exchange(ctx, env, frame)
	if err != nil {
		return nil, err
	}
	in.Acked, in.AckLatency, in.AckPayload, in.TimedOut = ok, latency, payload, !ok
	return in, nil
}

// SendViewSubmission sends a view_submission of the modal with callbackID, as userID submitted it
// with values (block_id -> action_id -> element state, e.g. {"type":"plain_text_input","value":"x"})
// and privateMetadata, and waits for its ack. The ack payload may hold a response_action. The view
// is the one the app last opened for the user with that callback_id, when there is one.
func (s *Server) SendViewSubmission(ctx context.Context, userID, callbackID string, values map[string]map[string]any, privateMetadata string) (*Interaction, error) {
	s.mu.Lock()
	u, ok := s.dir.user(userID)
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("slackfake: unknown user %q", userID)
	}
	in := &Interaction{EnvelopeID: newUUID(), TriggerID: s.newTriggerLocked(userID)}
	var v *view
	for _, x := range s.views {
		if x.user == userID && x.kind == "modal" && str(x.body, "callback_id") == callbackID && (v == nil || x.id > v.id) {
			v = x
		}
	}
	if v == nil {
		v = &view{id: "V0FAKEMODAL", kind: "modal", body: map[string]json.RawMessage{}}
	}
	vj := v.json()
	if values == nil {
		values = map[string]map[string]any{}
	}
	vj["callback_id"], vj["private_metadata"], vj["state"] = callbackID, privateMetadata, map[string]any{"values": values}
	p := map[string]any{
		"type": "view_submission", "team": map[string]any{"id": TeamID, "domain": TeamDomain}, "user": userRef(u),
		"api_app_id": AppID, "token": verificationToken, "trigger_id": in.TriggerID, "view": vj,
		"response_urls": []any{}, "is_enterprise_install": false, "enterprise": nil,
	}
	s.mu.Unlock()

	frame, _ := json.Marshal(wireEnvelope{EnvelopeID: in.EnvelopeID, Type: "interactive", AcceptsResponsePayload: true, Payload: p})
	env := &envelope{id: in.EnvelopeID, kind: "interactive", user: userID, submission: true}
	return s.interact(ctx, in, env, frame)
}

// eventState tracks the deliveries of one event. Guarded by Server.mu.
type eventState struct {
	attempts     int  // deliveries made
	acked        bool // some delivery was acked in time
	ackedAttempt int  // its retry_attempt
	finished     bool // no more deliveries will be made
}

// SendEvent wraps event (e.g. {"type":"app_home_opened","user":"U…","channel":"D…","tab":"home"})
// in an event_callback with a fresh event_id and delivers it in an events_api envelope. It returns
// once the first delivery was acked or its AckTimeout passed. An unacked event is redelivered in
// the background after each of EventRetryDelays (new envelope_id, same event_id, retry_attempt n,
// retry_reason "timeout") until acked; WaitEventAcked reports the outcome.
func (s *Server) SendEvent(ctx context.Context, event map[string]any) (eventID string, err error) {
	now := s.cfg.Now()
	eventID = "Ev0" + strings.ToUpper(randomHex(5))
	typ, _ := event["type"].(string)
	channel, _ := event["channel"].(string)
	payload, err := json.Marshal(map[string]any{
		"token": verificationToken, "team_id": TeamID, "api_app_id": AppID, "event": event,
		"type": "event_callback", "event_id": eventID, "event_time": now.Unix(),
		"authorizations": []any{map[string]any{"enterprise_id": nil, "team_id": TeamID, "user_id": BotUserID,
			"is_bot": true, "is_enterprise_install": false}},
		"is_ext_shared_channel": false, "event_context": "4-" + typ + "-" + TeamID + "-" + channel,
	})
	if err != nil {
		return "", fmt.Errorf("slackfake: encode event: %w", err)
	}
	st := &eventState{}
	first := make(chan struct{})
	s.mu.Lock()
	s.events[eventID] = st
	started := s.goLocked(func() { s.deliverEvent(st, payload, first) })
	s.mu.Unlock()
	if !started {
		return "", ErrClosed
	}
	select {
	case <-first:
		return eventID, nil
	case <-ctx.Done():
		return eventID, ctx.Err()
	}
}

// deliverEvent makes the deliveries of one event until one is acked in time, retries run out or
// the server closes. It closes first after the first delivery's outcome is known.
func (s *Server) deliverEvent(st *eventState, payload json.RawMessage, first chan struct{}) {
	defer func() {
		s.mu.Lock()
		st.finished = true
		s.notifyLocked()
		s.mu.Unlock()
	}()
	ctx := context.Background()
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(s.cfg.EventRetryDelays[attempt-1])
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
				return
			}
		}
		n, reason := attempt, ""
		if attempt > 0 {
			reason = "timeout"
		}
		id := newUUID()
		frame, _ := json.Marshal(wireEnvelope{EnvelopeID: id, Type: "events_api", Payload: payload, RetryAttempt: &n, RetryReason: &reason})
		ok, _, _, err := s.exchange(ctx, &envelope{id: id, kind: "events_api"}, frame)
		if errors.Is(err, ErrClosed) {
			return
		}
		s.mu.Lock()
		st.attempts++
		if ok {
			st.acked, st.ackedAttempt = true, attempt
		}
		s.notifyLocked()
		s.mu.Unlock()
		if attempt == 0 {
			close(first)
		}
		if ok || attempt >= len(s.cfg.EventRetryDelays) {
			return
		}
	}
}

// WaitEventAcked waits until a delivery of the event was acked in time and returns its
// retry_attempt (0 for the first delivery). It returns ErrEventNotAcked once all retries went
// unacked, an error for an unknown event ID, ctx's error or ErrClosed.
func (s *Server) WaitEventAcked(ctx context.Context, eventID string) (retryAttempt int, err error) {
	s.mu.Lock()
	st, ok := s.events[eventID]
	s.mu.Unlock()
	if !ok {
		return 0, fmt.Errorf("slackfake: unknown event %q", eventID)
	}
	if err := s.waitFor(ctx, func() bool { return st.acked || st.finished }); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !st.acked {
		return 0, ErrEventNotAcked
	}
	return st.ackedAttempt, nil
}

// EventDeliveries reports how many times the event has been delivered so far.
func (s *Server) EventDeliveries(eventID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.events[eventID]; ok {
		return st.attempts
	}
	return 0
}

// SendRaw pushes frame, an envelope, to one socket byte for byte and, if it has an envelope_id, waits for its
// ack and returns the ack's payload (nil when the ack had none). It returns ErrAckTimeout when no
// ack came within AckTimeout. Messages without an envelope_id (hello, disconnect) return once
// written.
func (s *Server) SendRaw(ctx context.Context, frame []byte) (ack json.RawMessage, err error) {
	id, kind, err := envelopeMeta(frame)
	if err != nil {
		return nil, err
	}
	env := &envelope{id: id, kind: kind}
	if id == "" {
		return nil, s.deliver(ctx, env, frame)
	}
	ok, _, payload, err := s.exchange(ctx, env, frame)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrAckTimeout
	}
	return payload, nil
}
