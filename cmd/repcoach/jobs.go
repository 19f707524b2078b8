package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/bot/schedule"
	"github.com/repcoach/repcoach/handlers"
	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/delivery"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// task is one entry of the table of RepCoach's periodic work: a data task
// that `repcoach run` runs on a timer (run), or a DM job that the scheduler
// sends at each recipient's local time (job). Either can be run once by
// name with `repcoach job run NAME`.
type task struct {
	name, summary string
	// every is how often `repcoach run` runs a data task (0: never on a
	// timer); lock is the Redis lock that lets one replica at a time run it.
	every time.Duration
	lock  string
	run   func(ctx context.Context) error
	// slack says the data task needs the bot token (it reads Slack).
	slack bool
	// job is a DM job's declaration, nil for a data task.
	job *schedule.Job
}

// when says when t runs, for `repcoach job list`.
func (t task) when() string {
	switch {
	case t.job != nil:
		return t.job.At.String() + " local"
	case t.every > 0:
		return "every " + strings.TrimSuffix(strings.TrimSuffix(t.every.String(), "0s"), "0m")
	}
	return "by hand"
}

// tasks is the one table of RepCoach's periodic work: the data tasks, then
// the DM jobs. Building it runs nothing; only the configuration is read.
// It panics on a duplicate name, a programming error.
func (a *App) tasks() ([]task, error) {
	jobs, err := a.jobs()
	if err != nil {
		return nil, err
	}
	link := func(ctx context.Context) error { _, err := a.link(ctx); return err }
	importEvery := a.cfg.ImportEvery
	if len(a.cfg.Import) == 0 {
		importEvery = 0 // nothing to import on a timer
	}
	table := []task{
		{name: "import", summary: "import the CRM exports in REPCOACH_IMPORT again and recompute the reports", every: importEvery, lock: "import", run: a.importNamed},
		{name: "sync", summary: "read what changed in the CRM APIs configured (Salesforce, HubSpot) and recompute the reports", every: a.cfg.SyncEvery, lock: syncLock, run: a.syncConfigured},
		{name: "link-users", summary: "match CRM people to Slack users (also at once whenever the CRM data or a Slack profile changes)", every: 24 * time.Hour, lock: linkLock, run: link, slack: true},
		{name: "recompute", summary: "recompute every report from the stored CRM data", every: time.Hour, lock: "recompute", run: a.recompute},
	}
	for i := range jobs {
		table = append(table, task{name: jobs[i].Name, summary: jobs[i].Summary, job: &jobs[i]})
	}
	seen := map[string]bool{}
	for _, t := range table {
		if seen[t.name] {
			panic("repcoach: duplicate job " + t.name)
		}
		seen[t.name] = true
	}
	return table, nil
}

// linkLock is the Redis lock that lets one replica at a time match people.
const linkLock = "link users"

// importNamed is the import task: REPCOACH_IMPORT again, which must be set.
func (a *App) importNamed(ctx context.Context) error {
	if len(a.cfg.Import) == 0 {
		return errors.New("REPCOACH_IMPORT is not set: there is nothing to import again (`repcoach import PATH` imports files once)")
	}
	return a.importConfigured(ctx)
}

// syncConfigured is the sync task: the CRM APIs the configuration turns on.
func (a *App) syncConfigured(ctx context.Context) error {
	srcs := a.crm
	if len(srcs) == 0 {
		var err error
		if srcs, err = a.sources(nil); err != nil {
			return err
		}
	}
	if len(srcs) == 0 {
		return errors.New("no CRM API is configured: set SALESFORCE_CLIENT_ID (and a key or secret) or HUBSPOT_TOKEN; see `repcoach help`")
	}
	_, err := a.syncAll(ctx, false, srcs)
	return err
}

// printTasks lists the table, one line each: `repcoach job list`.
func printTasks(out io.Writer, table []task) {
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	for _, t := range table {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", t.name, t.when(), t.summary)
	}
	tw.Flush()
}

// taskNames lists the table's names, for errors and usage.
func taskNames(table []task) string {
	names := make([]string, len(table))
	for i, t := range table {
		names[i] = t.name
	}
	return strings.Join(names, ", ")
}

// jobs is the table of scheduled messages, the DM part of tasks. Each is
// sent at its local time in each recipient's own time zone.
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
		HeldWait:    a.cfg.DeliveryLease,
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

// jobUsage is the usage of `repcoach job`.
const jobUsage = "Usage: repcoach job list\n       repcoach job run NAME [--dry-run] [--only USER]   (--dry-run and --only: DM jobs only)"

// runJob is `repcoach job list`, which prints the table of periodic work,
// and `repcoach job run NAME [--dry-run] [--only USER]`, which runs one
// entry now: a data task once (holding its lock, as `repcoach run` would),
// or a DM job for its whole audience (or one person), exactly once per
// person and week, as the scheduler would.
func runJob(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	// The table's names and summaries: building it runs nothing.
	table, err := (&App{cfg: cfg}).tasks()
	if err != nil {
		return err
	}
	if len(args) == 1 && args[0] == "list" {
		printTasks(out, table)
		return nil
	}
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(out, jobUsage)
		printTasks(out, table)
		if wantsHelp(args) {
			return nil
		}
		return errUsage
	}
	fs := flag.NewFlagSet("job run", flag.ContinueOnError)
	fs.SetOutput(out)
	dryRun := fs.Bool("dry-run", false, "DM jobs: print who would get what, send nothing")
	only := fs.String("only", "", "DM jobs: send to this one person only (Slack user ID or CRM name)")
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
		return fmt.Errorf("job run: name a job: %s", taskNames(table))
	}
	i := slices.IndexFunc(table, func(t task) bool { return t.name == name })
	if i < 0 {
		return fmt.Errorf("unknown job %q; the jobs are %s (`repcoach job list`)", name, taskNames(table))
	}
	if table[i].job == nil {
		if *dryRun || *only != "" {
			return fmt.Errorf("job run %s: --dry-run and --only are for the DM jobs", name)
		}
		return runTask(ctx, cfg, log, name, table[i].slack, out)
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
	sched, err := app.scheduler(ctx)
	if err != nil {
		return err
	}
	user, err := app.slackUser(ctx, *only)
	if err != nil {
		return err
	}
	if *dryRun {
		return app.dryRun(ctx, sched, name, user, out)
	}
	rep, err := sched.RunJob(ctx, name, schedule.RunOptions{Only: user})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %d sent, %d already sent, %d skipped, %d held by another replica, %d failed", name, rep.Sent, rep.AlreadySent, rep.Skipped, rep.Held, rep.Failed)
	if rep.Unrecorded > 0 {
		fmt.Fprintf(out, ", %d sent but not recorded", rep.Unrecorded)
	}
	if rep.WouldSend > 0 { // REPCOACH_DRY_RUN
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

// runTask is `repcoach job run NAME` for a data task: it runs it once,
// holding its lock as `repcoach run` would, and fails if another replica
// is running it. slack says it needs the bot token.
func runTask(ctx context.Context, cfg Config, log *slog.Logger, name string, slack bool, out io.Writer) error {
	if slack {
		if err := cfg.validateSlack(false); err != nil {
			return err
		}
	}
	app, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	if slack {
		if err := app.connect(app.newBot().API()); err != nil {
			return err
		}
	}
	table, err := app.tasks()
	if err != nil {
		return err
	}
	t := table[slices.IndexFunc(table, func(t task) bool { return t.name == name })]
	start, ran := app.clock.Now(), false
	err = app.exclusive(ctx, t.lock, 30*time.Minute, func(ctx context.Context) error {
		ran = true
		return t.run(ctx)
	})
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", name, err)
	case !ran:
		return fmt.Errorf("%s: another replica is running it right now; try again in a minute", name)
	}
	fmt.Fprintf(out, "%s: done in %v\n", name, app.clock.Now().Sub(start).Round(time.Millisecond))
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

// dryRun prints who would get the job called name (or only user), when
// the scheduler next sends it in their own time zone, and the first lines
// of what they would read. It runs the job through the scheduler's dry
// run, which sends nothing and leaves the ledger alone (opt-outs and
// nothing-to-say skips count as they would), and fails when Slack cannot
// be asked who the audience is or a message cannot be built.
func (a *App) dryRun(ctx context.Context, sched *schedule.Scheduler, name, user string, out io.Writer) error {
	jobs := sched.Jobs()
	job := jobs[slices.IndexFunc(jobs, func(j schedule.Job) bool { return j.Name == name })]
	var (
		mu      sync.Mutex
		shown   = map[string]string{} // by name and user ID, for a stable order
		showErr error
	)
	show := func(_, uid string, _ time.Time, msg schedule.Message) {
		who, block, err := a.preview(ctx, sched, name, uid, msg)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			showErr = cmp.Or(showErr, err)
			return
		}
		shown[who+"\x00"+uid] = block
	}
	rep, err := sched.RunJob(ctx, name, schedule.RunOptions{DryRun: true, Only: user, Show: show})
	if err != nil {
		return err
	}
	if showErr != nil {
		return showErr
	}
	fmt.Fprintf(out, "Dry run of %s (%s, %s in each person's zone): nothing is sent.\n", name, job.Summary, job.At)
	for _, k := range slices.Sorted(maps.Keys(shown)) {
		fmt.Fprint(out, shown[k])
	}
	fmt.Fprintf(out, "\n%d of %d would get it", rep.WouldSend, rep.WouldSend+rep.Skipped+rep.Failed)
	if rep.Skipped > 0 {
		fmt.Fprintf(out, " (%d skipped: opted out, or nothing to say to them this week)", rep.Skipped)
	}
	fmt.Fprintln(out, ".")
	for _, e := range rep.Errors[:min(10, len(rep.Errors))] {
		fmt.Fprintln(out, "  ", e)
	}
	if rep.Failed > 0 {
		return fmt.Errorf("dry run of %s: %d messages could not be built", name, rep.Failed)
	}
	return nil
}

// preview is one person's part of a dry run: their name, and a block with
// when the scheduler next sends them job name in their zone and the first
// lines of msg as the preview command draws them.
func (a *App) preview(ctx context.Context, sched *schedule.Scheduler, name, uid string, msg schedule.Message) (who, block string, err error) {
	u, err := a.dir.User(ctx, uid)
	if err != nil {
		return "", "", fmt.Errorf("look up %s in Slack: %w", uid, err)
	}
	loc, err := a.dir.TimeZone(ctx, uid)
	if err != nil {
		return "", "", fmt.Errorf("time zone of %s: %w", uid, err)
	}
	who = cmp.Or(u.RealName, u.Name)
	m, _ := msg.(bot.Outgoing)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s, %s in %s:\n", who, sched.NextDue(name, loc, a.clock.Now()).In(loc).Format("Mon 2 Jan 15:04"), loc)
	raw, err := json.Marshal(m.Blocks)
	if err != nil || len(m.Blocks) == 0 {
		raw = nil
	}
	var drawn strings.Builder
	render(&drawn, m.Text, raw)
	lines := strings.Split(strings.TrimRight(drawn.String(), "\n"), "\n")
	for _, l := range lines[:min(5, len(lines))] {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	return who, b.String(), nil
}
