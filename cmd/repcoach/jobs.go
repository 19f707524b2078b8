package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/handlers"
	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

// jobs is the one table of scheduled messages. Each is sent at its local
// time in each recipient's own time zone; `repcoach job run NAME` runs one
// now.
func (a *App) jobs() ([]bot.Job, error) {
	feedbackAt, err := bot.ParseWeekly(a.cfg.FeedbackAt)
	if err != nil {
		return nil, fmt.Errorf("FEEDBACK_AT: %w", err)
	}
	digestAt, err := bot.ParseWeekly(a.cfg.DigestAt)
	if err != nil {
		return nil, fmt.Errorf("DIGEST_AT: %w", err)
	}
	nudgeAt, err := bot.ParseWeekly(a.cfg.NudgeAt)
	if err != nil {
		return nil, fmt.Errorf("NUDGE_AT: %w", err)
	}
	awardsAt, err := bot.ParseWeekly(a.cfg.AwardsAt)
	if err != nil {
		return nil, fmt.Errorf("AWARDS_AT: %w", err)
	}
	return []bot.Job{
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
func (a *App) build(f func(ctx context.Context, userID string, due time.Time) (handlers.Message, error)) func(context.Context, string, time.Time) (bot.Outgoing, error) {
	return func(ctx context.Context, userID string, due time.Time) (bot.Outgoing, error) {
		m, err := f(ctx, userID, due)
		switch {
		case errors.Is(err, handlers.ErrNoMessage), errors.Is(err, insights.ErrUnknownRep), errors.Is(err, insights.ErrNoData):
			return bot.Outgoing{}, bot.ErrSkip
		case err != nil:
			return bot.Outgoing{}, err
		}
		if err := kit.CheckMessage(m.Text, m.Blocks); err != nil {
			return bot.Outgoing{}, fmt.Errorf("message for %s breaks Slack's limits: %w", userID, err)
		}
		return bot.Outgoing{Text: m.Text, Blocks: m.Blocks}, nil
	}
}

// scheduler builds the poster and scheduler for the jobs table. The
// scheduler runs on the real clock even when REPCOACH_AS_OF pins the
// figures, or it would never reach a send time.
func (a *App) scheduler(ctx context.Context, b *bot.Bot, dryRun bool) (*bot.Scheduler, error) {
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
	poster := a.poster
	if dryRun && !poster.DryRun() {
		poster = a.newPoster(b.API(), true)
	}
	watch, err := a.store.WatchData(ctx)
	if err != nil {
		return nil, err
	}
	if at, ok, err := a.store.DataLostAt(ctx); err != nil {
		return nil, err
	} else if left := bot.LookFirstFor - time.Since(at); ok && left > 0 {
		// Redis lost its data lately: look before each post, as the
		// processes that saw the loss do.
		poster.LookFirst(left)
	}
	return bot.NewScheduler(jobs, poster, a.store, a.store, a.dir, bot.ScheduleConfig{
		WorkingDays: days,
		Holidays:    holidays,
		QuietStart:  a.cfg.QuietStart,
		QuietEnd:    a.cfg.QuietEnd,
		Logger:      a.log,
		DataLost:    watch.Lost,
	}), nil
}

// runJob is `repcoach job run NAME [--dry-run] [--only USER]`: it runs one
// scheduled job now for its whole audience (or one person), exactly once
// per person and week, as the scheduler would.
func runJob(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(out, "Usage: repcoach job run NAME [--dry-run] [--only USER]\nJobs: weekly-feedback, training-nudge, manager-digest, award-suggestions")
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
		return errUsage
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		return errors.New("job run: name a job: weekly-feedback, training-nudge, manager-digest or award-suggestions")
	}
	app, err := newSlackApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.checkTokens(ctx); err != nil {
		return err
	}
	b := app.newBot()
	if err := app.connect(b.API()); err != nil {
		return err
	}
	if err := app.prepare(ctx); err != nil {
		return err
	}
	sched, err := app.scheduler(ctx, b, *dryRun)
	if err != nil {
		return err
	}
	user, err := app.slackUser(ctx, *only)
	if err != nil {
		return err
	}
	rep, err := sched.RunJob(ctx, name, bot.RunOptions{DryRun: *dryRun, Only: user})
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
		return errUsage
	}
	kind := args[0]
	fs := flag.NewFlagSet("preview", flag.ContinueOnError)
	fs.SetOutput(out)
	user := fs.String("user", "", "CRM rep or manager name, or Slack user ID")
	if err := fs.Parse(args[1:]); err != nil || *user == "" {
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
