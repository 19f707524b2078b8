package sample

import (
	"bytes"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights"
)

var now = time.Date(2025, 6, 30, 17, 0, 0, 0, time.UTC)

func TestGenerateDeterministic(t *testing.T) {
	cfg := Config{Seed: 7, Managers: 2, RepsPerManager: 5, Deals: 500, End: now}
	a, b := Generate(cfg), Generate(cfg)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different datasets")
	}
	cfg.Seed = 8
	if c := Generate(cfg); reflect.DeepEqual(a.Deals, c.Deals) {
		t.Fatal("different seeds gave the same deals")
	}
}

func TestDemo(t *testing.T) {
	team := time.FixedZone("team", -7*3600)
	ds := Demo(now, team)
	managers, emails, ids := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range ds.Reps {
		managers[r.Manager] = true
		if emails[r.Email] || !strings.HasSuffix(r.Email, "@example.com") {
			t.Errorf("rep %s: email %q duplicate or not at example.com", r.ID, r.Email)
		}
		emails[r.Email] = true
	}
	if got := len(managers); got < 3 {
		t.Errorf("managers: got %d, want >= 3", got)
	}
	if got := len(ds.Reps); got < 20 {
		t.Errorf("reps: got %d, want >= 20", got)
	}
	if got := len(ds.Deals); got < 2500 || got > 3500 {
		t.Errorf("deals: got %d, want about 3,000", got)
	}
	first, last := ds.Deals[0].Created, ds.Deals[0].Created
	status := map[insights.Status]int{}
	var stale, pastClose, noAccount, noAmount int
	for _, d := range ds.Deals {
		if ids[d.ID] {
			t.Fatalf("duplicate deal ID %s", d.ID)
		}
		ids[d.ID] = true
		if d.Created.Before(first) {
			first = d.Created
		}
		if d.Created.After(last) {
			last = d.Created
		}
		if d.Created.After(now) || d.Moved.After(now) || d.Moved.Before(d.Created) {
			t.Fatalf("deal %s: created %v moved %v, outside the year or out of order", d.ID, d.Created, d.Moved)
		}
		if h, m, _ := d.Created.In(team).Clock(); h != 0 || m != 0 {
			t.Fatalf("deal %s: created %v is not the start of a day in the team's zone", d.ID, d.Created)
		}
		status[d.Status]++
		if d.Status == insights.StatusOpen {
			if now.Sub(d.Moved) > 60*24*time.Hour {
				stale++
			}
			if d.Closed.Before(now) {
				pastClose++
			}
			if d.Account == "" {
				noAccount++
			}
			if !d.AmountKnown {
				noAmount++
			}
		} else if d.Closed.After(now) {
			t.Fatalf("closed deal %s closes after now: %v", d.ID, d.Closed)
		}
		if d.AmountKnown && (d.Amount < 1000 || d.Amount > 60000) {
			t.Fatalf("deal %s: amount %v outside 1k-60k", d.ID, d.Amount)
		}
	}
	if span := last.Sub(first); span < 350*24*time.Hour {
		t.Errorf("deals span %v, want about a year", span)
	}
	for _, s := range []insights.Status{insights.StatusWon, insights.StatusLost, insights.StatusOpen} {
		if status[s] < len(ds.Deals)/10 {
			t.Errorf("%s deals: got %d of %d, want a real share", s, status[s], len(ds.Deals))
		}
	}
	for name, n := range map[string]int{"stale open deals": stale, "past close dates": pastClose, "missing accounts": noAccount, "missing amounts": noAmount} {
		if n == 0 {
			t.Errorf("%s: got none, want a few", name)
		}
	}
	if len(ds.Activities) < len(ds.Deals) || len(ds.Quotas) < 4*len(ds.Reps) {
		t.Errorf("got %d activities and %d quotas, want activities per deal and a quota per rep and quarter", len(ds.Activities), len(ds.Quotas))
	}
}

// TestStarsAndStrugglers checks that the spread of skill shows in the
// numbers: each team's best rep wins far more revenue than its worst.
func TestStarsAndStrugglers(t *testing.T) {
	ds := Demo(now, time.UTC)
	won := map[insights.RepID]float64{}
	for _, d := range ds.Deals {
		if d.Status == insights.StatusWon {
			won[d.Owner] += d.Amount
		}
	}
	quota := map[insights.RepID]float64{}
	for _, q := range ds.Quotas {
		if !q.End.Before(now.AddDate(-1, 0, 0)) {
			quota[q.Rep] += q.Amount
		}
	}
	teams := map[string][]float64{}
	var all []float64
	for _, r := range ds.Reps {
		att := won[r.ID] / quota[r.ID]
		teams[r.Manager] = append(teams[r.Manager], att)
		all = append(all, att)
	}
	for m, atts := range teams {
		sort.Float64s(atts)
		if lo, hi := atts[0], atts[len(atts)-1]; hi < 2*lo || hi < 1 {
			t.Errorf("team %s: attainment %.2f to %.2f, want a clear star and struggler", m, lo, hi)
		}
	}
	sort.Float64s(all)
	if med := all[len(all)/2]; med < 0.6 || med > 1.2 {
		t.Errorf("median attainment %.2f, want quotas that an average rep about meets", med)
	}
	t.Logf("attainment: %.2f", all)
}

func TestWriteCSV(t *testing.T) {
	ds := Generate(Config{Seed: 1, Deals: 3, End: now})
	ds.Deals[0].AmountKnown, ds.Deals[0].Amount = false, 0
	ds.Deals[1].Name = `Quote "and", comma`
	var b bytes.Buffer
	if err := WriteCSV(&b, ds); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if got, want := lines[0], strings.Join(DealColumns, ","); got != want {
		t.Errorf("header: got %q, want %q", got, want)
	}
	if got, want := len(lines), 4; got != want {
		t.Fatalf("lines: got %d, want %d", got, want)
	}
	d := ds.Deals[0]
	want := strings.Join([]string{d.ID, d.Name, string(d.Owner), d.Stage, string(d.Status), "",
		d.Created.Format(time.DateOnly), d.Closed.Format(time.DateOnly), d.Moved.Format(time.DateOnly), d.Product, d.Account}, ",")
	if lines[1] != want {
		t.Errorf("row: got %q, want %q", lines[1], want)
	}
	if !strings.Contains(lines[2], `"Quote ""and"", comma"`) {
		t.Errorf("quoted name not escaped: %q", lines[2])
	}
	b.Reset()
	if err := WriteRepsCSV(&b, ds); err != nil {
		t.Fatal(err)
	}
	r := ds.Reps[0]
	if got, want := strings.Split(b.String(), "\n")[1], strings.Join([]string{string(r.ID), r.Name, r.Email, r.Manager, r.Team}, ","); got != want {
		t.Errorf("reps row: got %q, want %q", got, want)
	}
}

func TestFormatTime(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"zero", time.Time{}, ""},
		{"midnight", time.Date(2024, 1, 22, 0, 0, 0, 0, time.FixedZone("x", 3600)), "2024-01-22"},
		{"timestamp", time.Date(2024, 1, 22, 16, 14, 25, 0, time.UTC), "2024-01-22T16:14:25Z"},
	}
	for _, tt := range tests {
		if got := formatTime(tt.in); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
