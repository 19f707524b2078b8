package redisstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/repcoach/repcoach/insights"
)

// scanTrip is how many deal buckets ScanDataset reads per round trip.
const scanTrip = 4

// ScanDataset is Dataset without the deals, which it hands to deal one at a
// time instead, a few buckets at a time and in no particular order, so that
// a caller comparing them with others never holds them all. d is deal's only
// for the call: it is reused for the next deal. The deals and the rest come
// from the same generation. An error from deal stops the scan and is
// returned. It returns insights.ErrNoData if no dataset was ever saved, and
// an error if the generation expired while being scanned (it was superseded
// more than Options.Grace before), once deal has seen part of it.
func (s *Store) ScanDataset(ctx context.Context, deal func(d *insights.Deal) error) (insights.Dataset, error) {
	var ds insights.Dataset
	var g int64
	// The rest is read first, then the deals of the generation it came
	// from: current only moves forward, so it was current before and after.
	for attempt := 0; ; attempt++ {
		before, err := s.currentDataGen(ctx)
		if err != nil {
			return ds, fmt.Errorf("scan dataset: %w", err)
		}
		if ds, err = s.DatasetParts(ctx, AllParts&^PartDeals); err != nil {
			return ds, err
		}
		after, err := s.currentDataGen(ctx)
		if err != nil {
			return ds, fmt.Errorf("scan dataset: %w", err)
		}
		if before == after {
			g = after
			break
		}
		if attempt == 2 {
			return ds, fmt.Errorf("scan dataset: a new generation was made current on each of 3 reads")
		}
	}
	meta, err := s.rdb.HGetAll(ctx, s.genKey(g, "meta")).Result()
	if err != nil {
		return ds, fmt.Errorf("scan dataset generation %d: %w", g, err)
	}
	if len(meta) == 0 {
		return ds, fmt.Errorf("scan dataset generation %d: %w", g, errGone)
	}
	want, buckets := atoi(meta["deals"]), atoi(meta["deals_buckets"])
	seen := 0
	var d insights.Deal
	for lo := 0; lo < buckets; lo += scanTrip {
		vals, err := s.bucketValues(ctx, g, "deals", lo, min(lo+scanTrip, buckets))
		if err != nil {
			return ds, fmt.Errorf("scan dataset generation %d: deals: %w", g, err)
		}
		for bi, bucket := range vals {
			for i, v := range bucket {
				d = insights.Deal{}
				if err := json.Unmarshal([]byte(v), &d); err != nil {
					return ds, fmt.Errorf("scan dataset generation %d: decode deal %d of bucket %d: %w", g, i, lo+bi, err)
				}
				seen++
				if err := deal(&d); err != nil {
					return ds, err
				}
			}
		}
	}
	if seen != want {
		return ds, fmt.Errorf("scan dataset generation %d: read %d deals, want %d: %w", g, seen, want, errGone)
	}
	return ds, nil
}
