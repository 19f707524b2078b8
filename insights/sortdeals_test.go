package insights

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortDeals sorts shuffled deals by owner and ID, keeping the order of
// deals that share both, and leaves sorted deals as they are.
func TestSortDeals(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var deals []Deal
	for i := range 500 {
		deals = append(deals, Deal{ID: fmt.Sprintf("D%03d", i%450), Owner: RepID(fmt.Sprintf("r%d", i%450%7)), Amount: float64(i)})
	}
	rng.Shuffle(len(deals), func(i, j int) { deals[i], deals[j] = deals[j], deals[i] })
	// The order SortDeals must give: stable by owner and ID.
	want := slices.Clone(deals)
	slices.SortStableFunc(want, func(a, b Deal) int { return compareDeals(&a, &b) })
	got := slices.Clone(deals)
	SortDeals(got)
	if !slices.EqualFunc(got, want, func(a, b Deal) bool { return a.ID == b.ID && a.Owner == b.Owner && a.Amount == b.Amount }) {
		t.Errorf("SortDeals gave another order than a stable sort by owner and ID")
	}
	again := slices.Clone(got)
	SortDeals(again)
	if !slices.EqualFunc(again, got, func(a, b Deal) bool { return a.Amount == b.Amount }) {
		t.Errorf("SortDeals changed deals already in order")
	}
	SortDeals(nil)
}
