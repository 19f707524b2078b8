package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/repcoach/repcoach/insights"
)

// recognitionsKept is how many recognitions a person's list keeps, and
// recognitionTTL how long it lives after the last one.
const (
	recognitionsKept = 100
	recognitionTTL   = 400 * 24 * time.Hour
)

func (s *Store) recognitionKey(slackID string) string { return s.key("rec", slackID) }

// AddRecognition records a recognition given to r.To, newest first; a
// person keeps their last 100 for 400 days after the latest.
func (s *Store) AddRecognition(ctx context.Context, r insights.Recognition) error {
	if r.To == "" {
		return fmt.Errorf("add recognition: no recipient")
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("add recognition for %s: %w", r.To, err)
	}
	k := s.recognitionKey(r.To)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, k, b)
		p.LTrim(ctx, k, 0, recognitionsKept-1)
		p.PExpire(ctx, k, recognitionTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("add recognition for %s: %w", r.To, err)
	}
	return nil
}

// Recognitions returns the recognitions slackID received at or after since,
// newest first.
func (s *Store) Recognitions(ctx context.Context, slackID string, since time.Time) ([]insights.Recognition, error) {
	raw, err := s.rdb.LRange(ctx, s.recognitionKey(slackID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("read recognitions of %s: %w", slackID, err)
	}
	var out []insights.Recognition
	for _, v := range raw {
		var r insights.Recognition
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return nil, fmt.Errorf("read recognitions of %s: %w", slackID, err)
		}
		if !r.At.Before(since) {
			out = append(out, r)
		}
	}
	return out, nil
}
