package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/repcoach/repcoach/insights"
)

// OpenTest opens a Store for a test: on the Redis at $REDIS_URL when set,
// else on a fresh embedded one. Its Prefix is random, so tests and test
// packages sharing one Redis never see each other's keys; at cleanup every
// key under it is deleted and the Store closed. It fails the test if Redis
// cannot be reached.
func OpenTest(t testing.TB) *Store {
	t.Helper()
	return OpenTestOptions(t, Options{})
}

// OpenTestOptions is OpenTest with options; a Prefix given is made unique by
// appending a random part.
func OpenTestOptions(t testing.TB, opts Options) *Store {
	t.Helper()
	return openTestAt(t, os.Getenv("REDIS_URL"), opts)
}

// openTestAt is OpenTestOptions on the Redis at url (embedded when "").
func openTestAt(t testing.TB, url string, opts Options) *Store {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random prefix: %v", err)
	}
	if opts.Prefix == "" {
		opts.Prefix = "rctest:"
	}
	opts.Prefix += hex.EncodeToString(b[:]) + ":"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Open(ctx, url, opts)
	if err != nil {
		t.Fatalf("open test Redis store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if !s.Embedded() {
			if err := s.deletePrefix(ctx); err != nil {
				t.Errorf("delete test keys under %s: %v", s.p, err)
			}
		}
		if err := s.Close(); err != nil {
			t.Errorf("close test Redis store: %v", err)
		}
	})
	return s
}

// deletePrefix deletes every key under the Store's prefix, on every master
// of a cluster.
func (s *Store) deletePrefix(ctx context.Context) error {
	match := globEscape(s.p) + "*"
	del := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, match, 1000).Iterator()
		var keys []string
		for it.Next(ctx) {
			keys = append(keys, it.Val())
		}
		if err := it.Err(); err != nil {
			return fmt.Errorf("scan %s: %w", match, err)
		}
		for lo := 0; lo < len(keys); lo += 1000 {
			// One UNLINK per key: in a cluster the keys sit in many slots.
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, k := range keys[lo:min(lo+1000, len(keys))] {
					p.Unlink(ctx, k)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("unlink: %w", err)
			}
		}
		return nil
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return del(ctx, c) })
	}
	return del(ctx, s.rdb)
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	return r.Replace(s)
}

// Wipe deletes every key under the Store's prefix, as a Redis that lost
// its data would have: for tests of what happens then.
func (s *Store) Wipe(ctx context.Context) error {
	if s.mini != nil {
		s.mini.FlushAll()
		return nil
	}
	return s.deletePrefix(ctx)
}

// DumpReports reads every report the current version of s serves, as JSON
// by field ("rep:<period>:<rep>" or "team:<period>:<team>"), for a test
// to compare two stores; it fails the test on any error.
func DumpReports(t testing.TB, s *Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	reps, err := s.Reps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	teams, err := s.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range insights.StandardPeriods() {
		rs, err := s.RepReports(ctx, k, reps)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			b, _ := json.Marshal(r)
			out[reportField("rep", k, string(r.Rep.ID))] = string(b)
		}
		for _, tm := range teams {
			tr, err := s.TeamReport(ctx, tm, k)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(tr)
			out[reportField("team", k, tm)] = string(b)
		}
	}
	return out
}
