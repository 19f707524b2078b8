package crmsync

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights"
)

// scanStore is a Store holding one dataset, whose ScanDataset hands the
// deals over in reverse order, each through a variable it then reuses.
type scanStore struct {
	Store
	ds insights.Dataset
}

func (s scanStore) ScanDataset(_ context.Context, deal func(d *insights.Deal) error) (insights.Dataset, error) {
	var d insights.Deal
	for _, x := range slices.Backward(s.ds.Deals) {
		d = x
		if err := deal(&d); err != nil {
			return insights.Dataset{}, err
		}
		d = insights.Deal{ID: "reused", Owner: "nobody"}
	}
	rest := s.ds
	rest.Deals = nil
	return rest, nil
}

func TestStreamedFullDiffEqualsApply(t *testing.T) {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(id string, owner insights.RepID, stage string, amount float64) insights.Deal {
		return insights.Deal{ID: id, Owner: owner, Stage: stage, Status: insights.StatusOpen, Amount: amount, AmountKnown: true, Created: at,
			History: []insights.StageChange{{Stage: stage, At: at}}}
	}
	old := insights.Dataset{
		Reps: []insights.Rep{{ID: "a", Manager: "Mia", Team: "East"}, {ID: "b", Manager: "Max", Team: "West"}, {ID: "c", Manager: "Max"}},
		Deals: []insights.Deal{
			mk("1", "a", "Prospecting", 100), mk("2", "a", "Proposal", 200), mk("3", "b", "Proposal", 300), mk("4", "c", "Proposal", 400),
		},
		Quotas: []insights.Quota{{Rep: "a", Amount: 5}},
	}
	moved := mk("2", "a", "Negotiation", 200)
	moved.History = append(moved.History, insights.StageChange{Stage: "Negotiation", At: at.Add(time.Hour)})
	for _, tc := range []struct {
		name  string
		deals []insights.Deal
		want  Diff
	}{
		{name: "unchanged", deals: slices.Clone(old.Deals)},
		{name: "changed, added, deleted and unchanged",
			deals: []insights.Deal{mk("1", "a", "Prospecting", 100), moved, mk("3", "b", "Proposal", 300), mk("5", "b", "Prospecting", 50)},
			want:  Diff{Changed: 3, Deleted: 1, Reps: []insights.RepID{"a", "b", "c"}, Teams: []string{"all", "manager:Max", "manager:Mia", "office:East", "office:West"}}},
		{name: "a deal changes hands",
			deals: []insights.Deal{mk("1", "a", "Prospecting", 100), mk("2", "a", "Proposal", 200), mk("3", "c", "Proposal", 300), mk("4", "c", "Proposal", 400)},
			want:  Diff{Changed: 1, Reps: []insights.RepID{"b", "c"}, Teams: []string{"all", "manager:Max", "office:West"}}},
		{name: "everything deleted", deals: nil,
			want: Diff{Changed: 4, Deleted: 4, Reps: []insights.RepID{"a", "b", "c"}, Teams: []string{"all", "manager:Max", "manager:Mia", "office:East", "office:West"}}},
		{name: "a deal read twice, once as stored",
			deals: []insights.Deal{mk("1", "a", "Prospecting", 100), mk("1", "a", "Proposal", 100), mk("2", "a", "Proposal", 200), mk("3", "b", "Proposal", 300), mk("4", "c", "Proposal", 400)},
			want:  Diff{Changed: 1, Reps: []insights.RepID{"a"}, Teams: []string{"all", "manager:Mia", "office:East"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := Changes{Full: true, Deals: tc.deals}
			wantDS, wantDiff := Apply(old, ch)
			s := &Syncer{Store: scanStore{ds: old}}
			ds, diff, err := s.applyFull(context.Background(), ch)
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range []struct {
				how  string
				diff Diff
			}{{"streamed", diff}, {"Apply", wantDiff}} {
				if d := got.diff; d.Changed != tc.want.Changed || d.Deleted != tc.want.Deleted || !slices.Equal(d.Reps, tc.want.Reps) ||
					!slices.Equal(d.Teams, tc.want.Teams) || d.RepsChanged != tc.want.RepsChanged {
					t.Errorf("%s: diff = %+v, want %+v", got.how, d, tc.want)
				}
			}
			if len(ds.Deals) != len(wantDS.Deals) || (len(ds.Deals) > 0 && &ds.Deals[0] != &wantDS.Deals[0]) ||
				!slices.Equal(ds.Reps, wantDS.Reps) || !slices.Equal(ds.Quotas, wantDS.Quotas) {
				t.Errorf("streamed dataset = %+v, want %+v", ds, wantDS)
			}
		})
	}
}
