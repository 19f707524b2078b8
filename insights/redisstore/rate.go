package redisstore

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// RateLimiter paces one kind of call across every replica sharing the
// Redis: a GCRA token bucket kept in Redis by go-redis's redis_rate, so
// three replicas at 20/s send 20/s between them, not 60.
type RateLimiter struct {
	lim   *redis_rate.Limiter
	key   string
	limit redis_rate.Limit
}

// RateLimiter returns the shared limiter called name, letting through rate
// calls a second on average and burst at once. rate must be positive.
func (s *Store) RateLimiter(name string, rate float64, burst int) *RateLimiter {
	// redis_rate counts whole calls per period: express fractional rates
	// over a longer period (0.5/s is 50 per 100 s).
	const scale = 100
	return &RateLimiter{
		lim:   redis_rate.NewLimiter(s.rdb),
		key:   s.key("rate", name),
		limit: redis_rate.Limit{Rate: max(1, int(math.Round(rate*scale))), Period: scale * time.Second, Burst: max(1, burst)},
	}
}

// Wait blocks until the next call may go out, or ctx ends. It returns an
// error if Redis cannot be asked.
func (l *RateLimiter) Wait(ctx context.Context) error {
	for {
		res, err := l.lim.Allow(ctx, l.key, l.limit)
		if err != nil {
			return fmt.Errorf("shared rate limit %s: %w", l.key, err)
		}
		if res.Allowed > 0 {
			return nil
		}
		t := time.NewTimer(res.RetryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
