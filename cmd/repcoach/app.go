package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/handlers"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/importer"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// App is RepCoach wired together: the store, the team calendar and clock,
// and the handlers. run, demo, import, job and preview all build one.
type App struct {
	cfg   Config
	log   *slog.Logger
	cal   insights.Calendar
	now   func() time.Time
	store *redisstore.Store

	// Set by connect, once a Slack API client exists.
	dir      *bot.Directory
	identity *handlers.Identity
	perf     *handlers.Performance
	team     *handlers.Team
	digest   *handlers.Digest
	feedback *handlers.Feedback
	optOut   *handlers.OptOut
	home     *handlers.Home
}

// newApp opens the store and reads the calendar and clock from cfg.
func newApp(ctx context.Context, cfg Config, log *slog.Logger, storeOpts redisstore.Options) (*App, error) {
	cal, err := cfg.calendar()
	if err != nil {
		return nil, err
	}
	now, err := cfg.clock(cal.Zone())
	if err != nil {
		return nil, err
	}
	store, err := redisstore.Open(ctx, cfg.RedisURL, storeOpts)
	if err != nil {
		return nil, err
	}
	return &App{cfg: cfg, log: log, cal: cal, now: now, store: store}, nil
}

// Close releases the store.
func (a *App) Close() error { return a.store.Close() }

// connect wires the handlers that need Slack to api.
func (a *App) connect(api *slack.Client) error {
	a.dir = bot.NewDirectory(api, a.cfg.OpsGroup)
	a.dir.Zones, a.dir.DefaultZone = a.store, a.cal.Zone()
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
	a.identity = &handlers.Identity{Links: a.store, Members: a.dir, Mapping: mapping}
	loc := a.cal.Zone()
	a.perf = &handlers.Performance{Reports: a.store, People: a.identity, Location: loc}
	a.team = &handlers.Team{Reports: a.store, People: a.identity, Roles: a.dir, Location: loc}
	a.digest = &handlers.Digest{Reports: a.store, People: a.identity, Users: a.store, Location: loc}
	a.feedback = &handlers.Feedback{Reports: a.store, Reps: a.store, People: a.identity, Users: a.store, Location: loc}
	a.optOut = &handlers.OptOut{Prefs: a.store}
	a.home = &handlers.Home{Reports: a.store, Teams: a.store, People: a.identity, Publisher: api, Location: loc}
	return nil
}

// load imports CRM exports, merges them into the stored data (re-importing
// the same rows changes nothing), and recomputes every report. It returns
// the import's summary and its result without the dataset, which is
// dropped before recomputing so that a large import does not hold two
// copies in memory.
func (a *App) load(ctx context.Context, paths []string, opts importer.Options) (importer.Result, string, error) {
	if opts.Location == nil {
		opts.Location = a.cal.Zone()
	}
	res, err := importer.Import(paths, opts)
	if err != nil {
		return res, "", err
	}
	summary := res.Summary()
	ds := res.Dataset
	res.Dataset = insights.Dataset{}
	old, err := a.store.Dataset(ctx)
	switch {
	case errors.Is(err, insights.ErrNoData):
	case err != nil:
		return res, summary, fmt.Errorf("read stored CRM data: %w", err)
	default:
		ds = importer.Merge(old, ds)
	}
	return res, summary, a.publish(ctx, ds)
}

// publish stores ds and publishes the reports computed from it at now.
func (a *App) publish(ctx context.Context, ds insights.Dataset) error {
	if err := a.store.SaveDataset(ctx, ds); err != nil {
		return fmt.Errorf("save CRM data: %w", err)
	}
	snap := insights.Compute(ds, a.cal, a.now(), insights.Options{})
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
	snap := insights.Compute(ds, a.cal, a.now(), insights.Options{})
	_, err = a.store.PublishSnapshot(ctx, snap)
	return err
}

// link matches every CRM rep and manager to a Slack user.
func (a *App) link(ctx context.Context) (handlers.LinkResult, error) {
	ds, err := a.store.Dataset(ctx)
	if err != nil {
		return handlers.LinkResult{}, err
	}
	return a.identity.Link(ctx, ds.Reps)
}
