package slackfake

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Message is something the app showed to users: a Web API post or update, a response_url post,
// an ack payload, or a view.
type Message struct {
	// Method is "chat.postMessage", "chat.postEphemeral", "chat.update", "response_url", "ack",
	// "views.open", "views.publish" or "views.update".
	Method  string
	Channel string // conversation ID; a DM is D…, even when the app posted to a user ID
	// User is the ephemeral message's target or the view's user; empty for visible messages.
	User     string
	Text     string
	TS       string // ts of a stored message (chat.postMessage, chat.update, in-channel replies)
	ThreadTS string
	// ResponseType is "ephemeral" or "in_channel" for response_url posts and command acks, and the
	// response_action ("update", "push", "errors", "clear") for a view submission's ack.
	ResponseType    string
	Blocks          json.RawMessage
	View            json.RawMessage
	ReplaceOriginal bool
	DeleteOriginal  bool
	Metadata        json.RawMessage
	At              time.Time // Config.Now when recorded

	EnvelopeID  string // for acks, the envelope acknowledged
	ResponseURL string // for response_url posts and command acks, the URL answered
}

// stored is a message kept in a conversation's history.
type stored struct {
	TS, ThreadTS, Text string
	Blocks, Metadata   json.RawMessage
}

// recordLocked appends m and wakes waiters. The caller holds s.mu.
func (s *Server) recordLocked(m Message) {
	m.At = s.cfg.Now()
	s.messages = append(s.messages, m)
	s.notifyLocked()
}

// storeLocked appends a bot message to channel's history and returns its new ts. The caller holds
// s.mu.
func (s *Server) storeLocked(channel string, m *stored) string {
	m.TS = s.newTSLocked()
	s.history[channel] = append(s.history[channel], m)
	return m.TS
}

// findLocked returns the stored message ts in channel, or nil. The caller holds s.mu.
func (s *Server) findLocked(channel, ts string) *stored {
	for _, m := range s.history[channel] {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

// Messages returns a copy of everything recorded so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// MessagesTo returns the recorded messages in the conversation channelOrUser, or shown to that
// user: posted in their DM, or ephemeral or a view for them.
func (s *Server) MessagesTo(channelOrUser string) []Message {
	dm := ""
	if strings.HasPrefix(channelOrUser, "U") || strings.HasPrefix(channelOrUser, "W") {
		dm = DMChannel(channelOrUser)
	}
	var out []Message
	for _, m := range s.Messages() {
		if m.Channel == channelOrUser || m.User == channelOrUser || (dm != "" && m.Channel == dm) {
			out = append(out, m)
		}
	}
	return out
}

// WaitMessage returns the first recorded message, already recorded or yet to come, for which
// match is true. It returns ctx's error or ErrClosed.
func (s *Server) WaitMessage(ctx context.Context, match func(Message) bool) (Message, error) {
	return s.waitMessageFrom(ctx, 0, match)
}

func (s *Server) waitMessageFrom(ctx context.Context, from int, match func(Message) bool) (Message, error) {
	var found Message
	err := s.waitFor(ctx, func() bool {
		for ; from < len(s.messages); from++ {
			if match(s.messages[from]) {
				found = s.messages[from]
				return true
			}
		}
		return false
	})
	return found, err
}

// Calls reports how many Web API calls of method the server has seen, rejected ones included.
// Posts to response URLs count as method "response_url".
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.calls[method]
}

// DMChannel returns the ID of the bot's DM conversation with userID (U… or W…).
func DMChannel(userID string) string {
	if len(userID) < 2 {
		return "D" + userID
	}
	return "D" + userID[1:]
}

// DMChannel returns the ID of the bot's DM conversation with userID.
func (s *Server) DMChannel(userID string) string { return DMChannel(userID) }

// dmUser returns the user whose DM with the bot is channel.
func (s *Server) dmUserLocked(channel string) (User, bool) {
	if !strings.HasPrefix(channel, "D") {
		return User{}, false
	}
	for _, p := range []string{"U", "W"} {
		if u, ok := s.dir.user(p + channel[1:]); ok {
			return u, true
		}
	}
	return User{}, false
}
