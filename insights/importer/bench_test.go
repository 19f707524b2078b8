package importer

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights/sample"
)

func BenchmarkImportMaven(b *testing.B) {
	needDir(b, mavenDir)
	b.ReportAllocs()
	for b.Loop() {
		res, err := Import([]string{mavenDir}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Dataset.Deals) != 8800 {
			b.Fatalf("deals: got %d, want 8800", len(res.Dataset.Deals))
		}
	}
}

// BenchmarkImport1M imports a generated file of 1,000,000 deals owned by
// 10,000 reps, in the generic shape sample.WriteCSV writes. It reports the
// heap held by the imported dataset as MB-live.
func BenchmarkImport1M(b *testing.B) {
	const deals = 1_000_000
	path := filepath.Join(b.TempDir(), "deals.csv")
	writeBigCSV(b, path, deals)
	b.ReportAllocs()
	var live uint64
	for b.Loop() {
		res, err := Import([]string{path}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Dataset.Deals) != deals || len(res.Errors) > 0 {
			b.Fatalf("got %d deals and %d errors, want %d and none", len(res.Dataset.Deals), len(res.Errors), deals)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		live = ms.HeapAlloc
		runtime.KeepAlive(res)
	}
	b.ReportMetric(float64(live)/(1<<20), "MB-live")
}

func writeBigCSV(b *testing.B, path string, deals int) {
	b.Helper()
	ds := sample.Generate(sample.Config{
		Seed: 1, Managers: 500, RepsPerManager: 20, Deals: deals,
		Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		ActivitiesPerDeal: -1,
	})
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := sample.WriteCSV(w, ds); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	_ = ds
	runtime.GC()
}
