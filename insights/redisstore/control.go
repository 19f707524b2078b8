package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// SetOptOut records whether Slack user slackID opted out of messages of kind
// (such as "weekly-feedback" or "nudges"). Preferences never expire.
func (s *Store) SetOptOut(ctx context.Context, slackID, kind string, out bool) error {
	var err error
	if out {
		err = s.rdb.SAdd(ctx, s.key("optout", slackID), kind).Err()
	} else {
		err = s.rdb.SRem(ctx, s.key("optout", slackID), kind).Err()
	}
	if err != nil {
		return fmt.Errorf("set opt-out of %s from %s to %v: %w", slackID, kind, out, err)
	}
	return nil
}

// OptedOut reports whether Slack user slackID opted out of messages of kind.
func (s *Store) OptedOut(ctx context.Context, slackID, kind string) (bool, error) {
	out, err := s.rdb.SIsMember(ctx, s.key("optout", slackID), kind).Result()
	if err != nil {
		return false, fmt.Errorf("read opt-out of %s from %s: %w", slackID, kind, err)
	}
	return out, nil
}

// SetPaused pauses (or resumes) every scheduled message, recording who did
// it and when (Options.Now). It applies to all replicas at once.
func (s *Store) SetPaused(ctx context.Context, paused bool, by string) error {
	var err error
	if paused {
		err = s.rdb.HSet(ctx, s.key("paused"), "by", by, "at", s.opts.Now().Format(time.RFC3339)).Err()
	} else {
		err = s.rdb.Del(ctx, s.key("paused")).Err()
	}
	if err != nil {
		return fmt.Errorf("set paused to %v: %w", paused, err)
	}
	return nil
}

// Paused reports whether scheduled messages are paused.
func (s *Store) Paused(ctx context.Context) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.key("paused")).Result()
	if err != nil {
		return false, fmt.Errorf("read paused: %w", err)
	}
	return n == 1, nil
}

// PausedBy returns who paused scheduled messages and when; ok is false when
// they are not paused.
func (s *Store) PausedBy(ctx context.Context) (by string, at time.Time, ok bool, err error) {
	m, err := s.rdb.HGetAll(ctx, s.key("paused")).Result()
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("read paused: %w", err)
	}
	if len(m) == 0 {
		return "", time.Time{}, false, nil
	}
	at, _ = time.Parse(time.RFC3339, m["at"])
	return m["by"], at, true, nil
}

// TryLock takes the lock name for owner for ttl, or renews it if owner
// already holds it. It reports whether owner holds the lock now; false means
// another owner does.
func (s *Store) TryLock(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if owner == "" {
		return false, fmt.Errorf("lock %s: empty owner", name)
	}
	if err := needTTL("lock TTL", ttl); err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	n, err := lockScript.Run(ctx, s.rdb, []string{s.key("lock", name)}, owner, ms(ttl)).Int64()
	if err != nil {
		return false, fmt.Errorf("lock %s for %s: %w", name, owner, err)
	}
	return n == 1, nil
}

// Unlock releases the lock name if owner holds it, in one atomic
// compare-and-delete. If owner does not hold it (it expired, or someone else
// took it) the lock is left alone and the error wraps ErrNotOwner.
func (s *Store) Unlock(ctx context.Context, name, owner string) error {
	n, err := unlockScript.Run(ctx, s.rdb, []string{s.key("lock", name)}, owner).Int64()
	if err != nil {
		return fmt.Errorf("unlock %s for %s: %w", name, owner, err)
	}
	if n != 1 {
		return fmt.Errorf("unlock %s for %s: %w", name, owner, ErrNotOwner)
	}
	return nil
}

// SetLanguage records the language ("en", "tr") Slack user slackID chose
// with /repcoach language. Choices never expire.
func (s *Store) SetLanguage(ctx context.Context, slackID, code string) error {
	if err := s.rdb.HSet(ctx, s.key("lang"), slackID, code).Err(); err != nil {
		return fmt.Errorf("set language of %s to %s: %w", slackID, code, err)
	}
	return nil
}

// Language returns the language Slack user slackID chose; ok is false when
// they chose none.
func (s *Store) Language(ctx context.Context, slackID string) (code string, ok bool, err error) {
	code, err = s.rdb.HGet(ctx, s.key("lang"), slackID).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read language of %s: %w", slackID, err)
	}
	return code, true, nil
}
