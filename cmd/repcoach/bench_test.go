package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/repcoach/repcoach/bot/slackfake"
	"github.com/repcoach/repcoach/insights/sample"
)

// BenchmarkSlashCommandLoad drives the real bot over Socket Mode with
// /myperformance at a fixed rate (1,000 commands/s for 5 s by default) from
// 10,000 reps whose reports are cached in Redis, and reports ack and
// command-to-reply latency percentiles. Run it once:
//
//	go test ./cmd/repcoach -run '^$' -bench SlashCommandLoad -benchtime 1x
//
// BENCH_RATE and BENCH_SECONDS change the load.
func BenchmarkSlashCommandLoad(b *testing.B) {
	rate, seconds := envInt("BENCH_RATE", 1000), envInt("BENCH_SECONDS", 5)
	const reps = 10_000
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	ds := sample.Generate(sample.Config{Seed: 7, Managers: 100, RepsPerManager: reps / 100, Deals: 200_000, End: now, ActivitiesPerDeal: -1})
	users := make([]slackfake.User, len(ds.Reps))
	for i, r := range ds.Reps {
		users[i] = slackfake.User{ID: fmt.Sprintf("U%08d", i), Name: handle(r.Name), RealName: r.Name, Email: r.Email, TZ: "UTC"}
	}
	fake, err := slackfake.New(slackfake.Config{Users: users, Limits: map[string]int{"users.list": -1}})
	if err != nil {
		b.Fatal(err)
	}
	defer fake.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	prefix := "rcbench:" + fmt.Sprint(time.Now().UnixNano()) + ":"
	cfg := testConfig(b, map[string]string{
		"SLACK_APP_TOKEN": "xapp-1-fake", "SLACK_BOT_TOKEN": "xoxb-fake", "SLACK_API_URL": fake.APIURL(),
		"REDIS_URL": os.Getenv("REDIS_URL"), "REPCOACH_REDIS_PREFIX": prefix, "REPCOACH_AS_OF": now.Format(time.RFC3339),
		"REPCOACH_TZ": "UTC", "REPCOACH_LOG_LEVEL": "error",
	})
	app, err := newApp(ctx, cfg, newLogger(io.Discard, Config{LogLevel: "error"}))
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	if cfg.RedisURL != "" {
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			deletePrefix(ctx, app, cfg.RedisPrefix)
		}()
	}
	if err := app.publish(ctx, ds); err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- app.serve(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	if err := fake.WaitConnected(wctx, 1); err != nil {
		select {
		case serr := <-served:
			b.Fatalf("bot stopped: %v", serr)
		default:
			b.Fatal(err)
		}
	}
	// Warm up: one command, so links and connections are in place.
	if c, err := fake.SendCommand(ctx, users[0].ID, "/myperformance", ""); err != nil || !c.Acked {
		b.Fatalf("warm-up command: %v", err)
	}

	b.ResetTimer()
	for range b.N {
		acks, replies, failed := commandLoad(ctx, b, fake, users, rate, seconds)
		b.ReportMetric(percentile(acks, 50), "ack-p50-ms")
		b.ReportMetric(percentile(acks, 99), "ack-p99-ms")
		b.ReportMetric(percentile(replies, 50), "reply-p50-ms")
		b.ReportMetric(percentile(replies, 99), "reply-p99-ms")
		b.ReportMetric(float64(len(acks))/float64(seconds), "cmds/s")
		b.ReportMetric(float64(failed), "failed")
	}
	b.StopTimer()
	cancel()
	<-served
}

// commandLoad sends rate commands a second for seconds, each from a random
// rep, and returns ack and reply latencies in milliseconds and the number of
// commands not acked or not answered.
func commandLoad(ctx context.Context, b *testing.B, fake *slackfake.Server, users []slackfake.User, rate, seconds int) (acks, replies []float64, failed int) {
	total := rate * seconds
	interval := time.Second / time.Duration(rate)
	var mu sync.Mutex
	var wg sync.WaitGroup
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	for i := range total {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		user := users[rng.IntN(len(users))].ID
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			c, err := fake.SendCommand(cctx, user, "/myperformance", "")
			if err != nil || !c.Acked {
				mu.Lock()
				failed++
				mu.Unlock()
				return
			}
			m, err := c.Reply(cctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return
			}
			acks = append(acks, ms(c.AckLatency))
			replies = append(replies, ms(m.At.Sub(c.SentAt)))
		})
	}
	wg.Wait()
	return acks, replies, failed
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func envInt(name string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(name), &n); err == nil && n > 0 {
		return n
	}
	return def
}

// deletePrefix removes a benchmark's keys from a shared Redis.
func deletePrefix(ctx context.Context, app *App, prefix string) {
	rdb := app.store.Client()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
}

// testConfig reads the configuration as the program does, from an
// environment holding only vars (set for the test's duration).
func testConfig(tb testing.TB, vars map[string]string) Config {
	tb.Helper()
	t := reflect.TypeOf(Config{})
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("envconfig")
		tb.Setenv(name, vars[name])
		if vars[name] == "" {
			os.Unsetenv(name) // so the field takes its default
		}
	}
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}
