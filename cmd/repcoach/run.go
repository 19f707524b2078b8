package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/bot/schedule"
	"github.com/repcoach/repcoach/handlers"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/importer"
)

// runBot is `repcoach run`: it serves Slack over Socket Mode until ctx ends,
// importing REPCOACH_IMPORT at start and on schedule, and keeping the
// identity links and reports fresh.
func runBot(ctx context.Context, cfg Config, log *slog.Logger, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("run takes no arguments (configuration comes from the environment; see `repcoach help`)")
	}
	if cfg.RedisURL == "" && !cfg.Ephemeral {
		return errors.New("REDIS_URL is not set: `repcoach run` keeps what it sent, opt-outs and identity links in Redis, and the embedded in-process Redis loses them at every restart (everyone would get this week's DMs again). Set REDIS_URL to a Redis with persistence, or REPCOACH_EPHEMERAL=true to accept that")
	}
	app, err := newSlackApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	return app.serve(ctx)
}

// newSlackApp checks the Slack settings, then opens the App, for the
// commands that talk to Slack.
func newSlackApp(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	if err := cfg.validateSlack(true); err != nil {
		return nil, err
	}
	return newApp(ctx, cfg, log)
}

// serve connects to Slack and answers until ctx ends: it imports
// REPCOACH_IMPORT, links CRM people to Slack users, then runs the bot, the
// scheduler and the periodic import, link and recompute tasks.
func (a *App) serve(ctx context.Context) error {
	b, sched, err := a.start(ctx)
	if err != nil {
		return err
	}
	err = a.runAll(ctx, b, sched)
	if errors.Is(err, bot.ErrUninstalled) {
		// Logged by the bot; every task has stopped. Nothing can work
		// until the app is reinstalled, so this is a clean stop.
		a.log.Info("RepCoach stopped: the app is no longer installed in this workspace")
		return nil
	}
	return err
}

// start builds the bot and scheduler, wires the handlers to Slack, imports
// and links: everything before the first envelope.
func (a *App) start(ctx context.Context) (*bot.Bot, *schedule.Scheduler, error) {
	a.log.Info("starting RepCoach", "version", version(), "redis", a.cfg.redisTarget(), "slack_api", bot.RedactURL(a.cfg.APIURL), "time_zone", a.cal.Zone().String(), "clock", clockNote(a.cfg))
	if err := a.checkTokens(ctx); err != nil {
		return nil, nil, err
	}
	for _, w := range a.store.DurabilityWarnings(ctx) {
		a.log.Warn("Redis may lose RepCoach's data: " + w)
	}
	b := a.newBot()
	if err := a.connect(b.API()); err != nil {
		return nil, nil, err
	}
	sched, err := a.scheduler(ctx)
	if err != nil {
		return nil, nil, err
	}
	if warn, err := a.dir.CheckRoles(ctx); err != nil {
		a.log.Warn("could not look up the sales-ops user group", "err", err)
	} else if warn != "" {
		a.log.Warn(warn)
	}
	if err := a.prepare(ctx); err != nil {
		return nil, nil, err
	}
	return b, sched, nil
}

// checkTokens asks Slack whether both tokens work and the bot token has
// the manifest's scopes, failing fast with one line naming the variable.
func (a *App) checkTokens(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tc, err := bot.CheckTokens(ctx, bot.NewHTTPClient(), a.cfg.APIURL, a.cfg.BotToken, a.cfg.AppToken, manifest().OAuthConfig.Scopes.Bot)
	if err != nil {
		return err
	}
	a.log.Info("Slack accepted both tokens", "team", tc.Team, "bot_user", tc.BotUser)
	if tc.Unverified {
		a.log.Warn("Slack sent no X-OAuth-Scopes header, so the bot token's scopes could not be checked (a proxy may drop it)")
	}
	if len(tc.Extra) > 0 {
		a.log.Warn("the bot token has scopes RepCoach does not use; reinstall the app from `repcoach manifest` to drop them", "scopes", strings.Join(tc.Extra, ","))
	}
	return nil
}

// runAll runs the bot, the scheduler (the DM jobs; nil: none) and the data
// tasks of the task table on their timers, until ctx ends or one fails.
func (a *App) runAll(ctx context.Context, b *bot.Bot, sched *schedule.Scheduler) error {
	g, ctx := errgroup.WithContext(ctx)
	if a.cfg.HTTPAddr != "" {
		ready := &readiness{
			ping:      a.store.Ping,
			connected: b.Connected,
			authTest:  func(ctx context.Context) error { _, err := b.API().AuthTestContext(ctx); return err },
		}
		g.Go(func() error {
			if err := serveOps(ctx, a.cfg.HTTPAddr, opsHandler(a.metrics, ready)); err != nil {
				return fmt.Errorf("REPCOACH_HTTP_ADDR %s: %w", a.cfg.HTTPAddr, err)
			}
			return nil
		})
		a.log.Info("serving /healthz, /readyz and /metrics", "addr", a.cfg.HTTPAddr)
	}
	g.Go(func() error { return b.Run(ctx) })
	if sched != nil {
		g.Go(func() error { return sched.Run(ctx) })
	}
	table, err := a.tasks()
	if err != nil {
		return err
	}
	for _, t := range table {
		if t.run == nil || t.every <= 0 {
			continue // a DM job (the scheduler sends those), or off
		}
		g.Go(func() error { return a.every(ctx, t.every, t.lock, t.run) })
	}
	g.Go(func() error { return a.watchLinks(ctx, linkWatchEvery) })
	return g.Wait()
}

// newBot returns the Socket Mode bot answering the route table.
func (a *App) newBot() *bot.Bot {
	return bot.New(bot.Config{
		AppToken: a.cfg.AppToken,
		BotToken: a.cfg.BotToken,
		APIURL:   a.cfg.APIURL,
		Explain:  handlers.Explain,
		Say:      sayer{a},
		Dedupe:   a.store,
		Logger:   a.log,
		Observer: a.metrics,
		Clock:    a.clock,
		HTTPClient: func() *http.Client {
			c := bot.NewHTTPClient()
			c.Transport = slackTransport{next: c.Transport, m: a.metrics}
			return c
		}(),
	}, bot.NewRouter(a.routes()))
}

// prepare imports REPCOACH_IMPORT (if set), syncs the CRM APIs configured
// (if REPCOACH_SYNC_EVERY is set) and links CRM people to Slack users. A
// failed import or sync is logged and what Redis has is served.
func (a *App) prepare(ctx context.Context) error {
	srcs, err := a.sources(nil)
	if err != nil {
		return err
	}
	if a.cfg.SyncEvery > 0 {
		a.crm = srcs
	} else if len(srcs) > 0 {
		a.log.Warn("a CRM API is configured but REPCOACH_SYNC_EVERY is not set: only `repcoach sync` reads it")
	}
	if len(a.crm) > 0 {
		if err := a.exclusive(ctx, syncLock, 30*time.Minute, a.scheduledSync(a.crm)); err != nil {
			a.log.Error("CRM sync at start failed; serving what Redis already has", "err", err)
		}
	}
	if len(a.cfg.Import) > 0 {
		if err := a.exclusive(ctx, "import", 30*time.Minute, a.importConfigured); err != nil {
			a.log.Error("import at start failed; serving what Redis already has", "err", err)
		}
	} else if a.store.Embedded() && len(a.crm) == 0 {
		if _, err := a.reps(ctx); errors.Is(err, insights.ErrNoData) {
			a.log.Warn("no REDIS_URL and no REPCOACH_IMPORT: the embedded Redis starts empty and keeps nothing, so reps will be told no data is loaded. Set REPCOACH_IMPORT to CRM export paths, or REDIS_URL to a Redis that `repcoach import` fills.")
		}
	}
	res, err := a.link(ctx)
	switch {
	case errors.Is(err, insights.ErrNoData):
	case err != nil:
		a.log.Error("matching CRM people to Slack users failed", "err", err)
	default:
		a.log.Info("matched CRM people to Slack users", "linked", res.Linked, "unmatched", len(res.Unmatched))
		if len(res.Unmatched) > 0 {
			a.log.Warn("CRM people with no Slack user (add them to REPCOACH_USER_MAP)", "names", strings.Join(res.Unmatched[:min(10, len(res.Unmatched))], ", "))
		}
	}
	return ctx.Err()
}

// importIfEmpty imports REPCOACH_IMPORT when the store has no data yet (the
// embedded Redis starts empty).
func (a *App) importIfEmpty(ctx context.Context) error {
	if _, err := a.reps(ctx); !errors.Is(err, insights.ErrNoData) {
		return err
	}
	if len(a.cfg.Import) == 0 {
		return fmt.Errorf("no CRM data in Redis: import some with `repcoach import`, or set REPCOACH_IMPORT: %w", insights.ErrNoData)
	}
	return a.importConfigured(ctx)
}

// importConfigured imports REPCOACH_IMPORT, if set.
func (a *App) importConfigured(ctx context.Context) error {
	if len(a.cfg.Import) == 0 {
		return nil
	}
	res, _, err := a.load(ctx, a.cfg.Import, importer.Options{Profile: a.cfg.ImportProfile}, false)
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
// returns nil when ctx ends. With several replicas sharing a Redis, only the
// one holding the task's lock runs it each time.
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
			if err := a.exclusive(ctx, name, interval, task); err != nil && !errors.Is(err, insights.ErrNoData) && ctx.Err() == nil {
				a.log.Error("scheduled task failed", "task", name, "err", err)
			}
		}
	}
}

// exclusive runs task unless another replica is running the task called
// name; the lock lapses after at most maxRun should this process die.
func (a *App) exclusive(ctx context.Context, name string, maxRun time.Duration, task func(context.Context) error) error {
	ttl := min(maxRun, 30*time.Minute)
	ok, err := a.store.TryLock(ctx, name, a.owner, ttl)
	if err != nil {
		return err
	}
	if !ok {
		a.log.Debug("another replica is running this task", "task", name)
		return nil
	}
	defer func() {
		if err := a.store.Unlock(context.WithoutCancel(ctx), name, a.owner); err != nil {
			a.log.Warn("release task lock", "task", name, "err", err)
		}
	}()
	return task(ctx)
}

// linkWatchEvery is how often the bot checks whether the CRM data changed
// (an import by this or another process, or Redis losing its data) or a
// Slack profile changed, to match people again: two Redis GETs a time.
const linkWatchEvery = 2 * time.Second

// profileRelinkGap spaces the refreshes that Slack profile changes
// (team_join, user_change) ask for: each reads users.list (Tier 2).
const profileRelinkGap = time.Minute

// watchLinks matches CRM people to Slack users again whenever the stored
// CRM data is not the generation the links were made from (after every
// import, and when Redis lost its data), and, at most every
// profileRelinkGap, after a member joined or changed their profile. It
// returns nil when ctx ends.
func (a *App) watchLinks(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	var lastProfileRelink time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		stale, err := a.linksStale(ctx)
		if err != nil {
			a.log.Debug("link watch", "err", err)
			continue
		}
		profiles := a.profilesChanged.Load() && time.Since(lastProfileRelink) >= profileRelinkGap
		if !stale && !profiles {
			continue
		}
		if profiles {
			a.profilesChanged.Store(false)
			lastProfileRelink = time.Now()
		}
		err = a.exclusive(ctx, linkLock, 10*time.Minute, func(ctx context.Context) error {
			res, err := a.link(ctx)
			if err == nil {
				a.log.Info("matched CRM people to Slack users again", "why", map[bool]string{true: "new CRM data", false: "Slack profiles changed"}[stale], "linked", res.Linked, "unmatched", len(res.Unmatched), "clashes", len(res.Clashes))
			}
			return err
		})
		if err != nil && !errors.Is(err, insights.ErrNoData) && ctx.Err() == nil {
			a.log.Error("matching CRM people to Slack users failed", "err", err)
		}
	}
}

// linksStale reports whether CRM data is loaded that the links were not
// made from.
func (a *App) linksStale(ctx context.Context) (bool, error) {
	gen, err := a.store.DataGeneration(ctx)
	if err != nil || gen == 0 {
		return false, err
	}
	linked, err := a.store.LinkBookGeneration(ctx)
	if err != nil {
		return false, err
	}
	return linked != gen, nil
}

func clockNote(cfg Config) string {
	if cfg.AsOf == "" {
		return "real time"
	}
	return "pinned to " + cfg.AsOf + " (REPCOACH_AS_OF)"
}
