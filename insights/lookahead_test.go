package insights_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	. "github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/importer"
	"github.com/repcoach/repcoach/insights/sample"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// asExportedAt rewrites ds as a CRM export taken at the moment at would
// have shown it, written independently of DealAt: every event at or after
// at is deleted. Deals created then or later disappear; a deal won or lost
// then or later is open, in the stage its history showed, with no close
// date (its real one was not known), its amount blank when a list price
// stands in for it (Maven leaves open deals' amounts blank) or else its
// last known amount; stage history, moves and activities from then on are
// gone, and so is the CRM's current probability and forecast category of a
// deal whose history moved on since. Reps, quotas and list prices stay.
func asExportedAt(ds Dataset, at time.Time) Dataset {
	out := Dataset{Reps: ds.Reps, Quotas: ds.Quotas, ListPrices: ds.ListPrices}
	for _, d := range ds.Deals {
		created := d.Created
		if d.Status != StatusOpen && !d.Closed.IsZero() && d.Closed.Before(d.Created) {
			created = d.Closed // a closed deal counts from its close date
		}
		if !created.IsZero() && !created.Before(at) {
			continue
		}
		var hist []StageChange
		for _, h := range d.History {
			if h.At.Before(at) {
				hist = append(hist, h)
			}
		}
		cut := len(hist) < len(d.History)
		d.History = hist
		if !d.Moved.IsZero() && !d.Moved.Before(at) {
			d.Moved = time.Time{}
		}
		closedLater := d.Status != StatusOpen && !d.Closed.IsZero() && !d.Closed.Before(at)
		if closedLater {
			d.Status, d.Closed = StatusOpen, time.Time{}
			if _, ok := ds.ListPrices[d.Product]; ok || d.Amount <= 0 {
				d.Amount, d.AmountKnown = 0, false
			}
		}
		if closedLater || cut {
			d.Stage, d.Probability, d.HasProbability, d.ForecastCategory = "", 0, false, ""
			if len(hist) > 0 {
				d.Stage = hist[len(hist)-1].Stage
			}
		}
		out.Deals = append(out.Deals, d)
	}
	for _, a := range ds.Activities {
		if a.At.Before(at) {
			out.Activities = append(out.Activities, a)
		}
	}
	return out
}

// TestNoLookAhead is the no-look-ahead property: for several as-of times,
// every figure Compute publishes from the whole data equals the one it
// publishes from the data as exported at that time. It runs on a generated
// team (stage histories, open deals with close dates, activities, quotas),
// on a hand-made Salesforce-like set (probabilities, amount history,
// created after closed) and, when ../shared has it, the Maven data.
func TestNoLookAhead(t *testing.T) {
	cal := Calendar{}
	gen := sample.Generate(sample.Config{Managers: 3, RepsPerManager: 8, Deals: 3000, End: day(2024, 12, 31), Seed: 7})
	sets := map[string]Dataset{"sample": gen, "salesforce-like": salesforceLike()}
	if ds, ok := mavenDataset(t); ok {
		sets["maven"] = ds
	}
	asOfs := []time.Time{
		time.Date(2017, 3, 15, 12, 0, 0, 0, time.UTC), time.Date(2017, 6, 15, 23, 59, 59, 0, time.UTC),
		day(2017, 10, 2), time.Date(2017, 12, 27, 9, 30, 0, 0, time.UTC),
		day(2024, 4, 1), time.Date(2024, 8, 14, 15, 0, 0, 0, time.UTC), day(2024, 11, 18), day(2024, 2, 29),
	}
	for name, ds := range sets {
		for _, at := range asOfs {
			full := Compute(ds, cal, at, Options{})
			cut := Compute(asExportedAt(ds, at), cal, at, Options{})
			if !reflect.DeepEqual(full, cut) {
				t.Errorf("%s as of %s: figures differ once later events are deleted:\n%s", name, at.Format(time.RFC3339), firstDiff(t, full, cut))
			}
		}
	}
}

// firstDiff names the first report whose JSON differs.
func firstDiff(t *testing.T, a, b Snapshot) string {
	t.Helper()
	if len(a.Reps) != len(b.Reps) || len(a.Teams) != len(b.Teams) {
		return "different numbers of reports"
	}
	for i := range a.Reps {
		x, _ := json.Marshal(a.Reps[i])
		y, _ := json.Marshal(b.Reps[i])
		if string(x) != string(y) {
			return "rep report:\nfull " + string(x) + "\ncut  " + string(y)
		}
	}
	for i := range a.Teams {
		x, _ := json.Marshal(a.Teams[i])
		y, _ := json.Marshal(b.Teams[i])
		if string(x) != string(y) {
			return "team report:\nfull " + string(x) + "\ncut  " + string(y)
		}
	}
	return "(equal as JSON)"
}

// salesforceLike has CRM probabilities, forecast categories, stage history
// with amounts and close dates, and a deal created (loaded) after it
// closed.
func salesforceLike() Dataset {
	h := func(stage string, at time.Time, amount, p float64, closeDate time.Time) StageChange {
		return StageChange{Stage: stage, At: at, Amount: amount, AmountKnown: true, Probability: p, HasProbability: true, CloseDate: closeDate}
	}
	return Dataset{
		Reps: []Rep{{ID: "u1", Name: "Una", Manager: "Max"}, {ID: "u2", Name: "Uri", Manager: "Max"}},
		Deals: []Deal{
			{ID: "o1", Owner: "u1", Stage: "Closed Won", Status: StatusWon, Amount: 9000, AmountKnown: true,
				Created: day(2024, 1, 10), Closed: day(2024, 5, 2),
				History: []StageChange{h("Qualification", day(2024, 1, 10), 5000, 0.2, day(2024, 4, 1)), h("Negotiation", day(2024, 3, 20), 8000, 0.8, day(2024, 4, 30)), h("Closed Won", day(2024, 5, 2), 9000, 1, day(2024, 5, 2))}},
			{ID: "o2", Owner: "u1", Stage: "Negotiation", Status: StatusOpen, Amount: 4000, AmountKnown: true, Probability: 0.9, HasProbability: true, ForecastCategory: ForecastCommit,
				Created: day(2024, 7, 1), Closed: day(2024, 9, 15), Moved: day(2024, 9, 1),
				History: []StageChange{h("Qualification", day(2024, 7, 1), 3000, 0.2, day(2024, 10, 1)), h("Negotiation", day(2024, 9, 1), 4000, 0.9, day(2024, 9, 15))}},
			{ID: "o3", Owner: "u2", Stage: "Closed Won", Status: StatusWon, Amount: 4750, AmountKnown: true,
				Created: day(2025, 1, 22), Closed: day(2024, 11, 12)}, // CreatedDate is the load time
			{ID: "o4", Owner: "u2", Stage: "Closed Lost", Status: StatusLost, Amount: 2500, AmountKnown: true,
				Created: day(2024, 2, 1), Closed: day(2024, 8, 20), Product: "Loans"},
			{ID: "o5", Owner: "u2", Stage: "Qualification", Status: StatusOpen, Amount: 1200, AmountKnown: true, Probability: 0.1, HasProbability: true,
				Created: day(2024, 6, 3), Closed: day(2024, 12, 20)},
		},
		Activities: []Activity{{ID: "t1", Owner: "u1", Kind: ActivityCall, At: day(2024, 3, 1)}, {ID: "t2", Owner: "u2", Kind: ActivityEmail, At: day(2024, 10, 1)}},
	}
}

// mavenDataset imports the Maven CRM export from ../shared in place, when
// it is there.
func mavenDataset(t *testing.T) (Dataset, bool) {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "data", "maven-crm")
	if _, err := os.Stat(filepath.Join(dir, "sales_pipeline.csv")); err != nil {
		return Dataset{}, false
	}
	res, err := importer.Import([]string{dir}, importer.Options{Profile: "maven"})
	if err != nil {
		t.Fatalf("import Maven data: %v", err)
	}
	return res.Dataset, true
}
