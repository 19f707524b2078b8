package main

import (
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights/crmsync"
)

func TestSyncFinding(t *testing.T) {
	now := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	okState := crmsync.State{Source: "salesforce", LastRun: now.Add(-10 * time.Minute), LastOK: now.Add(-10 * time.Minute),
		Deals: 12, Reps: 3, Changed: 4, Deleted: 1, Total: 1234, Requests: 5, Took: 1500 * time.Millisecond}
	failed := okState
	failed.Source, failed.LastRun, failed.Error = "hubspot", now.Add(-5*time.Minute), "read deals: HTTP 429"
	never := crmsync.State{Source: "hubspot", LastRun: now.Add(-time.Hour), Error: "INVALID_AUTHENTICATION"}
	for _, tc := range []struct {
		name       string
		states     []crmsync.State
		configured bool
		every      time.Duration
		want       finding
	}{
		{name: "no CRM API, never synced", want: finding{}},
		{name: "configured, never synced", configured: true,
			want: warn("CRM sync", "no sync yet", "run `repcoach sync`, or set REPCOACH_SYNC_EVERY so `repcoach run` syncs")},
		{name: "last sync ok", configured: true, states: []crmsync.State{okState},
			want: ok("CRM sync", "Salesforce: incremental sync 10m0s ago (Fri 4 Dec 2026 14:50 UTC): 12 deals and 3 users read, 4 changed, 1 deleted, 1,234 stored, 5 requests, took 1.5s")},
		{name: "last sync failed after an ok one", configured: true, states: []crmsync.State{failed},
			want: warn("CRM sync", "HubSpot: the last sync (5m0s ago) failed: read deals: HTTP 429; the last good one was 10m0s ago", "nothing half-done was published; the next sync retries (see the bot's log)")},
		{name: "never succeeded", configured: true, states: []crmsync.State{never},
			want: fail("CRM sync", "HubSpot: no sync succeeded yet; the last (1h0m0s ago) failed: INVALID_AUTHENTICATION", "fix what the error names, then run `repcoach sync`")},
		{name: "stale", configured: true, every: time.Minute, states: []crmsync.State{okState},
			want: warn("CRM sync", "Salesforce: incremental sync 10m0s ago (Fri 4 Dec 2026 14:50 UTC): 12 deals and 3 users read, 4 changed, 1 deleted, 1,234 stored, 5 requests, took 1.5s", "REPCOACH_SYNC_EVERY is 1m0s: is `repcoach run` up and syncing? See its log")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := syncFinding(tc.states, tc.configured, tc.every, now, time.UTC)
			if got != tc.want {
				t.Errorf("syncFinding =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}
