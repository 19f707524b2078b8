package slackfake

import (
	"math"
	"time"
)

// Rate-limit tiers, in calls per minute per method (SLACK.md).
const (
	tier1 = 1
	tier2 = 20
	tier3 = 50
	tier4 = 100

	// postBurst is how many chat.postMessage calls a channel takes back to back before the
	// 1-per-interval rate applies.
	postBurst = 3
)

// tierLimit is a method's default calls per minute, or -1 for methods the fake does not limit.
func tierLimit(method string) int {
	switch method {
	case "chat.postEphemeral", "users.info", "views.open", "views.publish", "views.update", "views.push":
		return tier4
	case "chat.update", "users.lookupByEmail", "conversations.open", "conversations.history":
		return tier3
	case "users.list", "usergroups.list", "usergroups.users.list":
		return tier2
	}
	return -1
}

// limiter enforces per-method windows and chat.postMessage's per-channel rate. Guarded by
// Server.mu.
type limiter struct {
	override map[string]int
	interval time.Duration
	window   map[string][]time.Time // method -> accepted calls in the last minute
	channel  map[string]*bucket
}

// bucket is a token bucket of postBurst tokens refilled one per interval.
type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(override map[string]int, interval time.Duration) limiter {
	return limiter{override: override, interval: interval, window: map[string][]time.Time{}, channel: map[string]*bucket{}}
}

func (l *limiter) perMinute(method string) int {
	if n, ok := l.override[method]; ok && n != 0 {
		return n
	}
	return tierLimit(method)
}

// allow records a call of method at now and reports whether it is within the method's per-minute
// limit; if not, retry is how long until a slot frees.
func (l *limiter) allow(method string, now time.Time) (ok bool, retry time.Duration) {
	limit := l.perMinute(method)
	if limit < 0 {
		return true, 0
	}
	w := l.window[method]
	for len(w) > 0 && now.Sub(w[0]) >= time.Minute {
		w = w[1:]
	}
	if len(w) >= limit {
		l.window[method] = w
		return false, w[0].Add(time.Minute).Sub(now)
	}
	l.window[method] = append(w, now)
	return true, 0
}

// allowPost takes a token from channel's bucket at now, or reports how long until one is due.
func (l *limiter) allowPost(channel string, now time.Time) (ok bool, retry time.Duration) {
	b := l.channel[channel]
	if b == nil {
		b = &bucket{tokens: postBurst, at: now}
		l.channel[channel] = b
	}
	if now.After(b.at) {
		b.tokens = math.Min(postBurst, b.tokens+float64(now.Sub(b.at))/float64(l.interval))
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.interval))
}

// retryAfterSeconds is the Retry-After header value for a wait: whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// faults counts calls and holds the failures tests asked for. Guarded by Server.mu.
type faults struct {
	calls    map[string]int
	failNext map[string]failure
	share    map[string]float64
	seen     map[string]int // calls subject to a share, for picking every k-th
}

type failure struct {
	err string
	n   int
}

func newFaults() faults {
	return faults{calls: map[string]int{}, failNext: map[string]failure{}, share: map[string]float64{}, seen: map[string]int{}}
}

// FailNext makes the next n calls of method (a Web API method, or "response_url") answer
// {"ok":false,"error":slackError}. n <= 0 cancels it.
func (s *Server) FailNext(method, slackError string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.faults.failNext, method)
		return
	}
	s.faults.failNext[method] = failure{err: slackError, n: n}
}

// RateLimitShare makes share (0 to 1) of the calls of method answer HTTP 429 with
// Retry-After: 1, deterministically: with share 0.25, every 4th call from now on. 0 stops it.
func (s *Server) RateLimitShare(method string, share float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if share <= 0 {
		delete(s.faults.share, method)
		return
	}
	s.faults.share[method] = min(share, 1)
	s.faults.seen[method] = 0
}

// injectedLocked returns the failure a test asked for on this call of method: a Slack error code,
// or limited for a 429. The caller holds s.mu.
func (s *Server) injectedLocked(method string) (slackErr string, limited bool) {
	if f, ok := s.faults.failNext[method]; ok {
		f.n--
		if f.n <= 0 {
			delete(s.faults.failNext, method)
		} else {
			s.faults.failNext[method] = f
		}
		return f.err, false
	}
	if share, ok := s.faults.share[method]; ok {
		s.faults.seen[method]++
		k := max(1, int(math.Round(1/share)))
		return "", s.faults.seen[method]%k == 0
	}
	return "", false
}
