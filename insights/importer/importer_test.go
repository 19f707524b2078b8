package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights"
)

const (
	mavenDir      = "../../../shared/data/maven-crm"
	salesforceDir = "../../../shared/data/salesforce-export"
	// The project's own small fixtures in the same layouts, with the same
	// quirks, so that a clone without ../shared runs every test.
	mavenFixture      = "testdata/maven-crm"
	salesforceFixture = "testdata/salesforce-export"
)

// needDir skips a benchmark when the shared data set is not beside the
// repo (tests use dataSets instead and never skip).
func needDir(tb testing.TB, dir string) {
	tb.Helper()
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("data set not found: %v", err)
	}
}

// dataSets names the data sets a test runs on: "testdata", the fixture,
// always; "shared", the real data set, where it is beside the repo. When it
// is not, the test says so loudly.
func dataSets(tb testing.TB, fixture, real string) map[string]string {
	tb.Helper()
	sets := map[string]string{"testdata": fixture}
	if _, err := os.Stat(real); err == nil {
		sets["shared"] = real
	} else {
		tb.Logf("NOTE: %s is not beside this clone: this test ran on the fixture %s only, not on the real data set", real, fixture)
	}
	return sets
}

// mavenWant is what a Maven folder holds, worked out independently of the
// importer (awk over the real files, by hand for the fixture).
type mavenWant struct {
	deals, won, lost, open, wonRevenue, agents int
	reps, managers, offices, openBlankAccount  int
	listPrices                                 int
	first, last                                time.Time
	perRep                                     []repWant
	deal                                       insights.Deal // a won deal, every field
	summary                                    []string
}

type repWant struct {
	rep             insights.RepID
	won, lost, open int
	wonRevenue      float64
	manager, team   string
}

var mavenWants = map[string]mavenWant{
	"shared": {
		deals: 8800, won: 4238, lost: 2473, open: 2089, wonRevenue: 10005534, agents: 30,
		reps: 35, managers: 6, offices: 3, openBlankAccount: 1425, listPrices: 7,
		first: time.Date(2016, 10, 20, 0, 0, 0, 0, time.UTC), last: time.Date(2017, 12, 31, 0, 0, 0, 0, time.UTC),
		perRep: []repWant{
			{"Darcel Schlecht", 349, 204, 194, 1153214, "Melvin Marxen", "Central"},
			{"Violet Mclelland", 122, 71, 68, 123431, "Cara Losch", "East"},
			{"Wilburn Farren", 55, 24, 31, 157640, "Cara Losch", "East"},
		},
		deal: insights.Deal{
			ID: "Z063OYW0", Owner: "Darcel Schlecht", Stage: "Won", Status: insights.StatusWon,
			Amount: 4514, AmountKnown: true,
			Created: time.Date(2016, 10, 25, 0, 0, 0, 0, time.UTC),
			Closed:  time.Date(2017, 3, 11, 0, 0, 0, 0, time.UTC),
			Product: "GTX Pro", Account: "Isdom",
			History: []insights.StageChange{
				{Stage: "Engaging", At: time.Date(2016, 10, 25, 0, 0, 0, 0, time.UTC)},
				{Stage: "Won", At: time.Date(2017, 3, 11, 0, 0, 0, 0, time.UTC)},
			},
		},
		summary: []string{"4,238 won", "35 under 6 managers"},
	},
	"testdata": {
		deals: 14, won: 6, lost: 3, open: 5, wonRevenue: 11250, agents: 4,
		reps: 5, managers: 2, offices: 2, openBlankAccount: 3, listPrices: 3,
		first: time.Date(2016, 10, 20, 0, 0, 0, 0, time.UTC), last: time.Date(2017, 12, 31, 0, 0, 0, 0, time.UTC),
		perRep: []repWant{
			{"Ana Diaz", 2, 1, 1, 5600, "Mara Stone", "Central"},
			{"Bo Li", 2, 1, 1, 600, "Mara Stone", "Central"},
			{"Cy Ng", 1, 1, 1, 4500, "Theo Park", "West"},
		},
		deal: insights.Deal{
			ID: "F002", Owner: "Ana Diaz", Stage: "Won", Status: insights.StatusWon,
			Amount: 5000, AmountKnown: true,
			Created: time.Date(2017, 3, 1, 0, 0, 0, 0, time.UTC),
			Closed:  time.Date(2017, 4, 15, 0, 0, 0, 0, time.UTC),
			Product: "GTX Pro", Account: "Betamax",
			History: []insights.StageChange{
				{Stage: "Engaging", At: time.Date(2017, 3, 1, 0, 0, 0, 0, time.UTC)},
				{Stage: "Won", At: time.Date(2017, 4, 15, 0, 0, 0, 0, time.UTC)},
			},
		},
		summary: []string{"6 won", "5 under 2 managers"},
	},
}

// mavenCounts is what the test works out itself from sales_pipeline.csv
// with plain encoding/csv, to check the importer against.
type mavenCounts struct {
	won, lost, open   int
	wonRevenue        int
	agents            map[string]bool
	openBlankAccount  int
	gtxProSpelledBare int
}

func countMaven(t *testing.T, dir string) mavenCounts {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "sales_pipeline.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	c := mavenCounts{agents: map[string]bool{}}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c.agents[rec[1]] = true
		switch rec[4] {
		case "Won":
			c.won++
			v, err := strconv.Atoi(rec[7])
			if err != nil {
				t.Fatal(err)
			}
			c.wonRevenue += v
		case "Lost":
			c.lost++
		default:
			c.open++
			if rec[3] == "" {
				c.openBlankAccount++
			}
		}
		if rec[2] == "GTXPro" {
			c.gtxProSpelledBare++
		}
	}
	return c
}

func TestImportMaven(t *testing.T) {
	for set, dir := range dataSets(t, mavenFixture, mavenDir) {
		t.Run(set, func(t *testing.T) { importMaven(t, dir, mavenWants[set]) })
	}
}

func importMaven(t *testing.T, dir string, w mavenWant) {
	res, err := Import([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ds := res.Dataset
	want := countMaven(t, dir)
	// Constants checked with awk against the README's figures (by hand for
	// the fixture).
	if want.won != w.won || want.lost != w.lost || want.open != w.open || want.wonRevenue != w.wonRevenue || len(want.agents) != w.agents {
		t.Fatalf("independent count disagrees with the data set's figures: %+v", want)
	}

	var won, lost, open, openBlankAccount, gtxPro int
	var revenue float64
	owners := map[insights.RepID]bool{}
	for _, d := range ds.Deals {
		owners[d.Owner] = true
		switch d.Status {
		case insights.StatusWon:
			won++
			revenue += d.Amount
		case insights.StatusLost:
			lost++
			if !d.AmountKnown || d.Amount != 0 {
				t.Errorf("lost deal %s: amount %v known %v, want 0 known", d.ID, d.Amount, d.AmountKnown)
			}
		case insights.StatusOpen:
			open++
			if d.AmountKnown || !d.Closed.IsZero() {
				t.Errorf("open deal %s: AmountKnown %v, Closed %v; want unknown amount and no close date", d.ID, d.AmountKnown, d.Closed)
			}
			if d.Stage == "Prospecting" && !d.Created.IsZero() {
				t.Errorf("prospecting deal %s: Created %v, want zero", d.ID, d.Created)
			}
			if d.Account == "" {
				openBlankAccount++
			}
		}
		if d.Product == "GTXPro" {
			t.Errorf("deal %s: product %q not normalised", d.ID, d.Product)
		}
		if d.Product == "GTX Pro" {
			gtxPro++
		}
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"deals", len(ds.Deals), w.deals},
		{"won", won, want.won},
		{"lost", lost, want.lost},
		{"open", open, want.open},
		{"won revenue", revenue, float64(want.wonRevenue)},
		{"reps with deals", len(owners), len(want.agents)},
		{"reps", res.Reps, w.reps},
		{"managers", res.Managers, w.managers},
		{"offices", countTeams(ds.Reps), w.offices},
		{"open deals without account", openBlankAccount, w.openBlankAccount},
		{"GTX Pro deals", gtxPro, want.gtxProSpelledBare},
		{"GTX Pro list price", ds.ListPrices["GTX Pro"], 4821.0},
		{"list prices", len(ds.ListPrices), w.listPrices},
		{"first", res.First, w.first},
		{"last", res.Last, w.last},
		{"errors", len(res.Errors), 0},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}

	// Per-rep figures, worked out with awk over sales_pipeline.csv.
	for _, w := range w.perRep {
		var got struct {
			won, lost, open int
			rev             float64
		}
		for _, d := range ds.Deals {
			if d.Owner != w.rep {
				continue
			}
			switch d.Status {
			case insights.StatusWon:
				got.won++
				got.rev += d.Amount
			case insights.StatusLost:
				got.lost++
			default:
				got.open++
			}
		}
		if got.won != w.won || got.lost != w.lost || got.open != w.open || got.rev != w.wonRevenue {
			t.Errorf("%s: got won %d lost %d open %d revenue %v, want %d %d %d %v",
				w.rep, got.won, got.lost, got.open, got.rev, w.won, w.lost, w.open, w.wonRevenue)
		}
		rep := findRep(ds.Reps, w.rep)
		if rep.Manager != w.manager || rep.Team != w.team {
			t.Errorf("%s: got manager %q team %q, want %q %q", w.rep, rep.Manager, rep.Team, w.manager, w.team)
		}
	}

	// A won deal: dates, history and canonical product spelling.
	if d := findDeal(ds.Deals, w.deal.ID); !reflect.DeepEqual(d, w.deal) {
		t.Errorf("deal %s:\ngot  %+v\nwant %+v", w.deal.ID, d, w.deal)
	}
	for _, want := range w.summary {
		if s := res.Summary(); !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}

func countTeams(reps []insights.Rep) int {
	teams := map[string]bool{}
	for _, r := range reps {
		teams[r.Team] = true
	}
	return len(teams)
}

func findRep(reps []insights.Rep, id insights.RepID) insights.Rep {
	for _, r := range reps {
		if r.ID == id {
			return r
		}
	}
	return insights.Rep{}
}

func findDeal(deals []insights.Deal, id string) insights.Deal {
	for _, d := range deals {
		if d.ID == id {
			return d
		}
	}
	return insights.Deal{}
}

func TestImportMavenLocation(t *testing.T) {
	sets := map[string]struct {
		closedMarch1, gtxPro string
		agents               int
	}{"shared": {"1C1I7A6R", "Z063OYW0", 30}, "testdata": {"F006", "F002", 4}}
	for set, dir := range dataSets(t, mavenFixture, mavenDir) {
		t.Run(set, func(t *testing.T) {
			w := sets[set]
			importMavenLocation(t, dir, w.closedMarch1, w.gtxPro, w.agents)
		})
	}
}

func importMavenLocation(t *testing.T, dir, closedMarch1, gtxPro string, agents int) {
	team := time.FixedZone("team", -5*3600)
	res, err := Import([]string{filepath.Join(dir, "sales_pipeline.csv")}, Options{Location: team, Profile: "maven"})
	if err != nil {
		t.Fatal(err)
	}
	d := findDeal(res.Dataset.Deals, closedMarch1)
	if got, want := d.Closed, time.Date(2017, 3, 1, 0, 0, 0, 0, team); !got.Equal(want) {
		t.Errorf("close date: got %v, want %v", got, want)
	}
	// Without products.csv the pipeline's own spelling stays.
	if got, want := findDeal(res.Dataset.Deals, gtxPro).Product, "GTXPro"; got != want {
		t.Errorf("product without products.csv: got %q, want %q", got, want)
	}
	// A lone pipeline file still yields a rep per agent, without managers.
	if got, want := res.Reps, agents; got != want {
		t.Errorf("reps: got %d, want %d", got, want)
	}
}

func TestShiftTo(t *testing.T) {
	for set, dir := range dataSets(t, mavenFixture, mavenDir) {
		t.Run(set, func(t *testing.T) { shiftTo(t, dir) })
	}
}

func shiftTo(t *testing.T, mavenDir string) {
	base, err := Import([]string{mavenDir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	team := time.FixedZone("team", 2*3600)
	to := time.Date(2025, 6, 30, 15, 0, 0, 0, team)
	shifted, err := Import([]string{mavenDir}, Options{ShiftTo: to})
	if err != nil {
		t.Fatal(err)
	}
	// 2017-12-31 to 2025-06-30.
	days := int(time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC).Sub(time.Date(2017, 12, 31, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	if got, want := shifted.Last, time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("last: got %v, want %v", got, want)
	}
	if got, want := shifted.First, base.First.AddDate(0, 0, days); !got.Equal(want) {
		t.Errorf("first: got %v, want %v", got, want)
	}
	for i, d := range base.Dataset.Deals {
		s := shifted.Dataset.Deals[i]
		if !d.Closed.IsZero() && !s.Closed.Equal(d.Closed.AddDate(0, 0, days)) {
			t.Fatalf("deal %s closed: got %v, want %v + %d days", d.ID, s.Closed, d.Closed, days)
		}
		if d.Created.IsZero() != s.Created.IsZero() {
			t.Fatalf("deal %s: a zero date was shifted", d.ID)
		}
	}
}

func TestMergeIdempotent(t *testing.T) {
	for set, dir := range dataSets(t, mavenFixture, mavenDir) {
		t.Run(set, func(t *testing.T) { mergeIdempotent(t, dir) })
	}
}

func mergeIdempotent(t *testing.T, mavenDir string) {
	first, err := Import([]string{mavenDir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Import([]string{mavenDir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	merged := Merge(first.Dataset, again.Dataset)
	if !reflect.DeepEqual(merged, first.Dataset) {
		t.Fatalf("re-importing the same files changed the dataset")
	}
	if twice := Merge(merged, again.Dataset); !reflect.DeepEqual(twice, merged) {
		t.Fatalf("Merge is not idempotent")
	}
	// Importing a path twice in one call is the same as once.
	double, err := Import([]string{mavenDir, mavenDir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(double.Dataset, first.Dataset) {
		t.Fatalf("importing the folder twice in one call changed the dataset")
	}
}

func TestMerge(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	base := insights.Dataset{
		Reps:       []insights.Rep{{ID: "ana", Name: "Ana", Manager: "Mo", Team: "East"}},
		Deals:      []insights.Deal{{ID: "1", Owner: "ana", Amount: 10}, {ID: "2", Owner: "ana", Amount: 20}},
		Activities: []insights.Activity{{ID: "a1", Owner: "ana", At: day(1)}, {Owner: "ana", Kind: "call", At: day(2)}},
		Quotas:     []insights.Quota{{Rep: "ana", Start: day(1), End: day(31), Amount: 100}},
		ListPrices: map[string]float64{"X": 1},
	}
	add := insights.Dataset{
		Reps:       []insights.Rep{{ID: "ana", Name: "Ana", Email: "ana@example.com"}, {ID: "bo", Name: "Bo"}},
		Deals:      []insights.Deal{{ID: "2", Owner: "ana", Amount: 25}, {ID: "3", Owner: "bo", Amount: 5}},
		Activities: []insights.Activity{{Owner: "ana", Kind: "call", At: day(2)}},
		Quotas:     []insights.Quota{{Rep: "ana", Start: day(1), End: day(31), Amount: 150}},
		ListPrices: map[string]float64{"X": 2, "Y": 3},
	}
	got := Merge(base, add)
	want := insights.Dataset{
		Reps:       []insights.Rep{{ID: "ana", Name: "Ana", Email: "ana@example.com", Manager: "Mo", Team: "East"}, {ID: "bo", Name: "Bo"}},
		Deals:      []insights.Deal{{ID: "1", Owner: "ana", Amount: 10}, {ID: "2", Owner: "ana", Amount: 25}, {ID: "3", Owner: "bo", Amount: 5}},
		Activities: []insights.Activity{{ID: "a1", Owner: "ana", At: day(1)}, {Owner: "ana", Kind: "call", At: day(2)}},
		Quotas:     []insights.Quota{{Rep: "ana", Start: day(1), End: day(31), Amount: 150}},
		ListPrices: map[string]float64{"X": 2, "Y": 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Merge:\ngot  %+v\nwant %+v", got, want)
	}
	if base.Deals[1].Amount != 20 || base.ListPrices["X"] != 1 {
		t.Errorf("Merge modified its base")
	}
	if !reflect.DeepEqual(Merge(got, add), got) {
		t.Errorf("Merge(Merge(a, b), b) != Merge(a, b)")
	}
	if empty := Merge(insights.Dataset{}, insights.Dataset{}); !reflect.DeepEqual(empty, insights.Dataset{}) {
		t.Errorf("Merge of empty datasets: got %+v", empty)
	}
}

// writeFile writes content to name in a fresh temporary folder.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportMalformed(t *testing.T) {
	// Line numbers are physical lines; rows 2, 5 and 9 hold quoted newlines.
	content := strings.Join([]string{
		"opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value", // 1
		`A1,Ana Diaz,GTX Basic,"Acme`,                              // 2
		`Corp",Won,2017-01-02,2017-02-03,100`,                      // 3
		"A2,Ana Diaz,GTX Basic,Acme,Won,2017-01-02,2017-02-30,100", // 4 bad date
		`A3,"Bo`, // 5
		``,       // 6
		`Li",GTX Basic,Acme,Lost,2017-01-02,2017-02-03,0`,       // 7
		"A4,Bo Li,GTX Basic,Acme,Won,2017-01-02,2017-02-03,ten", // 8 bad amount
		`A5,Bo Li,"GTX`,                                         // 9
		`Basic",Acme,Won,2017-01-02,,100`,                       // 10 won, no close date
		"A6,Bo Li,GTX Basic,Acme",                               // 11 short row
		",Bo Li,GTX Basic,Acme,Won,2017-01-02,2017-02-03,5",     // 12 no id
		"A7,Cy Ng,GTX Basic,,Engaging,2017-01-02,,",             // 13 good open deal
		`A8,Cy Ng,GTX Basic,Acme,Won,2017-01-02,2017-02-03,5"x`, // 14 bare quote
		"A9,Cy Ng,GTX Basic,Acme,Won,2017-01-05,2017-01-03,5",   // 15 closed before engaged
		",,,,,,,", // 16 blank, ignored
		"A10,Cy Ng,GTX Basic,Acme,Lost,2017-01-02,2017-02-03,-5",       // 17 negative
		"A11,Cy Ng,GTX Basic,Acme,Won,2017-01-02,2017-02-03,\"1,250\"", // 18 good
	}, "\n") + "\n"
	path := writeFile(t, "sales_pipeline.csv", content)
	res, err := Import([]string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type lineReason struct {
		line   int
		reason string
	}
	wantErrs := []lineReason{
		{4, "close_date"},
		{8, `"ten" is not a number`},
		{9, "no close_date"},
		{11, "has 4 fields, the header has 8"},
		{12, "opportunity_id is blank"},
		{14, "bad CSV"},
		{15, "before engage_date"},
		{17, "negative"},
	}
	if len(res.Errors) != len(wantErrs) {
		t.Fatalf("got %d errors, want %d:\n%s", len(res.Errors), len(wantErrs), res.Summary())
	}
	for i, w := range wantErrs {
		e := res.Errors[i]
		if e.Line != w.line || !strings.Contains(e.Reason, w.reason) || e.File != path {
			t.Errorf("error %d: got %s, want line %d with %q", i, e, w.line, w.reason)
		}
	}
	var ids []string
	for _, d := range res.Dataset.Deals {
		ids = append(ids, d.ID)
	}
	if got, want := strings.Join(ids, " "), "A1 A3 A7 A11"; got != want {
		t.Errorf("kept deals: got %s, want %s", got, want)
	}
	if got, want := findDeal(res.Dataset.Deals, "A1").Account, "Acme\nCorp"; got != want {
		t.Errorf("multi-line account: got %q, want %q", got, want)
	}
	if got, want := findDeal(res.Dataset.Deals, "A11").Amount, 1250.0; got != want {
		t.Errorf("amount: got %v, want %v", got, want)
	}
	f := res.Files[0]
	if f.Read != 12 || f.Imported != 4 || f.Rejected != 8 {
		t.Errorf("file summary: got %+v, want 12 read, 4 imported, 8 rejected", f)
	}
	if s := res.Summary(); !strings.Contains(s, path+":4: close_date") {
		t.Errorf("summary lacks the first error:\n%s", s)
	}
}

func TestImportFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
		opts    Options
		wantErr string
	}{
		{"missing maven columns", "p.csv", "opportunity_id,sales_agent,product,account,deal_stage\nA,B,C,D,Won\n",
			Options{Profile: "maven"}, "engage_date, close_date, close_value"},
		{"unknown header", "x.csv", "foo,bar\n1,2\n", Options{}, "not a recognised CRM export"},
		{"binary", "x.csv", "PK\x03\x04\x00\x00junk", Options{}, "not a CSV file"},
		{"utf-16", "x.csv", "\xff\xfei\x00d\x00", Options{}, "UTF-16"},
		{"empty", "x.csv", "", Options{}, "empty file"},
		{"bad profile", "x.csv", "id\n", Options{Profile: "pipedrive"}, "unknown profile"},
		{"bad mapping field", "x.csv", "id\n", Options{Mapping: map[string]string{"owne": "x"}}, "unknown mapping field"},
		{"mapped column absent", "x.csv", "id,rep,stage\n1,a,Won\n", Options{Profile: "generic", Mapping: map[string]string{"owner": "Deal Owner"}}, "Deal Owner (mapped from owner)"},
		{"quotas without end", "q.csv", "rep,amount,start\nana,5,2024-01-01\n", Options{}, "end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Import([]string{writeFile(t, tt.file, tt.content)}, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	if _, err := Import([]string{writeFile(t, "x.csv", "\x00")}, Options{}); !errors.Is(err, errNotCSV) {
		t.Errorf("binary file: got %v, want errNotCSV", err)
	}
}

func TestImportUnterminatedQuote(t *testing.T) {
	// One stray quote on line 3 would swallow the 100 rows after it into one
	// field: an error naming the line and the rows lost, never a quiet drop.
	var b strings.Builder
	b.WriteString("opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n")
	b.WriteString("A0,Ana Diaz,GTX Basic,Acme,Won,2017-01-02,2017-02-03,100\n")
	b.WriteString("A1,Ana Diaz,GTX Basic,\"Acme,Won,2017-01-02,2017-02-03,100\n")
	for i := range 100 {
		fmt.Fprintf(&b, "B%d,Bo Li,GTX Basic,Acme,Won,2017-01-02,2017-02-03,100\n", i)
	}
	path := writeFile(t, "sales_pipeline.csv", b.String())
	_, err := Import([]string{path}, Options{})
	want := path + ":3: a quote opened on this line is never closed, so the 100 rows after it would be read as one field and dropped"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got error %v, want one containing %q", err, want)
	}
}

func TestImportDuplicateHeaders(t *testing.T) {
	content := "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,Close_Value,close_value ,account\nA1,Ana Diaz,GTX Basic,Acme,Won,2017-01-02,2017-02-03,100,200,Acme\n"
	path := writeFile(t, "sales_pipeline.csv", content)
	_, err := Import([]string{path}, Options{})
	want := path + `: the header names a column twice: "account" (columns 4 and 10), "close_value" (columns 8 and 9); rename or remove the copies`
	if err == nil || err.Error() != want {
		t.Fatalf("got error %v, want %q", err, want)
	}
}

func TestImportImplausibleAmount(t *testing.T) {
	content := "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n" +
		"A1,Ana Diaz,GTX Basic,Acme,Won,2017-01-02,2017-02-03,9300000000000000000\n" +
		"A2,Ana Diaz,GTX Basic,Acme,Won,2017-01-02,2017-02-03,1000\n"
	path := writeFile(t, "sales_pipeline.csv", content)
	res, err := Import([]string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || res.Errors[0].Line != 2 || !strings.Contains(res.Errors[0].Reason, "too large to be a deal") {
		t.Fatalf("errors = %v, want line 2 rejected as too large", res.Errors)
	}
	if len(res.Dataset.Deals) != 1 || res.Dataset.Deals[0].ID != "A2" {
		t.Errorf("kept %v, want only A2", res.Dataset.Deals)
	}
}
