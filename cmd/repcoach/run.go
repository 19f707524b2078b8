package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/handlers"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/importer"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// runBot is `repcoach run`: it serves Slack over Socket Mode until ctx ends,
// importing REPCOACH_IMPORT at start and on schedule, and keeping the
// identity links and reports fresh.
func runBot(ctx context.Context, cfg Config, log *slog.Logger, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("run takes no arguments (configuration comes from the environment; see `repcoach help`)")
	}
	if err := cfg.validateSlack(); err != nil {
		return err
	}
	app, err := newApp(ctx, cfg, log, redisstore.Options{Prefix: cfg.RedisPrefix})
	if err != nil {
		return err
	}
	defer app.Close()
	return app.serve(ctx)
}

// serve connects to Slack and answers until ctx ends: it imports
// REPCOACH_IMPORT, links CRM people to Slack users, then runs the bot and
// the periodic import, link and recompute tasks.
func (a *App) serve(ctx context.Context) error {
	cfg, log := a.cfg, a.log
	log.Info("starting RepCoach", "redis", cfg.redisTarget(), "slack_api", cfg.APIURL, "time_zone", a.cal.Zone().String(), "clock", clockNote(cfg))
	b := bot.New(bot.Config{
		AppToken: cfg.AppToken,
		BotToken: cfg.BotToken,
		APIURL:   cfg.APIURL,
		Explain:  handlers.Explain,
		Dedupe:   a.store,
		Logger:   log,
	}, bot.NewRouter(a.routes()))
	if err := a.connect(b.API()); err != nil {
		return err
	}

	if len(cfg.Import) > 0 {
		if err := a.importConfigured(ctx); err != nil {
			log.Error("import at start failed; serving what Redis already has", "err", err)
		}
	} else if a.store.Embedded() {
		if _, err := a.store.Dataset(ctx); errors.Is(err, insights.ErrNoData) {
			log.Warn("no REDIS_URL and no REPCOACH_IMPORT: the embedded Redis starts empty and keeps nothing, so reps will be told no data is loaded. Set REPCOACH_IMPORT to CRM export paths, or REDIS_URL to a Redis that `repcoach import` fills.")
		}
	}
	if res, err := a.link(ctx); err != nil {
		if !errors.Is(err, insights.ErrNoData) {
			log.Error("matching CRM people to Slack users failed", "err", err)
		}
	} else {
		log.Info("matched CRM people to Slack users", "linked", res.Linked, "unmatched", len(res.Unmatched))
	}

	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.Run(ctx) })
	g.Go(func() error { return a.every(ctx, cfg.ImportEvery, "import", a.importConfigured) })
	g.Go(func() error {
		return a.every(ctx, 24*time.Hour, "link users", func(ctx context.Context) error { _, err := a.link(ctx); return err })
	})
	g.Go(func() error { return a.every(ctx, time.Hour, "recompute", a.recompute) })
	return g.Wait()
}

// importConfigured imports REPCOACH_IMPORT, if set.
func (a *App) importConfigured(ctx context.Context) error {
	if len(a.cfg.Import) == 0 {
		return nil
	}
	res, _, err := a.load(ctx, a.cfg.Import, importer.Options{Profile: a.cfg.ImportProfile})
	if err != nil {
		return err
	}
	a.log.Info("imported CRM data", "files", len(res.Files), "reps", res.Reps, "managers", res.Managers, "rejected_rows", len(res.Errors))
	for _, e := range res.Errors[:min(5, len(res.Errors))] {
		a.log.Warn("row rejected", "at", e.String())
	}
	return nil
}

// every runs task every interval until ctx ends, logging failures. It
// returns nil when ctx ends.
func (a *App) every(ctx context.Context, interval time.Duration, name string, task func(context.Context) error) error {
	if interval <= 0 {
		return nil
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := task(ctx); err != nil && !errors.Is(err, insights.ErrNoData) && ctx.Err() == nil {
				a.log.Error("scheduled task failed", "task", name, "err", err)
			}
		}
	}
}

func clockNote(cfg Config) string {
	if cfg.AsOf == "" {
		return "real time"
	}
	return "pinned to " + cfg.AsOf + " (REPCOACH_AS_OF)"
}
