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

// minBurst is the smallest burst a shared limiter keeps. With a burst of 1
// GCRA loses every turn taken late: a replica that asks a few milliseconds
// after its turn came (timer and scheduler delay, the round trip to Redis)
// restarts the schedule from then, and three replicas at 20/s got 5-13 %
// under the setting on a loaded machine. With 2 the schedule holds as long
// as a turn is taken less than one interval late; the cost is that after an
// idle spell two calls may go out back to back.
const minBurst = 2

// RateLimiter returns the shared limiter called name, letting through rate
// calls a second on average and burst (at least 2) at once. rate must be
// positive.
func (s *Store) RateLimiter(name string, rate float64, burst int) *RateLimiter {
	// redis_rate counts whole calls per period: express fractional rates
	// over a longer period (0.5/s is 50 per 100 s).
	const scale = 100
	return &RateLimiter{
		lim:   redis_rate.NewLimiter(s.rdb),
		key:   s.key("rate", name),
		limit: redis_rate.Limit{Rate: max(1, int(math.Round(rate*scale))), Period: scale * time.Second, Burst: max(minBurst, burst)},
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
