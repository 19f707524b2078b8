package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/bot/schedule"
	"github.com/repcoach/repcoach/handlers"
	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/delivery"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// jobs is the one table of scheduled messages. Each is sent at its local
// time in each recipient's own time zone; `repcoach job run NAME` runs one
// now.
func (a *App) jobs() ([]schedule.Job, error) {
	feedbackAt, err := schedule.ParseWeekly(a.cfg.FeedbackAt)
	if err != nil {
		return nil, fmt.Errorf("FEEDBACK_AT: %w", err)
	}
	digestAt, err := schedule.ParseWeekly(a.cfg.DigestAt)
	if err != nil {
		return nil, fmt.Errorf("DIGEST_AT: %w", err)
	}
	nudgeAt, err := schedule.ParseWeekly(a.cfg.NudgeAt)
	if err != nil {
		return nil, fmt.Errorf("NUDGE_AT: %w", err)
	}
	awardsAt, err := schedule.ParseWeekly(a.cfg.AwardsAt)
	if err != nil {
		return nil, fmt.Errorf("AWARDS_AT: %w", err)
	}
	return []schedule.Job{
		{
			Name:     "weekly-feedback",
			Summary:  "each rep's week against the week before and the team, strengths, one focus, deals to work on",
			At:       feedbackAt,
			Audience: func(ctx context.Context) ([]string, error) { return a.feedback.Audience(ctx) },
			Build: a.build(func(ctx context.Context, userID string, _ time.Time) (handlers.Message, error) {
				return a.feedback.For(ctx, userID)
			}),
			OptOutKind: handlers.KindFeedback,
		},
		{
			Name:     "training-nudge",
			Summary:  "the training module for each rep's weakest step, with Start, Done and Snooze",
			At:       nudgeAt,
			Audience: func(ctx context.Context) ([]string, error) { return a.feedback.Audience(ctx) },
			Build: a.build(func(ctx context.Context, userID string, _ time.Time) (handlers.Message, error) {
				return a.nudges.For(ctx, userID)
			}),
			OptOutKind: handlers.KindNudge,
		},
		{
			Name:       "manager-digest",
			Summary:    "each manager's team: ahead and at risk, bottleneck, forecast, stale deals, CRM hygiene, recognitions",
			At:         digestAt,
			Audience:   func(ctx context.Context) ([]string, error) { return a.digest.Audience(ctx) },
			Build:      a.build(a.digest.For),
			OptOutKind: handlers.KindDigest,
		},
		{
			Name:     "award-suggestions",
			Summary:  "the awards the CRM data suggests, for sales ops to post with a button",
			At:       awardsAt,
			Audience: func(ctx context.Context) ([]string, error) { return a.dir.Ops(ctx) },
			Build: a.build(func(ctx context.Context, userID string, _ time.Time) (handlers.Message, error) {
				return a.awards.For(ctx, userID)
			}),
		},
	}, nil
}

// build adapts a handler's message builder to a job's: nothing to say is a
// quiet skip, and every message is checked against Slack's limits.
func (a *App) build(f func(ctx context.Context, userID string, due time.Time) (handlers.Message, error)) func(context.Context, string, time.Time) (schedule.Message, error) {
	return func(ctx context.Context, userID string, due time.Time) (schedule.Message, error) {
		m, err := f(ctx, userID, due)
		switch {
		case errors.Is(err, handlers.ErrNoMessage), errors.Is(err, insights.ErrUnknownRep), errors.Is(err, insights.ErrNoData):
			return nil, schedule.ErrSkip
		case err != nil:
			return nil, err
		}
		if err := kit.CheckMessage(m.Text, m.Blocks); err != nil {
			return nil, fmt.Errorf("message for %s breaks Slack's limits: %w", userID, err)
		}
		return bot.Outgoing{Text: m.Text, Blocks: m.Blocks}, nil
	}
}

// scheduler builds the scheduler of the jobs table, sending through the
// App's Poster (dry when REPCOACH_DRY_RUN is set). It runs on the App's
// clock, the real one even when REPCOACH_AS_OF pins the figures, or it
// would never reach a send time.
func (a *App) scheduler(ctx context.Context) (*schedule.Scheduler, error) {
	jobs, err := a.jobs()
	if err != nil {
		return nil, err
	}
	holidays, err := a.cfg.holidays(a.cal.Zone())
	if err != nil {
		return nil, err
	}
	days, err := a.cfg.workingDays()
	if err != nil {
		return nil, err
	}
	watch, err := a.store.WatchData(ctx)
	if err != nil {
		return nil, err
	}
	if at, ok, err := a.store.DataLostAt(ctx); err != nil {
		return nil, err
	} else if left := schedule.LookFirstFor - a.clock.Now().Sub(at); ok && left > 0 {
		// Redis lost its data lately: look before each post, as the
		// processes that saw the loss do.
		a.poster.LookFirst(left)
	}
	return schedule.New(jobs, bot.Scheduled{Poster: a.poster}, a.store, a.store, a.dir, schedule.Config{
		Clock:       a.clock,
		DryRun:      a.cfg.DryRun,
		WorkingDays: days,
		Holidays:    holidays,
		QuietStart:  a.cfg.QuietStart,
		QuietEnd:    a.cfg.QuietEnd,
		Logger:      a.log,
		DataLost:    watch.Lost,
	}), nil
}

// countingLedger is the Redis store's delivery ledger, counting each
// claim's state and each delivery recorded in the metrics.
type countingLedger struct {
	*redisstore.Store
	m *metrics
}

var claimNames = map[delivery.Claim]string{
	delivery.New: "claimed", delivery.Reclaimed: "reclaimed", delivery.Sent: "already_sent", delivery.Held: "held_by_other",
}

func (l countingLedger) ClaimDelivery(ctx context.Context, key, owner string, lease time.Duration) (delivery.Claim, error) {
	c, err := l.Store.ClaimDelivery(ctx, key, owner, lease)
	if err == nil {
		l.m.deliveries.WithLabelValues(claimNames[c]).Inc()
	}
	return c, err
}

func (l countingLedger) MarkDelivered(ctx context.Context, key, owner, ts string) error {
	if err := l.Store.MarkDelivered(ctx, key, owner, ts); err != nil {
		return err
	}
	l.m.deliveries.WithLabelValues("delivered").Inc()
	return nil
}

// runJob is `repcoach job run NAME [--dry-run] [--only USER]`: it runs one
// scheduled job now for its whole audience (or one person), exactly once
// per person and week, as the scheduler would.
func runJob(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(out, "Usage: repcoach job run NAME [--dry-run] [--only USER]\nJobs: weekly-feedback, training-nudge, manager-digest, award-suggestions")
		if wantsHelp(args) {
			return nil
		}
		return errUsage
	}
	fs := flag.NewFlagSet("job run", flag.ContinueOnError)
	fs.SetOutput(out)
	dryRun := fs.Bool("dry-run", false, "log what would be sent, send nothing")
	only := fs.String("only", "", "send to this one person only (Slack user ID or CRM name)")
	name, rest := "", args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		name, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return flagDone(err)
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		return errors.New("job run: name a job: weekly-feedback, training-nudge, manager-digest or award-suggestions")
	}
	if *dryRun {
		// A dry run only reads Slack: the bot token is enough.
		if err := cfg.validateSlack(false); err != nil {
			return err
		}
	} else if err := cfg.validateSlack(true); err != nil {
		return err
	}
	app, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	if !*dryRun { // a dry run checks the bot token alone, below
		if err := app.checkTokens(ctx); err != nil {
			return err
		}
	}
	b := app.newBot()
	if err := app.connect(b.API()); err != nil {
		return err
	}
	if *dryRun {
		if _, err := b.API().AuthTestContext(ctx); err != nil {
			return fmt.Errorf("dry run: cannot reach Slack at %s with SLACK_BOT_TOKEN: %w", bot.RedactURL(cfg.APIURL), err)
		}
	}
	if err := app.prepare(ctx); err != nil {
		return err
	}
	if *dryRun {
		user, err := app.slackUser(ctx, *only)
		if err != nil {
			return err
		}
		return app.dryRun(ctx, name, user, out)
	}
	sched, err := app.scheduler(ctx)
	if err != nil {
		return err
	}
	user, err := app.slackUser(ctx, *only)
	if err != nil {
		return err
	}
	rep, err := sched.RunJob(ctx, name, schedule.RunOptions{Only: user})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %d sent, %d already sent, %d skipped, %d held by another replica, %d failed", name, rep.Sent, rep.AlreadySent, rep.Skipped, rep.Held, rep.Failed)
	if rep.Unrecorded > 0 {
		fmt.Fprintf(out, ", %d sent but not recorded", rep.Unrecorded)
	}
	if *dryRun {
		fmt.Fprintf(out, ", %d would be sent (dry run)", rep.WouldSend)
	}
	fmt.Fprintln(out)
	for _, e := range rep.Errors[:min(10, len(rep.Errors))] {
		fmt.Fprintln(out, "  ", e)
	}
	if rep.Failed > 0 || rep.Unrecorded > 0 {
		return fmt.Errorf("%d deliveries failed and %d were sent but not recorded (run the job again to record them; nobody gets a message twice)", rep.Failed, rep.Unrecorded)
	}
	return nil
}

// slackUser resolves --only: a Slack user ID as is, else a CRM rep or
// manager name through the identity links.
func (a *App) slackUser(ctx context.Context, who string) (string, error) {
	if who == "" || (strings.HasPrefix(who, "U") && !strings.Contains(who, " ")) {
		return who, nil
	}
	id, err := a.crmIdentity(ctx, who)
	if err != nil {
		return "", err
	}
	uid, err := a.store.RepUser(ctx, id)
	if err != nil {
		return "", fmt.Errorf("%s is not linked to a Slack user: %w", who, err)
	}
	return uid, nil
}

// crmIdentity finds a CRM person by full name (case-insensitive): a rep's
// RepID, or a manager's team key.
func (a *App) crmIdentity(ctx context.Context, name string) (insights.RepID, error) {
	reps, err := a.reps(ctx)
	if err != nil {
		return "", err
	}
	for _, r := range reps {
		if strings.EqualFold(r.Name, name) || strings.EqualFold(string(r.ID), name) {
			return r.ID, nil
		}
	}
	for _, r := range reps {
		if strings.EqualFold(r.Manager, name) {
			return insights.RepID(insights.ManagerTeam(r.Manager)), nil
		}
	}
	return "", fmt.Errorf("no rep or manager called %q in the CRM data: %w", name, insights.ErrUnknownRep)
}

// runPreview is `repcoach preview feedback|digest --user NAME`: it prints
// the message the person would get, without Slack.
func runPreview(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 || (args[0] != "feedback" && args[0] != "digest") {
		fmt.Fprintln(out, "Usage: repcoach preview feedback|digest --user NAME   (a CRM rep or manager name, or a Slack user ID)")
		if wantsHelp(args) {
			return nil
		}
		return errUsage
	}
	kind := args[0]
	fs := flag.NewFlagSet("preview", flag.ContinueOnError)
	fs.SetOutput(out)
	user := fs.String("user", "", "CRM rep or manager name, or Slack user ID")
	if err := fs.Parse(args[1:]); err != nil {
		return flagDone(err)
	}
	if *user == "" {
		fmt.Fprintln(out, "preview needs --user NAME")
		return errUsage
	}
	app, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.importIfEmpty(ctx); err != nil {
		return err
	}
	id := insights.RepID(*user)
	if strings.HasPrefix(*user, "U") && !strings.Contains(*user, " ") {
		if id, err = app.store.UserRep(ctx, *user); err != nil {
			return fmt.Errorf("Slack user %s is not linked to anyone in the CRM data", *user)
		}
	} else if id, err = app.crmIdentity(ctx, *user); err != nil {
		return err
	}
	// The handlers the scheduler uses, reading the store only: no Slack.
	loc := app.cal.Zone()
	var m handlers.Message
	switch kind {
	case "feedback":
		if insights.IsManagerTeam(string(id)) {
			return fmt.Errorf("%s is a manager; weekly feedback goes to reps (try `preview digest`)", *user)
		}
		uid, err := app.store.RepUser(ctx, id)
		if err != nil && !errors.Is(err, insights.ErrUnknownRep) {
			return err
		}
		f := &handlers.Feedback{Reports: app.store, Teams: app.store, Received: app.store, Location: loc}
		if m, err = f.ForRep(ctx, id, uid); err != nil {
			return err
		}
	case "digest":
		if !insights.IsManagerTeam(string(id)) {
			return fmt.Errorf("%s is a rep; the digest goes to managers (try `preview feedback`)", *user)
		}
		d := &handlers.Digest{Reports: app.store, Users: app.store, Training: app.store, Location: loc, WeekStart: app.cal.FirstWeekday()}
		if m, err = d.ForTeam(ctx, string(id), time.Time{}); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "Preview of the %s for %s:\n", kind, *user)
	raw, err := blocksJSON(m)
	if err != nil {
		return err
	}
	render(out, m.Text, raw)
	fmt.Fprintf(out, "  Block Kit Builder: %s\n", builderLink(raw))
	return kit.CheckMessage(m.Text, m.Blocks)
}

// dryRun prints who would get the job called name (or only user), when it
// would arrive in their own time zone, and the first lines of what they
// would read. It sends nothing, and fails when Slack cannot be asked who
// the audience is.
func (a *App) dryRun(ctx context.Context, name, user string, out io.Writer) error {
	jobs, err := a.jobs()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(jobs, func(j schedule.Job) bool { return j.Name == name })
	if i < 0 {
		return fmt.Errorf("no job called %q (jobs: weekly-feedback, training-nudge, manager-digest, award-suggestions)", name)
	}
	job := jobs[i]
	audience := []string{user}
	if user == "" {
		if audience, err = job.Audience(ctx); err != nil {
			return fmt.Errorf("%s: audience: %w", name, err)
		}
	}
	fmt.Fprintf(out, "Dry run of %s (%s, %s in each person's zone): nothing is sent.\n", name, job.Summary, job.At)
	would := 0
	for _, uid := range audience {
		u, err := a.dir.User(ctx, uid)
		if err != nil {
			return fmt.Errorf("look up %s in Slack: %w", uid, err)
		}
		loc, err := a.dir.TimeZone(ctx, uid)
		if err != nil {
			return fmt.Errorf("time zone of %s: %w", uid, err)
		}
		at := job.At.Next(a.clock.Now(), loc)
		who := u.RealName
		if who == "" {
			who = u.Name
		}
		built, err := job.Build(ctx, uid, at)
		switch {
		case errors.Is(err, schedule.ErrSkip):
			fmt.Fprintf(out, "\n%s: nothing to send (no data for them, or nothing to say this week)\n", who)
			continue
		case err != nil:
			return fmt.Errorf("build %s's message: %w", who, err)
		}
		m, _ := built.(bot.Outgoing)
		would++
		fmt.Fprintf(out, "\n%s, %s in %s:\n", who, at.Format("Mon 2 Jan 15:04"), loc)
		// The first lines as the preview command draws them.
		raw, err := json.Marshal(m.Blocks)
		if err != nil || len(m.Blocks) == 0 {
			raw = nil
		}
		var drawn strings.Builder
		render(&drawn, m.Text, raw)
		lines := strings.Split(strings.TrimRight(drawn.String(), "\n"), "\n")
		for _, l := range lines[:min(5, len(lines))] {
			fmt.Fprintf(out, "  %s\n", l)
		}
	}
	fmt.Fprintf(out, "\n%d of %d would get it.\n", would, len(audience))
	return nil
}
