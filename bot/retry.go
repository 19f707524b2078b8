package bot

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/insights/clock"
)

// callWaiting runs call until it does not answer 429, waiting out each
// Retry-After on clk (bounded by ctx). It is the one 429 loop of every Web
// API call; chat.postMessage from the Poster instead pauses the whole
// workspace's pacing on a 429 (see Poster.post), which waits on the same
// clock.
func callWaiting(ctx context.Context, clk clock.Clock, call func() error) error {
	for {
		err := call()
		wait, limited := rateLimited(err)
		if !limited {
			return err
		}
		if err := clk.Sleep(ctx, wait); err != nil {
			return err
		}
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

// retryableReply reports whether a failed response_url post may succeed
// if tried again: a 5xx, a 429 or no answer. A 404 (the URL expired or was
// used up) or another 4xx will not.
func retryableReply(err error) bool {
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code >= 500 || sc.Code == http.StatusRequestTimeout
	}
	return true
}
