package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// testRedisURL returns $REDIS_URL, or the URL of a Redis started for the
// test (commands that must keep data refuse the embedded one).
func testRedisURL(t *testing.T) string {
	if url := os.Getenv("REDIS_URL"); url != "" {
		return url
	}
	m := miniredis.RunT(t)
	// miniredis expires keys only when told time has passed: keep its
	// clock on the wall clock, as a real Redis is.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		last := time.Now()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				m.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return "redis://" + m.Addr()
}

func TestImportReplacesEachKindAndKeepsTheRest(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	reps := write("reps.csv", fixtureReps)
	deals := write("deals.csv", fixtureDeals)
	quotas := write("quotas.csv", fixtureQuotas)
	fewer := write("fewer.csv", strings.Join(strings.Split(fixtureDeals, "\n")[:5], "\n")+"\n") // header + A1..A4
	bad := write("bad.csv", "id,name,owner,stage,status,amount,created,closed\nX1,Ok,Ana Lima,Won,won,100,2017-10-01,2017-10-02\nX2,Bad,Ana Lima,Won,won,lots,2017-10-01,2017-10-02\n")

	url, prefix := testRedisURL(t), "rcimport:"+randomHex(t)+":"
	t.Setenv("REDIS_URL", url)
	t.Setenv("REPCOACH_REDIS_PREFIX", prefix)
	t.Setenv("REPCOACH_AS_OF", "2017-12-31")
	t.Setenv("REPCOACH_TZ", "UTC")
	if os.Getenv("REDIS_URL") != "" {
		t.Cleanup(func() { deleteKeys(t, url, prefix) })
	}
	store, err := redisstore.Open(context.Background(), url, redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	imp := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"import"}, args...), &out, &out); err != nil {
			t.Fatalf("import %v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	counts := func() (deals, quotas int) {
		t.Helper()
		ds, err := store.Dataset(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return len(ds.Deals), len(ds.Quotas)
	}

	imp(reps, deals)
	if d, q := counts(); d != 8 || q != 0 {
		t.Fatalf("after reps+deals: %d deals, %d quotas; want 8, 0", d, q)
	}
	imp(quotas)
	if d, q := counts(); d != 8 || q != 2 {
		t.Fatalf("after quotas alone: %d deals, %d quotas; want the 8 deals kept and 2 quotas", d, q)
	}
	imp(reps, deals)
	if d, q := counts(); d != 8 || q != 2 {
		t.Fatalf("after importing the same deals again: %d deals, %d quotas; want no change", d, q)
	}
	imp(fewer)
	if d, _ := counts(); d != 4 {
		t.Fatalf("after a full export without Ben's deals: %d deals, want 4 (deleted deals disappear)", d)
	}
	imp("--merge", deals)
	if d, _ := counts(); d != 8 {
		t.Fatalf("after --merge: %d deals, want 8", d)
	}
	r, err := store.RepReport(context.Background(), "Ana Lima", insights.PeriodQuarter)
	if err != nil {
		t.Fatal(err)
	}
	if r.Metrics.WonRevenue != 40000 || r.Metrics.Quota != 80000 {
		t.Errorf("Ana's quarter after imports: won %v of quota %v, want 40000 of 80000", r.Metrics.WonRevenue, r.Metrics.Quota)
	}

	preview := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"preview"}, args...), &out, &out)
		return out.String(), err
	}
	if got, err := preview("feedback", "--user", "ana lima"); err != nil || !strings.Contains(got, "Your week: week of 25 Dec 2017") || !strings.Contains(got, "Hi Ana") {
		t.Errorf("preview feedback = %v\n%s", err, got)
	}
	if got, err := preview("digest", "--user", "Maria Boss"); err != nil || !strings.Contains(got, "Team digest: Maria Boss's team") || !strings.Contains(got, "Ben Ode") {
		t.Errorf("preview digest = %v\n%s", err, got)
	}
	if _, err := preview("digest", "--user", "Ana Lima"); err == nil || !strings.Contains(err.Error(), "is a rep") {
		t.Errorf("preview digest of a rep = %v, want an explanation", err)
	}
	if _, err := preview("feedback", "--user", "Nobody"); err == nil || !strings.Contains(err.Error(), "no rep or manager called") {
		t.Errorf("preview of an unknown name = %v", err)
	}

	var rejected bytes.Buffer
	err = run(context.Background(), []string{"import", "--merge", bad}, &rejected, &rejected)
	if err == nil || err.Error() != "1 row rejected (listed above); the good rows were stored. Fix the rows and import again, or pass --allow-rejects when rejected rows are expected" {
		t.Errorf("import with a rejected row = %v, want a failure saying so", err)
	}
	if out := rejected.String(); !strings.Contains(out, "bad.csv:3") || !strings.Contains(out, "1 rejected") {
		t.Errorf("bad row report = %q, want file:line of the rejected row", out)
	}
	if d, _ := counts(); d != 9 {
		t.Errorf("after a file with one good and one bad row: %d deals, want 9 (the good row kept)", d)
	}
	if out := imp("--merge", "--allow-rejects", bad); !strings.Contains(out, "bad.csv:3") {
		t.Errorf("--allow-rejects report = %q, want the rejected row listed", out)
	}
}

func TestImportDryRunRejects(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("id,name,owner,stage,status,amount,created,closed\nX1,Ok,Ana Lima,Won,won,100,2017-10-01,2017-10-02\nX2,Big,Ana Lima,Won,won,9300000000000000000,2017-10-01,2017-10-02\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"import", "--dry-run", bad}, &out, &out)
	if err == nil || !strings.HasPrefix(err.Error(), "1 row rejected") {
		t.Errorf("dry run with a rejected row = %v, want a failure", err)
	}
	if !strings.Contains(out.String(), "bad.csv:3: amount \"9300000000000000000\" is too large") {
		t.Errorf("dry run report lacks the rejected amount:\n%s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"import", "--dry-run", "--allow-rejects", bad}, &out, &out); err != nil {
		t.Errorf("dry run --allow-rejects = %v", err)
	}
}

func TestImportWithoutRedisRefuses(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	var out bytes.Buffer
	err := run(context.Background(), []string{"import", "x.csv"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "REDIS_URL is not set") {
		t.Errorf("import without REDIS_URL = %v, want a clear refusal", err)
	}
}

func TestImportDryRunMaven(t *testing.T) {
	sets := []struct {
		name, dir string
		want      []string
	}{
		{"testdata", filepath.Join("..", "..", "insights", "importer", "testdata", "maven-crm"), []string{"14 ", "6 won", "3 lost", "Dry run"}},
		{"shared", filepath.Join("..", "..", "..", "shared", "data", "maven-crm"), []string{"8,800", "4,238 won", "2,473 lost", "Dry run"}},
	}
	t.Setenv("REDIS_URL", "")
	for _, set := range sets {
		if _, err := os.Stat(set.dir); err != nil {
			t.Logf("NOTE: %s is not beside this clone: this test ran on the fixture only, not on the real data set", set.dir)
			continue
		}
		t.Run(set.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(context.Background(), []string{"import", "--dry-run", set.dir}, &out, &out); err != nil {
				t.Fatal(err)
			}
			for _, want := range set.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("dry-run summary lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// TestImportTurkishFlags drives `repcoach import --dry-run` over a Turkish
// export whose dates fit both orders: refused until --date-format is given.
func TestImportTurkishFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "satislar.csv")
	body := "id;owner;status;amount;closed\n1;Ayşe Yılmaz;won;1.234,50;05.11.2026\n2;Ayşe Yılmaz;lost;;03.04.2026\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"import", "--dry-run", path}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "--date-format") || !strings.Contains(err.Error(), `column "closed"`) {
		t.Fatalf("got %v, want the ambiguity error naming the column and --date-format", err)
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"import", "--dry-run", "--date-format", "dd.mm.yyyy", "--delimiter", ";", path}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 imported, 0 rejected", "(';', decimal comma, dd.mm.yyyy)", "Dates: 2026-04-03 to 2026-11-05"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary does not say %q:\n%s", want, stdout.String())
		}
	}
}

// TestImportMixedCurrencies: deals in several currencies are never added up
// as one: refused without rates, converted with them.
func TestImportMixedCurrencies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deals.csv")
	body := "id,owner,status,amount,currency,closed\n1,Ana,won,1000,USD,2026-11-05\n2,Ana,won,1000,EUR,2026-11-06\n3,Ana,won,100000,TRY,2026-11-07\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REPCOACH_CURRENCY", "USD")
	t.Setenv("REPCOACH_FX_RATES", "EUR=1.08")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"import", "--dry-run", path}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "TRY (1 deals)") {
		t.Fatalf("got %v, want a refusal naming TRY", err)
	}
	t.Setenv("REPCOACH_FX_RATES", "EUR=1.08,TRY=0.029")
	stdout.Reset()
	if err := run(context.Background(), []string{"import", "--dry-run", path}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Converted 1 deals from EUR to USD at 1.08.", "Converted 1 deals from TRY to USD at 0.029."} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary does not say %q:\n%s", want, stdout.String())
		}
	}
}
