package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/hubspot/hsfake"
	"github.com/repcoach/repcoach/insights/importer"
	"github.com/repcoach/repcoach/insights/salesforce/sffake"
)

var sfKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func sfKeyPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(sfKey())}))
}

// syncConfig returns a Config for a test app on its own Redis prefix.
func syncConfig(t *testing.T, redisURL string) Config {
	var b [6]byte
	_, _ = rand.Read(b[:])
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RedisURL, cfg.RedisPrefix = redisURL, "rcsync:"+hex.EncodeToString(b[:])+":"
	cfg.AsOf, cfg.TimeZone = "2017-12-31", "UTC"
	t.Cleanup(func() {
		ctx := context.Background()
		app, err := newApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			return
		}
		defer app.Close()
		iter := app.store.Client().Scan(ctx, 0, cfg.RedisPrefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			app.store.Client().Del(ctx, iter.Val())
		}
	})
	return cfg
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startSF starts a fake Salesforce org serving ds and points cfg at it.
func startSF(t *testing.T, cfg *Config, ds insights.Dataset, now func() time.Time) *sffake.Server {
	t.Helper()
	fake, err := sffake.New(sffake.Config{Dataset: ds, PublicKey: &sfKey().PublicKey, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	cfg.SFLoginURL, cfg.SFClientID, cfg.SFUsername = fake.URL(), sffake.DefaultClientID, sffake.DefaultUsername
	cfg.SFPrivateKey, cfg.SFProductField = sfKeyPEM(), "Product__c"
	return fake
}

// reportsOf reads every rep and team report of every standard period,
// keyed "rep:<period>:<rep>" and "team:<period>:<team>", normalised by
// norm (which maps CRM IDs back to the CSV's).
func reportsOf(t *testing.T, app *App, norm func(any) any) map[string]any {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	reps, err := app.store.Reps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	teams, err := app.store.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range insights.StandardPeriods() {
		rs, err := app.store.RepReports(ctx, p, reps)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			out[fmt.Sprintf("rep:%s:%s", p, norm(string(r.Rep.ID)))] = normalise(r, norm)
		}
		for _, team := range teams {
			tr, err := app.store.TeamReport(ctx, team, p)
			if err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("team:%s:%s", p, team)] = normalise(tr, norm)
		}
	}
	return out
}

// normalise turns a report into plain JSON values: strings through norm,
// numbers rounded to 9 significant digits, emails dropped (the CRM has
// them, the CSV not), and lists sorted (ties between reps sort by ID, and
// the IDs differ).
func normalise(v any, norm func(any) any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var x any
	_ = json.Unmarshal(b, &x)
	var walk func(any) any
	walk = func(x any) any {
		switch y := x.(type) {
		case map[string]any:
			delete(y, "email")
			for k, v := range y {
				y[k] = walk(v)
			}
		case []any:
			for i := range y {
				y[i] = walk(y[i])
			}
			sort.Slice(y, func(i, j int) bool {
				a, _ := json.Marshal(y[i])
				b, _ := json.Marshal(y[j])
				return string(a) < string(b)
			})
		case string:
			return norm(y)
		case float64:
			if y == 0 {
				return y
			}
			mag := math.Pow(10, 9-math.Ceil(math.Log10(math.Abs(y))))
			return math.Round(y*mag) / mag
		}
		return x
	}
	return walk(x)
}

// compareReports fails the test for every report that differs.
func compareReports(t *testing.T, want, got map[string]any) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	bad := 0
	for _, k := range keys {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: missing after the sync", k)
			bad++
		} else if !reflect.DeepEqual(want[k], g) {
			t.Errorf("%s differs: %s", k, firstDiff("", want[k], g))
			bad++
		}
		if bad > 3 {
			t.Fatalf("more reports differ")
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: only after the sync", k)
		}
	}
}

// firstDiff describes the first place a and b differ.
func firstDiff(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !reflect.DeepEqual(x[k], y[k]) {
				return firstDiff(path+"."+k, x[k], y[k])
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			break
		}
		for i := range x {
			if !reflect.DeepEqual(x[i], y[i]) {
				return firstDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i])
			}
		}
	}
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	return fmt.Sprintf("%s: import %.300s, sync %.300s", path, ab, bb)
}

// importedApp imports the Maven folder dir into a fresh store.
func importedApp(t *testing.T, redisURL, dir string) (*App, insights.Dataset) {
	t.Helper()
	ctx := context.Background()
	app, err := newApp(ctx, syncConfig(t, redisURL), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	if _, _, err := app.load(ctx, []string{dir}, importer.Options{Profile: "maven"}, false); err != nil {
		t.Fatal(err)
	}
	// The reports the bot serves after its hourly recompute, from the
	// stored data (deals by owner and ID, the order an import publishes
	// from too, so ties such as which stale deal is listed first agree).
	if err := app.recompute(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := importer.Import([]string{dir}, importer.Options{Profile: "maven", Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return app, res.Dataset
}

func testSalesforceMatchesImport(t *testing.T, dir string) {
	if _, err := os.Stat(dir); err != nil {
		t.Logf("NOTE: %s is not beside this clone: only the fixture's Sync...MatchesCSVImportFixture ran, not the real data set", dir)
		return
	}
	ctx := context.Background()
	redisURL := testRedisURL(t)
	csvApp, ds := importedApp(t, redisURL, dir)

	cfg := syncConfig(t, redisURL)
	fake := startSF(t, &cfg, ds, func() time.Time { return time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC) })
	app, err := newApp(ctx, cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	// Salesforce has no price list field on Opportunity: the products file
	// is imported, as ops would.
	if _, _, err := app.load(ctx, []string{filepath.Join(dir, "products.csv")}, importer.Options{Profile: "maven"}, false); err != nil {
		t.Fatal(err)
	}
	srcs, err := app.sources(nil)
	if err != nil {
		t.Fatal(err)
	}
	states, err := app.syncAll(ctx, false, srcs)
	if err != nil {
		t.Fatal(err)
	}
	if st := states[0]; !st.Full || st.Total != len(ds.Deals) {
		t.Errorf("first sync: full %v, %d deals stored; want a full sync of %d", st.Full, st.Total, len(ds.Deals))
	}
	back := map[string]string{}
	for _, r := range ds.Reps {
		back[fake.UserID(r.ID)] = string(r.ID)
	}
	for _, d := range ds.Deals {
		back[fake.OpportunityID(d.ID)] = d.ID
	}
	norm := func(x any) any {
		s := x.(string)
		if b, ok := back[s]; ok {
			return b
		}
		return s
	}
	compareReports(t, reportsOf(t, csvApp, func(x any) any { return x }), reportsOf(t, app, norm))
}

func testHubSpotMatchesImport(t *testing.T, dir string) {
	if _, err := os.Stat(dir); err != nil {
		t.Logf("NOTE: %s is not beside this clone: only the fixture's Sync...MatchesCSVImportFixture ran, not the real data set", dir)
		return
	}
	ctx := context.Background()
	redisURL := testRedisURL(t)
	csvApp, ds := importedApp(t, redisURL, dir)

	cfg := syncConfig(t, redisURL)
	fake, err := hsfake.New(hsfake.Config{Dataset: ds, TenSecondly: -1, SearchPerSecond: -1,
		Now: func() time.Time { return time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	cfg.HSAPIURL, cfg.HSToken, cfg.HSProductProp = fake.URL(), hsfake.DefaultToken, "product"
	app, err := newApp(ctx, cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	// HubSpot owners have no manager and deals no list price: the teams
	// and products files are imported, as ops would.
	if _, _, err := app.load(ctx, []string{filepath.Join(dir, "products.csv"), filepath.Join(dir, "sales_teams.csv")}, importer.Options{Profile: "maven"}, false); err != nil {
		t.Fatal(err)
	}
	srcs, err := app.sources(nil)
	if err != nil {
		t.Fatal(err)
	}
	states, err := app.syncAll(ctx, false, srcs)
	if err != nil {
		t.Fatal(err)
	}
	if st := states[0]; st.Source != "hubspot" || !st.Full || st.Total != len(ds.Deals) {
		t.Errorf("first sync = %+v; want a full HubSpot sync of %d deals", st, len(ds.Deals))
	}
	back := map[string]string{}
	for _, d := range ds.Deals {
		back[fake.DealID(d.ID)] = d.ID
	}
	norm := func(x any) any {
		if b, ok := back[x.(string)]; ok {
			return b
		}
		return x
	}
	compareReports(t, reportsOf(t, csvApp, func(x any) any { return x }), reportsOf(t, app, norm))
}

func TestHubSpotSyncMatchesCSVImportFixture(t *testing.T) {
	testHubSpotMatchesImport(t, "testdata/maven-small")
}

func TestHubSpotSyncMatchesCSVImportMaven(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	testHubSpotMatchesImport(t, mavenDir)
}

func TestSalesforceSyncMatchesCSVImportFixture(t *testing.T) {
	testSalesforceMatchesImport(t, "testdata/maven-small")
}

func TestSalesforceSyncMatchesCSVImportMaven(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	testSalesforceMatchesImport(t, mavenDir)
}

// TestSyncCommandReadsSecretsFromFilesAndNeverPrintsThem runs `repcoach
// sync` against the fake HubSpot with the token in a file: a wrong token
// fails without printing it, the right one syncs, and a second run reads
// only what changed.
func TestSyncCommandReadsSecretsFromFilesAndNeverPrintsThem(t *testing.T) {
	fake, err := hsfake.New(hsfake.Config{Dataset: hsSmall(), Token: "pat-na1-right-token-4711"})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	url, prefix := testRedisURL(t), "rcsynccmd:"+randomHex(t)+":"
	t.Setenv("REDIS_URL", url)
	t.Setenv("REPCOACH_REDIS_PREFIX", prefix)
	t.Setenv("REPCOACH_TZ", "UTC")
	t.Setenv("HUBSPOT_API_URL", fake.URL())
	if os.Getenv("REDIS_URL") != "" {
		t.Cleanup(func() { deleteKeys(t, url, prefix) })
	}
	tokenFile := filepath.Join(t.TempDir(), "hubspot-token")
	sync := func(token string) (string, error) {
		if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("HUBSPOT_TOKEN_FILE", tokenFile)
		var out strings.Builder
		err := run(context.Background(), []string{"sync"}, &out, &out)
		return out.String(), err
	}
	out, err := sync("pat-na1-wrong-token-0815")
	if err == nil || strings.Contains(out+err.Error(), "wrong-token") || !strings.Contains(err.Error(), "INVALID_AUTHENTICATION") {
		t.Errorf("wrong token: err = %v, output %q; want INVALID_AUTHENTICATION and no token", err, out)
	}
	out, err = sync("pat-na1-right-token-4711")
	if err != nil || !strings.Contains(out, "HubSpot: full sync read 3 deals") || strings.Contains(out, "4711") {
		t.Errorf("right token: err = %v, output %q", err, out)
	}
	out, err = sync("pat-na1-right-token-4711")
	if err != nil || !strings.Contains(out, "HubSpot: incremental sync") || !strings.Contains(out, "0 deals changed") {
		t.Errorf("second sync: err = %v, output %q", err, out)
	}
	t.Setenv("HUBSPOT_TOKEN", "pat-na1-right-token-4711")
	if _, err := sync("pat-na1-right-token-4711"); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("HUBSPOT_TOKEN and HUBSPOT_TOKEN_FILE both set: err = %v, want a refusal", err)
	}
}

func hsSmall() insights.Dataset {
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	return insights.Dataset{
		Reps: []insights.Rep{{ID: "Ana Lima", Name: "Ana Lima", Email: "ana.lima@example.com", Team: "East"}},
		Deals: []insights.Deal{
			{ID: "1", Owner: "Ana Lima", Stage: "Won", Status: insights.StatusWon, Amount: 100, AmountKnown: true, Created: day(9, 1), Closed: day(10, 1)},
			{ID: "2", Owner: "Ana Lima", Stage: "Lost", Status: insights.StatusLost, Amount: 50, AmountKnown: true, Created: day(9, 2), Closed: day(10, 2)},
			{ID: "3", Owner: "Ana Lima", Stage: "Proposal", Status: insights.StatusOpen, Amount: 70, AmountKnown: true, Created: day(9, 3), Closed: day(12, 20)},
		},
	}
}

// TestSyncWaitsForTheReplicaHoldingTheLock holds the sync lock as another
// replica would: `repcoach sync` then refuses instead of syncing alongside.
func TestSyncWaitsForTheReplicaHoldingTheLock(t *testing.T) {
	fake, err := hsfake.New(hsfake.Config{Dataset: hsSmall()})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	url, prefix := testRedisURL(t), "rcsynclock:"+randomHex(t)+":"
	t.Setenv("REDIS_URL", url)
	t.Setenv("REPCOACH_REDIS_PREFIX", prefix)
	t.Setenv("HUBSPOT_API_URL", fake.URL())
	t.Setenv("HUBSPOT_TOKEN", hsfake.DefaultToken)
	if os.Getenv("REDIS_URL") != "" {
		t.Cleanup(func() { deleteKeys(t, url, prefix) })
	}
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	app, err := newApp(context.Background(), cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if ok, err := app.store.TryLock(context.Background(), syncLock, "other-replica", time.Minute); !ok || err != nil {
		t.Fatalf("take the lock: %v %v", ok, err)
	}
	var out strings.Builder
	err = run(context.Background(), []string{"sync"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "another replica is syncing") || fake.Stats().Requests != 0 {
		t.Errorf("sync while another replica holds the lock: err = %v, %d requests to HubSpot; want a refusal and none", err, fake.Stats().Requests)
	}
	if err := app.store.Unlock(context.Background(), syncLock, "other-replica"); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"sync"}, &out, &out); err != nil {
		t.Errorf("sync once the lock is free: %v\n%s", err, out.String())
	}
}
