package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/bot/schedule"
	"github.com/repcoach/repcoach/handlers"
	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/clock"
	"github.com/repcoach/repcoach/insights/crmsync"
	"github.com/repcoach/repcoach/insights/importer"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// App is RepCoach wired together: the store, the team calendar and clock,
// and the handlers. run, demo, import, job and preview all build one.
type App struct {
	cfg Config
	log *slog.Logger
	cal insights.Calendar
	now func() time.Time
	// clock is what scheduling, leases, pacing and retries run on: the
	// real clock, even when REPCOACH_AS_OF pins the figures (now).
	clock clock.Clock
	store *redisstore.Store
	// owner names this process in Redis locks and delivery leases: host,
	// pid and a random part; the one name the process goes by.
	owner string
	// profilesChanged is set by team_join and user_change events: the
	// link watcher then matches people again.
	profilesChanged atomic.Bool
	// crm are the CRM APIs to sync from (set by prepare).
	crm []crmsync.Source
	// metrics are served on /metrics when REPCOACH_HTTP_ADDR is set.
	metrics *metrics

	// Set by connect, once a Slack API client exists.
	poster    *bot.Poster
	dir       *bot.Directory
	identity  *handlers.Identity
	perf      *handlers.Performance
	team      *handlers.Team
	digest    *handlers.Digest
	feedback  *handlers.Feedback
	optOut    *handlers.OptOut
	home      *handlers.Home
	admin     *handlers.Admin
	locales   *handlers.Locales
	links     *handlers.Links
	recognize *handlers.Recognize
	nudges    *handlers.Nudges
	awards    *handlers.Awards
}

// newApp opens the store and reads the calendar and clock from cfg.
func newApp(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	cal, err := cfg.calendar()
	if err != nil {
		return nil, err
	}
	now, err := cfg.clock(cal.Zone())
	if err != nil {
		return nil, err
	}
	store, err := redisstore.Open(ctx, cfg.RedisURL, redisstore.Options{Prefix: cfg.RedisPrefix})
	if err != nil {
		return nil, err
	}
	m := newMetrics()
	store.Client().AddHook(redisHook{m})
	return &App{cfg: cfg, log: log, cal: cal, now: now, clock: clock.Real, store: store, owner: bot.DefaultOwner(), metrics: m}, nil
}

// Close releases the store.
func (a *App) Close() error { return a.store.Close() }

// connect wires the handlers that need Slack to api.
func (a *App) connect(api *slack.Client) error {
	a.dir = bot.NewDirectory(api, a.cfg.roles())
	a.dir.Zones, a.dir.DefaultZone, a.dir.Clock = a.store, a.cal.Zone(), a.clock
	mapping := map[string]string{}
	if a.cfg.UserMap != "" {
		f, err := os.Open(a.cfg.UserMap)
		if err != nil {
			return fmt.Errorf("REPCOACH_USER_MAP: %w", err)
		}
		defer f.Close()
		if mapping, err = handlers.ReadMapping(f); err != nil {
			return fmt.Errorf("REPCOACH_USER_MAP %s: %w", a.cfg.UserMap, err)
		}
	}
	a.identity = &handlers.Identity{Links: a.store, Book: a.store, Decisions: a.store, Members: a.dir, Data: a.store, Mapping: mapping, NoNameMatch: !a.cfg.MatchNames}
	lang, cur, err := a.cfg.locale()
	if err != nil {
		return err
	}
	a.locales = &handlers.Locales{Store: a.store, Slack: a.dir, Default: lang, Currency: cur, Log: a.log}
	loc := a.cal.Zone()
	a.perf = &handlers.Performance{Reports: a.store, People: a.identity, Location: loc, Locales: a.locales}
	sched := a.cfg.schedule()
	a.team = &handlers.Team{Reports: a.store, People: a.identity, Roles: a.dir, Location: loc, Locales: a.locales}
	a.digest = &handlers.Digest{Reports: a.store, People: a.identity, Users: a.store, Location: loc, WeekStart: a.cal.FirstWeekday(), Training: a.store, Locales: a.locales, Schedule: sched}
	a.feedback = &handlers.Feedback{Reports: a.store, Teams: a.store, Received: a.store, Reps: a.store, People: a.identity, Users: a.store, Location: loc, Locales: a.locales, Schedule: sched}
	a.optOut = &handlers.OptOut{Prefs: a.store, Locales: a.locales}
	a.nudges = &handlers.Nudges{Reports: a.store, People: a.identity, Status: a.store, Now: time.Now, Locales: a.locales}
	a.poster = a.newPoster(api, a.cfg.DryRun)
	once := oncePoster{a.poster}
	a.awards = &handlers.Awards{Teams: a.store, Users: a.store, Store: a.store, Roles: a.dir, Poster: once, Channel: a.cfg.AwardsChannel, Now: time.Now, Locales: a.locales}
	a.recognize = &handlers.Recognize{Store: a.store, Roles: a.dir, Modals: api, Poster: once, Now: time.Now, Locales: a.locales}
	a.links = &handlers.Links{Roles: a.dir, Book: a.store, Decisions: a.store, Reps: a.reps, Refresh: func(ctx context.Context) error {
		return a.exclusive(ctx, linkLock, 10*time.Minute, func(ctx context.Context) error { _, err := a.link(ctx); return err })
	}, Locales: a.locales}
	a.admin = &handlers.Admin{Control: a.store, OptOut: a.optOut, Roles: a.dir, Links: a.links, Syncs: syncStatus{a.store}, Location: loc, Locales: a.locales, Schedule: sched}
	a.home = &handlers.Home{Reports: a.store, Teams: a.store, People: a.identity, Publisher: api, Location: loc, Locales: a.locales}
	return nil
}

// sayer writes what the bot itself tells a user (an explained error, the
// apology, the unknown-command reply) in their language, through the
// app's Locales: the bot is made before the handlers, so it asks at each
// call (English until they exist).
type sayer struct{ a *App }

func (s sayer) Explain(ctx context.Context, userID string, err error) (string, bool) {
	return s.a.locales.Explain(ctx, userID, err)
}

func (s sayer) Apology(ctx context.Context, userID string) string {
	return s.a.locales.Apology(ctx, userID)
}

func (s sayer) UnknownCommand(ctx context.Context, userID, command string, commands []string) string {
	return s.a.locales.UnknownCommand(ctx, userID, command, commands)
}

func (s sayer) FormNotSaved(ctx context.Context, userID string, errs []string) string {
	return s.a.locales.FormNotSaved(ctx, userID, errs)
}

// schedule is when the scheduled DMs go out (FEEDBACK_AT, DIGEST_AT,
// NUDGE_AT, checked at start), for the texts that name the day; a value
// that does not parse keeps the default.
func (c Config) schedule() handlers.Schedule {
	s := handlers.DefaultSchedule
	for _, x := range []struct {
		at   string
		when *handlers.When
	}{{c.FeedbackAt, &s.Feedback}, {c.DigestAt, &s.Digest}, {c.NudgeAt, &s.Nudge}} {
		if w, err := schedule.ParseWeekly(x.at); err == nil {
			*x.when = handlers.When{Day: w.Day, Hour: w.Hour}
		}
	}
	return s
}

// newPoster returns the process's one Poster: paced to REPCOACH_POST_RATE
// across every replica sharing the Redis, recording deliveries in the store under the process's owner name.
func (a *App) newPoster(api *slack.Client, dryRun bool) *bot.Poster {
	burst := max(1, int(a.cfg.PostRate))
	return bot.NewPoster(api, countingLedger{a.store, a.metrics}, bot.PosterConfig{
		Rate:   a.cfg.PostRate,
		Burst:  burst,
		Shared: a.store.RateLimiter("chat.postMessage", a.cfg.PostRate, burst),
		DryRun: dryRun,
		Lease:  a.cfg.DeliveryLease,
		Logger: a.log,
		Owner:  a.owner,
		Clock:  a.clock,
	})
}

// oncePoster posts the handlers' messages exactly once per key through
// the Poster's ledger.
type oncePoster struct{ p *bot.Poster }

func (o oncePoster) PostOnce(ctx context.Context, key, channel string, m handlers.Message) (bool, error) {
	d := o.p.Deliver(ctx, key, channel, bot.Outgoing{Text: m.Text, Blocks: m.Blocks})
	switch d.Result {
	case bot.Sent, bot.Unrecorded:
		return true, nil
	case bot.AlreadySent, bot.Found, bot.Held, bot.DryRun:
		return false, nil
	}
	return false, d.Err
}

// load imports CRM exports into the stored data and recomputes every
// report. By default each part the import holds (reps, deals, activities,
// quotas, list prices) replaces that part of the stored data, as a nightly
// full export should (deals deleted in the CRM disappear), while parts it
// lacks are kept (a quotas file alone keeps the deals). With merge the rows
// are laid over the stored ones by ID instead, for incremental exports.
// Either way, importing the same files again changes nothing. It returns
// the import's summary and its result without the dataset, which is
// dropped before recomputing so a large import is not held twice.
func (a *App) load(ctx context.Context, paths []string, opts importer.Options, merge bool) (importer.Result, string, error) {
	if opts.Location == nil {
		opts.Location = a.cal.Zone()
	}
	start := time.Now()
	defer func() { a.metrics.importTime.Observe(time.Since(start).Seconds()) }()
	res, err := importer.Import(paths, opts)
	if err != nil {
		return res, "", err
	}
	for _, f := range res.Files {
		a.metrics.importRows.WithLabelValues("imported").Add(float64(f.Imported))
		a.metrics.importRows.WithLabelValues("rejected").Add(float64(f.Rejected))
	}
	_, cur, err := a.cfg.locale()
	if err != nil {
		return res, "", err
	}
	rates, err := a.cfg.rates()
	if err != nil {
		return res, "", err
	}
	converted, err := insights.ConvertCurrency(&res.Dataset, cur, rates)
	if err != nil {
		return res, "", err
	}
	summary := res.Summary()
	for _, code := range slices.Sorted(maps.Keys(converted)) {
		summary += fmt.Sprintf("Converted %d deals from %s to %s at %g.\n", converted[code], code, cur, rates[code])
	}
	ds := res.Dataset
	res.Dataset = insights.Dataset{}
	need := redisstore.AllParts
	repsFile := hasKind(res.Files, "reps", "users")
	if !merge {
		need = missingParts(ds)
		if !repsFile {
			// Reps made up from deal owners carry no manager or team:
			// lay them over the stored ones rather than replace them.
			need |= redisstore.PartReps
		}
	}
	if need != 0 {
		old, err := a.store.DatasetParts(ctx, need)
		switch {
		case errors.Is(err, insights.ErrNoData):
		case err != nil:
			return res, summary, fmt.Errorf("read stored CRM data: %w", err)
		case merge:
			ds = importer.Merge(old, ds)
		default:
			reps := ds.Reps
			fillParts(&ds, old, need)
			if !repsFile {
				ds.Reps = importer.Merge(insights.Dataset{Reps: old.Reps}, insights.Dataset{Reps: reps}).Reps
			}
		}
	}
	return res, summary, a.publish(ctx, ds)
}

// fillParts copies the parts of old named in parts into ds.
func fillParts(ds *insights.Dataset, old insights.Dataset, parts redisstore.Parts) {
	if parts&redisstore.PartReps != 0 {
		ds.Reps = old.Reps
	}
	if parts&redisstore.PartDeals != 0 {
		ds.Deals = old.Deals
	}
	if parts&redisstore.PartActivities != 0 {
		ds.Activities = old.Activities
	}
	if parts&redisstore.PartQuotas != 0 {
		ds.Quotas = old.Quotas
	}
	if parts&redisstore.PartPrices != 0 {
		ds.ListPrices = old.ListPrices
	}
}

// hasKind reports whether any file read holds one of kinds.
func hasKind(files []importer.FileSummary, kinds ...string) bool {
	for _, f := range files {
		if slices.Contains(kinds, f.Kind) {
			return true
		}
	}
	return false
}

// missingParts lists the parts ds has nothing of.
func missingParts(ds insights.Dataset) redisstore.Parts {
	var p redisstore.Parts
	if len(ds.Reps) == 0 {
		p |= redisstore.PartReps
	}
	if len(ds.Deals) == 0 {
		p |= redisstore.PartDeals
	}
	if len(ds.Activities) == 0 {
		p |= redisstore.PartActivities
	}
	if len(ds.Quotas) == 0 {
		p |= redisstore.PartQuotas
	}
	if len(ds.ListPrices) == 0 {
		p |= redisstore.PartPrices
	}
	return p
}

// publish stores ds and publishes the reports computed from it at now.
func (a *App) publish(ctx context.Context, ds insights.Dataset) error {
	if err := a.store.SaveDataset(ctx, ds); err != nil {
		return fmt.Errorf("save CRM data: %w", err)
	}
	// Publish from the deals in the order the store returns them (after
	// saving: duplicate IDs collapse in file order), so the reports are
	// those a recompute from the store would give.
	insights.SortDeals(ds.Deals)
	return a.publishReports(ctx, ds)
}

// teamMembersKept is how many members a stored team report carries (Slack's
// table block holds 100 rows): enough for every real team, while the
// all-reps report of a large company keeps its top and bottom.
const teamMembersKept = 98

// publishReports computes every report from ds at now and publishes them
// as one version, team reports slimmed to what team messages show.
func (a *App) publishReports(ctx context.Context, ds insights.Dataset) error {
	snap := insights.Compute(ds, a.cal, a.now(), insights.Options{DefaultAnnualQuota: a.cfg.DefaultQuota, StaleAfterDays: a.cfg.StaleAfterDays})
	for i := range snap.Teams {
		snap.Teams[i] = snap.Teams[i].Slim(teamMembersKept)
	}
	if _, err := a.store.PublishSnapshot(ctx, snap); err != nil {
		return fmt.Errorf("publish reports: %w", err)
	}
	return nil
}

// recompute recomputes every report from the stored data at now, for when
// periods roll over without a new import.
func (a *App) recompute(ctx context.Context) error {
	ds, err := a.store.Dataset(ctx)
	if err != nil {
		return err
	}
	return a.publishReports(ctx, ds)
}

// reps reads the stored CRM reps only, not the deals: identity matching
// and name look-ups need nothing more, and a million deals are costly to
// read. It returns insights.ErrNoData when nothing was imported.
func (a *App) reps(ctx context.Context) ([]insights.Rep, error) {
	ds, err := a.store.DatasetParts(ctx, redisstore.PartReps)
	return ds.Reps, err
}

// link matches every CRM rep and manager to a Slack user, and logs the
// clashes it finds for sales ops.
func (a *App) link(ctx context.Context) (handlers.LinkResult, error) {
	gen, err := a.store.DataGeneration(ctx)
	if err != nil {
		return handlers.LinkResult{}, err
	}
	reps, err := a.reps(ctx)
	if err != nil {
		return handlers.LinkResult{}, err
	}
	res, err := a.identity.Link(ctx, reps, gen)
	if err != nil {
		return res, err
	}
	english := i18n.New(i18n.English, "USD") // the log is in English
	for _, c := range res.Clashes {
		a.log.Warn("identity clash for sales ops to settle (/repcoach links)", "clash", handlers.ClashText(english, c))
	}
	return res, nil
}
