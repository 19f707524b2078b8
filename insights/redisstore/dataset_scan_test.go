package redisstore

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/sample"
)

func TestScanDatasetHandsOverEveryDealOnce(t *testing.T) {
	s := OpenTest(t)
	ctx := context.Background()
	if _, err := s.ScanDataset(ctx, func(*insights.Deal) error { return nil }); !errors.Is(err, insights.ErrNoData) {
		t.Fatalf("ScanDataset of an empty store: err = %v, want ErrNoData", err)
	}
	// Over 4,096 deals: several buckets, more than one round trip.
	ds := sample.Generate(sample.Config{Seed: 7, Managers: 2, RepsPerManager: 3, Deals: 20_000, End: time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)})
	ds.ListPrices = map[string]float64{"Widget": 3}
	if err := s.SaveDataset(ctx, ds); err != nil {
		t.Fatal(err)
	}
	want, err := s.Dataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var deals []insights.Deal
	rest, err := s.ScanDataset(ctx, func(d *insights.Deal) error {
		deals = append(deals, *d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	insights.SortDeals(deals) // the order Dataset returns them in
	if !reflect.DeepEqual(deals, want.Deals) {
		t.Errorf("ScanDataset handed over %d deals, not the %d Dataset returns", len(deals), len(want.Deals))
	}
	want.Deals = nil
	if !reflect.DeepEqual(rest, want) {
		t.Errorf("ScanDataset returned %d reps, %d activities, %d quotas, prices %v; want %d, %d, %d, %v",
			len(rest.Reps), len(rest.Activities), len(rest.Quotas), rest.ListPrices, len(want.Reps), len(want.Activities), len(want.Quotas), want.ListPrices)
	}

	stop := errors.New("stop")
	n := 0
	if _, err := s.ScanDataset(ctx, func(*insights.Deal) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("ScanDataset with deal failing: err = %v after %d deals, want stop after 1", err, n)
	}
}
