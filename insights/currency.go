package insights

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ConvertCurrency puts every deal's amount in the base currency (ISO 4217,
// such as "USD"), so that sums never add different money: a deal whose
// Currency is another code is multiplied by rates[code] (one unit of code
// in base) and its Currency becomes base; a deal with no Currency is
// already in base. It returns how many deals were converted per currency.
// When some currency has no rate it changes nothing and returns an error
// naming each such currency and how many deals use it.
func ConvertCurrency(ds *Dataset, base string, rates map[string]float64) (map[string]int, error) {
	base = strings.ToUpper(base)
	converted := map[string]int{}
	missing := map[string]int{}
	for _, d := range ds.Deals {
		cur := strings.ToUpper(d.Currency)
		if cur == "" || cur == base {
			continue
		}
		if r, ok := rates[cur]; ok && r > 0 {
			converted[cur]++
		} else {
			missing[cur]++
		}
	}
	if len(missing) > 0 {
		var parts []string
		for _, c := range slices.Sorted(maps.Keys(missing)) {
			parts = append(parts, fmt.Sprintf("%s (%d deals)", c, missing[c]))
		}
		return nil, fmt.Errorf("deals in %s, but figures are in %s and there is no rate for them: set REPCOACH_FX_RATES (e.g. %s=…), or REPCOACH_CURRENCY if the data is all in one currency",
			strings.Join(parts, ", "), base, slices.Sorted(maps.Keys(missing))[0])
	}
	for i := range ds.Deals {
		d := &ds.Deals[i]
		cur := strings.ToUpper(d.Currency)
		if cur == "" || cur == base {
			d.Currency = ""
			continue
		}
		d.Amount *= rates[cur]
		d.Currency = ""
	}
	return converted, nil
}
