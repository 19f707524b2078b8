package redisstore

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// measureSharedRate runs replicas limiters, each on a Store of its own (as
// separate processes are), sharing one limit of rate a second and burst,
// each taking turns as fast as it is let, until want turns were given out
// or d passed. It returns the rate they got together after the first
// burst: turns after the first burst, over the time from the first turn
// to the last.
func measureSharedRate(tb testing.TB, s *Store, replicas int, rate float64, burst, want int, d time.Duration) (got float64, turns int) {
	tb.Helper()
	name := fmt.Sprintf("measure-%d-%d", replicas, time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var first, last time.Time
	var wg sync.WaitGroup
	for range replicas {
		l := replicaStore(tb, s).RateLimiter(name, rate, burst)
		wg.Go(func() {
			for l.Wait(ctx) == nil {
				now := time.Now()
				mu.Lock()
				if turns == 0 {
					first = now
				}
				last = now
				turns++
				done := turns >= want
				mu.Unlock()
				if done {
					cancel()
				}
			}
		})
	}
	wg.Wait()
	// The limiter lets a whole burst through at once, then one turn per
	// 1/rate: at least 2 at once (see RateLimiter).
	b := max(burst, minBurst)
	if turns <= b {
		return 0, turns
	}
	return float64(turns-b) / last.Sub(first).Seconds(), turns
}

// replicaStore opens another Store on s's Redis and prefix.
func replicaStore(tb testing.TB, s *Store) *Store {
	tb.Helper()
	url := os.Getenv("REDIS_URL")
	if s.Embedded() {
		url = "redis://" + s.mini.Addr()
	}
	r, err := Open(context.Background(), url, Options{Prefix: s.p})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}

// TestSharedRateHoldsAcrossReplicas: three replicas sharing a limit of 20
// turns a second with a burst of 1 get within 5 % of 20/s between them
// (before, 8-13 % under on a loaded machine: every turn taken late, by
// the timer and a round trip, was lost).
func TestSharedRateHoldsAcrossReplicas(t *testing.T) {
	s := OpenTest(t)
	const rate = 20.0
	got, turns := measureSharedRate(t, s, 3, rate, 1, 61, 10*time.Second)
	t.Logf("3 replicas sharing %v/s (burst 1): %d turns, %.2f/s (%+.1f %%)", rate, turns, got, 100*(got-rate)/rate)
	if got < rate*0.95 || got > rate*1.05 {
		t.Errorf("3 replicas got %.2f turns/s together, want %v/s ± 5 %%", got, rate)
	}
}

// BenchmarkSharedRate measures the rate 1, 2 and 3 replicas sharing one
// limit of 20/s (burst 1) get between them over 10 s each
// (REPCOACH_BENCH_RATE_SECONDS), as posts/s and as % of the setting. Run
// it once: go test -run '^$' -bench SharedRate -benchtime 1x ./insights/redisstore.
func BenchmarkSharedRate(b *testing.B) {
	secs := 10
	if n, err := strconv.Atoi(os.Getenv("REPCOACH_BENCH_RATE_SECONDS")); err == nil && n > 0 {
		secs = n
	}
	const rate = 20.0
	s := OpenTest(b)
	for _, replicas := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("replicas=%d", replicas), func(b *testing.B) {
			var got float64
			for b.Loop() {
				got, _ = measureSharedRate(b, s, replicas, rate, 1, 1<<30, time.Duration(secs)*time.Second)
			}
			b.ReportMetric(got, "posts/s")
			b.ReportMetric(100*got/rate, "%-of-setting")
		})
	}
}
