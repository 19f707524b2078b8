package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socket is one Socket Mode WebSocket connection.
type socket struct {
	ws   *websocket.Conn
	host string        // debug_info.host
	gone chan struct{} // closed once the socket is removed from the server

	wmu sync.Mutex // serialises data frames; gorilla allows one writer at a time
}

func (c *socket) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// closeGracefully sends a close frame, then closes the connection.
func (c *socket) closeGracefully() {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	_ = c.ws.Close()
}

// envelope is one delivery awaiting its ack.
type envelope struct {
	id     string
	kind   string // slash_commands, interactive, events_api, or what a raw envelope says
	sentAt time.Time
	acked  chan struct{} // closed when the ack arrives

	// Set under Server.mu when the ack arrives.
	ackedAt time.Time
	payload json.RawMessage

	// Where an ack payload would be shown, for recording it as a Message.
	channel, user, responseURL string
	submission                 bool // a view_submission, whose ack payload is a response_action
}

// hello is the first message on every socket, shaped like real captures.
type hello struct {
	Type           string `json:"type"`
	NumConnections int    `json:"num_connections"`
	DebugInfo      struct {
		Host                      string `json:"host"`
		BuildNumber               int    `json:"build_number"`
		ApproximateConnectionTime int    `json:"approximate_connection_time"`
	} `json:"debug_info"`
	ConnectionInfo struct {
		AppID string `json:"app_id"`
	} `json:"connection_info"`
}

type disconnect struct {
	Type      string `json:"type"`
	Reason    string `json:"reason"`
	DebugInfo struct {
		Host string `json:"host"`
	} `json:"debug_info"`
}

func disconnectFrame(reason, host string) []byte {
	d := disconnect{Type: "disconnect", Reason: reason}
	d.DebugInfo.Host = host
	b, _ := json.Marshal(d)
	return b
}

// serveLink upgrades a ticketed request to a Socket Mode connection. A ticket works once.
func (s *Server) serveLink(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	ok := s.tickets[ticket] && !s.closed
	delete(s.tickets, ticket)
	s.mu.Unlock()
	if !ok {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		s.cfg.Logf("slackfake: upgrade: %v", err)
		return
	}
	ws.SetReadLimit(1 << 20)

	// The slot is reserved before hello goes out, so that hello is always the socket's first
	// frame and concurrent handshakes cannot exceed maxSockets.
	s.mu.Lock()
	n := s.nextSeqLocked()
	c := &socket{ws: ws, host: fmt.Sprintf("applink-fake-%d", n), gone: make(chan struct{})}
	count := len(s.conns) + s.joining + 1
	if count <= maxSockets {
		s.joining++
	}
	s.mu.Unlock()

	if count > maxSockets {
		_ = c.write(disconnectFrame("too_many_websockets", c.host))
		c.closeGracefully()
		return
	}
	h := hello{Type: "hello", NumConnections: count}
	h.DebugInfo.Host = c.host
	h.DebugInfo.BuildNumber = 1
	h.DebugInfo.ApproximateConnectionTime = 18060
	h.ConnectionInfo.AppID = AppID
	b, _ := json.Marshal(h)
	err = c.write(b)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.joining--
	if err != nil || s.closed {
		_ = ws.Close()
		return
	}
	s.conns = append(s.conns, c)
	s.connects++
	s.notifyLocked()
	s.goLocked(func() { s.readAcks(c) })
	s.goLocked(func() { s.ping(c) })
	s.cfg.Logf("slackfake: socket %s connected (%d open)", c.host, len(s.conns))
}

// ping sends a WebSocket ping every PingInterval until the socket goes.
func (s *Server) ping(c *socket) {
	t := time.NewTicker(s.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-c.gone:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(s.cfg.PingInterval)); err != nil {
				s.removeSocket(c)
				return
			}
		}
	}
}

// readAcks reads the app's acks until the socket fails or closes.
func (s *Server) readAcks(c *socket) {
	defer s.removeSocket(c)
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		s.handleAck(b)
	}
}

// handleAck records an ack: {"envelope_id":"…"} with an optional "payload". Like Slack it drops
// acks of maxAckSize bytes or more and acks of unknown envelopes.
func (s *Server) handleAck(b []byte) {
	if len(b) >= maxAckSize {
		s.cfg.Logf("slackfake: dropped a %d-byte ack (Slack drops acks of %d bytes or more)", len(b), maxAckSize)
		return
	}
	var ack struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(b, &ack); err != nil || ack.EnvelopeID == "" {
		s.cfg.Logf("slackfake: ignored a frame that is not an ack: %.200s", b)
		return
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	env, ok := s.pending[ack.EnvelopeID]
	if !ok {
		s.cfg.Logf("slackfake: ack for unknown envelope %s", ack.EnvelopeID)
		return
	}
	if !env.ackedAt.IsZero() {
		return // a duplicate ack changes nothing
	}
	env.ackedAt = now
	if len(ack.Payload) > 0 && string(ack.Payload) != "null" {
		env.payload = append(json.RawMessage(nil), ack.Payload...)
	}
	close(env.acked)
	if now.Sub(env.sentAt) <= s.cfg.AckTimeout {
		s.recordAckLocked(env)
	}
	s.notifyLocked()
}

// recordAckLocked records an in-time ack payload that shows something to the user: the message
// of a slash command, or the response_action of a view submission. The caller holds s.mu.
func (s *Server) recordAckLocked(env *envelope) {
	var p struct {
		Text           string          `json:"text"`
		Blocks         json.RawMessage `json:"blocks"`
		ResponseType   string          `json:"response_type"`
		ResponseAction string          `json:"response_action"`
		View           json.RawMessage `json:"view"`
	}
	if env.payload == nil || json.Unmarshal(env.payload, &p) != nil {
		return
	}
	switch {
	case env.kind == "slash_commands" && (p.Text != "" || len(p.Blocks) > 0):
		m := Message{Method: "ack", Channel: env.channel, Text: p.Text, Blocks: p.Blocks,
			ResponseType: p.ResponseType, EnvelopeID: env.id, ResponseURL: env.responseURL}
		if m.ResponseType == "in_channel" {
			m.TS = s.storeLocked(env.channel, &stored{Text: p.Text, Blocks: p.Blocks})
		} else {
			m.ResponseType = "ephemeral"
			m.User = env.user
		}
		s.recordLocked(m)
	case env.submission && p.ResponseAction != "":
		s.recordLocked(Message{Method: "ack", User: env.user, View: p.View, ResponseType: p.ResponseAction, EnvelopeID: env.id})
	}
}

// removeSocket forgets c and closes it without a close frame. It is idempotent.
func (s *Server) removeSocket(c *socket) {
	s.mu.Lock()
	s.unlinkLocked(c)
	s.mu.Unlock()
	_ = c.ws.Close()
}

// unlinkLocked removes c from the open sockets. The caller holds s.mu.
func (s *Server) unlinkLocked(c *socket) {
	for i, x := range s.conns {
		if x == c {
			s.conns = append(s.conns[:i:i], s.conns[i+1:]...)
			close(c.gone)
			s.notifyLocked()
			return
		}
	}
}

// Connections reports how many Socket Mode connections are open.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Connects reports how many Socket Mode connections have been accepted since New, so that a test
// can wait for a reconnect.
func (s *Server) Connects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connects
}

// WaitConnected blocks until at least n sockets are open. It returns ctx's error or ErrClosed.
func (s *Server) WaitConnected(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return len(s.conns) >= n })
}

// WaitConnects blocks until at least n connections have been accepted since New.
func (s *Server) WaitConnects(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return s.connects >= n })
}

// Disconnect sends every socket a disconnect message with reason ("warning",
// "refresh_requested", "link_disabled", "too_many_websockets"). For "warning" the sockets stay
// open, as Slack keeps them for a few seconds; for any other reason they are closed at once.
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	conns := append([]*socket(nil), s.conns...)
	if reason != "warning" {
		for _, c := range conns {
			s.unlinkLocked(c)
		}
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.write(disconnectFrame(reason, c.host))
		if reason != "warning" {
			c.closeGracefully()
		}
	}
}

// DropConnections closes every socket abruptly, with no disconnect message or close frame.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := append([]*socket(nil), s.conns...)
	for _, c := range conns {
		s.unlinkLocked(c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.Close()
	}
}

// deliver pushes frame, the envelope env, to one open socket (round robin), waiting up to
// AckTimeout for a socket to be open. It returns ErrNoConnection if none opened, ErrClosed or
// ctx's error. env is registered for its ack before the frame is written.
func (s *Server) deliver(ctx context.Context, env *envelope, frame []byte) error {
	wait, cancel := context.WithTimeout(ctx, s.cfg.AckTimeout)
	defer cancel()
	for {
		if err := s.waitFor(wait, func() bool { return len(s.conns) > 0 }); err != nil {
			if ctx.Err() == nil && err == context.DeadlineExceeded {
				return ErrNoConnection
			}
			return err
		}
		s.mu.Lock()
		if len(s.conns) == 0 {
			s.mu.Unlock()
			continue
		}
		c := s.conns[s.rr%len(s.conns)]
		s.rr++
		env.sentAt = time.Now()
		env.acked = make(chan struct{})
		if env.id != "" {
			s.pending[env.id] = env
		}
		s.mu.Unlock()
		if err := c.write(frame); err != nil {
			s.cfg.Logf("slackfake: write to %s: %v", c.host, err)
			s.removeSocket(c)
			continue
		}
		return nil
	}
}

// awaitAck waits for env's ack until AckTimeout after it was sent. It reports whether the ack
// came in time, with its latency and payload.
func (s *Server) awaitAck(ctx context.Context, env *envelope) (ok bool, latency time.Duration, payload json.RawMessage, err error) {
	t := time.NewTimer(time.Until(env.sentAt.Add(s.cfg.AckTimeout)))
	defer t.Stop()
	select {
	case <-env.acked:
	case <-t.C:
	case <-ctx.Done():
		return false, 0, nil, ctx.Err()
	case <-s.done:
		return false, 0, nil, ErrClosed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if env.ackedAt.IsZero() {
		return false, 0, nil, nil
	}
	latency = env.ackedAt.Sub(env.sentAt)
	return latency <= s.cfg.AckTimeout, latency, env.payload, nil
}

// envelopeMeta reads the envelope_id and type of a raw envelope.
func envelopeMeta(b []byte) (id, kind string, err error) {
	var m struct {
		EnvelopeID string `json:"envelope_id"`
		Type       string `json:"type"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", "", fmt.Errorf("slackfake: envelope is not JSON: %w", err)
	}
	return m.EnvelopeID, strings.TrimSpace(m.Type), nil
}
