package insights

import (
	"strings"
	"testing"
)

func TestConvertCurrency(t *testing.T) {
	deals := func() Dataset {
		return Dataset{Deals: []Deal{
			{ID: "1", Amount: 1000},
			{ID: "2", Amount: 1000, Currency: "eur"},
			{ID: "3", Amount: 100000, Currency: "TRY"},
			{ID: "4", Amount: 500, Currency: "USD"},
		}}
	}
	ds := deals()
	_, err := ConvertCurrency(&ds, "USD", map[string]float64{"EUR": 1.08})
	if err == nil || !strings.Contains(err.Error(), "TRY (1 deals)") || !strings.Contains(err.Error(), "REPCOACH_FX_RATES") {
		t.Fatalf("got %v, want an error naming TRY and REPCOACH_FX_RATES", err)
	}
	if ds.Deals[1].Amount != 1000 || ds.Deals[1].Currency != "eur" {
		t.Errorf("a refused conversion changed deals: %+v", ds.Deals[1])
	}
	n, err := ConvertCurrency(&ds, "USD", map[string]float64{"EUR": 1.08, "TRY": 0.029})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, d := range ds.Deals {
		sum += d.Amount
		if d.Currency != "" {
			t.Errorf("deal %s still in %s", d.ID, d.Currency)
		}
	}
	if want := 1000 + 1080 + 2900 + 500.0; sum < want-1e-6 || sum > want+1e-6 || n["EUR"] != 1 || n["TRY"] != 1 {
		t.Errorf("sum %v (want %v), converted %v", sum, want, n)
	}
}
