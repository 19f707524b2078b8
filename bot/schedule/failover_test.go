package schedule_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/bot/internal/bottest"
	"github.com/repcoach/repcoach/bot/schedule"
	"github.com/repcoach/repcoach/bot/slackfake"
	"github.com/repcoach/repcoach/insights/clock"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// haURL returns the Redis Cluster or Sentinel URL in env (set by .ci/run,
// which starts both). Outside CI a missing URL skips the test; in CI it
// fails it, since CI must run it.
func haURL(t *testing.T, env string) string {
	url := os.Getenv(env)
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set; .ci/run starts the Redis set this test needs", env)
		}
		t.Skipf("%s is not set (bash .ci/run starts the Redis set this test needs)", env)
	}
	return url
}

// killMaster SIGKILLs the Redis master that c talks to (same machine).
func killMaster(t *testing.T, c *redis.Client) {
	t.Helper()
	info, err := c.Info(context.Background(), "server", "replication").Result()
	if err != nil {
		t.Fatalf("INFO of the master: %v", err)
	}
	addr := "?"
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "tcp_port:"); ok {
			addr = v
		}
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			pid, _ := strconv.Atoi(v)
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatalf("kill master %s (pid %d): %v", addr, pid, err)
			}
			t.Logf("killed the Redis master on port %s (pid %d)", addr, pid)
			return
		}
	}
	t.Fatalf("no process_id in INFO of port %s", addr)
}

// probeKey is a delivery whose record lives on the master the tests kill:
// reading it again times the failover.
const probeKey = "weekly-feedback/2026-W45/UFO00000"

// failoverFanout runs a 200-rep fan-out through the Redis at url, kills a
// master (kill) once 60 DMs are out, and checks that every rep ends with
// exactly one DM and that the store answers again within 10 s of the kill.
func failoverFanout(t *testing.T, url string, kill func(ctx context.Context, s *redisstore.Store)) {
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	store, err := redisstore.Open(ctx, url, redisstore.Options{Prefix: "rcfo:" + hex.EncodeToString(b[:]) + ":"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		store.Wipe(cctx)
		store.Close()
	})
	users := bottest.FakeUsers("FO", 200, "UTC")
	r := &schedRig{clock: clock.NewFake(utcDate(2026, 11, 6, 16, 5)), users: users, store: store}
	r.srv = bottest.NewSlackFake(t, slackfake.Config{Users: users})
	job := weeklyJob("weekly-feedback", fri16, bottest.UserIDs(users))
	// The leases live in the real Redis set that fails over: the Poster
	// keeps them on the real clock.
	pc := bot.PosterConfig{Rate: 100, Burst: 1, Lease: 10 * time.Second, Clock: clock.Real}
	s := r.scheduler(t, []schedule.Job{job}, "a", nil, pc, schedule.Config{Workers: 4})

	var killedAt atomic.Int64
	answered := make(chan time.Duration, 1)
	go func() {
		for r.srv.Calls("chat.postMessage") < 60 {
			time.Sleep(5 * time.Millisecond)
		}
		kill(ctx, store)
		killedAt.Store(time.Now().UnixNano())
		for {
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			_, _, err := store.Delivered(pctx, probeKey)
			cancel()
			if err == nil {
				answered <- time.Since(time.Unix(0, killedAt.Load()))
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	// Drain the run, ticking each simulated minute; errors while the
	// cluster fails over are expected and retried.
	deadline := time.Now().Add(90 * time.Second)
	for {
		s.Tick(ctx)
		pending, err := store.OutboxPending(ctx, "weekly-feedback/2026-W45")
		if err == nil && len(pending) == 0 && killedAt.Load() != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run still has %d pending (err %v) after 90 s", len(pending), err)
		}
		r.clock.Add(time.Minute)
		time.Sleep(50 * time.Millisecond)
	}
	if killedAt.Load() == 0 {
		t.Fatal("the fan-out finished before a master was killed; the test proves nothing")
	}
	select {
	case d := <-answered:
		t.Logf("the store answered again %.1f s after the master was killed", d.Seconds())
		if d > 10*time.Second {
			t.Errorf("the store answered again only %v after the kill, want within 10 s", d)
		}
	case <-time.After(30 * time.Second):
		t.Error("the store did not answer within 30 s of the kill")
	}
	r.exactlyOnce(t, bottest.UserIDs(users))
	t.Logf("%d DMs for %d reps, lost 0 and doubled 0 unless reported above", len(r.srv.Messages()), len(users))
}

// TestSentinelFailoverMidFanout: the Sentinel set's master is SIGKILLed in
// the middle of a fan-out; the replica takes over and every rep still has
// exactly one DM (delivery records wait for the replica, WAIT).
func TestSentinelFailoverMidFanout(t *testing.T) {
	url := haURL(t, "REPCOACH_TEST_SENTINEL_URL")
	failoverFanout(t, url, func(ctx context.Context, s *redisstore.Store) {
		killMaster(t, s.Client().(*redis.Client))
	})
}

// TestClusterFailoverMidFanout: one of the cluster's masters is SIGKILLed
// in the middle of a fan-out; its replica takes over and every rep still
// has exactly one DM.
func TestClusterFailoverMidFanout(t *testing.T) {
	url := haURL(t, "REPCOACH_TEST_CLUSTER_URL")
	redisstore.LockTestCluster(t) // not while redisstore's test migrates slots on the same cluster
	failoverFanout(t, url, func(ctx context.Context, s *redisstore.Store) {
		cc := s.Client().(*redis.ClusterClient)
		m, err := cc.MasterForKey(ctx, "{"+probeKey+"}") // the record's slot
		if err != nil {
			t.Fatal(err)
		}
		killMaster(t, m)
	})
}
