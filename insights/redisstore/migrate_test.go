package redisstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/delivery"
)

// clusterURL returns the Redis Cluster to run a cluster test against: CI's
// (REPCOACH_TEST_CLUSTER_URL, set by .ci/run, which must be set when
// CI=true), else one the test starts on ports from base; "" where it cannot
// start one (no redis-server outside CI).
func clusterURL(t *testing.T, base int) string {
	t.Helper()
	if url := os.Getenv("REPCOACH_TEST_CLUSTER_URL"); url != "" {
		return url
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("REPCOACH_TEST_CLUSTER_URL is not set; .ci/run starts the Redis Cluster this test needs")
	}
	t.Logf("NOTE: REPCOACH_TEST_CLUSTER_URL is not set: starting a Redis Cluster of this test's own on 127.0.0.1:%d-%d", base, base+2)
	if c := startCluster(t, base, 3, 0, 2*time.Second); c != nil {
		return c.URL()
	}
	return ""
}

// TestSlotMigrationUnderLoad moves the hash slots of the keys the bot reads
// (the identity links, the snapshot's current version and index, reports,
// delivery records) from their master to another with CLUSTER SETSLOT IMPORTING/MIGRATING and MIGRATE, while readers
// and a link writer run: no read may give a wrong answer and no call an
// error (go-redis follows ASK and MOVED and retries TRYAGAIN; a script
// touching undeclared keys would read the old node and answer wrongly).
func TestSlotMigrationUnderLoad(t *testing.T) {
	url := clusterURL(t, 7101)
	if url == "" {
		return
	}
	LockTestCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	s := openTestAt(t, url, Options{Prefix: "rctest:mig"})
	cc := s.rdb.(*redis.ClusterClient)

	const users, records = 300, 60
	links := map[string]insights.RepID{}
	for i := range users {
		links[fmt.Sprintf("U%03d", i)] = insights.RepID(fmt.Sprintf("r%03d", i))
	}
	if err := s.LinkUsers(ctx, links, time.Hour); err != nil {
		t.Fatal(err)
	}
	dkey := func(i int) string { return fmt.Sprintf("mig/2026-W49/U%03d", i) }
	for i := range records {
		if _, err := s.ClaimDelivery(ctx, dkey(i), "writer", time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkDelivered(ctx, dkey(i), "writer", "ts-"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}

	reps := repIDs(50)
	v, err := s.PublishSnapshot(ctx, snapshot(asOf1, reps))
	if err != nil {
		t.Fatal(err)
	}

	// The slots to move: the identity links', the snapshot's (current
	// version and index), those of a few reports and of a few delivery
	// records.
	slots := map[int64]bool{}
	keyslot := func(key string) int64 {
		n, err := cc.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			t.Fatalf("CLUSTER KEYSLOT %s: %v", key, err)
		}
		return n
	}
	slots[keyslot(s.userKey("U000"))] = true
	slots[keyslot(s.snapKey("current"))] = true
	for _, r := range reps[:3] {
		slots[keyslot(s.reportKey(v, reportField("rep", insights.PeriodQuarter, string(r))))] = true
	}
	for i := range 8 {
		slots[keyslot(s.deliveryKeys(dkey(i))[0])] = true
	}

	var reads, wrong, failed atomic.Int64
	var mu sync.Mutex
	var firstErrs, firstWrong []string
	note := func(list *[]string, format string, args ...any) {
		mu.Lock()
		if len(*list) < 5 {
			*list = append(*list, fmt.Sprintf(format, args...))
		}
		mu.Unlock()
	}
	fail := func(format string, args ...any) {
		failed.Add(1)
		note(&firstErrs, format, args...)
	}
	bad := func(format string, args ...any) {
		wrong.Add(1)
		note(&firstWrong, format, args...)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := g; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				i := n % users
				u, r := fmt.Sprintf("U%03d", i), insights.RepID(fmt.Sprintf("r%03d", i))
				if got, err := s.UserRep(ctx, u); err != nil {
					if errors.Is(err, insights.ErrUnknownRep) {
						bad("UserRep(%s): %v", u, err)
					} else {
						fail("UserRep(%s): %v", u, err)
					}
				} else if got != r {
					bad("UserRep(%s) = %s, want %s", u, got, r)
				}
				if got, err := s.RepUser(ctx, r); err != nil {
					fail("RepUser(%s): %v", r, err)
				} else if got != u {
					bad("RepUser(%s) = %s, want %s", r, got, u)
				}
				rep := reps[n%len(reps)]
				if got, err := s.RepReport(ctx, rep, insights.PeriodQuarter); err != nil {
					if errors.Is(err, insights.ErrUnknownRep) || errors.Is(err, insights.ErrNoData) {
						bad("RepReport(%s): %v", rep, err)
					} else {
						fail("RepReport(%s): %v", rep, err)
					}
				} else if got.Rep.ID != rep || !got.AsOf.Equal(asOf1) {
					bad("RepReport(%s) = report of %s as of %v", rep, got.Rep.ID, got.AsOf)
				}
				d := n % records
				if ts, ok, err := s.Delivered(ctx, dkey(d)); err != nil {
					fail("Delivered(%s): %v", dkey(d), err)
				} else if !ok || ts != "ts-"+strconv.Itoa(d) {
					bad("Delivered(%s) = %q, %v", dkey(d), ts, ok)
				}
				if c, err := s.ClaimDelivery(ctx, dkey(d), fmt.Sprintf("reader%d", g), time.Minute); err != nil {
					fail("ClaimDelivery(%s): %v", dkey(d), err)
				} else if c != delivery.Sent {
					bad("ClaimDelivery(%s) = %v, want Sent", dkey(d), c)
				}
				reads.Add(5)
			}
		}()
	}
	// A writer moves two users between two reps, through linkScript.
	var relinks atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			m := map[string]insights.RepID{"W1": "x1", "W2": "x2"}
			if n%2 == 1 {
				m = map[string]insights.RepID{"W1": "x2", "W2": "x1"}
			}
			if err := s.LinkUsers(ctx, m, time.Hour); err != nil {
				fail("LinkUsers: %v", err)
			}
			relinks.Add(1)
		}
	}()

	start := time.Now()
	for slot := range slots {
		from, to := slotOwners(ctx, t, cc, slot)
		// One way only: moved there and straight back, a slot's two owners
		// can disagree about it for seconds (each config epoch claiming
		// it, each node redirecting to the other), which is the cluster's
		// own conflict and no client can read through it. redis-cli
		// --cluster reshard moves a slot one way too.
		moved := migrateSlot(ctx, t, cc, slot, from, to)
		t.Logf("slot %d: %d keys moved %s -> %s", slot, moved, from.Addr, to.Addr)
	}
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()

	// The writer's last links point both ways.
	for _, u := range []string{"W1", "W2"} {
		rep, err := s.UserRep(ctx, u)
		if err != nil {
			t.Fatalf("UserRep(%s) after the migrations: %v", u, err)
		}
		if back, err := s.RepUser(ctx, rep); err != nil || back != u {
			t.Errorf("RepUser(%s) = %q, %v; want %s (links not both ways)", rep, back, err, u)
		}
	}
	t.Logf("%d slots migrated in %v under load: %d reads, %d relinks, %d wrong answers, %d errors",
		len(slots), elapsed.Round(time.Millisecond), reads.Load(), relinks.Load(), wrong.Load(), failed.Load())
	if wrong.Load() != 0 || failed.Load() != 0 {
		t.Errorf("%d wrong answers and %d errors during the migrations; first wrong: %s; first errors: %s",
			wrong.Load(), failed.Load(), strings.Join(firstWrong, "; "), strings.Join(firstErrs, "; "))
	}
	if reads.Load() < 100 {
		t.Errorf("only %d reads ran during the migrations", reads.Load())
	}
}

// node is a master of the cluster: its ID and a client of its own.
type node struct {
	ID, Addr string
	c        *redis.Client
}

// clusterMasters returns the masters of the cluster, each with a client
// of its own closed at the test's end.
func clusterMasters(ctx context.Context, t *testing.T, cc *redis.ClusterClient) []node {
	t.Helper()
	ranges, err := cc.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatalf("CLUSTER SLOTS: %v", err)
	}
	o := cc.Options()
	var masters []node
	seen := map[string]bool{}
	for _, r := range ranges {
		m := r.Nodes[0]
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		c := redis.NewClient(&redis.Options{Addr: m.Addr, Username: o.Username, Password: o.Password, TLSConfig: o.TLSConfig})
		t.Cleanup(func() { c.Close() })
		masters = append(masters, node{ID: m.ID, Addr: m.Addr, c: c})
	}
	return masters
}

// slotOwner returns the ID of the node c sees serving slot, or "".
func slotOwner(ctx context.Context, c *redis.Client, slot int64) string {
	ranges, _ := c.ClusterSlots(ctx).Result()
	for _, r := range ranges {
		if int64(r.Start) <= slot && slot <= int64(r.End) {
			return r.Nodes[0].ID
		}
	}
	return ""
}

// slotOwners returns the master serving slot (as it sees itself) and
// another master.
func slotOwners(ctx context.Context, t *testing.T, cc *redis.ClusterClient, slot int64) (from, to node) {
	t.Helper()
	masters := clusterMasters(ctx, t, cc)
	for _, m := range masters {
		if slotOwner(ctx, m.c, slot) == m.ID {
			from = m
		}
	}
	for _, m := range masters {
		if from.ID != "" && m.ID != from.ID {
			to = m
			break
		}
	}
	if from.ID == "" || to.ID == "" {
		t.Fatalf("slot %d: no owner or no other master among %d", slot, len(masters))
	}
	return from, to
}

// migrateSlot moves slot from one master to another as redis-cli
// --cluster reshard does, a few keys per MIGRATE so that readers meet the
// slot half moved, and returns the number of keys moved. It always
// finishes the migration, so the cluster is left whole.
func migrateSlot(ctx context.Context, t *testing.T, cc *redis.ClusterClient, slot int64, from, to node) int {
	t.Helper()
	must := func(what string, err error) {
		if err != nil {
			t.Errorf("slot %d %s: %v", slot, what, err)
		}
	}
	must("SETSLOT IMPORTING", to.c.Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", from.ID).Err())
	must("SETSLOT MIGRATING", from.c.Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", to.ID).Err())
	host, port, _ := strings.Cut(to.Addr, ":")
	o := cc.Options()
	moved := 0
	for tries := 0; tries < 10000; tries++ {
		keys, err := from.c.ClusterGetKeysInSlot(ctx, int(slot), 5).Result()
		if err != nil {
			t.Errorf("slot %d GETKEYSINSLOT: %v", slot, err)
			break
		}
		if len(keys) == 0 {
			break
		}
		args := []any{"MIGRATE", host, port, "", 0, 5000}
		if o.Password != "" {
			args = append(args, "AUTH2", o.Username, o.Password)
		}
		args = append(args, "KEYS")
		for _, k := range keys {
			args = append(args, k)
		}
		if err := from.c.Do(ctx, args...).Err(); err != nil && !errors.Is(err, redis.Nil) {
			t.Errorf("slot %d MIGRATE: %v", slot, err)
			continue
		}
		moved += len(keys)
		time.Sleep(2 * time.Millisecond) // let the readers meet the slot half moved
	}
	// The new owner first, then the old, then every other master (as
	// redis-cli does); then wait until every master agrees, so that the
	// next migration starts from a settled map.
	must("SETSLOT NODE on the new owner", to.c.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", to.ID).Err())
	// Importing bumps the new owner's config epoch only if it is not
	// already the highest; a slot moved there and straight back can then
	// lose to the old owner's claim in the gossip and end up unserved.
	// The highest epoch makes the new owner's claim win.
	must("BUMPEPOCH on the new owner", to.c.Do(ctx, "CLUSTER", "BUMPEPOCH").Err())
	must("SETSLOT NODE on the old owner", from.c.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", to.ID).Err())
	masters := clusterMasters(ctx, t, cc)
	for _, m := range masters {
		if m.ID != from.ID && m.ID != to.ID {
			must("SETSLOT NODE on "+m.Addr, m.c.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", to.ID).Err())
		}
	}
	// Gossip may still carry the old owner's claim: until every master
	// agrees, assert the new owner again, with the highest epoch.
	deadline := time.Now().Add(15 * time.Second)
	for agreed := false; !agreed; {
		for range 25 {
			agreed = true
			for _, m := range masters {
				agreed = agreed && slotOwner(ctx, m.c, slot) == to.ID
			}
			if agreed {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if agreed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot %d: the masters do not agree that %s owns it", slot, to.Addr)
		}
		to.c.Do(ctx, "CLUSTER", "BUMPEPOCH")
		for _, m := range masters {
			m.c.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", to.ID)
		}
	}
	return moved
}
