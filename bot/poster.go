package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Outgoing is a message to send: Text is the notification and fallback
// text, Blocks the Block Kit layout (may be empty). The caller is expected to
// have checked it against Slack's Block Kit limits.
type Outgoing struct {
	Text   string
	Blocks []slack.Block
}

// ClaimState is what a Ledger says about a delivery when it is claimed.
type ClaimState int

// The claim states. The zero value is not a valid state.
const (
	// ClaimNew: the caller holds the lease and nobody claimed the delivery
	// before (or the caller renewed its own live lease): send it.
	ClaimNew ClaimState = iota + 1
	// ClaimReclaimed: the caller holds the lease, but an earlier claim
	// lapsed without being marked delivered; its holder may have posted
	// before it died, so look before sending.
	ClaimReclaimed
	// ClaimSent: the delivery was marked delivered; do not send.
	ClaimSent
	// ClaimHeld: another owner holds a live lease; do not send now.
	ClaimHeld
)

func (c ClaimState) String() string {
	switch c {
	case ClaimNew:
		return "new"
	case ClaimReclaimed:
		return "reclaimed"
	case ClaimSent:
		return "sent"
	case ClaimHeld:
		return "held"
	}
	return fmt.Sprintf("ClaimState(%d)", int(c))
}

// Ledger records which deliveries were sent, shared by every replica. cmd
// implements it over the Redis store.
type Ledger interface {
	// Claim claims delivery key for owner with a lease that lapses after
	// lease unless the delivery is marked first. A live lease held by the
	// same owner is renewed and reported ClaimNew.
	Claim(ctx context.Context, key, owner string, lease time.Duration) (ClaimState, error)
	// MarkDelivered records that key was sent as the message ts. Only the
	// owner holding the lease (or the last claimer, if nobody claimed
	// since its lease lapsed) may mark it.
	MarkDelivered(ctx context.Context, key, owner, ts string) error
}

// DeliveryEventType is the message metadata event_type the Poster attaches
// to every delivery, with the payload {"key": <delivery key>}. It is how a
// delivery that was posted but never recorded is found again in the
// conversation's history.
const DeliveryEventType = "repcoach_delivery"

var (
	// ErrHeld means another owner (replica) holds the delivery's lease
	// right now: nothing was sent, and the caller may try again later.
	ErrHeld = errors.New("delivery held by another owner")
	// ErrPermanent marks a Slack error that retrying cannot fix
	// (channel_not_found, invalid_blocks, msg_too_long, …). Errors that
	// wrap it also wrap the slack.SlackErrorResponse or
	// slack.StatusCodeError that Slack answered.
	ErrPermanent = errors.New("permanent Slack error")
)

// PosterConfig configures a Poster. The zero value gets the defaults noted.
type PosterConfig struct {
	// Rate is how many chat.postMessage calls per second the Poster makes
	// workspace-wide (default 1, a conservative guess at the limit Slack
	// does not publish). Burst is how many it may make at once (default 1).
	Rate  float64
	Burst int
	// PerChannel is the least spacing between two posts in one
	// conversation (default 1 s, Slack's per-channel rate).
	PerChannel time.Duration
	// MaxRetries bounds retries after transient failures (network errors,
	// 5xx, internal_error, …) of one post (default 5). Waiting out a 429
	// is not a failure: it is bounded only by the context.
	MaxRetries int
	// Lease is how long a claimed delivery stays reserved for this Poster
	// before another may take it over (default 2 min).
	Lease time.Duration
	// DryRun logs what would be sent (recipient, key, text length) and
	// posts nothing; the ledger is left untouched.
	DryRun bool
	Logger *slog.Logger
	// Owner names this process in the ledger; it must be unique per
	// process (default host-pid-random).
	Owner string
}

// Poster is the one way RepCoach posts messages: it paces itself to Slack's
// limits (a workspace-wide token bucket and a spacing per conversation),
// waits out 429 answers, retries transient failures and, through a Ledger,
// delivers each scheduled message exactly once across restarts and
// replicas. It is safe for concurrent use.
type Poster struct {
	api    *slack.Client
	ledger Ledger
	cfg    PosterConfig
	log    *slog.Logger

	global *tokenBucket
	chans  *spacer

	// Knobs for tests.
	backoff     time.Duration // first backoff after a transient failure
	maxBackoff  time.Duration
	historyMax  int // most history pages searched for a delivery
	postTimeout time.Duration

	mu       sync.Mutex
	dms      map[string]string // user ID -> DM conversation ID, learnt from posts
	unmarked map[string]string // delivery key -> ts posted by this process, not yet recorded
	suspect  map[string]bool   // delivery keys whose post may have landed unseen
}

// NewPoster returns a Poster posting through api and recording deliveries
// in ledger (which may be nil if only Post is used).
func NewPoster(api *slack.Client, ledger Ledger, cfg PosterConfig) *Poster {
	if cfg.Rate <= 0 {
		cfg.Rate = 1
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 1
	}
	if cfg.PerChannel <= 0 {
		cfg.PerChannel = time.Second
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 5
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Owner == "" {
		cfg.Owner = defaultOwner()
	}
	return &Poster{
		api:         api,
		ledger:      ledger,
		cfg:         cfg,
		log:         cfg.Logger,
		global:      newTokenBucket(cfg.Rate, cfg.Burst),
		chans:       newSpacer(cfg.PerChannel),
		backoff:     500 * time.Millisecond,
		maxBackoff:  30 * time.Second,
		historyMax:  5,
		postTimeout: min(30*time.Second, cfg.Lease/4),
		dms:         map[string]string{},
		unmarked:    map[string]string{},
		suspect:     map[string]bool{},
	}
}

// Owner returns the name this Poster claims deliveries under.
func (p *Poster) Owner() string { return p.cfg.Owner }

// DryRun reports whether the Poster only logs.
func (p *Poster) DryRun() bool { return p.cfg.DryRun }

func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "repcoach"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Deliver posts msg to channel (a conversation ID, or a user ID for the
// bot's DM with that user, without conversations.open) exactly once for key
// across restarts and replicas that share the Ledger.
//
// It claims key in the ledger, then: if the delivery was already sent it
// returns ("", false, nil); if another owner holds it, an error wrapping
// ErrHeld; if an earlier claim lapsed unrecorded, it looks in the
// conversation's recent history for a message carrying key in its metadata
// and, when found, records that message and returns (its ts, false, nil).
// Otherwise it posts msg with the metadata, records it and returns (ts,
// true, nil). A post that succeeded but could not be recorded returns (ts,
// true, err): the message is out, and this Poster (or, after the lease,
// any other through the history) records it on the next Deliver of key.
//
// A permanent Slack error is returned at once and wraps ErrPermanent. Once
// a post is under way it is finished even if ctx ends, so that it is
// recorded; waits before it end with ctx. In DryRun mode Deliver logs and
// returns ("", false, nil).
func (p *Poster) Deliver(ctx context.Context, key, channel string, msg Outgoing) (ts string, sent bool, err error) {
	if key == "" || channel == "" {
		return "", false, fmt.Errorf("deliver %q to %q: empty key or channel", key, channel)
	}
	if p.cfg.DryRun {
		p.logDry(key, channel, msg)
		return "", false, nil
	}
	if p.ledger == nil {
		return "", false, fmt.Errorf("deliver %s: poster has no ledger", key)
	}
	l := &deliveryLease{key: key}
	st, err := p.claim(ctx, l)
	if err != nil {
		return "", false, err
	}
	switch st {
	case ClaimSent:
		p.forgetUnmarked(key)
		return "", false, nil
	case ClaimHeld:
		return "", false, fmt.Errorf("deliver %s: %w", key, ErrHeld)
	case ClaimNew, ClaimReclaimed:
	default:
		return "", false, fmt.Errorf("deliver %s: ledger answered %v", key, st)
	}
	if ts, ok := p.unmarkedTS(key); ok {
		// This process posted it before but could not record it.
		return ts, false, p.mark(ctx, key, ts)
	}
	if st == ClaimReclaimed || p.isSuspect(key) {
		ts, found, err := p.findDelivery(ctx, channel, key)
		if err != nil {
			return "", false, fmt.Errorf("deliver %s: look for an earlier post: %w", key, err)
		}
		if found {
			p.log.Info("delivery found already posted; recorded", "key", key, "channel", channel, "ts", ts)
			return ts, false, p.mark(ctx, key, ts)
		}
	}
	ts, err = p.post(ctx, channel, msg, l)
	if errors.Is(err, errFoundPosted) {
		return ts, false, p.mark(ctx, key, ts)
	}
	if errors.Is(err, errLostLease) {
		// Another owner took over, or it was marked sent meanwhile.
		if errors.Is(err, ErrHeld) {
			return "", false, fmt.Errorf("deliver %s: %w", key, ErrHeld)
		}
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("deliver %s: %w", key, err)
	}
	if err := p.mark(ctx, key, ts); err != nil {
		return ts, true, err
	}
	return ts, true, nil
}

// Post posts msg to channel (a conversation ID, or a user ID for the bot's
// DM) without the ledger, paced and retried like Deliver: for interactive
// answers that need pacing but not exactly-once. A post retried after a
// network failure may, rarely, show twice. In DryRun mode it logs and
// returns "".
func (p *Poster) Post(ctx context.Context, channel string, msg Outgoing) (ts string, err error) {
	if channel == "" {
		return "", errors.New("post: empty channel")
	}
	if p.cfg.DryRun {
		p.logDry("", channel, msg)
		return "", nil
	}
	return p.post(ctx, channel, msg, nil)
}

func (p *Poster) logDry(key, channel string, msg Outgoing) {
	p.log.Info("dry run: would post", "channel", channel, "key", key, "text_len", len(msg.Text), "blocks", len(msg.Blocks))
}

// deliveryLease tracks this Poster's claim on one delivery.
type deliveryLease struct {
	key string
	at  time.Time // when it was last claimed or renewed
}

func (p *Poster) claim(ctx context.Context, l *deliveryLease) (ClaimState, error) {
	st, err := p.ledger.Claim(ctx, l.key, p.cfg.Owner, p.cfg.Lease)
	if err != nil {
		return 0, fmt.Errorf("claim delivery %s: %w", l.key, err)
	}
	l.at = time.Now()
	return st, nil
}

// Sentinels between post and Deliver.
var (
	errFoundPosted = errors.New("found already posted")
	errLostLease   = errors.New("lease lost")
)

// renew keeps l alive before a post: a lease more than half spent is
// claimed again. It reports check=true when the lease had lapsed and was
// reclaimed, so the history must be searched before posting.
func (p *Poster) renew(ctx context.Context, l *deliveryLease) (check bool, err error) {
	if time.Since(l.at) < p.cfg.Lease/2 {
		return false, nil
	}
	st, err := p.claim(ctx, l)
	if err != nil {
		return false, err
	}
	switch st {
	case ClaimNew:
		return false, nil
	case ClaimReclaimed:
		return true, nil
	case ClaimHeld:
		return false, fmt.Errorf("%w: %w", errLostLease, ErrHeld)
	default:
		return false, errLostLease
	}
}

// post sends msg, pacing and retrying. With l set (a delivery) it attaches
// the delivery metadata, keeps the lease alive and, after a failure that
// may have posted anyway, looks in the history before posting again (then
// returning the ts found and errFoundPosted).
func (p *Poster) post(ctx context.Context, channel string, msg Outgoing, l *deliveryLease) (_ string, err error) {
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false)}
	if len(msg.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(msg.Blocks...))
	}
	if l != nil {
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType:    DeliveryEventType,
			EventPayload: map[string]any{"key": l.key},
		}))
	}
	failures := 0
	check := false // the history must be searched before the next post
	defer func() {
		// Giving up while a post may have landed: the next Deliver of this
		// key looks in the history first, whoever holds the lease then.
		if check && l != nil && err != nil && !errors.Is(err, errFoundPosted) {
			p.mu.Lock()
			p.suspect[l.key] = true
			p.mu.Unlock()
		}
	}()
	var lastErr error
	fail := func(err error) error {
		failures++
		lastErr = err
		if failures > p.cfg.MaxRetries {
			return fmt.Errorf("chat.postMessage to %s: giving up after %d failures: %w", channel, failures, err)
		}
		p.log.Warn("chat.postMessage failed; retrying", "channel", channel, "attempt", failures, "err", err)
		return waitCtx(ctx, p.backoffFor(failures))
	}
	for {
		if err := p.pace(ctx, channel); err != nil {
			return "", err
		}
		if l != nil {
			again, err := p.renew(ctx, l)
			if err != nil {
				if errors.Is(err, errLostLease) {
					return "", err
				}
				if err := fail(err); err != nil {
					return "", err
				}
				continue
			}
			if check || again {
				ts, found, err := p.findDelivery(ctx, channel, l.key)
				if err != nil {
					if ctx.Err() != nil {
						return "", ctx.Err()
					}
					if err := fail(fmt.Errorf("look for an earlier post after %v: %w", lastErr, err)); err != nil {
						return "", err
					}
					continue
				}
				if found {
					return ts, errFoundPosted
				}
				check = false
			}
		}
		// A post under way is finished even if ctx ends, so that it can be
		// recorded; postTimeout keeps it well inside the lease.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.postTimeout)
		conv, ts, err := p.api.PostMessageContext(pctx, channel, opts...)
		cancel()
		if err == nil {
			p.rememberDM(channel, conv)
			return ts, nil
		}
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			wait := max(rl.RetryAfter, 100*time.Millisecond)
			p.log.Debug("chat.postMessage rate limited; waiting", "channel", channel, "retry_after", wait)
			now := time.Now()
			p.global.pauseUntil(now.Add(wait))
			p.chans.pauseUntil(channel, now.Add(wait))
			if err := ctx.Err(); err != nil {
				return "", err
			}
			continue
		}
		switch classify(err) {
		case errPermanent:
			return "", fmt.Errorf("chat.postMessage to %s: %w: %w", channel, ErrPermanent, err)
		case errMaybePosted:
			check = l != nil
		}
		if err := fail(err); err != nil {
			return "", err
		}
	}
}

// isSuspect reports whether a post of key may have landed unseen.
func (p *Poster) isSuspect(key string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.suspect[key]
}

// mark records a posted delivery; on failure it remembers ts so that the
// next Deliver of key records it instead of posting again. It finishes
// even if ctx ends.
func (p *Poster) mark(ctx context.Context, key, ts string) error {
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := p.ledger.MarkDelivered(mctx, key, p.cfg.Owner, ts); err != nil {
		p.mu.Lock()
		p.unmarked[key] = ts
		p.mu.Unlock()
		return fmt.Errorf("posted delivery %s (ts %s) but could not record it: %w", key, ts, err)
	}
	p.forgetUnmarked(key)
	return nil
}

func (p *Poster) unmarkedTS(key string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ts, ok := p.unmarked[key]
	return ts, ok
}

func (p *Poster) forgetUnmarked(key string) {
	p.mu.Lock()
	delete(p.unmarked, key)
	delete(p.suspect, key)
	p.mu.Unlock()
}

func (p *Poster) rememberDM(channel, conv string) {
	if isUserID(channel) && conv != "" {
		p.mu.Lock()
		p.dms[channel] = conv
		p.mu.Unlock()
	}
}

func isUserID(ch string) bool { return strings.HasPrefix(ch, "U") || strings.HasPrefix(ch, "W") }

// conversation returns the conversation ID for channel: a user ID becomes
// the bot's DM with that user (conversations.open, only here: looking for
// an earlier post is rare).
func (p *Poster) conversation(ctx context.Context, channel string) (string, error) {
	if !isUserID(channel) {
		return channel, nil
	}
	p.mu.Lock()
	dm, ok := p.dms[channel]
	p.mu.Unlock()
	if ok {
		return dm, nil
	}
	for {
		ch, _, _, err := p.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{channel}})
		if wait, ok := rateLimited(err); ok {
			if err := waitCtx(ctx, wait); err != nil {
				return "", err
			}
			continue
		}
		if err != nil {
			return "", fmt.Errorf("conversations.open with %s: %w", channel, err)
		}
		p.rememberDM(channel, ch.ID)
		return ch.ID, nil
	}
}

// findDelivery looks through the newest messages of channel (at most
// historyMax pages of 200) for one whose metadata carries key.
func (p *Poster) findDelivery(ctx context.Context, channel, key string) (ts string, found bool, err error) {
	conv, err := p.conversation(ctx, channel)
	if err != nil {
		return "", false, err
	}
	params := &slack.GetConversationHistoryParameters{ChannelID: conv, Limit: 200, IncludeAllMetadata: true}
	for page := 0; page < p.historyMax; {
		res, err := p.api.GetConversationHistoryContext(ctx, params)
		if wait, ok := rateLimited(err); ok {
			if err := waitCtx(ctx, wait); err != nil {
				return "", false, err
			}
			continue
		}
		if err != nil {
			return "", false, fmt.Errorf("conversations.history of %s: %w", conv, err)
		}
		for _, m := range res.Messages {
			if m.Metadata.EventType == DeliveryEventType {
				if k, _ := m.Metadata.EventPayload["key"].(string); k == key {
					return m.Timestamp, true, nil
				}
			}
		}
		if !res.HasMore || res.ResponseMetaData.NextCursor == "" {
			return "", false, nil
		}
		params.Cursor = res.ResponseMetaData.NextCursor
		page++
	}
	return "", false, nil
}

// pace waits for channel's turn and then for a workspace-wide token.
func (p *Poster) pace(ctx context.Context, channel string) error {
	if err := waitCtx(ctx, p.chans.reserve(channel, time.Now())); err != nil {
		return err
	}
	return waitCtx(ctx, p.global.reserve(time.Now()))
}

func (p *Poster) backoffFor(failures int) time.Duration {
	d := float64(p.backoff) * math.Pow(2, float64(failures-1))
	return time.Duration(min(d, float64(p.maxBackoff)))
}

// errClass is how a failed post is handled.
type errClass int

const (
	errPermanent   errClass = iota // retrying cannot help
	errTransient                   // Slack did not post; retry
	errMaybePosted                 // Slack may have posted; look before retrying
)

// classify sorts a chat.postMessage failure (other than a 429).
func classify(err error) errClass {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "ratelimited", "rate_limited":
			return errTransient
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			return errMaybePosted
		}
		// channel_not_found, user_not_found, is_archived, invalid_blocks,
		// msg_too_long, cannot_dm_bot, not_in_channel, invalid_auth, …
		return errPermanent
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code >= 500 {
			return errMaybePosted
		}
		return errPermanent
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, context.DeadlineExceeded) {
		return errMaybePosted
	}
	return errPermanent
}

// tokenBucket is a token bucket in its GCRA form: one token every
// interval, up to burst at once. reserve hands out tokens in order and
// says how long to wait for each, so waiters never race for a token.
type tokenBucket struct {
	mu        sync.Mutex
	interval  time.Duration
	tolerance time.Duration // (burst-1) intervals
	tat       time.Time     // theoretical arrival time of the next token
}

func newTokenBucket(rate float64, burst int) *tokenBucket {
	iv := time.Duration(float64(time.Second) / rate)
	return &tokenBucket{interval: iv, tolerance: time.Duration(burst-1) * iv}
}

// reserve takes the next token at now and returns how long to wait before
// using it.
func (b *tokenBucket) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.tat
	if t.Before(now) {
		t = now
	}
	b.tat = t.Add(b.interval)
	return max(0, t.Sub(now)-b.tolerance)
}

// pauseUntil hands out no token before u.
func (b *tokenBucket) pauseUntil(u time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t := u.Add(b.tolerance); t.After(b.tat) {
		b.tat = t
	}
}

// spacer keeps posts in one conversation at least gap apart.
type spacer struct {
	mu      sync.Mutex
	gap     time.Duration
	next    map[string]time.Time // channel -> earliest next post
	sweepAt int
}

func newSpacer(gap time.Duration) *spacer {
	return &spacer{gap: gap, next: map[string]time.Time{}, sweepAt: 1024}
}

// reserve books channel's next turn at or after now and returns how long
// to wait for it.
func (s *spacer) reserve(channel string, now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.next[channel]
	if at.Before(now) {
		at = now
	}
	s.next[channel] = at.Add(s.gap)
	if len(s.next) > s.sweepAt {
		for ch, t := range s.next {
			if !t.After(now) {
				delete(s.next, ch)
			}
		}
		s.sweepAt = max(1024, 2*len(s.next))
	}
	return at.Sub(now)
}

// pauseUntil books no turn in channel before u.
func (s *spacer) pauseUntil(channel string, u time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.After(s.next[channel]) {
		s.next[channel] = u
	}
}

// rateLimited reports how long Slack asked us to wait, if err is a 429.
func rateLimited(err error) (time.Duration, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return max(rl.RetryAfter, 100*time.Millisecond), true
	}
	return 0, false
}

// waitCtx waits for d, or returns ctx's error if ctx ends first.
func waitCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
