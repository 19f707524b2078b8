package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

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

// ClaimState is the outcome of ClaimDelivery.
type ClaimState int

// The claim states.
const (
	// Claimed: the caller holds the lease and nobody claimed the delivery
	// before (or the caller renewed its own live lease): send it.
	Claimed ClaimState = iota + 1
	// Reclaimed: the caller holds the lease, but an earlier claim lapsed
	// without being marked delivered. Its holder may have posted before
	// crashing: check (for example in the channel's history) before sending,
	// and if the message is there, MarkDelivered with its ts instead.
	Reclaimed
	// AlreadySent: the delivery was marked delivered; do not send.
	AlreadySent
	// HeldByOther: another owner holds a live lease; do not send now.
	HeldByOther
)

func (c ClaimState) String() string {
	switch c {
	case Claimed:
		return "claimed"
	case Reclaimed:
		return "reclaimed"
	case AlreadySent:
		return "already sent"
	case HeldByOther:
		return "held by other"
	}
	return fmt.Sprintf("ClaimState(%d)", int(c))
}

func (s *Store) deliveryKeys(key string) []string {
	rec := s.key("dlv", "{"+key+"}")
	return []string{rec, rec + ":lease"}
}

// ClaimDelivery claims the scheduled delivery key (such as
// "weekly-feedback/2017-W52/U123") for owner, with a lease that lapses after
// lease unless the delivery is marked first. owner must be unique to the
// process (for example host, pid and a random part): a live lease held by
// the same owner is renewed and reported Claimed. See ClaimState for what
// the caller may do next. The record is kept for Options.DeliveryRetention.
func (s *Store) ClaimDelivery(ctx context.Context, key, owner string, lease time.Duration) (ClaimState, error) {
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
	if st < int64(Claimed) || st > int64(HeldByOther) {
		return 0, fmt.Errorf("claim delivery %s: unexpected state %v", key, res[0])
	}
	return ClaimState(st), nil
}

// MarkDelivered records that delivery key was sent as the message with
// timestamp ts, for Options.DeliveryRetention; every later claim then gets
// AlreadySent. Only the owner holding the lease may mark it (or the last
// claimer, if its lease lapsed and nobody claimed since); anyone else gets
// an error wrapping ErrNotOwner. Marking again by the same owner is a no-op.
func (s *Store) MarkDelivered(ctx context.Context, key, owner, ts string) error {
	if key == "" || owner == "" {
		return fmt.Errorf("mark delivery %q delivered: empty key or owner", key)
	}
	ok, err := markScript.Run(ctx, s.rdb, s.deliveryKeys(key), owner, ts, ms(s.opts.DeliveryRetention)).Int64()
	if err != nil {
		return fmt.Errorf("mark delivery %s delivered: %w", key, err)
	}
	if ok != 1 {
		return fmt.Errorf("mark delivery %s delivered by %s: %w", key, owner, ErrNotOwner)
	}
	return nil
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
