package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DataLossPause is who a pause is "by" when the Store set it itself because
// Redis lost its data; sales ops resume as from any pause.
const DataLossPause = "RepCoach, because Redis lost its data"

// Marker returns this Redis's marker: a random value written the first time
// any process asks, and kept for good. A process remembers the marker it
// started with and checks it with CheckMarker: while Redis keeps its data,
// the marker stays the same.
func (s *Store) Marker(ctx context.Context) (string, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	v, err := s.rdb.SetArgs(ctx, s.key("marker"), hex.EncodeToString(b[:]), redis.SetArgs{Mode: "NX", Get: true}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return hex.EncodeToString(b[:]), nil // this call wrote it
	case err != nil:
		return "", fmt.Errorf("read the Redis data marker: %w", err)
	}
	return v, nil
}

// CheckMarker reports whether Redis lost its data since marker was read: a
// restart without persistence, a flush, a failover to an empty replica. It
// then writes a new marker, pauses every scheduled message (by
// DataLossPause), records when (DataLostAt) and returns the new marker with
// lost true, so that nothing is sent again from a ledger that forgot what
// was sent. Concurrent callers with the same old marker all report the loss.
func (s *Store) CheckMarker(ctx context.Context, marker string) (current string, lost bool, err error) {
	cur, err := s.rdb.Get(ctx, s.key("marker")).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return marker, false, fmt.Errorf("check the Redis data marker: %w", err)
	}
	if err == nil && cur == marker {
		return marker, false, nil
	}
	if err := s.SetPaused(ctx, true, DataLossPause); err != nil {
		return marker, true, err
	}
	if err := s.rdb.Set(ctx, s.key("data-lost"), s.opts.Now().Format(time.RFC3339), 0).Err(); err != nil {
		return marker, true, fmt.Errorf("record the data loss: %w", err)
	}
	cur, err = s.Marker(ctx)
	return cur, true, err
}

// DataLostAt returns when a process last found that Redis had lost its
// data; ok is false if none ever did.
func (s *Store) DataLostAt(ctx context.Context) (at time.Time, ok bool, err error) {
	v, err := s.rdb.Get(ctx, s.key("data-lost")).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("read the data loss time: %w", err)
	}
	at, err = time.Parse(time.RFC3339, v)
	return at, err == nil, err
}

// DurabilityWarnings says, where Redis answers CONFIG GET (managed services
// often refuse it), what would lose RepCoach's data: no persistence at all
// (neither RDB snapshots nor the append-only file), or a maxmemory-policy
// that evicts keys. It returns nil when all is well or Redis will not say.
func (s *Store) DurabilityWarnings(ctx context.Context) []string {
	if s.mini != nil {
		return []string{"the embedded in-process Redis keeps nothing after the process exits"}
	}
	get := func(name string) (string, bool) {
		m, err := s.rdb.ConfigGet(ctx, name).Result()
		if err != nil {
			return "", false
		}
		v, ok := m[name]
		return v, ok
	}
	var out []string
	save, ok1 := get("save")
	aof, ok2 := get("appendonly")
	if ok1 && ok2 && strings.TrimSpace(save) == "" && aof == "no" {
		out = append(out, "Redis has no persistence (save \"\" and appendonly no): a restart loses the record of what was sent, and scheduled DMs are held until sales ops resume them")
	}
	if policy, ok := get("maxmemory-policy"); ok && policy != "noeviction" {
		out = append(out, fmt.Sprintf("Redis maxmemory-policy is %s: under memory pressure it evicts keys RepCoach needs (delivery records carry a TTL, so volatile-* policies evict them too); use noeviction", policy))
	}
	return out
}

// DataWatch notices that Redis lost its data while a process runs. It is
// safe for concurrent use.
type DataWatch struct {
	s      *Store
	mu     sync.Mutex
	marker string
}

// WatchData reads the marker (writing it on a first start) and returns a
// DataWatch that compares later reads with it.
func (s *Store) WatchData(ctx context.Context) (*DataWatch, error) {
	m, err := s.Marker(ctx)
	if err != nil {
		return nil, err
	}
	return &DataWatch{s: s, marker: m}, nil
}

// Lost reports whether Redis lost its data since the last call (see
// CheckMarker, which it calls: scheduled messages are then paused).
func (w *DataWatch) Lost(ctx context.Context) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	cur, lost, err := w.s.CheckMarker(ctx, w.marker)
	w.marker = cur
	return lost, err
}
