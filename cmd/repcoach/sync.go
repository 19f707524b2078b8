package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/crmsync"
	"github.com/repcoach/repcoach/insights/hubspot"
	"github.com/repcoach/repcoach/insights/numfmt"
	"github.com/repcoach/repcoach/insights/salesforce"
)

// syncLock is the Redis lock that lets one replica at a time sync.
const syncLock = "crm-sync"

// secret returns a secret variable's value, or the trimmed content of the
// file its _FILE variable names. Errors name the variables, never a value.
func secret(value, file, name string) (string, error) {
	if value != "" && file != "" {
		return "", fmt.Errorf("set %s or %s_FILE, not both", name, name)
	}
	if file == "" {
		return value, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// sources returns the CRM APIs the configuration turns on: Salesforce when
// SALESFORCE_CLIENT_ID is set, HubSpot when HUBSPOT_TOKEN (or its file) is.
func (a *App) sources(httpClient *http.Client) ([]crmsync.Source, error) {
	var out []crmsync.Source
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 2 * time.Minute}
	}
	if a.cfg.SFClientID != "" {
		key, err := secret(a.cfg.SFPrivateKey, a.cfg.SFPrivateKeyFile, "SALESFORCE_PRIVATE_KEY")
		if err != nil {
			return nil, err
		}
		sec, err := secret(a.cfg.SFClientSecret, a.cfg.SFClientSecretFile, "SALESFORCE_CLIENT_SECRET")
		if err != nil {
			return nil, err
		}
		c, err := salesforce.New(salesforce.Config{
			LoginURL:     a.cfg.SFLoginURL,
			ClientID:     a.cfg.SFClientID,
			Username:     a.cfg.SFUsername,
			PrivateKey:   []byte(key),
			ClientSecret: sec,
			APIVersion:   a.cfg.SFAPIVersion,
			ProductField: a.cfg.SFProductField,
			Location:     a.cal.Zone(),
			HTTPClient:   httpClient,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	token, err := secret(a.cfg.HSToken, a.cfg.HSTokenFile, "HUBSPOT_TOKEN")
	if err != nil {
		return nil, err
	}
	if token != "" {
		c, err := hubspot.New(hubspot.Config{BaseURL: a.cfg.HSAPIURL, Token: token, ProductProperty: a.cfg.HSProductProp, HTTPClient: httpClient})
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// syncer returns the sync of src into the store, converting amounts into
// REPCOACH_CURRENCY with REPCOACH_FX_RATES and publishing through the same
// recompute as an import. The configuration was validated at start.
func (a *App) syncer(src crmsync.Source) *crmsync.Syncer {
	_, cur, _ := a.cfg.locale()
	rates, _ := a.cfg.rates()
	return &crmsync.Syncer{
		Source:   src,
		Store:    a.store,
		Overlap:  a.cfg.SyncOverlap,
		Currency: cur,
		Rates:    rates,
		Publish: func(ctx context.Context, ds insights.Dataset, _ []insights.RepID) error {
			return a.publishReports(ctx, ds)
		},
	}
}

// syncAll syncs every configured CRM in turn (full when asked), logging
// each outcome; it returns the errors joined.
func (a *App) syncAll(ctx context.Context, full bool, srcs []crmsync.Source) ([]crmsync.State, error) {
	var states []crmsync.State
	var errs []error
	for _, src := range srcs {
		st, err := a.syncer(src).Sync(ctx, full)
		states = append(states, st)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a.log.Info("synced CRM", "source", st.Source, "full", st.Full, "deals_read", st.Deals, "changed", st.Changed, "deleted", st.Deleted,
			"reps_touched", st.Affected, "teams_touched", st.Teams, "deals_stored", st.Total, "requests", st.Requests, "took", st.Took.Round(time.Millisecond), "api_usage", st.Usage)
	}
	return states, errors.Join(errs...)
}

// scheduledSync is the periodic sync of `repcoach run`.
func (a *App) scheduledSync(srcs []crmsync.Source) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := a.syncAll(ctx, false, srcs)
		return err
	}
}

// runSync is `repcoach sync`: one sync of every configured CRM API into
// Redis, holding the sync lock so that no replica syncs at the same time.
func runSync(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	full := fs.Bool("full", false, "read every record, not only what changed since the last sync (deleted deals are found either way)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: repcoach sync [--full]")
		fmt.Fprintln(stderr, "Reads Salesforce (SALESFORCE_CLIENT_ID, …) and HubSpot (HUBSPOT_TOKEN) into Redis and recomputes the reports.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if cfg.RedisURL == "" {
		return errors.New("REDIS_URL is not set, so the sync would be lost when this command ends (the embedded Redis keeps nothing). Set REDIS_URL to the Redis `repcoach run` uses, or set REPCOACH_SYNC_EVERY so `repcoach run` syncs itself")
	}
	app, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	srcs, err := app.sources(nil)
	if err != nil {
		return err
	}
	if len(srcs) == 0 {
		return errors.New("no CRM API is configured: set SALESFORCE_CLIENT_ID (and a key or secret) or HUBSPOT_TOKEN; see `repcoach help`")
	}
	var states []crmsync.State
	ran := false
	err = app.exclusive(ctx, syncLock, 30*time.Minute, func(ctx context.Context) error {
		ran = true
		var err error
		states, err = app.syncAll(ctx, *full, srcs)
		return err
	})
	if !ran && err == nil {
		return errors.New("another replica is syncing right now; try again in a minute")
	}
	for _, st := range states {
		fmt.Fprintln(stdout, syncSummary(st))
	}
	return err
}

// crmSources names every CRM the sync knows, for status.
var crmSources = []string{"salesforce", "hubspot"}

// syncStatus reads the stored state of every CRM that has synced.
type syncStatus struct {
	store interface {
		SyncState(ctx context.Context, source string) (crmsync.State, error)
	}
}

// SyncStates returns the state of each CRM that ran at least once.
func (s syncStatus) SyncStates(ctx context.Context) ([]crmsync.State, error) {
	var out []crmsync.State
	for _, name := range crmSources {
		st, err := s.store.SyncState(ctx, name)
		if err != nil {
			return nil, err
		}
		if !st.LastRun.IsZero() {
			out = append(out, st)
		}
	}
	return out, nil
}

// syncSummary describes a sync's outcome in one line.
func syncSummary(st crmsync.State) string {
	name := map[string]string{"salesforce": "Salesforce", "hubspot": "HubSpot"}[st.Source]
	if name == "" {
		name = st.Source
	}
	if st.Error != "" {
		return fmt.Sprintf("%s: sync failed: %s (nothing was published; the next sync retries)", name, st.Error)
	}
	kind := "incremental"
	if st.Full {
		kind = "full"
	}
	return fmt.Sprintf("%s: %s sync read %s and %s in %s (%s): %s changed, %s deleted; %s and %s touched; %s stored; took %s.",
		name, kind, kit.Plural(st.Deals, "deal", "deals"), kit.Plural(st.Reps, "user", "users"), kit.Plural(st.Requests, "request", "requests"),
		orNone(st.Usage), kit.Plural(st.Changed, "deal", "deals"), kit.Plural(st.Deleted, "deal", "deals"), kit.Plural(st.Affected, "rep", "reps"),
		kit.Plural(st.Teams, "team", "teams"), kit.Plural(st.Total, "deal", "deals"), st.Took.Round(time.Millisecond))
}

func orNone(s string) string {
	if s == "" {
		return "API usage not reported"
	}
	return s
}

// checkCRMSync is the doctor's check of the CRM sync: the last sync of
// each CRM, when, what it read and changed, and its error; not applicable
// when no CRM API is configured and none ever synced.
func checkCRMSync(ctx context.Context, d *doctor) finding {
	configured := d.cfg.SFClientID != "" || d.cfg.HSToken != "" || d.cfg.HSTokenFile != ""
	if d.app == nil {
		if !configured {
			return finding{}
		}
		return fail("CRM sync", "not checked: no Redis", "fix Redis first")
	}
	states, err := syncStatus{d.app.store}.SyncStates(ctx)
	if err != nil {
		return fail("CRM sync", err.Error(), "check Redis")
	}
	return syncFinding(states, configured, d.cfg.SyncEvery, d.now, d.app.cal.Zone())
}

// syncFinding states how the CRM syncs stand at now: ok when each last
// sync succeeded (a warning when older than twice every, if set), a
// warning when the last failed after an earlier success, failed when none
// ever succeeded; times shown in loc.
func syncFinding(states []crmsync.State, configured bool, every time.Duration, now time.Time, loc *time.Location) finding {
	const name = "CRM sync"
	if len(states) == 0 {
		if !configured {
			return finding{}
		}
		return warn(name, "no sync yet", "run `repcoach sync`, or set REPCOACH_SYNC_EVERY so `repcoach run` syncs")
	}
	rank := map[string]int{"ok": 0, "warn": 1, "FAIL": 2}
	out := finding{status: "ok", check: name}
	var found []string
	for _, st := range states {
		label := map[string]string{"salesforce": "Salesforce", "hubspot": "HubSpot"}[st.Source]
		if label == "" {
			label = st.Source
		}
		ago := func(t time.Time) string { return now.Sub(t).Round(time.Second).String() }
		var f finding
		switch {
		case st.Error != "" && st.LastOK.IsZero():
			f = fail(name, fmt.Sprintf("%s: no sync succeeded yet; the last (%s ago) failed: %s", label, ago(st.LastRun), st.Error),
				"fix what the error names, then run `repcoach sync`")
		case st.Error != "":
			f = warn(name, fmt.Sprintf("%s: the last sync (%s ago) failed: %s; the last good one was %s ago", label, ago(st.LastRun), st.Error, ago(st.LastOK)),
				"nothing half-done was published; the next sync retries (see the bot's log)")
		default:
			kind := "incremental"
			if st.Full {
				kind = "full"
			}
			text := fmt.Sprintf("%s: %s sync %s ago (%s): %s and %s read, %d changed, %d deleted, %s stored, %s, took %s",
				label, kind, ago(st.LastOK), st.LastOK.In(loc).Format("Mon 2 Jan 2006 15:04 MST"),
				kit.Plural(st.Deals, "deal", "deals"), kit.Plural(st.Reps, "user", "users"), st.Changed, st.Deleted,
				numfmt.Int(st.Total), kit.Plural(st.Requests, "request", "requests"), st.Took.Round(time.Millisecond))
			f = ok(name, text)
			if every > 0 && now.Sub(st.LastOK) > 2*every {
				f = warn(name, text, fmt.Sprintf("REPCOACH_SYNC_EVERY is %s: is `repcoach run` up and syncing? See its log", every))
			}
		}
		found = append(found, f.found)
		if rank[f.status] > rank[out.status] {
			out.status, out.fix = f.status, f.fix
		}
	}
	out.found = strings.Join(found, "; ")
	return out
}
