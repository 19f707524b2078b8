package slackfake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Identity of the fake workspace and app, as they appear in payloads and API answers.
const (
	TeamID     = "T0FAKETEAM"
	TeamDomain = "repcoach-fake"
	TeamName   = "RepCoach Fake"
	AppID      = "A0FAKEAPP1"
	BotID      = "B0FAKEBOT1"
	BotUserID  = "U0REPCOACH"

	// maxSockets is how many Socket Mode connections Slack allows per app.
	maxSockets = 10
	// maxAckSize is the size from which Slack silently drops a Socket Mode ack.
	maxAckSize = 20 * 1024
	// maxPingInterval is the longest ping interval that keeps slack-go connected with margin.
	maxPingInterval = 10 * time.Second
	// maxEventRetries is how often Slack redelivers an unacknowledged event.
	maxEventRetries = 3
)

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("slackfake: server closed")

// ErrNoConnection is returned when no Socket Mode connection became available within AckTimeout.
var ErrNoConnection = errors.New("slackfake: no socket mode connection")

// Config configures a Server. The zero value is a usable default workspace.
type Config struct {
	Users      []User              // workspace members (default: DefaultUsers())
	UserGroups map[string][]string // handle -> member IDs (default: DefaultUserGroups())
	AppToken   string              // accepted app-level token (default "xapp-1-fake")
	BotToken   string              // accepted bot token (default "xoxb-fake")
	// BotScopes are the scopes the bot token was granted (default: AllBotScopes()). A call
	// whose method needs a scope the token lacks fails with missing_scope, users.list and
	// users.info leave out emails without users:read.email, and chat.postMessage in a
	// public channel the bot is not in fails with not_in_channel without chat:write.public.
	BotScopes []string
	// Channels are the workspace's channels. Nil means every C… ID is a
	// public channel the bot is not in and every G… ID a private one it is
	// in; otherwise only these exist (conversations.info, chat.postMessage).
	Channels []Channel
	// RevokedTokens are tokens that look right but were revoked: calls with them fail with
	// token_revoked, as after an uninstall.
	RevokedTokens    []string
	AckTimeout       time.Duration   // Socket Mode ack deadline (default 3s)
	EventRetryDelays []time.Duration // waits before each redelivery (default {0, 1m, 5m}); at most 3 are used
	PingInterval     time.Duration   // WebSocket ping period (default 5s, at most 10s)
	// Limits overrides calls per minute per Web API method: absent or 0 keeps the tier default,
	// negative means unlimited. For chat.postMessage a positive value adds a workspace-wide cap
	// and a negative one also lifts the per-channel rate (for benchmarks).
	Limits map[string]int
	// PerChannelPostInterval is chat.postMessage's sustained rate per channel (default 1s); a
	// burst of 3 is tolerated.
	PerChannelPostInterval time.Duration
	Now                    func() time.Time // clock for ts, expiry and rate windows (default time.Now)
	Logf                   func(format string, args ...any)
}

// Server is a running fake Slack. Its methods are safe for concurrent use.
type Server struct {
	cfg  Config
	ln   net.Listener
	http *http.Server
	base string // http://127.0.0.1:PORT

	done chan struct{} // closed by Close
	wg   sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	changed chan struct{} // closed and replaced on every state change
	seq     uint64        // for ids
	lastTS  int64         // microseconds of the last ts handed out

	dir       directory
	tickets   map[string]bool // unused apps.connections.open tickets
	conns     []*socket
	joining   int // sockets between upgrade and hello
	rr        int
	connects  int
	pending   map[string]*envelope
	events    map[string]*eventState
	messages  []Message
	history   map[string][]*stored // channel -> messages, oldest first
	triggers  map[string]*trigger
	responses map[string]*responseURL
	views     map[string]*view // view ID -> view
	homes     map[string]string
	limits    limiter
	faults    faults
	// uninstalled: every token is revoked (Uninstall).
	uninstalled bool
}

// New starts a fake Slack listening on 127.0.0.1 on a free port. Close releases it.
func New(cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("slackfake: listen: %w", err)
	}
	s := &Server{
		cfg:       cfg,
		ln:        ln,
		base:      "http://" + ln.Addr().String(),
		done:      make(chan struct{}),
		changed:   make(chan struct{}),
		dir:       newDirectory(cfg.Users, cfg.UserGroups),
		tickets:   map[string]bool{},
		pending:   map[string]*envelope{},
		events:    map[string]*eventState{},
		history:   map[string][]*stored{},
		triggers:  map[string]*trigger{},
		responses: map[string]*responseURL{},
		views:     map[string]*view{},
		homes:     map[string]string{},
		limits:    newLimiter(cfg.Limits, cfg.PerChannelPostInterval),
		faults:    newFaults(),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("/link/", s.serveLink)
	mux.HandleFunc("/commands/", s.serveResponseURL)
	mux.HandleFunc("/actions/", s.serveResponseURL)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Go(func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Logf("slackfake: serve: %v", err)
		}
	})
	return s, nil
}

func (c *Config) setDefaults() error {
	if c.Users == nil {
		c.Users = DefaultUsers()
	}
	if c.UserGroups == nil {
		c.UserGroups = DefaultUserGroups()
	}
	if c.AppToken == "" {
		c.AppToken = "xapp-1-fake"
	}
	if c.BotToken == "" {
		c.BotToken = "xoxb-fake"
	}
	if c.BotScopes == nil {
		c.BotScopes = AllBotScopes()
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = 3 * time.Second
	}
	if c.EventRetryDelays == nil {
		c.EventRetryDelays = []time.Duration{0, time.Minute, 5 * time.Minute}
	}
	if len(c.EventRetryDelays) > maxEventRetries {
		c.EventRetryDelays = c.EventRetryDelays[:maxEventRetries]
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 5 * time.Second
	}
	if c.PingInterval > maxPingInterval {
		return fmt.Errorf("slackfake: PingInterval %v exceeds %v: slack-go would drop the socket", c.PingInterval, maxPingInterval)
	}
	if c.PerChannelPostInterval <= 0 {
		c.PerChannelPostInterval = time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return nil
}

// Close closes every socket, stops the server and waits for all its goroutines. It is safe to
// call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	conns := s.conns
	s.conns = nil
	s.notifyLocked()
	s.mu.Unlock()

	for _, c := range conns {
		c.closeGracefully()
	}
	err := s.http.Close()
	s.wg.Wait()
	return err
}

// APIURL is the Web API base URL with its trailing slash, for slack.OptionAPIURL.
func (s *Server) APIURL() string { return s.base + "/api/" }

// goLocked runs f in a goroutine that Close waits for. It reports false, and does not run f, once
// the server is closed. The caller holds s.mu.
func (s *Server) goLocked(f func()) bool {
	if s.closed {
		return false
	}
	s.wg.Go(f)
	return true
}

// notifyLocked wakes every waiter. The caller holds s.mu.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor blocks until cond, evaluated under s.mu, holds, or ctx ends, or the server closes.
func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		if cond() {
			s.mu.Unlock()
			return nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return ErrClosed
		}
	}
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newUUID returns a random version 4 UUID, the form of Slack's envelope IDs.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// nextSeqLocked returns a fresh number for IDs. The caller holds s.mu.
func (s *Server) nextSeqLocked() uint64 {
	s.seq++
	return s.seq
}

// newTSLocked returns a message timestamp ("1610241741.000200") unique in the workspace and not
// before Config.Now. The caller holds s.mu.
func (s *Server) newTSLocked() string {
	us := s.cfg.Now().UnixMicro()
	if us <= s.lastTS {
		us = s.lastTS + 1
	}
	s.lastTS = us
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}
