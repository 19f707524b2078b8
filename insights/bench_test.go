package insights

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// benchDataset generates a deterministic dataset: reps reps in teams of ten
// under 20 offices, deals deals over the two years before now, and an
// activity per ten deals.
func benchDataset(reps, deals int, now time.Time) Dataset {
	rng := rand.New(rand.NewPCG(1, 2))
	stages := []string{"Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review"}
	products := []string{"GTX Basic", "GTX Pro", "MG Special", "MG Advanced", "GTX Plus Pro", "GTX Plus Basic", "GTK 500"}
	ds := Dataset{Reps: make([]Rep, reps), Deals: make([]Deal, deals), ListPrices: map[string]float64{}}
	for i, p := range products {
		ds.ListPrices[p] = float64(500 * (i + 1))
	}
	for i := range ds.Reps {
		ds.Reps[i] = Rep{
			ID:      RepID(fmt.Sprintf("rep%05d", i)),
			Name:    fmt.Sprintf("Rep %d", i),
			Manager: fmt.Sprintf("Manager %d", i/10),
			Team:    fmt.Sprintf("Office %d", i/10%20),
		}
	}
	day := 24 * time.Hour
	for i := range ds.Deals {
		d := &ds.Deals[i]
		d.ID = fmt.Sprintf("D%07d", i)
		d.Owner = ds.Reps[rng.IntN(reps)].ID
		d.Product = products[rng.IntN(len(products))]
		d.Account = fmt.Sprintf("Account %d", rng.IntN(5000))
		d.Amount = float64(100 + rng.IntN(20000))
		d.AmountKnown = true
		d.Created = now.Add(-time.Duration(rng.IntN(730)) * day)
		cycle := time.Duration(5+rng.IntN(120)) * day
		switch r := rng.Float64(); {
		case r < 0.45 && d.Created.Add(cycle).Before(now):
			d.Status, d.Stage, d.Closed = StatusWon, "Closed Won", d.Created.Add(cycle)
		case r < 0.75 && d.Created.Add(cycle).Before(now):
			d.Status, d.Stage, d.Closed = StatusLost, "Closed Lost", d.Created.Add(cycle)
		default:
			d.Status, d.Stage = StatusOpen, stages[rng.IntN(len(stages))]
			d.Closed = d.Created.Add(cycle)
			d.Moved = d.Created.Add(time.Duration(rng.Int64N(int64(now.Sub(d.Created)) + 1)))
		}
	}
	ds.Activities = make([]Activity, deals/10)
	kinds := []ActivityKind{ActivityCall, ActivityEmail, ActivityMeeting}
	for i := range ds.Activities {
		ds.Activities[i] = Activity{
			ID:    fmt.Sprint(i),
			Owner: ds.Reps[rng.IntN(reps)].ID,
			Kind:  kinds[rng.IntN(len(kinds))],
			At:    now.Add(-time.Duration(rng.IntN(365*24)) * time.Hour),
		}
	}
	return ds
}

// BenchmarkSortDeals1M measures SortDeals on 1,000,000 deals in the
// generator's order (owners scattered), what Compute does first with
// deals that did not come from the store.
func BenchmarkSortDeals1M(b *testing.B) {
	now := time.Date(2017, 12, 31, 23, 59, 59, 0, time.UTC)
	ds := benchDataset(10_000, 1_000_000, now)
	deals := make([]Deal, len(ds.Deals))
	for b.Loop() {
		copy(deals, ds.Deals)
		SortDeals(deals)
	}
}

// BenchmarkCompute1M measures Compute on 1,000,000 deals for 10,000 reps,
// in the order the store returns them (SortDeals; the generator's order
// scatters each rep's deals, which made Compute 2.3 times slower). Run it
// with -benchtime=1x for a single pass.
func BenchmarkCompute1M(b *testing.B) {
	now := time.Date(2017, 12, 31, 23, 59, 59, 0, time.UTC)
	ds := benchDataset(10_000, 1_000_000, now)
	SortDeals(ds.Deals)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s := Compute(ds, Calendar{}, now, Options{})
		if len(s.Reps) != 10_000*len(StandardPeriods()) {
			b.Fatalf("got %d rep reports, want %d", len(s.Reps), 10_000*len(StandardPeriods()))
		}
	}
	// Outside the timed loop: the heap a snapshot keeps.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := Compute(ds, Calendar{}, now, Options{})
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/(1<<20), "snapshot-MiB")
	b.ReportMetric(float64(after.HeapAlloc)/(1<<20), "heap-MiB")
	runtime.KeepAlive(s)
	runtime.KeepAlive(ds)
}
