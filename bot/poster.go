package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/insights/clock"
	"github.com/repcoach/repcoach/insights/delivery"
)

// Outgoing is a message to send: Text is the notification and fallback
// text, Blocks the Block Kit layout (may be empty). The caller is expected to
// have checked it against Slack's Block Kit limits.
type Outgoing struct {
	Text   string
	Blocks []slack.Block
}

// DeliveryEventType is the message metadata event_type the Poster attaches
// to every delivery, with the payload {"key": <delivery key>}. It is how a
// delivery that was posted but never recorded is found again in the
// conversation's history.
const DeliveryEventType = "repcoach_delivery"

// Result is what Deliver did with one delivery.
type Result int

// The results of Deliver.
const (
	// Cancelled, the zero value: ctx ended before anything was posted.
	Cancelled Result = iota
	// Sent: posted now and recorded.
	Sent
	// AlreadySent: recorded as sent before (by an earlier run or another
	// replica); nothing was posted.
	AlreadySent
	// Found: an earlier run posted it but died before recording it; the
	// post was found in the conversation and is recorded now.
	Found
	// Unrecorded: posted, but the record failed (Redis down, no replica
	// acknowledged it). The delivery stays claimed; the next Deliver of
	// the key records it instead of posting again.
	Unrecorded
	// Held: another owner (replica) holds the delivery's lease right now.
	Held
	// Failed: not posted after retrying transient failures; the lease is
	// released so that the next try (here or elsewhere) need not wait.
	Failed
	// Permanent: Slack refused the message (channel_not_found,
	// invalid_blocks, …); retrying cannot help.
	Permanent
	// DryRun: the Poster only logs; nothing was posted or recorded.
	DryRun
)

var resultNames = [...]string{"cancelled", "sent", "already sent", "found posted", "sent but not recorded", "held by another replica", "failed", "refused by Slack", "dry run"}

func (r Result) String() string {
	if r >= 0 && int(r) < len(resultNames) {
		return resultNames[r]
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

// Outcome is what Deliver did: the Result, the message's ts where one was
// posted or found, and the error behind Unrecorded, Failed, Permanent and
// Cancelled.
type Outcome struct {
	Result Result
	TS     string
	Err    error
}

// Posted reports whether the message is in the conversation now, whether
// or not this call posted it.
func (o Outcome) Posted() bool {
	return o.Result == Sent || o.Result == AlreadySent || o.Result == Found || o.Result == Unrecorded
}

var (
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
	// Shared, when set, paces posts across every replica instead of this
	// process alone, at the same Rate and Burst (cmd passes one kept in
	// Redis). 429 pauses still apply here too.
	Shared Limiter
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
	// process. cmd passes the one name the process uses everywhere; the
	// default is host-pid-random.
	Owner string
	// Clock is the clock for leases, pacing, 429 pauses and backoff
	// (default clock.Real).
	Clock clock.Clock
}

// Limiter hands out posting turns shared by several processes.
type Limiter interface {
	// Wait blocks until the next post may go out, or ctx ends.
	Wait(ctx context.Context) error
}

// Poster is the one way RepCoach posts messages: it paces itself to Slack's
// limits (a workspace-wide token bucket and a spacing per conversation),
// waits out 429 answers, retries transient failures and, through a Ledger,
// delivers each scheduled message exactly once across restarts and
// replicas. It is safe for concurrent use.
type Poster struct {
	api    *slack.Client
	ledger delivery.Ledger
	cfg    PosterConfig
	log    *slog.Logger

	global *tokenBucket
	chans  *spacer

	// Knobs for tests.
	backoff     time.Duration // first backoff after a transient failure
	maxBackoff  time.Duration
	historyMax  int // most history pages searched for a delivery
	postTimeout time.Duration
	settle      time.Duration // wait after an ambiguous failure before looking
	recordFor   time.Duration // how long record keeps trying

	mu       sync.Mutex
	dms      map[string]string // user ID -> DM conversation ID, learnt from posts
	unmarked map[string]string // delivery key -> ts posted by this process, not yet recorded
	suspect  map[string]bool   // delivery keys whose post may have landed unseen
	lookTill time.Time         // every delivery looks in the history first until then
}

// LookFirst makes every Deliver for the next d look in the conversation's
// history before posting, as after a reclaim: for when the ledger may have
// forgotten deliveries (Redis lost its data).
func (p *Poster) LookFirst(d time.Duration) {
	until := p.now().Add(d)
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.lookTill) {
		p.lookTill = until
	}
}

func (p *Poster) lookingUntil() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lookTill
}

// NewPoster returns a Poster posting through api and recording deliveries
// in ledger (which may be nil if only Post is used).
func NewPoster(api *slack.Client, ledger delivery.Ledger, cfg PosterConfig) *Poster {
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
		cfg.Owner = DefaultOwner()
	}
	cfg.Clock = clock.Or(cfg.Clock)
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
		settle:      cfg.Lease / 2,
		recordFor:   15 * time.Second,
		dms:         map[string]string{},
		unmarked:    map[string]string{},
		suspect:     map[string]bool{},
	}
}

// Owner returns the name this Poster claims deliveries under.
func (p *Poster) Owner() string { return p.cfg.Owner }

// DryRun reports whether the Poster only logs.
func (p *Poster) DryRun() bool { return p.cfg.DryRun }

func (p *Poster) now() time.Time { return p.cfg.Clock.Now() }

// sleep waits d on the Poster's clock, or until ctx ends.
func (p *Poster) sleep(ctx context.Context, d time.Duration) error { return p.cfg.Clock.Sleep(ctx, d) }

// DefaultOwner returns a name unique to this process for leases and locks:
// host, pid and a random part. A process uses one such name everywhere.
func DefaultOwner() string {
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
// across restarts and replicas that share the Ledger, and says what it did.
//
// It claims key in the ledger, then: if the delivery was already sent it
// returns AlreadySent; if another owner holds it, Held; if an earlier claim
// lapsed or was released unrecorded, it looks in the conversation's recent
// history for a message carrying key in its metadata and, when found,
// records that message and returns Found. Otherwise it posts msg with the
// metadata, records it and returns Sent. A post that succeeded but could
// not be recorded (after a few tries) returns Unrecorded: the message is
// out, and this Poster (or, after the lease, any other through the
// history) records it on the next Deliver of key.
//
// A delivery that fails (Failed, Permanent, Cancelled) releases its lease
// at once, marked for a history search if a post may have landed, so that
// a rerun or another replica need not wait for the lease to lapse. Once a
// post is under way it is finished even if ctx ends, so that it is
// recorded; waits before it end with ctx. In DryRun mode Deliver logs and
// returns DryRun.
func (p *Poster) Deliver(ctx context.Context, key, channel string, msg Outgoing) Outcome {
	if key == "" || channel == "" {
		return Outcome{Result: Permanent, Err: fmt.Errorf("deliver %q to %q: empty key or channel", key, channel)}
	}
	if p.cfg.DryRun {
		p.logDry(key, channel, msg)
		return Outcome{Result: DryRun}
	}
	if p.ledger == nil {
		return Outcome{Result: Permanent, Err: fmt.Errorf("deliver %s: poster has no ledger", key)}
	}
	o := p.deliver(ctx, key, channel, msg)
	switch o.Result {
	case Failed, Permanent, Cancelled:
		if o.Err != nil && !strings.Contains(o.Err.Error(), key) {
			o.Err = fmt.Errorf("deliver %s: %w", key, o.Err)
		}
		p.release(ctx, key)
	}
	return o
}

func (p *Poster) deliver(ctx context.Context, key, channel string, msg Outgoing) Outcome {
	l := &deliveryLease{key: key}
	st, err := p.claim(ctx, l)
	if err != nil {
		return p.failed(ctx, err)
	}
	switch st {
	case delivery.Sent:
		p.forgetUnmarked(key)
		return Outcome{Result: AlreadySent}
	case delivery.Held:
		return Outcome{Result: Held}
	case delivery.New, delivery.Reclaimed:
	default:
		return Outcome{Result: Failed, Err: fmt.Errorf("ledger answered %v", st)}
	}
	l.held = true
	if ts, ok := p.unmarkedTS(key); ok {
		// This process posted it before but could not record it.
		return p.record(ctx, l, ts, Found)
	}
	if st == delivery.Reclaimed || p.isSuspect(key) || p.now().Before(p.lookingUntil()) {
		ts, found, err := p.findDelivery(ctx, channel, key)
		if err != nil {
			p.setSuspect(key)
			return p.failed(ctx, fmt.Errorf("look for an earlier post: %w", err))
		}
		if found {
			p.log.Info("delivery found already posted; recorded", "key", key, "channel", channel, "ts", ts)
			return p.record(ctx, l, ts, Found)
		}
	}
	ts, err := p.post(ctx, channel, msg, l)
	switch {
	case errors.Is(err, errFoundPosted):
		return p.record(ctx, l, ts, Found)
	case errors.Is(err, errLostLease):
		// Another owner took over, or it was marked sent meanwhile.
		l.held = false
		if errors.Is(err, errHeldByOther) {
			return Outcome{Result: Held}
		}
		return Outcome{Result: AlreadySent}
	case errors.Is(err, ErrPermanent):
		return Outcome{Result: Permanent, Err: err}
	case err != nil:
		return p.failed(ctx, err)
	}
	return p.record(ctx, l, ts, Sent)
}

// failed is the outcome of a delivery that did not post because of err.
func (p *Poster) failed(ctx context.Context, err error) Outcome {
	if ctx.Err() != nil {
		return Outcome{Result: Cancelled, Err: err}
	}
	return Outcome{Result: Failed, Err: err}
}

// release gives up this Poster's lease on key after a failed delivery.
func (p *Poster) release(ctx context.Context, key string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := p.ledger.ReleaseDelivery(rctx, key, p.cfg.Owner, p.isSuspect(key)); err != nil {
		p.log.Warn("release delivery lease; it lapses by itself", "key", key, "err", err)
	}
}

// record marks a posted delivery delivered, retrying for a while (a
// failover takes seconds, and a record that no replica has is lost with
// its master) unless ctx ends. It returns res, or Unrecorded when the
// record could not be made; ts is then remembered so that the next Deliver
// of the key records it instead of posting again. Each try finishes even
// if ctx ends.
func (p *Poster) record(ctx context.Context, l *deliveryLease, ts string, res Result) Outcome {
	var err error
	giveUp := p.now().Add(p.recordFor)
	for attempt := 1; ; attempt++ {
		if err = p.markOnce(ctx, l.key, ts); err == nil {
			p.forgetUnmarked(l.key)
			return Outcome{Result: res, TS: ts}
		}
		p.mu.Lock()
		p.unmarked[l.key] = ts
		p.mu.Unlock()
		wait := p.backoffFor(attempt)
		if p.now().Add(wait).After(giveUp) || p.sleep(ctx, wait) != nil {
			break
		}
		// After a failover the claim itself may be gone: claim again. If
		// another owner holds it now, that owner finds the post in the
		// history (its claim is a reclaim): stop here.
		st, cerr := p.claim(ctx, l)
		if cerr == nil && st == delivery.Sent {
			p.forgetUnmarked(l.key)
			return Outcome{Result: res, TS: ts}
		}
		if cerr == nil && st == delivery.Held {
			break
		}
	}
	p.log.Warn("posted but not recorded yet; recorded on the next try", "key", l.key, "ts", ts, "err", err)
	return Outcome{Result: Unrecorded, TS: ts, Err: fmt.Errorf("posted delivery %s (ts %s) but could not record it: %w", l.key, ts, err)}
}

// markOnce makes one try at recording key as sent, finishing even if ctx
// ends.
func (p *Poster) markOnce(ctx context.Context, key, ts string) error {
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return p.ledger.MarkDelivered(mctx, key, p.cfg.Owner, ts)
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
	key  string
	at   time.Time // when it was last claimed or renewed
	held bool
}

func (p *Poster) claim(ctx context.Context, l *deliveryLease) (delivery.Claim, error) {
	st, err := p.ledger.ClaimDelivery(ctx, l.key, p.cfg.Owner, p.cfg.Lease)
	if err != nil {
		return 0, fmt.Errorf("claim delivery %s: %w", l.key, err)
	}
	l.at = p.now()
	return st, nil
}

// Sentinels between post and Deliver.
var (
	errFoundPosted = errors.New("found already posted")
	errLostLease   = errors.New("lease lost")
	errHeldByOther = errors.New("held by another owner")
)

// renew keeps l alive before a post: a lease more than half spent is
// claimed again. It reports check=true when the lease had lapsed and was
// reclaimed, so the history must be searched before posting.
func (p *Poster) renew(ctx context.Context, l *deliveryLease) (check bool, err error) {
	if p.now().Sub(l.at) < p.cfg.Lease/2 {
		return false, nil
	}
	st, err := p.claim(ctx, l)
	if err != nil {
		return false, err
	}
	switch st {
	case delivery.New:
		return false, nil
	case delivery.Reclaimed:
		return true, nil
	case delivery.Held:
		return false, fmt.Errorf("%w: %w", errLostLease, errHeldByOther)
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
			p.setSuspect(l.key)
		}
	}()
	var lastErr error
	// fail counts a failure and waits before the next try: the backoff,
	// and at least atLeast.
	fail := func(err error, atLeast time.Duration) error {
		failures++
		lastErr = err
		if failures > p.cfg.MaxRetries {
			return fmt.Errorf("chat.postMessage to %s: giving up after %d failures: %w", channel, failures, err)
		}
		p.log.Warn("chat.postMessage failed; retrying", "channel", channel, "attempt", failures, "err", err)
		return p.sleep(ctx, max(atLeast, p.backoffFor(failures)))
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
				if err := fail(err, 0); err != nil {
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
					if err := fail(fmt.Errorf("look for an earlier post after %v: %w", lastErr, err), 0); err != nil {
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
		if wait, limited := rateLimited(err); limited {
			// Not callWaiting: a 429 on a post pauses every post of the
			// workspace and this channel, and pace waits it out.
			p.log.Debug("chat.postMessage rate limited; waiting", "channel", channel, "retry_after", wait)
			now := p.now()
			p.global.pauseUntil(now.Add(wait))
			p.chans.pauseUntil(channel, now.Add(wait))
			if err := ctx.Err(); err != nil {
				return "", err
			}
			continue
		}
		settle := time.Duration(0)
		switch classify(err) {
		case errPermanent:
			return "", fmt.Errorf("chat.postMessage to %s: %w: %w", channel, ErrPermanent, err)
		case errMaybePosted:
			if l != nil {
				check = true
				if inFlight(err) {
					// No answer came: Slack may still be committing the
					// post. Give it time to show in the history before
					// looking, or a slow commit would be posted twice.
					settle = p.settle
				}
			}
		}
		if err := fail(err, settle); err != nil {
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

// setSuspect remembers that a post of key may have landed unseen.
func (p *Poster) setSuspect(key string) {
	p.mu.Lock()
	p.suspect[key] = true
	p.mu.Unlock()
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
	var ch *slack.Channel
	err := callWaiting(ctx, p.cfg.Clock, func() (err error) {
		ch, _, _, err = p.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{channel}})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("conversations.open with %s: %w", channel, err)
	}
	p.rememberDM(channel, ch.ID)
	return ch.ID, nil
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
		var res *slack.GetConversationHistoryResponse
		err := callWaiting(ctx, p.cfg.Clock, func() (err error) {
			res, err = p.api.GetConversationHistoryContext(ctx, params)
			return err
		})
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

// pace waits for channel's turn and then for a workspace-wide token:
// from the shared limiter when there is one (after any 429 pause), else
// from this process's bucket.
func (p *Poster) pace(ctx context.Context, channel string) error {
	if err := p.sleep(ctx, p.chans.reserve(channel, p.now())); err != nil {
		return err
	}
	if p.cfg.Shared == nil {
		return p.sleep(ctx, p.global.reserve(p.now()))
	}
	if err := p.sleep(ctx, p.global.pausedFor(p.now())); err != nil {
		return err
	}
	return p.cfg.Shared.Wait(ctx)
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
		if sc.Code >= 500 || sc.Code == http.StatusRequestTimeout {
			return errMaybePosted
		}
		return errPermanent
	}
	// Anything else (a network error, a timeout, a 200 answer that is not
	// Slack's JSON, such as a proxy's HTML page) says nothing about whether
	// Slack posted: look, then retry.
	return errMaybePosted
}

// inFlight reports whether a failed request got no answer from Slack at
// all (a timeout, a dropped connection), so Slack may still be working on
// it, as opposed to an answer that says how it ended.
func inFlight(err error) bool {
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	return !errors.As(err, &se) && !errors.As(err, &sc) && !isBadBody(err)
}

// isBadBody reports whether err is an answer that was not Slack's JSON (a
// proxy's HTML page): Slack's side has answered, nothing is in flight.
func isBadBody(err error) bool {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.As(err, &syn) || errors.As(err, &typ)
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

// pausedFor returns how long a pause (pauseUntil) lasts from now.
func (b *tokenBucket) pausedFor(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.tat.After(now) {
		return 0
	}
	return max(0, b.tat.Sub(now)-b.tolerance)
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
