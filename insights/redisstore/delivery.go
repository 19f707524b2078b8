package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/repcoach/repcoach/insights/delivery"
)

// Every Store is a delivery ledger.
var _ delivery.Ledger = (*Store)(nil)

// FirstDelivery reports whether this is the first delivery of Events API
// event eventID: it returns true for exactly one caller across all replicas
// until ttl has passed, and false for every redelivery.
func (s *Store) FirstDelivery(ctx context.Context, eventID string, ttl time.Duration) (bool, error) {
	if err := needTTL("dedupe TTL", ttl); err != nil {
		return false, fmt.Errorf("dedupe event %s: %w", eventID, err)
	}
	ok, err := s.rdb.SetNX(ctx, s.key("evt", eventID), 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("dedupe event %s: %w", eventID, err)
	}
	return ok, nil
}

func (s *Store) deliveryKeys(key string) []string {
	rec := s.key("dlv", "{"+key+"}")
	return []string{rec, rec + ":lease"}
}

// ClaimDelivery claims the scheduled delivery key (such as
// "weekly-feedback/2017-W52/U123") for owner, with a lease that lapses after
// lease unless the delivery is marked first. owner must be unique to the
// process (for example host, pid and a random part): a live lease held by
// the same owner is renewed and reported delivery.New. See delivery.Claim
// for what the caller may do next. The record is kept for
// Options.DeliveryRetention.
func (s *Store) ClaimDelivery(ctx context.Context, key, owner string, lease time.Duration) (delivery.Claim, error) {
	if key == "" || owner == "" {
		return 0, fmt.Errorf("claim delivery %q: empty key or owner", key)
	}
	if err := needTTL("lease", lease); err != nil {
		return 0, fmt.Errorf("claim delivery %s: %w", key, err)
	}
	res, err := claimScript.Run(ctx, s.rdb, s.deliveryKeys(key), owner, ms(lease), ms(s.opts.DeliveryRetention)).Slice()
	if err != nil {
		return 0, fmt.Errorf("claim delivery %s: %w", key, err)
	}
	if len(res) != 2 {
		return 0, fmt.Errorf("claim delivery %s: unexpected reply %v", key, res)
	}
	st, _ := res[0].(int64)
	if st < int64(delivery.New) || st > int64(delivery.Held) {
		return 0, fmt.Errorf("claim delivery %s: unexpected state %v", key, res[0])
	}
	return delivery.Claim(st), nil
}

// MarkDelivered records that delivery key was sent as the message with
// timestamp ts, for Options.DeliveryRetention; every later claim then gets
// delivery.Sent. Only the owner holding the lease may mark it (or the last
// claimer, if its lease lapsed and nobody claimed since); anyone else gets
// an error wrapping ErrNotOwner. Marking again by the same owner is a no-op.
//
// Where the master has replicas, MarkDelivered waits (WAIT, at most
// Options.ReplicaWait) until one has the record, and returns an error
// wrapping ErrNotReplicated if none acknowledged it in time: a record that
// only a master holds is lost with it in a failover, and the message would
// go out again.
func (s *Store) MarkDelivered(ctx context.Context, key, owner, ts string) error {
	if key == "" || owner == "" {
		return fmt.Errorf("mark delivery %q delivered: empty key or owner", key)
	}
	keys := s.deliveryKeys(key)
	var mark *redis.Cmd
	acked, err := s.durably(ctx, keys[0], func(p redis.Pipeliner) {
		mark = markScript.Eval(ctx, p, keys, owner, ts, ms(s.opts.DeliveryRetention))
	})
	if err != nil {
		return fmt.Errorf("mark delivery %s delivered: %w", key, err)
	}
	if ok, _ := mark.Int64(); ok != 1 {
		return fmt.Errorf("mark delivery %s delivered by %s: %w", key, owner, ErrNotOwner)
	}
	if !acked {
		return fmt.Errorf("mark delivery %s delivered: %w", key, ErrNotReplicated)
	}
	return nil
}

// ReleaseDelivery gives up owner's live lease on delivery key at once (a
// run that failed or is stopping), so that the next claim need not wait
// for it to lapse. With maybePosted the next claim is delivery.Reclaimed
// (look in the conversation first); without, delivery.New. It does
// nothing if owner does not hold the lease.
func (s *Store) ReleaseDelivery(ctx context.Context, key, owner string, maybePosted bool) error {
	flag := "0"
	if maybePosted {
		flag = "1"
	}
	if err := releaseScript.Run(ctx, s.rdb, s.deliveryKeys(key), owner, flag).Err(); err != nil {
		return fmt.Errorf("release delivery %s: %w", key, err)
	}
	return nil
}

// durably runs write (commands on the node holding routeKey) and then, if
// that node has replicas, WAITs on the same connection for one of them to
// acknowledge it, for at most Options.ReplicaWait. acked is false only
// when the node has replicas and none acknowledged the write in time.
func (s *Store) durably(ctx context.Context, routeKey string, write func(redis.Pipeliner)) (acked bool, err error) {
	var node *redis.Client
	switch c := s.rdb.(type) {
	case *redis.ClusterClient:
		if node, err = c.MasterForKey(ctx, routeKey); err != nil {
			return false, err
		}
	case *redis.Client:
		node = c
	default:
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { write(p); return nil })
		return err == nil, err
	}
	conn := node.Conn()
	defer conn.Close()
	var info *redis.StringCmd
	cmds, err := conn.Pipelined(ctx, func(p redis.Pipeliner) error {
		write(p)
		info = p.Info(ctx, "replication")
		return nil
	})
	for _, c := range cmds {
		if c != info && c.Err() != nil && !errors.Is(c.Err(), redis.Nil) {
			return false, c.Err()
		}
	}
	if info.Err() != nil || !hasReplicas(info.Val()) {
		// No replicas (or a Redis, like the embedded one, that cannot say).
		return true, nil
	}
	n, err := conn.Do(ctx, "WAIT", 1, ms(s.opts.ReplicaWait)).Int64()
	if err != nil {
		return false, err
	}
	return n >= 1, nil
}

// hasReplicas reports whether an INFO replication answer shows replicas
// connected to the master.
func hasReplicas(info string) bool {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "connected_slaves:"); ok {
			return v != "0"
		}
	}
	return false
}

// Delivered reports whether delivery key was marked delivered and, if so,
// the message ts it was marked with.
func (s *Store) Delivered(ctx context.Context, key string) (ts string, ok bool, err error) {
	vals, err := s.rdb.HMGet(ctx, s.deliveryKeys(key)[0], "state", "ts").Result()
	if err != nil {
		return "", false, fmt.Errorf("read delivery %s: %w", key, err)
	}
	if st, _ := vals[0].(string); st != "sent" {
		return "", false, nil
	}
	ts, _ = vals[1].(string)
	return ts, true, nil
}

func (s *Store) outboxKeys(run string) []string {
	base := s.key("ob", "{"+run+"}")
	return []string{base + ":pending", base + ":done", base + ":sealed"}
}

// EnqueueOutbox queues items (such as Slack user IDs to message) for fan-out
// run, in order, and seals the run. Once a run is sealed, enqueueing it again
// is a no-op, so a restarted job can call EnqueueOutbox unconditionally and
// then work through OutboxPending. An item already marked done is never
// queued again, even by a concurrent enqueue. Duplicate items are queued
// once. The run is kept for Options.OutboxTTL after its last change.
func (s *Store) EnqueueOutbox(ctx context.Context, run string, items []string) error {
	if run == "" {
		return fmt.Errorf("enqueue outbox: empty run")
	}
	keys := s.outboxKeys(run)
	for lo := 0; ; lo += pipelineCommands {
		batch := items[lo:min(lo+pipelineCommands, len(items))]
		last := lo+len(batch) >= len(items)
		seal := "0"
		if last {
			seal = "1"
		}
		args := make([]any, 0, 3+len(batch))
		args = append(args, ms(s.opts.OutboxTTL), seal, lo)
		for _, it := range batch {
			args = append(args, it)
		}
		added, err := enqueueScript.Run(ctx, s.rdb, keys, args...).Int64()
		if err != nil {
			return fmt.Errorf("enqueue outbox %s: %w", run, err)
		}
		if added == 0 || last {
			return nil // already sealed, or done
		}
	}
}

// OutboxPending returns the items of run not yet marked done, in enqueue
// order; none for an unknown or finished run.
func (s *Store) OutboxPending(ctx context.Context, run string) ([]string, error) {
	items, err := s.rdb.ZRange(ctx, s.outboxKeys(run)[0], 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("read outbox %s: %w", run, err)
	}
	return items, nil
}

// OutboxDone marks item of run done: it leaves the pending list for good.
func (s *Store) OutboxDone(ctx context.Context, run, item string) error {
	keys := s.outboxKeys(run)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, keys[0], item)
		p.SAdd(ctx, keys[1], item)
		p.PExpire(ctx, keys[1], s.opts.OutboxTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark %s done in outbox %s: %w", item, run, err)
	}
	return nil
}
