package insights

import (
	"encoding/csv"
	"os"
	"strconv"
	"testing"
	"time"
)

// The real Maven CRM sample beside the repo, and the project's own small
// fixture in its layout, which a clone always has.
const (
	mavenDir     = "../../shared/data/maven-crm/"
	mavenFixture = "importer/testdata/maven-crm/"
)

// loadMaven reads a Maven CRM folder with encoding/csv, a minimal reader
// for a sanity check (the real importer lives in insights/importer).
func loadMaven(t testing.TB, dir string) Dataset {
	t.Helper()
	read := func(name string) [][]string {
		f, err := os.Open(dir + name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		return rows[1:]
	}
	var ds Dataset
	for _, r := range read("sales_teams.csv") {
		ds.Reps = append(ds.Reps, Rep{ID: RepID(r[0]), Name: r[0], Manager: r[1], Team: r[2]})
	}
	ds.ListPrices = map[string]float64{}
	for _, r := range read("products.csv") {
		p, _ := strconv.ParseFloat(r[2], 64)
		ds.ListPrices[r[0]] = p
	}
	date := func(s string) time.Time {
		d, _ := time.Parse(time.DateOnly, s)
		return d
	}
	for _, r := range read("sales_pipeline.csv") {
		d := Deal{ID: r[0], Owner: RepID(r[1]), Product: r[2], Account: r[3], Stage: r[4], Created: date(r[5]), Closed: date(r[6])}
		d.Amount, _ = strconv.ParseFloat(r[7], 64)
		d.AmountKnown = r[7] != ""
		switch r[4] {
		case "Won":
			d.Status = StatusWon
		case "Lost":
			d.Status = StatusLost
		default:
			d.Status = StatusOpen
		}
		ds.Deals = append(ds.Deals, d)
	}
	return ds
}

func TestMavenSanity(t *testing.T) {
	type want struct {
		wonRevenue         float64
		won, open, members int
		bottleneck         string
	}
	sets := []struct {
		name, dir string
		want      want
	}{
		// 14 deals are too few for a bottleneck to be named.
		{"testdata", mavenFixture, want{10710, 5, 5, 5, ""}},
		{"shared", mavenDir, want{10005534, 4238, 2089, 35, "Engaging"}},
	}
	for _, set := range sets {
		if _, err := os.Stat(set.dir); err != nil && set.name == "shared" {
			t.Logf("NOTE: %s is not beside this clone: this test ran on the fixture %s only, not on the real data set", set.dir, mavenFixture)
			continue
		}
		t.Run(set.name, func(t *testing.T) {
			w := set.want
			mavenSanity(t, set.dir, w.wonRevenue, w.won, w.open, w.members, w.bottleneck)
		})
	}
}

func mavenSanity(t *testing.T, dir string, wonRevenue float64, won, open, members int, bottleneck string) {
	ds := loadMaven(t, dir)
	now, _ := ParseAsOf("2017-12-31", time.UTC)
	s := Compute(ds, Calendar{}, now, Options{})
	all, err := s.Team(TeamAll, PeriodYearToDate)
	if err != nil {
		t.Fatalf("Team(all, ytd): %v", err)
	}
	// 2017 holds every close date in the sample.
	if got, want := all.Total.WonRevenue, wonRevenue; got != want {
		t.Errorf("won revenue 2017 = %v, want %v", got, want)
	}
	if got, want := all.Total.Won, won; got != want {
		t.Errorf("won deals = %d, want %d", got, want)
	}
	if got, want := all.Total.OpenDeals, open; got != want {
		t.Errorf("open deals = %d, want %d", got, want)
	}
	if got, want := len(all.Members), members; got != want {
		t.Errorf("members = %d, want %d", got, want)
	}
	if got, want := all.Bottleneck, bottleneck; got != want {
		t.Errorf("bottleneck = %q, want %q (funnel %+v)", got, want, all.StageFunnel)
	}
	if testing.Verbose() {
		t.Logf("funnel %+v", all.StageFunnel)
		for _, h := range all.Hygiene {
			t.Logf("hygiene %s: %d", h.Kind, h.Count)
		}
		t.Logf("awards %+v", all.Recognitions)
		t.Logf("weekly %+v", all.WeeklyWon)
		q, _ := s.Team(TeamAll, PeriodQuarter)
		t.Logf("quarter total %+v", q.Total)
		t.Logf("ahead %v at risk %v", q.Ahead, q.AtRisk)
		r := q.Members[0]
		t.Logf("rep %s: %+v\nstanding %+v\nfocus %+v strengths %+v\nstale %+v", r.Rep.Name, r.Metrics, r.Standing, r.Focus, r.Strengths, r.StaleDeals)
		n, ok := Nudge(r)
		t.Logf("nudge %v %+v", ok, n)
	}
}
