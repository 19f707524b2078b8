package crmsync

import (
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
