package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
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
	for lo := 0; lo < len(ids); lo += pipelineCommands {
		batch := ids[lo:min(lo+pipelineCommands, len(ids))]
		if err := s.linkBatch(ctx, batch, links, ttl); err != nil {
			return fmt.Errorf("link %d users: %w", len(ids), err)
		}
	}
	return nil
}

// staleRounds bounds how many times in a row a batch of link changes may
// find every link it read changed by someone else before giving up.
const staleRounds = 10

// linkBatch links the users ids (at most pipelineCommands) to their reps in
// links: it reads each user's and rep's current link, then runs linkScript
// with the keys those name; the links that changed in between (another
// replica, or an earlier link of the same batch) are read and run again.
func (s *Store) linkBatch(ctx context.Context, ids []string, links map[string]insights.RepID, ttl time.Duration) error {
	for stale := 0; len(ids) > 0; {
		cur, err := s.currentLinks(ctx, ids, links)
		if err != nil {
			return err
		}
		cmds, err := s.evalPipelined(ctx, linkScript, len(ids), func(i int) ([]string, []any) {
			id, rep := ids[i], links[ids[i]]
			oldRep, oldUser := cur[2*i], cur[2*i+1]
			return []string{s.userKey(id), s.repKey(rep), s.repKey(insights.RepID(cmp.Or(oldRep, string(rep)))), s.userKey(cmp.Or(oldUser, id))},
				[]any{id, string(rep), ms(ttl), oldRep, oldUser}
		})
		if err != nil {
			return err
		}
		var again []string
		for i, c := range cmds {
			if n, _ := c.(*redis.Cmd).Int64(); n != 1 {
				again = append(again, ids[i])
			}
		}
		if len(again) == len(ids) {
			if stale++; stale == staleRounds {
				return fmt.Errorf("links of %d users kept changing while being linked", len(ids))
			}
		} else {
			stale = 0
		}
		ids = again
	}
	return nil
}

// currentLinks reads, for each of ids, the rep the user is linked to and
// the user its new rep in links is linked to ("" for none), in that order.
func (s *Store) currentLinks(ctx context.Context, ids []string, links map[string]insights.RepID) ([]string, error) {
	cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			p.Get(ctx, s.userKey(id))
			p.Get(ctx, s.repKey(links[id]))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read current links: %w", err)
	}
	out := make([]string, len(cmds))
	for i, c := range cmds {
		v, err := c.(*redis.StringCmd).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("read current links: %w", err)
		}
		out[i] = v
	}
	return out, nil
}

// evalPipelined runs script n times in one pipeline with EVALSHA; if Redis
// lost its script cache (a restart), it runs the batch again with EVAL. The
// script must be idempotent.
func (s *Store) evalPipelined(ctx context.Context, script *redis.Script, n int, call func(i int) (keys []string, args []any)) ([]redis.Cmder, error) {
	eval := script.EvalSha
	for attempt := 0; ; attempt++ {
		cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := range n {
				keys, args := call(i)
				eval(ctx, p, keys, args...)
			}
			return nil
		})
		if err != nil && attempt == 0 && isNoScript(cmds) {
			eval = script.Eval
			continue
		}
		if err != nil && tryAgain(ctx, cmds, attempt) {
			continue
		}
		return cmds, err
	}
}

// tryAgain reports whether a pipeline whose commands are cmds failed only
// because a Redis Cluster slot was half migrated (TRYAGAIN: some of a
// script's keys had moved, some not) and may run again, after a back-off;
// it gives up after about two seconds. go-redis follows ASK and MOVED in
// pipelines but leaves TRYAGAIN to the caller there.
func tryAgain(ctx context.Context, cmds []redis.Cmder, attempt int) bool {
	const attempts = 25
	if attempt >= attempts {
		return false
	}
	for _, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) && !redis.IsTryAgainError(err) {
			return false
		}
	}
	t := time.NewTimer(min(time.Duration(attempt+1)*10*time.Millisecond, 100*time.Millisecond))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
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

func (s *Store) linkBookKey() string  { return s.key("{id}", "book") }
func (s *Store) decisionsKey() string { return s.key("{id}", "decisions") }

// LinkBook returns the outcome of the last identity refresh, or an empty
// book (nil Links, generation 0) when there was none.
func (s *Store) LinkBook(ctx context.Context) (insights.LinkBook, error) {
	var book insights.LinkBook
	b, err := s.rdb.Get(ctx, s.linkBookKey()).Bytes()
	if errors.Is(err, redis.Nil) {
		return book, nil
	}
	if err != nil {
		return book, fmt.Errorf("read link book: %w", err)
	}
	if err := json.Unmarshal(b, &book); err != nil {
		return book, fmt.Errorf("decode link book: %w", err)
	}
	return book, nil
}

// SaveLinkBook replaces the stored link book. It has no TTL: links are
// sticky until a refresh or sales ops change them.
func (s *Store) SaveLinkBook(ctx context.Context, book insights.LinkBook) error {
	b, err := json.Marshal(book)
	if err != nil {
		return fmt.Errorf("encode link book: %w", err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.linkBookKey(), b, 0)
		p.Set(ctx, s.linkBookKey()+":generation", book.Generation, 0)
		return nil
	})
	if err != nil {
		return fmt.Errorf("save link book: %w", err)
	}
	return nil
}

// LinkBookGeneration returns the CRM data generation the stored link book
// was made from (0 when there is none), without reading the book.
func (s *Store) LinkBookGeneration(ctx context.Context) (int64, error) {
	g, err := s.rdb.Get(ctx, s.linkBookKey()+":generation").Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read link book generation: %w", err)
	}
	return g, nil
}

// LinkDecisions returns what sales ops decided about links: Slack user ID
// → the CRM person they are, or "" for "link this user to nobody".
func (s *Store) LinkDecisions(ctx context.Context) (map[string]insights.RepID, error) {
	m, err := s.rdb.HGetAll(ctx, s.decisionsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("read link decisions: %w", err)
	}
	out := make(map[string]insights.RepID, len(m))
	for id, rep := range m {
		out[id] = insights.RepID(rep)
	}
	return out, nil
}

// SetLinkDecision records that Slack user slackID is rep (or, with rep "",
// nobody); it replaces an earlier decision about that user, and removes
// decisions linking anyone else to rep, so one person has one Slack user.
func (s *Store) SetLinkDecision(ctx context.Context, slackID string, rep insights.RepID) error {
	if slackID == "" {
		return errors.New("link decision: empty Slack ID")
	}
	if rep != "" {
		cur, err := s.LinkDecisions(ctx)
		if err != nil {
			return err
		}
		for id, r := range cur {
			if r == rep && id != slackID {
				if err := s.rdb.HDel(ctx, s.decisionsKey(), id).Err(); err != nil {
					return fmt.Errorf("link decision: %w", err)
				}
			}
		}
	}
	if err := s.rdb.HSet(ctx, s.decisionsKey(), slackID, string(rep)).Err(); err != nil {
		return fmt.Errorf("link decision: %w", err)
	}
	return nil
}

// UnlinkUsers removes the links of the Slack users ids, and the reverse
// links of their reps where those still point at them.
func (s *Store) UnlinkUsers(ctx context.Context, ids []string) error {
	for _, id := range ids {
		if err := s.unlink(ctx, id); err != nil {
			return fmt.Errorf("unlink %s: %w", id, err)
		}
	}
	return nil
}

// unlink reads the rep Slack user id is linked to and runs unlinkScript
// with its key, again if the link changed in between.
func (s *Store) unlink(ctx context.Context, id string) error {
	for range staleRounds {
		rep, err := s.rdb.Get(ctx, s.userKey(id)).Result()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return err
		}
		n, err := unlinkScript.Run(ctx, s.rdb, []string{s.userKey(id), s.repKey(insights.RepID(rep))}, id, rep).Int64()
		if err != nil {
			return err
		}
		if n == 1 {
			return nil
		}
	}
	return errors.New("the link kept changing while being removed")
}

// unlinkScript deletes KEYS[1] (a user's link) and the rep's reverse link
// KEYS[2] when it holds ARGV[1] (the user's ID), if KEYS[1] still holds
// ARGV[2] (the rep the caller read): 1 if so, else 0 (read again).
var unlinkScript = newScript("unlinkScript", `
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1`)

// DataGeneration returns the generation of the stored CRM dataset, which
// every import changes, or 0 when nothing was imported.
func (s *Store) DataGeneration(ctx context.Context) (int64, error) {
	g, err := s.rdb.Get(ctx, s.dataKey("current")).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read data generation: %w", err)
	}
	return g, nil
}
