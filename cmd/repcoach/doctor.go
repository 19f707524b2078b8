package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/insights"
)

// finding is what one doctor check found: a one-line statement and, when
// the setup needs attention, what to do about it.
type finding struct {
	status string // "ok", "warn" or "FAIL"
	check  string
	found  string
	fix    string
}

func ok(check, found string) finding { return finding{"ok", check, found, ""} }
func warn(check, found, fix string) finding {
	return finding{"warn", check, found, fix}
}
func fail(check, found, fix string) finding {
	return finding{"FAIL", check, found, fix}
}

// doctor holds what the checks share: the configuration, the Slack client,
// the App (nil when Redis cannot be opened) and what bot.CheckTokens found.
type doctor struct {
	cfg    Config
	api    *slack.Client
	app    *App
	now    time.Time
	scopes []string // nil when the bot token did not work

	tokens    bot.TokenCheck
	botErr    error // the bot token does not work (auth.test)
	scopesErr error // the bot token lacks scopes the manifest asks for
	appErr    error // the app-level token does not work; nil if not checked
	appDone   bool  // the app-level token was checked
}

// doctorChecks is the table of checks, in the order printed. Each is a
// small function so others can be added (or reused at start-up) one by one.
var doctorChecks = []func(ctx context.Context, d *doctor) finding{
	checkBotToken,
	checkScopes,
	checkAppToken,
	checkRedis,
	checkRedisPersistence,
	checkRedisEviction,
	checkOpsGroup,
	checkAwardsChannel,
	checkDataFreshness,
	checkCRMSync,
	checkUnmatched,
}

// runDoctor is `repcoach doctor`: one line per check, each failing one with
// what to do. It returns an error when any check fails (warnings pass).
func runDoctor(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) > 0 {
		return errors.New("doctor takes no arguments (it reads the environment; see `repcoach help`)")
	}
	d := &doctor{cfg: cfg, api: slack.New(cfg.BotToken, slack.OptionAPIURL(cfg.APIURL)), now: time.Now()}
	if app, err := newApp(ctx, cfg, log); err == nil {
		d.app = app
		defer app.Close()
		d.now = app.now()
		if err := app.connect(d.api); err != nil {
			d.app = nil
		}
	}
	d.checkTokens(ctx)
	failed := 0
	for _, check := range doctorChecks {
		f := check(ctx, d)
		if f.check == "" {
			continue // not applicable
		}
		line := fmt.Sprintf("%-4s  %s: %s", f.status, f.check, f.found)
		if f.fix != "" {
			line += " → " + f.fix
		}
		fmt.Fprintln(out, line)
		if f.status == "FAIL" {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("doctor: %d of %d checks failed", failed, len(doctorChecks))
	}
	return nil
}

// checkTokens runs the start-up check of both tokens (bot.CheckTokens, the
// one copy of it) for the three token lines. CheckTokens stops at the first
// problem; when the bot token works but something failed, it runs again
// asking for no scopes, which checks the app-level token alone.
func (d *doctor) checkTokens(ctx context.Context) {
	if d.cfg.BotToken == "" {
		return
	}
	hc := bot.NewHTTPClient()
	tc, err := bot.CheckTokens(ctx, hc, d.cfg.APIURL, d.cfg.BotToken, d.cfg.AppToken, manifest().OAuthConfig.Scopes.Bot)
	d.tokens = tc
	if tc.Team == "" && err != nil {
		d.botErr = err
		return
	}
	d.scopes = tc.Scopes
	if d.scopes == nil {
		d.scopes = []string{}
	}
	if err == nil {
		d.appDone = true
		return
	}
	_, appErr := bot.CheckTokens(ctx, hc, d.cfg.APIURL, d.cfg.BotToken, d.cfg.AppToken, nil)
	d.appErr, d.appDone = appErr, true
	if appErr == nil || appErr.Error() != err.Error() {
		d.scopesErr = err // the first run stopped at the scopes
	}
}

func checkBotToken(_ context.Context, d *doctor) finding {
	const name = "Slack bot token"
	switch {
	case d.cfg.BotToken == "":
		return fail(name, "SLACK_BOT_TOKEN is not set", "install the app (Install App) and set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…)")
	case d.botErr != nil:
		return fail(name, d.botErr.Error(), "")
	}
	return ok(name, fmt.Sprintf("valid for workspace %s as <@%s>", d.tokens.Team, d.tokens.BotUser))
}

func checkScopes(_ context.Context, d *doctor) finding {
	const name = "Slack scopes"
	want := manifest().OAuthConfig.Scopes.Bot
	switch {
	case d.scopes == nil:
		return fail(name, "not checked: the bot token does not work", "fix the bot token first")
	case d.tokens.Unverified:
		return warn(name, "Slack did not list the granted scopes", "compare the app's OAuth & Permissions page with `repcoach manifest`")
	case d.scopesErr != nil:
		return fail(name, d.scopesErr.Error(), "")
	case len(d.tokens.Extra) > 0:
		return warn(name, "all "+fmt.Sprint(len(want))+" granted, and "+strings.Join(d.tokens.Extra, ", ")+" that RepCoach does not use", "reinstall the app from `repcoach manifest` to drop them")
	}
	return ok(name, "all "+fmt.Sprint(len(want))+" granted ("+strings.Join(want, " ")+")")
}

func checkAppToken(_ context.Context, d *doctor) finding {
	const name = "Slack app token"
	switch {
	case d.cfg.AppToken == "":
		return fail(name, "SLACK_APP_TOKEN is not set", "create an app-level token with connections:write (Basic Information → App-Level Tokens) and set SLACK_APP_TOKEN")
	case !d.appDone:
		return fail(name, "not checked: the bot token does not work", "fix the bot token first")
	case d.appErr != nil:
		return fail(name, "cannot open a Socket Mode connection: "+d.appErr.Error(), "check Socket Mode is on (Settings → Socket Mode)")
	}
	return ok(name, "opens a Socket Mode connection")
}

func checkRedis(ctx context.Context, d *doctor) finding {
	const name = "Redis"
	if d.cfg.RedisURL == "" {
		return fail(name, "REDIS_URL is not set: the embedded Redis keeps nothing after the process ends", "run Redis 7 (compose.yaml has one) and set REDIS_URL=redis://host:6379/0")
	}
	if d.app == nil {
		_, err := newApp(ctx, d.cfg, slog.New(slog.DiscardHandler))
		return fail(name, fmt.Sprint(err), "start Redis, or fix REDIS_URL")
	}
	if err := d.app.store.Ping(ctx); err != nil {
		return fail(name, err.Error(), "start Redis, or fix REDIS_URL")
	}
	return ok(name, "answers at "+d.cfg.redisTarget())
}

func checkRedisPersistence(ctx context.Context, d *doctor) finding {
	const name = "Redis persistence"
	if d.app == nil || d.app.store.Embedded() {
		return fail(name, "no Redis to keep the data", "fix Redis first")
	}
	srv, err := d.app.store.Server(ctx)
	switch {
	case err != nil:
		return warn(name, err.Error(), "make sure the server writes to disk (appendonly yes)")
	case srv.AppendOnly:
		return ok(name, "append-only file on")
	case srv.Persistent():
		return warn(name, "RDB snapshots only (save "+srv.Snapshots+"): a crash loses the writes since the last snapshot", "turn on appendonly yes so no delivery record is lost")
	}
	return fail(name, "nothing is written to disk: a restart forgets who was sent what", "turn on appendonly yes (compose.yaml does)")
}

func checkRedisEviction(ctx context.Context, d *doctor) finding {
	const name = "Redis eviction"
	if d.app == nil || d.app.store.Embedded() {
		return finding{}
	}
	srv, err := d.app.store.Server(ctx)
	switch {
	case err != nil:
		return warn(name, err.Error(), "make sure maxmemory-policy is noeviction")
	case srv.EvictionPolicy != "noeviction":
		return fail(name, "maxmemory-policy is "+srv.EvictionPolicy+": Redis may drop delivery records and reports when memory is short", "set maxmemory-policy noeviction")
	}
	return ok(name, "noeviction")
}

// checkOpsGroup asks the same question as the start-up check
// (bot.Directory.CheckRoles): can anybody be sales ops?
func checkOpsGroup(ctx context.Context, d *doctor) finding {
	const name = "sales ops"
	if d.scopes == nil || d.app == nil {
		return fail(name, "not checked: needs Redis and a working bot token", "fix those first")
	}
	warning, err := d.app.dir.CheckRoles(ctx)
	switch {
	case err != nil:
		return fail(name, err.Error(), "grant usergroups:read and reinstall the app")
	case warning != "":
		return fail(name, warning, "")
	}
	ops, err := d.app.dir.Ops(ctx)
	if err != nil {
		return fail(name, err.Error(), "grant usergroups:read and reinstall the app")
	}
	return ok(name, fmt.Sprintf("%d people (group %q, REPCOACH_OPS_USERS %d)", len(ops), d.cfg.OpsGroup, len(d.cfg.OpsUsers)))
}

// checkAwardsChannel proves the bot can post in the awards channel, asking
// Slack (conversations.info) rather than guessing from the ID: the channel
// exists, is not archived, and the bot is in it, or it is public and the
// token has chat:write.public. chat.postMessage fails in exactly the other
// cases (channel_not_found, is_archived, not_in_channel).
func checkAwardsChannel(ctx context.Context, d *doctor) finding {
	const name = "awards channel"
	ch := d.cfg.AwardsChannel
	switch {
	case ch == "":
		return warn(name, "REPCOACH_AWARDS_CHANNEL is not set, so award suggestions are off", "set it to the ID of the channel where awards should be posted")
	case d.scopes == nil:
		return fail(name, "not checked: the bot token does not work", "fix the bot token first")
	}
	info, err := d.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: ch})
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &se) && se.Err == "channel_not_found":
		return fail(name, ch+" does not exist, or is a private channel the bot is not in",
			"set REPCOACH_AWARDS_CHANNEL to the channel's ID (channel details → the C… at the bottom) and /invite @RepCoach there if it is private")
	case errors.As(err, &se) && se.Err == "missing_scope":
		return warn(name, "cannot look at "+ch+": the bot token lacks "+cmp.Or(se.Needed, "channels:read"), "reinstall the app from `repcoach manifest`, and make sure the bot was invited to "+ch)
	case err != nil:
		return fail(name, "cannot look at "+ch+": "+err.Error(), "check the bot token and that this host reaches "+d.cfg.APIURL)
	}
	where := "#" + info.Name + " (" + ch + ")"
	switch {
	case info.IsArchived:
		return fail(name, where+" is archived: posts there fail", "unarchive it, or set REPCOACH_AWARDS_CHANNEL to another channel")
	case info.IsMember:
		return ok(name, where+": the bot is a member and may post")
	case info.IsPrivate:
		return fail(name, where+" is private and the bot is not in it", "/invite @RepCoach in "+where)
	case len(d.scopes) > 0 && !slices.Contains(d.scopes, "chat:write.public"):
		return fail(name, where+" is public but the bot is not in it and lacks chat:write.public", "/invite @RepCoach in "+where+", or add chat:write.public and reinstall")
	}
	return ok(name, where+": public; the bot may post without joining (chat:write.public)")
}

func checkDataFreshness(ctx context.Context, d *doctor) finding {
	const name = "CRM data"
	if d.app == nil {
		return fail(name, "not checked: no Redis", "fix Redis first")
	}
	_, asOf, err := d.app.store.Current(ctx)
	switch {
	case errors.Is(err, insights.ErrNoData):
		if len(d.cfg.Import) > 0 {
			return warn(name, "none stored yet; `repcoach run` imports REPCOACH_IMPORT at start", "")
		}
		return fail(name, "none imported: every rep is told no data is loaded", "run `repcoach import PATH` (or set REPCOACH_IMPORT)")
	case err != nil:
		return fail(name, err.Error(), "check Redis")
	}
	at := asOf.In(d.app.cal.Zone()).Format("Mon 2 Jan 2006 15:04 MST")
	if d.cfg.AsOf != "" {
		return ok(name, "reports as of "+at+" (clock pinned by REPCOACH_AS_OF)")
	}
	age := d.now.Sub(asOf)
	limit := max(2*d.cfg.ImportEvery, 48*time.Hour)
	if age > limit {
		return warn(name, fmt.Sprintf("reports as of %s, %s old", at, age.Round(time.Hour)), "import a fresh export (`repcoach import`), or check the scheduled import in the bot's log")
	}
	return ok(name, fmt.Sprintf("reports as of %s (%s ago)", at, age.Round(time.Minute)))
}

func checkUnmatched(ctx context.Context, d *doctor) finding {
	const name = "people matched to Slack"
	if d.app == nil || d.scopes == nil {
		return fail(name, "not checked: needs Redis and a working bot token", "fix those first")
	}
	res, err := d.app.link(ctx)
	switch {
	case errors.Is(err, insights.ErrNoData):
		return warn(name, "no CRM data to match yet", "")
	case err != nil:
		return fail(name, err.Error(), "grant users:read and users:read.email and reinstall the app")
	case len(res.Unmatched) > 0:
		names := strings.Join(res.Unmatched[:min(5, len(res.Unmatched))], ", ")
		if len(res.Unmatched) > 5 {
			names += fmt.Sprintf(" and %d more", len(res.Unmatched)-5)
		}
		return warn(name, fmt.Sprintf("%d matched, %d reps or managers have no Slack user: %s", res.Linked, len(res.Unmatched), names), "give them their CRM email in Slack, or add crm,slack rows to REPCOACH_USER_MAP")
	}
	return ok(name, fmt.Sprintf("all %d reps and managers", res.Linked))
}
