package redisstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/repcoach/repcoach/insights/crmsync"
)

// SyncState returns where the CRM syncs of source (such as "salesforce")
// got to: a State with only Source set if it never synced.
func (s *Store) SyncState(ctx context.Context, source string) (crmsync.State, error) {
	st := crmsync.State{Source: source}
	b, err := s.rdb.Get(ctx, s.key("sync", source)).Bytes()
	if err == redis.Nil {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read sync state of %s: %w", source, err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("decode sync state of %s: %w", source, err)
	}
	return st, nil
}

// SetSyncState records st as the sync state of st.Source. It never expires.
func (s *Store) SetSyncState(ctx context.Context, st crmsync.State) error {
	if st.Source == "" {
		return fmt.Errorf("record sync state: no source")
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode sync state of %s: %w", st.Source, err)
	}
	if err := s.rdb.Set(ctx, s.key("sync", st.Source), b, 0).Err(); err != nil {
		return fmt.Errorf("record sync state of %s: %w", st.Source, err)
	}
	return nil
}
