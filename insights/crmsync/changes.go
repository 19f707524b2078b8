package crmsync

import (
	"strings"
	"time"

	"github.com/repcoach/repcoach/insights"
)

// Changes is what a Source read from its CRM in one sync, already mapped
// into the dataset types the CSV importers produce.
type Changes struct {
	// Full is true when Deals holds every deal the CRM has: stored deals
	// missing from it were deleted. Otherwise Deals holds only the deals
	// changed since the time asked for, and Deleted the IDs of the deals
	// deleted since then.
	Full    bool
	Deals   []insights.Deal
	Deleted []string
	// Reps are the CRM users who own deals (changed ones, when not Full),
	// with name, email, manager and team where the CRM has them. They are
	// laid over the stored reps: an empty field keeps the stored value.
	Reps []insights.Rep
	// Watermark is the latest modification time among the records read; the
	// next sync asks for changes from it, less an overlap. Zero when nothing
	// was read.
	Watermark time.Time
	// Requests counts the HTTP requests the sync made.
	Requests int
	// Usage describes the CRM's API allowance after the sync, as the CRM
	// reported it (for example "api-usage=180/15000"); empty when unknown.
	Usage string
}

// convert puts deals' amounts, and those of their stage history, in base
// with insights.ConvertCurrency's rules; it changes nothing and returns
// its error when a currency has no rate.
func convert(deals []insights.Deal, base string, rates map[string]float64) error {
	rate := make([]float64, len(deals))
	for i := range deals {
		rate[i] = 1
		if c := strings.ToUpper(deals[i].Currency); c != "" && c != strings.ToUpper(base) {
			rate[i] = rates[c]
		}
	}
	ds := insights.Dataset{Deals: deals}
	if _, err := insights.ConvertCurrency(&ds, base, rates); err != nil {
		return err
	}
	for i := range deals {
		if rate[i] == 1 || len(deals[i].History) == 0 {
			continue
		}
		// The history may share its array with the source's records.
		h := make([]insights.StageChange, len(deals[i].History))
		copy(h, deals[i].History)
		for j := range h {
			h[j].Amount *= rate[i]
		}
		deals[i].History = h
	}
	return nil
}
