package redisstore

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights"
)

// BenchmarkRepReport measures one cached /myperformance read: one EVALSHA
// round trip and the JSON decode, with 10,000 reps published.
func BenchmarkRepReport(b *testing.B) {
	s := OpenTest(b)
	ctx := b.Context()
	reps := repIDs(10000)
	if _, err := s.PublishSnapshot(ctx, snapshot(asOf1, reps)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.RepReport(ctx, reps[i%len(reps)], insights.PeriodQuarter); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRepReportParallel is BenchmarkRepReport from many goroutines, as
// under a burst of slash commands.
func BenchmarkRepReportParallel(b *testing.B) {
	s := OpenTest(b)
	ctx := b.Context()
	reps := repIDs(10000)
	if _, err := s.PublishSnapshot(ctx, snapshot(asOf1, reps)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.RepReport(ctx, reps[i%len(reps)], insights.PeriodQuarter); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkPublish10kReps publishes a snapshot of 10,000 reps × 5 periods of
// realistic RepReports (about 2.5 kB of JSON each) plus a team report per
// period. Superseded versions expire at once so memory stays flat.
func BenchmarkPublish10kReps(b *testing.B) {
	s := OpenTestOptions(b, Options{Grace: time.Millisecond})
	ctx := b.Context()
	snap := snapshot(asOf1, repIDs(10000))
	one, _ := json.Marshal(snap.Reps[0])
	b.SetBytes(int64(len(one) * len(snap.Reps)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.PublishSnapshot(ctx, snap); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(one)), "B/report")
}

// BenchmarkSaveDataset100kDeals saves and reads back 100,000 deals with
// stage history for 1,000 reps.
func BenchmarkSaveDataset100kDeals(b *testing.B) {
	s := OpenTestOptions(b, Options{Grace: time.Millisecond})
	ctx := b.Context()
	var ds insights.Dataset
	for i := range 1000 {
		ds.Reps = append(ds.Reps, insights.Rep{ID: insights.RepID(fmt.Sprintf("R%04d", i)), Name: "Anna Snelling",
			Email: "anna@example.com", Manager: "Dustin Brinkmann", Team: "Central"})
	}
	for i := range 100000 {
		ds.Deals = append(ds.Deals, insights.Deal{ID: fmt.Sprintf("D%07d", i), Name: "Acme expansion", Owner: ds.Reps[i%1000].ID,
			Stage: "Won", Status: insights.StatusWon, Amount: 4821, AmountKnown: true, Created: asOf1.AddDate(0, -2, 0),
			Closed: asOf1, Moved: asOf1, Product: "GTX Pro", Account: "Acme Corporation",
			History: []insights.StageChange{{Stage: "Prospecting", At: asOf1.AddDate(0, -2, 0)}, {Stage: "Engaging", At: asOf1.AddDate(0, -1, 0)}}})
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.SaveDataset(ctx, ds); err != nil {
			b.Fatal(err)
		}
		got, err := s.Dataset(ctx)
		if err != nil || len(got.Deals) != len(ds.Deals) {
			b.Fatalf("read back %d deals, %v", len(got.Deals), err)
		}
	}
}
