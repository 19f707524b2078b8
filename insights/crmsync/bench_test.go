package crmsync_test

import (
	"bufio"
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/crmsync"
	"github.com/repcoach/repcoach/insights/redisstore"
	"github.com/repcoach/repcoach/insights/salesforce"
	"github.com/repcoach/repcoach/insights/salesforce/sffake"
	"github.com/repcoach/repcoach/insights/sample"

	"crypto/x509"
	"encoding/pem"
)

// benchDeals is the number of opportunities the sync benchmarks serve:
// 1,000,000 unless REPCOACH_BENCH_DEALS says otherwise.
func benchDeals() int {
	if n, err := strconv.Atoi(os.Getenv("REPCOACH_BENCH_DEALS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// timed wraps the sync's source, store and publisher to time each phase.
type timed struct {
	fetch, read, save, compute, publish time.Duration
	// written and kept are the last publish's reports written and shared.
	written, kept int
}

type timedSource struct {
	crmsync.Source
	t *timed
}

func (s timedSource) Fetch(ctx context.Context, since time.Time) (crmsync.Changes, error) {
	start := time.Now()
	defer func() { s.t.fetch += time.Since(start) }()
	return s.Source.Fetch(ctx, since)
}

type timedStore struct {
	crmsync.Store
	t *timed
}

func (s timedStore) Dataset(ctx context.Context) (insights.Dataset, error) {
	start := time.Now()
	defer func() { s.t.read += time.Since(start) }()
	return s.Store.Dataset(ctx)
}

func (s timedStore) ScanDataset(ctx context.Context, deal func(*insights.Deal) error) (insights.Dataset, error) {
	start := time.Now()
	defer func() { s.t.read += time.Since(start) }()
	return s.Store.ScanDataset(ctx, deal)
}

func (s timedStore) SaveDataset(ctx context.Context, ds insights.Dataset) error {
	start := time.Now()
	defer func() { s.t.save += time.Since(start) }()
	return s.Store.SaveDataset(ctx, ds)
}

// peakHeap samples the Go heap in use until stop is called, returning the
// highest value seen.
func peakHeap() (stop func() uint64) {
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// vmHWM returns the process's peak resident memory in bytes (Linux).
func vmHWM() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

type benchRig struct {
	clock  *clock
	fake   *sffake.Server
	syncer *crmsync.Syncer
	t      *timed
	deals  int
}

func newBenchRig(b *testing.B) *benchRig {
	return newBenchRigWith(b, false)
}

// benchDataset is the org the benchmarks serve: n opportunities of 10,000
// reps in teams of ten, with stage history.
func benchDataset(n int) insights.Dataset {
	return sample.Generate(sample.Config{Seed: 9, Managers: 1000, RepsPerManager: 10, Deals: n, End: day(2024, 6, 30), ActivitiesPerDeal: -1})
}

// newBenchRigWith is newBenchRig; with apart the fake Salesforce runs in a
// process of its own (this test binary running TestServeFakeSalesforce),
// so that the benchmark's memory and CPU are the sync's alone, and r.fake
// is nil.
func newBenchRigWith(b *testing.B, apart bool) *benchRig {
	b.Helper()
	n := benchDeals()
	r := &benchRig{clock: &clock{t: day(2024, 7, 1)}, t: &timed{}, deals: n}
	var url string
	if apart {
		url = serveFakeApart(b, n)
	} else {
		fake, err := sffake.New(sffake.Config{Dataset: benchDataset(n), PublicKey: &rsaKey().PublicKey, Now: r.clock.Now, DailyLimit: 100_000_000, SessionTTL: 1000 * time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { fake.Close() })
		r.fake, url = fake, fake.URL()
	}
	client, err := salesforce.New(salesforce.Config{
		LoginURL: url, ClientID: sffake.DefaultClientID, Username: sffake.DefaultUsername,
		PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey())}),
	})
	if err != nil {
		b.Fatal(err)
	}
	store := redisstore.OpenTest(b)
	cal := insights.NewCalendar(time.UTC, time.Monday, time.January)
	r.syncer = &crmsync.Syncer{Source: timedSource{client, r.t}, Store: timedStore{store, r.t}, Now: r.clock.Now,
		Publish: func(ctx context.Context, ds insights.Dataset, _ []insights.RepID) error {
			start := time.Now()
			snap := insights.Compute(ds, cal, r.clock.Now(), insights.Options{})
			for i := range snap.Teams {
				snap.Teams[i] = snap.Teams[i].Slim(98)
			}
			r.t.compute += time.Since(start)
			start = time.Now()
			p, err := store.Publish(ctx, snap)
			r.t.publish += time.Since(start)
			r.t.written, r.t.kept = p.Written, p.Kept
			return err
		}}
	return r
}

// serveFakeApart starts this test binary as a fake Salesforce org of n
// opportunities and returns its URL; the process ends when the benchmark
// does.
func serveFakeApart(b *testing.B, n int) string {
	b.Helper()
	pub, err := x509.MarshalPKIXPublicKey(&rsaKey().PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeFakeSalesforce$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "REPCOACH_SERVE_SFFAKE="+strconv.Itoa(n),
		"REPCOACH_SERVE_SFFAKE_KEY="+string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "FAKE SALESFORCE AT "); ok {
			go io.Copy(io.Discard, stdout)
			return u
		}
	}
	b.Fatalf("the fake Salesforce process did not start: %v", sc.Err())
	return ""
}

// TestServeFakeSalesforce is the fake Salesforce process of
// serveFakeApart: with REPCOACH_SERVE_SFFAKE=n it serves an org of n
// opportunities, trusting the key in REPCOACH_SERVE_SFFAKE_KEY, until its
// standard input closes. Otherwise it returns at once.
func TestServeFakeSalesforce(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("REPCOACH_SERVE_SFFAKE"))
	if err != nil {
		return
	}
	blk, _ := pem.Decode([]byte(os.Getenv("REPCOACH_SERVE_SFFAKE_KEY")))
	if blk == nil {
		t.Fatal("REPCOACH_SERVE_SFFAKE_KEY holds no PEM key")
	}
	key, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	fake, err := sffake.New(sffake.Config{Dataset: benchDataset(n), PublicKey: key.(*rsa.PublicKey), DailyLimit: 100_000_000, SessionTTL: 1000 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	fmt.Printf("FAKE SALESFORCE AT %s\n", fake.URL())
	io.Copy(io.Discard, os.Stdin)
}

func (r *benchRig) report(b *testing.B, n int) {
	b.ReportMetric(r.t.fetch.Seconds()/float64(n), "fetch-s/op")
	b.ReportMetric(r.t.read.Seconds()/float64(n), "read-s/op")
	b.ReportMetric(r.t.save.Seconds()/float64(n), "save-s/op")
	b.ReportMetric(r.t.compute.Seconds()/float64(n), "recompute-s/op")
	b.ReportMetric(r.t.publish.Seconds()/float64(n), "publish-s/op")
	b.ReportMetric(float64(r.t.written), "reports-written")
	b.ReportMetric(float64(r.t.kept), "reports-shared")
}

// binaryMemoryLimit is the soft memory limit the repcoach binary sets
// unless GOMEMLIMIT says otherwise (cmd/repcoach defaultMemoryLimit).
const binaryMemoryLimit = 768 << 20

// BenchmarkFullSync1M syncs 1,000,000 opportunities (10,000 reps in teams
// of ten, with their stage history) from the fake Salesforce, run in a
// process of its own, into Redis and publishes every report. It reports
// opportunities read per second, the Go heap's in-use peak (sampled every
// 20 ms) and the process's peak RSS (VmHWM), both the sync's alone. It runs
// under the soft memory limit the repcoach binary sets
// (binaryMemoryLimit, unless GOMEMLIMIT is set), so that it measures what
// the binary does: without it the heap may grow to twice what is live
// before the GC runs.
func BenchmarkFullSync1M(b *testing.B) {
	if os.Getenv("GOMEMLIMIT") == "" {
		prev := debug.SetMemoryLimit(binaryMemoryLimit)
		b.Cleanup(func() { debug.SetMemoryLimit(prev) })
	}
	r := newBenchRigWith(b, true)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	stop := peakHeap()
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		st, err := r.syncer.Sync(ctx, true)
		if err != nil {
			b.Fatal(err)
		}
		if st.Total != r.deals {
			b.Fatalf("stored %d deals, want %d", st.Total, r.deals)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	peak := stop()
	b.ReportMetric(float64(r.deals*b.N)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-inuse-MiB")
	b.ReportMetric(float64(base)/(1<<20), "heap-before-MiB")
	b.ReportMetric(float64(vmHWM())/(1<<20), "process-peak-RSS-MiB")
	r.report(b, b.N)
}

// BenchmarkIncrementalSync1Percent changes 1 % of the opportunities in the
// fake (closing open ones as won, spread over the reps) after a full sync,
// then times the incremental sync that reads them and republishes.
func BenchmarkIncrementalSync1Percent(b *testing.B) {
	r := newBenchRig(b)
	ctx := context.Background()
	if _, err := r.syncer.Sync(ctx, true); err != nil {
		b.Fatal(err)
	}
	ids := r.fake.OpportunityIDs()
	change := len(ids) / 100
	*r.t = timed{}
	b.ResetTimer()
	var affected int
	for i := range b.N {
		b.StopTimer()
		r.clock.Add(time.Hour)
		for j := range change {
			id := ids[(i*change+j*97)%len(ids)]
			r.fake.UpdateDeal(id, func(d *insights.Deal) { d.Amount += 1; d.AmountKnown = true })
		}
		b.StartTimer()
		st, err := r.syncer.Sync(ctx, false)
		if err != nil {
			b.Fatal(err)
		}
		if st.Deals < change {
			b.Fatalf("read %d deals, want at least %d", st.Deals, change)
		}
		affected = st.Affected
	}
	b.StopTimer()
	b.ReportMetric(float64(change), "deals-changed")
	b.ReportMetric(float64(affected), "reps-touched")
	r.report(b, b.N)
}
