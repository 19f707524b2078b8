package redisstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/repcoach/repcoach/insights"
)

func (s *Store) trainingKey(slackID string) string { return s.key("train", slackID) }

// SetTraining records where slackID stands with the training module id.
func (s *Store) SetTraining(ctx context.Context, slackID, id string, st insights.TrainingStatus) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("set training %s of %s: %w", id, slackID, err)
	}
	if err := s.rdb.HSet(ctx, s.trainingKey(slackID), id, b).Err(); err != nil {
		return fmt.Errorf("set training %s of %s: %w", id, slackID, err)
	}
	return nil
}

// Trainings returns where slackID stands with each training module they
// acted on, by module ID; empty when none.
func (s *Store) Trainings(ctx context.Context, slackID string) (map[string]insights.TrainingStatus, error) {
	raw, err := s.rdb.HGetAll(ctx, s.trainingKey(slackID)).Result()
	if err != nil {
		return nil, fmt.Errorf("read trainings of %s: %w", slackID, err)
	}
	out := make(map[string]insights.TrainingStatus, len(raw))
	for id, v := range raw {
		var st insights.TrainingStatus
		if err := json.Unmarshal([]byte(v), &st); err != nil {
			return nil, fmt.Errorf("read training %s of %s: %w", id, slackID, err)
		}
		out[id] = st
	}
	return out, nil
}
