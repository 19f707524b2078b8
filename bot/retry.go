package bot

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/slack-go/slack"
)

// callWaiting runs call until it does not answer 429, waiting out each
// Retry-After (bounded by ctx). It is the one place a Web API call other
// than a post (which paces the whole workspace instead) waits out 429s.
func callWaiting(ctx context.Context, call func() error) error {
	for {
		err := call()
		wait, limited := rateLimited(err)
		if !limited {
			return err
		}
		if err := waitCtx(ctx, wait); err != nil {
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
