package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/crmsync"
)

type quietControl struct{}

func (quietControl) SetPaused(context.Context, bool, string) error { return nil }
func (quietControl) PausedBy(context.Context) (string, time.Time, bool, error) {
	return "", time.Time{}, false, nil
}
func (quietControl) OptedOut(context.Context, string, string) (bool, error) { return false, nil }
func (quietControl) Current(context.Context) (int64, time.Time, error) {
	return 0, time.Time{}, insights.ErrNoData
}

type syncStates []crmsync.State

func (s syncStates) SyncStates(context.Context) ([]crmsync.State, error) { return s, nil }

func TestStatusShowsTheCRMSyncs(t *testing.T) {
	at := time.Date(2026, 11, 29, 16, 5, 0, 0, time.UTC)
	ok := crmsync.State{Source: "salesforce", LastRun: at, LastOK: at, Deals: 10, Changed: 9, Deleted: 1, Total: 8800}
	failed := crmsync.State{Source: "hubspot", LastRun: at.Add(time.Hour), LastOK: at, Error: "read deals: hubspot: HTTP 429 RATE_LIMIT: <!channel> `x`"}
	for _, tc := range []struct {
		name     string
		user     string
		lang     string
		states   syncStates
		want     []string
		dontWant []string
	}{
		{"a successful sync", "U1", "en", syncStates{ok},
			[]string{":arrows_counterclockwise: Salesforce synced Sun 29 Nov 2026, 16:05 UTC (changes since the sync before): 10 deals read, 9 deals changed, 1 deal deleted; 8,800 deals in RepCoach."}, nil},
		{"a failed sync, to a rep", "U1", "en", syncStates{failed},
			[]string{":warning: The last HubSpot sync (Sun 29 Nov 2026, 17:05 UTC) failed, so the numbers are from the sync of Sun 29 Nov 2026, 16:05 UTC."}, []string{"Error", "RATE_LIMIT"}},
		{"a failed sync, to sales ops", "UOPS", "en", syncStates{failed},
			[]string{"Error: `read deals: hubspot: HTTP 429 RATE_LIMIT: &lt;!channel&gt; 'x'`"}, []string{"<!channel>"}},
		{"a successful sync, in Turkish", "U1", "tr", syncStates{ok},
			[]string{":arrows_counterclockwise: Salesforce eşitlendi, 29 Kasım 2026 Pazar, 16:05 UTC (önceki eşitlemeden bu yana değişenler): 10 anlaşma okundu, 9 anlaşma değişti, 1 anlaşma silindi; RepCoach'ta toplam 8.800 anlaşma."}, []string{"synced", "deals"}},
		{"a failed sync, to a rep, in Turkish", "U1", "tr", syncStates{failed},
			[]string{":warning: Son HubSpot eşitlemesi (29 Kasım 2026 Pazar, 17:05 UTC) başarısız oldu; rakamlar son başarılı eşitlemeden (29 Kasım 2026 Pazar, 16:05 UTC)."}, []string{"Hata", "RATE_LIMIT"}},
		{"a failed sync, to sales ops, in Turkish", "UOPS", "tr", syncStates{failed},
			[]string{"Hata: `read deals: hubspot: HTTP 429 RATE_LIMIT: &lt;!channel&gt; 'x'`"}, []string{"<!channel>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &Locales{Store: memLanguages{tc.user: tc.lang}, Default: i18n.English, Currency: "USD"}
			a := &Admin{Control: quietControl{}, OptOut: &OptOut{}, Roles: fakeRoles{"UOPS": true}, Syncs: tc.states, Location: time.UTC, Locales: l}
			msg, err := a.Handle(context.Background(), tc.user, "status")
			if err != nil {
				t.Fatal(err)
			}
			got := msg.Text
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("status = %q\nwant it to contain %q", got, w)
				}
			}
			for _, w := range tc.dontWant {
				if strings.Contains(got, w) {
					t.Errorf("status = %q\nwant no %q", got, w)
				}
			}
		})
	}
}

// pausedControl is paused by by.
type pausedControl struct {
	quietControl
	by string
}

func (c pausedControl) PausedBy(context.Context) (string, time.Time, bool, error) {
	return c.by, time.Date(2026, 11, 29, 16, 5, 0, 0, time.UTC), true, nil
}

func TestStatusNamesWhoPaused(t *testing.T) {
	for _, tc := range []struct{ by, want string }{
		{"U0OPS", "(by <@U0OPS>, "},
		{"RepCoach, because Redis lost its data", "(by RepCoach, because Redis lost its data, "},
		{"<!channel>", "(by &lt;!channel&gt;, "},
	} {
		a := &Admin{Control: pausedControl{by: tc.by}, OptOut: &OptOut{}, Roles: fakeRoles{}, Location: time.UTC}
		msg, err := a.Handle(context.Background(), "U1", "status")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg.Text, tc.want) {
			t.Errorf("paused by %q: status = %q\nwant it to contain %q", tc.by, msg.Text, tc.want)
		}
	}
}
