package redisstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/repcoach/repcoach/insights"
)

func (s *Store) userKey(slackID string) string    { return s.key("{id}", "user", slackID) }
func (s *Store) repKey(rep insights.RepID) string { return s.key("{id}", "rep", string(rep)) }

// LinkUsers records each Slack user ID → rep link in links, and the reverse
// rep → Slack user link, for ttl. Linking replaces a user's or a rep's
// previous link and removes the now stale reverse link, so nobody is left
// linked to someone else's rep. Links not in links are left alone and
// expire with their own TTL; the caller refreshes them (daily). If links
// maps two Slack users to one rep, only the later in Slack ID order stays
// linked to it.
func (s *Store) LinkUsers(ctx context.Context, links map[string]insights.RepID, ttl time.Duration) error {
	if err := needTTL("link TTL", ttl); err != nil {
		return fmt.Errorf("link users: %w", err)
	}
	ids := slices.Sorted(maps.Keys(links))
	for _, id := range ids {
		if id == "" || links[id] == "" {
			return fmt.Errorf("link users: empty Slack ID or rep in link %q → %q", id, links[id])
		}
	}
	userBase, repBase := s.userKey(""), s.repKey("")
	for lo := 0; lo < len(ids); lo += pipelineCommands {
		batch := ids[lo:min(lo+pipelineCommands, len(ids))]
		err := s.evalPipelined(ctx, linkScript, len(batch), func(i int) ([]string, []any) {
			id := batch[i]
			rep := links[id]
			return []string{s.userKey(id), s.repKey(rep)}, []any{id, string(rep), ms(ttl), userBase, repBase}
		})
		if err != nil {
			return fmt.Errorf("link %d users: %w", len(ids), err)
		}
	}
	return nil
}

// evalPipelined runs script n times in one pipeline with EVALSHA; if Redis
// lost its script cache (a restart), it loads the script and runs the batch
// again. The script must be idempotent.
func (s *Store) evalPipelined(ctx context.Context, script *redis.Script, n int, call func(i int) (keys []string, args []any)) error {
	for attempt := 0; ; attempt++ {
		cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := range n {
				keys, args := call(i)
				script.EvalSha(ctx, p, keys, args...)
			}
			return nil
		})
		if err != nil && attempt == 0 && isNoScript(cmds) {
			if err := script.Load(ctx, s.rdb).Err(); err != nil {
				return fmt.Errorf("load script: %w", err)
			}
			continue
		}
		return err
	}
}

func isNoScript(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if err := c.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			return true
		}
	}
	return false
}

// UserRep returns the rep linked to Slack user slackID, or
// insights.ErrUnknownRep if the user is not linked (or the link expired).
func (s *Store) UserRep(ctx context.Context, slackID string) (insights.RepID, error) {
	rep, err := s.rdb.Get(ctx, s.userKey(slackID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("rep of Slack user %s: %w", slackID, insights.ErrUnknownRep)
	}
	if err != nil {
		return "", fmt.Errorf("rep of Slack user %s: %w", slackID, err)
	}
	return insights.RepID(rep), nil
}

// RepUser returns the Slack user ID linked to rep, or insights.ErrUnknownRep
// if the rep is not linked (or the link expired).
func (s *Store) RepUser(ctx context.Context, rep insights.RepID) (string, error) {
	id, err := s.rdb.Get(ctx, s.repKey(rep)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("Slack user of rep %s: %w", rep, insights.ErrUnknownRep)
	}
	if err != nil {
		return "", fmt.Errorf("Slack user of rep %s: %w", rep, err)
	}
	return id, nil
}

// CacheUserTZ caches Slack user slackID's IANA time zone name for ttl.
func (s *Store) CacheUserTZ(ctx context.Context, slackID, tz string, ttl time.Duration) error {
	if err := needTTL("time zone TTL", ttl); err != nil {
		return fmt.Errorf("cache time zone of %s: %w", slackID, err)
	}
	if err := s.rdb.Set(ctx, s.key("tz", slackID), tz, ttl).Err(); err != nil {
		return fmt.Errorf("cache time zone of %s: %w", slackID, err)
	}
	return nil
}

// UserTZ returns the cached time zone name of Slack user slackID; ok is
// false if none is cached.
func (s *Store) UserTZ(ctx context.Context, slackID string) (tz string, ok bool, err error) {
	tz, err = s.rdb.Get(ctx, s.key("tz", slackID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("cached time zone of %s: %w", slackID, err)
	}
	return tz, true, nil
}
