package insights

import (
	"fmt"
	"testing"
)

func TestSlim(t *testing.T) {
	var team TeamReport
	for i := range 10 {
		team.Members = append(team.Members, RepReport{
			Rep:        Rep{ID: RepID(fmt.Sprint("r", i)), Name: fmt.Sprint("Rep ", i)},
			Metrics:    Metrics{WonRevenue: float64(i * 100)},
			Previous:   Metrics{WonRevenue: 7, Won: 3},
			StaleDeals: []DealRef{{ID: "d"}},
			Focus:      &Finding{Metric: "win_rate"},
		})
	}
	team.Standing.TeamSize = 10
	team.AtRisk = []RepID{"r4"}

	got := team.Slim(4)
	var ids []RepID
	for _, m := range got.Members {
		ids = append(ids, m.Rep.ID)
		if m.Focus != nil || m.StaleDeals != nil || m.Previous.Won != 0 {
			t.Errorf("member %s keeps heavy fields: %+v", m.Rep.ID, m)
		}
		if m.Previous.WonRevenue != 7 {
			t.Errorf("member %s previous won = %v, want 7", m.Rep.ID, m.Previous.WonRevenue)
		}
	}
	if want := []RepID{"r9", "r8", "r4", "r1", "r0"}; fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("Slim(4) members = %v, want %v (top 2, named r4, bottom 2)", ids, want)
	}
	if got.Standing.TeamSize != 10 {
		t.Errorf("TeamSize = %d, want 10", got.Standing.TeamSize)
	}
	if team.Members[0].Focus == nil || len(team.Members) != 10 {
		t.Error("Slim changed its receiver's members")
	}
	if n := len(team.Slim(100).Members); n != 10 {
		t.Errorf("Slim(100) of 10 members kept %d, want 10", n)
	}
}
