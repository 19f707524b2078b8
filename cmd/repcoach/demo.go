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
	"sort"
	"strings"
	"time"

	"github.com/repcoach/repcoach/bot/schedule"
	"github.com/repcoach/repcoach/bot/slackfake"
	"github.com/repcoach/repcoach/handlers"
	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/hubspot/hsfake"
	"github.com/repcoach/repcoach/insights/sample"
)

// demoCast is who plays which part in the tour.
type demoCast struct {
	rep, manager, ops, stranger slackfake.User
	// names shows Slack mentions (@U…) by name, as Slack does.
	names *strings.Replacer
}

// runDemo is `repcoach demo`: a fake Slack and an embedded Redis on
// loopback, a generated sample team, the real bot connected over Socket
// Mode, and a scripted tour that prints each message.
func runDemo(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(out)
	lang := fs.String("lang", "en", "language of the tour: en or tr (Turkish: every demo user's Slack locale is tr-TR and money is in TRY)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo takes no arguments but --lang")
	}
	tag, ok := i18n.Parse(*lang)
	if !ok {
		return fmt.Errorf("--lang %q: want en or tr", *lang)
	}
	turkish := tag == i18n.Turkish
	if turkish {
		cfg.Language = "tr"
		if cfg.Currency == "USD" {
			cfg.Currency = "TRY"
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	// The demo never touches a real Slack or Redis.
	cfg.RedisURL, cfg.Import = "", nil
	cfg.AwardsChannel = slackfake.DefaultChannel
	if cfg.LogLevel == "info" {
		log = newLogger(io.Discard, Config{LogLevel: "error"})
	}
	app, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()

	now := app.now()
	ds := sample.Demo(now, app.cal.Zone())
	users, cast := demoUsers(ds)
	if turkish {
		for i := range users {
			users[i].Locale = "tr-TR"
		}
	}
	fake, err := slackfake.New(slackfake.Config{Users: users, UserGroups: map[string][]string{"sales-ops": {cast.ops.ID}}, BotScopes: manifest().OAuthConfig.Scopes.Bot})
	if err != nil {
		return fmt.Errorf("start fake Slack: %w", err)
	}
	defer fake.Close()
	app.cfg.AppToken, app.cfg.BotToken, app.cfg.APIURL = "xapp-1-fake", "xoxb-fake", fake.APIURL()
	// A faithful fake HubSpot serving the same team, for the live sync.
	hs, err := hsfake.New(hsfake.Config{Dataset: ds, TenSecondly: -1, SearchPerSecond: -1})
	if err != nil {
		return fmt.Errorf("start fake HubSpot: %w", err)
	}
	defer hs.Close()
	app.cfg.HSAPIURL, app.cfg.HSToken, app.cfg.HSTokenFile = hs.URL(), hsfake.DefaultToken, ""
	app.cfg.HSProductProp = "product" // the fake's deal property for the product (list prices value deals with no amount)
	app.cfg.SFClientID = ""

	if err := app.publish(ctx, ds); err != nil {
		return err
	}
	fmt.Fprintf(out, "RepCoach demo: a fake Slack on %s, an embedded Redis, and a sample team of %d reps under %d managers with %d deals from %s to %s.\n",
		strings.TrimSuffix(fake.APIURL(), "/api/"), len(ds.Reps), countManagers(ds), len(ds.Deals), now.AddDate(-1, 0, 0).Format("2 Jan 2006"), now.Format("2 Jan 2006"))
	fmt.Fprintf(out, "The real bot connects over Socket Mode; every message below is what Slack received from it. Paste a link into a browser to see a message as Slack draws it.\n\n")

	b, sched, err := app.start(ctx)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	// No scheduler timer: the tour runs each DM job by hand, and on the
	// job's own day the timer would have sent it before the tour does.
	go func() { served <- app.runAll(ctx, b, nil) }()
	waitCtx, stop := context.WithTimeout(ctx, 20*time.Second)
	err = fake.WaitConnected(waitCtx, 1)
	stop()
	if err != nil {
		return fmt.Errorf("bot did not connect to the fake Slack: %w", err)
	}

	tour := demoTour(cast, sched, turkish, cfg)
	say := func(en, tr string) string {
		if turkish {
			return tr
		}
		return en
	}
	tour = append(tour, demoStep{say("Live CRM sync: RepCoach reads HubSpot through its API, then only what changed", "Canlı CRM eşitlemesi: RepCoach HubSpot'u API'si üzerinden okur, sonra yalnızca değişenleri"), demoSync(app, hs, ds, cast)},
		demoStep{say("Sales ops check that the data is fresh", "Satış operasyonları verinin güncel olduğunu kontrol eder"), demoCommand(cast, cast.ops, "/repcoach", "status")},
		demoStep{say("The rep looks again: the deal just won counts", "Temsilci yeniden bakar: az önce kazanılan anlaşma artık sayılıyor"), demoCommand(cast, cast.rep, "/myperformance", "")})
	for i, step := range tour {
		fmt.Fprintf(out, "─── %d/%d  %s\n", i+1, len(tour), step.title)
		if err := step.run(ctx, fake, out); err != nil {
			return fmt.Errorf("demo step %q: %w", step.title, err)
		}
		fmt.Fprintln(out)
	}
	cancel()
	if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	fmt.Fprintln(out, "Demo complete. `repcoach help` lists the configuration for a real workspace; README.md explains setting up the Slack app.")
	return nil
}

// jobButton is a button each scheduled job's DM carries, to find the DM.
var jobButton = map[string]string{
	"weekly-feedback":   handlers.ActionOptOut + ":" + handlers.KindFeedback,
	"manager-digest":    handlers.ActionOptOut + ":" + handlers.KindDigest,
	"training-nudge":    handlers.ActionNudgeStart,
	"award-suggestions": handlers.ActionAwardPost,
}

type demoStep struct {
	title string
	run   func(ctx context.Context, fake *slackfake.Server, out io.Writer) error
}

// demoCommand is a tour step: who types a slash command, and the answer is
// printed with who sees it.
func demoCommand(c demoCast, who slackfake.User, cmd, text string) func(context.Context, *slackfake.Server, io.Writer) error {
	return func(ctx context.Context, fake *slackfake.Server, out io.Writer) error {
		line := strings.TrimSpace(cmd + " " + text)
		fmt.Fprintf(out, "%s (%s) types: %s\n", who.RealName, who.ID, line)
		sent, err := fake.SendCommand(ctx, who.ID, cmd, text)
		if err != nil {
			return err
		}
		if !sent.Acked {
			return fmt.Errorf("%s was not acked within Slack's 3 s", line)
		}
		fmt.Fprintf(out, "(acked in %s)\n", sent.AckLatency.Round(time.Microsecond))
		replyCtx, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		msg, err := sent.Reply(replyCtx)
		if err != nil {
			return fmt.Errorf("no reply to %s: %w", line, err)
		}
		audience := "only " + who.RealName + " sees this"
		if msg.ResponseType == "in_channel" {
			audience = "everyone in the channel sees this"
		}
		printMessage(out, msg, audience, c.names)
		return nil
	}
}

// demoSync syncs the fake HubSpot (a full read), wins one of the rep's open
// deals there, and syncs again (only the changes).
func demoSync(app *App, hs *hsfake.Server, ds insights.Dataset, c demoCast) func(context.Context, *slackfake.Server, io.Writer) error {
	return func(ctx context.Context, _ *slackfake.Server, out io.Writer) error {
		srcs, err := app.sources(nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "With HUBSPOT_TOKEN set, `repcoach run` syncs every REPCOACH_SYNC_EVERY (here a fake HubSpot on %s). The first sync reads everything:\n", hs.URL())
		before, err := quarterFigures(ctx, app)
		if err != nil {
			return err
		}
		states, err := app.syncAll(ctx, false, srcs)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "  "+syncSummary(states[0]))
		after, err := quarterFigures(ctx, app)
		if err != nil {
			return err
		}
		if err := sameFigures(before, after); err != nil {
			return fmt.Errorf("the full sync from HubSpot changed the sample team's figures: %w", err)
		}
		fmt.Fprintf(out, "  (This first sync takes over from the sample data loaded at start: HubSpot has its own deal IDs, so every deal counts as replaced. The figures stay the same: checked for all %d reps' quarter.)\n", len(after))
		var won insights.Deal
		for _, d := range ds.Deals {
			if string(d.Owner) == c.rep.RealName && d.Status == insights.StatusOpen && d.AmountKnown && d.Amount > won.Amount {
				won = d
			}
		}
		if won.ID == "" {
			return fmt.Errorf("%s has no open deal to win", c.rep.RealName)
		}
		now := time.Now()
		hs.UpdateDeal(hs.DealID(won.ID), func(d *insights.Deal) { d.Stage, d.Status, d.Closed = "Won", insights.StatusWon, now })
		fmt.Fprintf(out, "In HubSpot, %s marks %q (%s, %s) won. The next sync reads only what changed since the last one (less a 5-minute overlap):\n", c.rep.RealName, cmp.Or(won.Name, won.Account), won.Account, i18n.New(i18n.English, app.cfg.Currency).Money(won.Amount))
		if states, err = app.syncAll(ctx, false, srcs); err != nil {
			return err
		}
		fmt.Fprintln(out, "  "+syncSummary(states[0]))
		return nil
	}
}

// figures are the counts and sums of a rep's report that an import and a
// sync of the same data must agree on.
type figures struct {
	Won, Lost, OpenDeals int
	WonRevenue, Pipeline float64
}

// quarterFigures reads every rep's figures for the quarter from the
// published snapshot.
func quarterFigures(ctx context.Context, app *App) (map[insights.RepID]figures, error) {
	reps, err := app.store.Reps(ctx)
	if err != nil {
		return nil, err
	}
	reports, err := app.store.RepReports(ctx, insights.PeriodQuarter, reps)
	if err != nil {
		return nil, err
	}
	out := make(map[insights.RepID]figures, len(reports))
	for _, r := range reports {
		m := r.Metrics
		out[r.Rep.ID] = figures{Won: m.Won, Lost: m.Lost, OpenDeals: m.OpenDeals, WonRevenue: m.WonRevenue, Pipeline: m.Pipeline}
	}
	return out, nil
}

// sameFigures says how before and after differ, if they do.
func sameFigures(before, after map[insights.RepID]figures) error {
	if len(before) != len(after) {
		return fmt.Errorf("%d reps before, %d after", len(before), len(after))
	}
	for id, b := range before {
		if a := after[id]; a != b {
			return fmt.Errorf("rep %s: %+v before, %+v after", id, b, a)
		}
	}
	return nil
}

// demoTour is the scripted tour; turkish plays it for a Turkish team (the
// rep's commands in Turkish, steps titled in Turkish). The scheduled steps
// say the days and times cfg configures.
func demoTour(c demoCast, sched *schedule.Scheduler, turkish bool, cfg Config) []demoStep {
	say := func(en, tr string) string {
		if turkish {
			return tr
		}
		return en
	}
	p := i18n.New(i18n.English, cfg.Currency)
	if turkish {
		p = i18n.New(i18n.Turkish, cfg.Currency)
	}
	// when names a configured weekly time for a step's title ("Monday
	// morning", "Pazartesi sabahı") and the scheduler line ("Mon 08:00").
	when := func(at string) (title, clock string) {
		w, err := schedule.ParseWeekly(at)
		if err != nil {
			return at, at
		}
		title = p.WeeklyAt(w.Day, w.Hour)
		r := []rune(title)
		return strings.ToUpper(string(r[:1])) + string(r[1:]), w.String()
	}
	digestTitle, digestAt := when(cfg.DigestAt)
	awardsTitle, awardsAt := when(cfg.AwardsAt)
	nudgeTitle, nudgeAt := when(cfg.NudgeAt)
	feedbackTitle, feedbackAt := when(cfg.FeedbackAt)
	command := func(who slackfake.User, cmd, text string) func(context.Context, *slackfake.Server, io.Writer) error {
		return demoCommand(c, who, cmd, text)
	}
	scheduled := func(job string, who slackfake.User, when string) func(context.Context, *slackfake.Server, io.Writer) error {
		return func(ctx context.Context, fake *slackfake.Server, out io.Writer) error {
			fmt.Fprintf(out, "The scheduler sends %s to %s at %s in their time zone (%s); here it is run now, as `repcoach job run %s --only %s` would.\n", job, who.RealName, when, who.TZ, job, who.ID)
			rep, err := sched.RunJob(ctx, job, schedule.RunOptions{Only: who.ID})
			if err != nil {
				return err
			}
			switch {
			case rep.Sent == 1:
			case rep.AlreadySent == 1:
				// The demo's scheduler runs on the real clock: past the
				// job's time this week, it has sent it already.
				fmt.Fprintf(out, "(The running scheduler already sent it this week, at %s in their time zone.)\n", when)
			default:
				return fmt.Errorf("%s: sent %d, skipped %d, failed %d, already sent %d, held %d, unrecorded %d: %v", job, rep.Sent, rep.Skipped, rep.Failed, rep.AlreadySent, rep.Held, rep.Unrecorded, rep.Errors)
			}
			var msgs []slackfake.Message
			for _, m := range fake.MessagesTo(slackfake.DMChannel(who.ID)) {
				if _, ok := buttonValue(m.Blocks, jobButton[job]); m.Method == "chat.postMessage" && ok {
					msgs = append(msgs, m)
				}
			}
			if len(msgs) == 0 {
				return fmt.Errorf("%s: no DM reached %s", job, who.ID)
			}
			printMessage(out, msgs[len(msgs)-1], "a DM to "+who.RealName, c.names)
			again, err := sched.RunJob(ctx, job, schedule.RunOptions{Only: who.ID})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "Running it again sends nothing (already sent this week: %d, sent: %d): each person gets it exactly once.\n", again.AlreadySent, again.Sent)
			return nil
		}
	}
	// click presses the first button whose action ID is actionID on the
	// last message in who's DM, and prints the answer.
	click := func(who slackfake.User, actionID, what, audience string) func(context.Context, *slackfake.Server, io.Writer) error {
		return func(ctx context.Context, fake *slackfake.Server, out io.Writer) error {
			dm := slackfake.DMChannel(who.ID)
			msgs := fake.MessagesTo(dm)
			if len(msgs) == 0 {
				return fmt.Errorf("no message in %s's DM to click on", who.RealName)
			}
			last := msgs[len(msgs)-1]
			value, ok := buttonValue(last.Blocks, actionID)
			if !ok {
				return fmt.Errorf("no %s button on %s's last DM", actionID, who.RealName)
			}
			fmt.Fprintf(out, "%s clicks “%s”.\n", who.RealName, what)
			before := len(fake.MessagesTo(slackfake.DefaultChannel))
			in, err := fake.SendAction(ctx, who.ID, slackfake.Action{ActionID: actionID, BlockID: "b", Value: value, Channel: dm, MessageTS: last.TS})
			if err != nil {
				return err
			}
			m, err := fake.WaitMessage(ctx, func(m slackfake.Message) bool { return m.Method == "response_url" && m.ResponseURL == in.ResponseURL })
			if err != nil {
				return fmt.Errorf("no answer to the button: %w", err)
			}
			printMessage(out, m, audience, c.names)
			// Only what this click posted: the answer above comes after
			// any post the handler made.
			for _, p := range fake.MessagesTo(slackfake.DefaultChannel)[before:] {
				if p.Method == "chat.postMessage" {
					printMessage(out, p, "posted in #general", c.names)
				}
			}
			return nil
		}
	}
	stopButton := func(ctx context.Context, fake *slackfake.Server, out io.Writer) error {
		dm := slackfake.DMChannel(c.rep.ID)
		var feedback []slackfake.Message
		for _, m := range fake.MessagesTo(dm) {
			if _, ok := buttonValue(m.Blocks, handlers.ActionOptOut+":"+handlers.KindFeedback); m.Method == "chat.postMessage" && ok {
				feedback = append(feedback, m)
			}
		}
		msgs := feedback
		if len(msgs) == 0 {
			return fmt.Errorf("no feedback DM to click on")
		}
		fmt.Fprintf(out, "%s clicks “%s” under the feedback.\n", c.rep.RealName, p.T("optout.button"))
		in, err := fake.SendAction(ctx, c.rep.ID, slackfake.Action{ActionID: "optout:feedback", BlockID: "optout", Value: "feedback", Channel: dm, MessageTS: msgs[len(msgs)-1].TS})
		if err != nil {
			return err
		}
		m, err := fake.WaitMessage(ctx, func(m slackfake.Message) bool { return m.Method == "response_url" && m.ResponseURL == in.ResponseURL })
		if err != nil {
			return fmt.Errorf("no answer to the button: %w", err)
		}
		printMessage(out, m, "replaces the feedback DM", c.names)
		rep, err := sched.RunJob(ctx, "weekly-feedback", schedule.RunOptions{Only: c.rep.ID})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "The next feedback run skips %s (skipped: %d, sent: %d).\n", c.rep.RealName, rep.Skipped, rep.Sent)
		return nil
	}
	steps := []demoStep{
		{say("A rep checks their quarter", "Bir temsilci bu çeyreğe bakar"), command(c.rep, "/myperformance", "")},
		{say("The same rep looks at this week", "Aynı temsilci bu haftaya bakar"), command(c.rep, "/myperformance", say("week", "hafta"))},
		{say("Asking for help explains every figure", "Yardım istemek her rakamı açıklar"), command(c.rep, "/myperformance", say("help", "yardım"))},
		{say("A typo gets the usage, not an error", "Yazım hatası hata değil, kullanım bilgisi getirir"), command(c.rep, "/myperformance", say("fortnight", "iki hafta"))},
	}
	if turkish {
		steps = append(steps, demoStep{"Temsilci, RepCoach'un Slack dilinden seçtiği dili görür", command(c.rep, "/repcoach", "language")})
	}
	return append(steps, []demoStep{
		{say("Someone who is not in the CRM gets a friendly answer", "CRM'de olmayan biri nazik bir yanıt alır"), command(c.stranger, "/myperformance", "")},
		{say("A manager looks at their team", "Bir yönetici ekibine bakar"), command(c.manager, "/teamperformance", "")},
		{say("A rep asking for the team is told it is for managers", "Ekibi soran temsilciye bunun yöneticilere açık olduğu söylenir"), command(c.rep, "/teamperformance", "")},
		{say("Sales ops look at everyone this month", "Satış operasyonları bu ay herkese bakar"), command(c.ops, "/teamperformance", say("all month", "hepsi ay"))},
		{say("Sales ops recognise the rep in #general (their text is escaped: no @channel)", "Satış operasyonları temsilciyi #general kanalında takdir eder (metin kaçışlanır: @channel yok)"), command(c.ops, "/recognize", fmt.Sprintf("<@%s|%s> shout-out Rescued the Northwind renewal & <!channel> cheered", c.rep.ID, c.rep.Name))},
		{say("Sales ops check who is linked to whom (and any name clashes to settle)", "Satış operasyonları kimin kime bağlı olduğuna (ve çözülecek isim çakışmalarına) bakar"), command(c.ops, "/repcoach", "links")},
		{digestTitle + say(": the manager's digest", ": yöneticinin haftalık ekip özeti"), scheduled("manager-digest", c.manager, digestAt)},
		{awardsTitle + say(": sales ops get the awards the data suggests", ": satış operasyonlarına verinin önerdiği ödüller gelir"), scheduled("award-suggestions", c.ops, awardsAt)},
		{say("Sales ops approve one", "Satış operasyonları birini onaylar"), click(c.ops, "award:post", p.T("awards.post"), "only "+c.ops.RealName+" sees this")},
		{nudgeTitle + say(": a training nudge aimed at the rep's weakest step", ": temsilcinin en zayıf adımına yönelik eğitim önerisi"), scheduled("training-nudge", c.rep, nudgeAt)},
		{say("The rep starts the training", "Temsilci eğitime başlar"), click(c.rep, "nudge:start", p.T("nudge.start"), "replaces the nudge")},
		{feedbackTitle + say(": the rep's weekly feedback", ": temsilcinin haftalık geri bildirimi"), scheduled("weekly-feedback", c.rep, feedbackAt)},
		{say("The rep turns the weekly feedback DM off", "Temsilci haftalık geri bildirim mesajlarını kapatır"), stopButton},
	}...)
}

func printMessage(out io.Writer, m slackfake.Message, audience string, names *strings.Replacer) {
	where := m.Method
	if m.ResponseType == "in_channel" {
		audience = "everyone in the channel sees this"
	}
	fmt.Fprintf(out, "RepCoach → via %s (%s):\n", where, audience)
	var b strings.Builder
	render(&b, m.Text, m.Blocks)
	fmt.Fprint(out, names.Replace(b.String()))
	if link := builderLink(m.Blocks); link != "" {
		fmt.Fprintf(out, "  Block Kit Builder: %s\n", link)
	}
}

// demoUsers makes a Slack workspace for the sample team: every rep and
// manager with their CRM email, a sales-ops lead and one person who is not
// in the CRM. It picks a mid-table rep with a clear focus to star in the
// tour.
func demoUsers(ds insights.Dataset) ([]slackfake.User, demoCast) {
	zones := []string{"America/Los_Angeles", "Europe/London", "Asia/Kolkata", "America/New_York"}
	var users []slackfake.User
	var cast demoCast
	managers := map[string]int{}
	for i, r := range ds.Reps {
		u := slackfake.User{ID: fmt.Sprintf("U%07d", 1000+i), Name: handle(r.Name), RealName: r.Name, Email: r.Email, TZ: zones[i%len(zones)]}
		users = append(users, u)
		if _, ok := managers[r.Manager]; !ok && r.Manager != "" {
			managers[r.Manager] = len(managers)
		}
		if i == len(ds.Reps)/2 {
			cast.rep = u
		}
	}
	names := make([]string, 0, len(managers))
	for m := range managers {
		names = append(names, m)
	}
	sort.Strings(names)
	for i, m := range names {
		u := slackfake.User{ID: fmt.Sprintf("U%07d", 2000+i), Name: handle(m), RealName: m, Email: handle(m) + "@example.com", TZ: zones[i%len(zones)]}
		users = append(users, u)
		if i == 0 {
			cast.manager = u
		}
	}
	cast.ops = slackfake.User{ID: "U0000OPS1", Name: "olivia.ops", RealName: "Olivia Okafor", Email: "olivia.okafor@example.com", TZ: "Europe/London"}
	cast.stranger = slackfake.User{ID: "U0000NEW1", Name: "sam.new", RealName: "Sam Newhire", Email: "sam.newhire@example.com", TZ: "America/New_York"}
	users = append(users, cast.ops, cast.stranger)
	pairs := []string{"#" + slackfake.DefaultChannel, "#general"}
	for _, u := range users {
		pairs = append(pairs, "@"+u.ID, "@"+u.RealName)
	}
	cast.names = strings.NewReplacer(pairs...)
	return users, cast
}

func handle(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), ".")) }

func countManagers(ds insights.Dataset) int {
	m := map[string]bool{}
	for _, r := range ds.Reps {
		if r.Manager != "" {
			m[r.Manager] = true
		}
	}
	return len(m)
}

// buttonValue finds the value of the first button with actionID in blocks
// (in actions blocks or as a section's accessory).
func buttonValue(blocks json.RawMessage, actionID string) (string, bool) {
	var list []struct {
		Elements  []button `json:"elements"`
		Accessory *button  `json:"accessory"`
	}
	if json.Unmarshal(blocks, &list) != nil {
		return "", false
	}
	for _, b := range list {
		if b.Accessory != nil && b.Accessory.ActionID == actionID {
			return b.Accessory.Value, true
		}
		for _, e := range b.Elements {
			if e.ActionID == actionID {
				return e.Value, true
			}
		}
	}
	return "", false
}

type button struct {
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
}
