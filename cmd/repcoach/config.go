package main

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	"golang.org/x/text/language"

	"github.com/repcoach/repcoach/handlers/i18n"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/insights"
)

// Config is everything RepCoach reads from the environment. Only cmd reads
// the environment; everything below gets plain values.
type Config struct {
	AppToken           string        `envconfig:"SLACK_APP_TOKEN" desc:"app-level token (xapp-…) with connections:write, for Socket Mode"`
	BotToken           string        `envconfig:"SLACK_BOT_TOKEN" desc:"bot token (xoxb-…) from installing the app"`
	APIURL             string        `envconfig:"SLACK_API_URL" default:"https://slack.com/api/" desc:"Slack Web API base URL; point it at a proxy or emulator"`
	RedisURL           string        `envconfig:"REDIS_URL" desc:"redis:// or rediss:// URL (Sentinel: ?master_name=NAME&addr=host:port; Cluster: ?addr=host:port&addr=…); empty starts an embedded in-process Redis that keeps nothing"`
	Ephemeral          bool          `envconfig:"REPCOACH_EPHEMERAL" default:"false" desc:"let repcoach run use the embedded in-process Redis when REDIS_URL is unset, accepting that every record (what was sent, opt-outs, links) is lost at exit"`
	RedisPrefix        string        `envconfig:"REPCOACH_REDIS_PREFIX" default:"rc:" desc:"prefix of every Redis key, to share one Redis between installs"`
	AsOf               string        `envconfig:"REPCOACH_AS_OF" desc:"pin the clock for historical data: 2017-12-31 (end of that day in REPCOACH_TZ) or RFC 3339"`
	TimeZone           string        `envconfig:"REPCOACH_TZ" default:"UTC" desc:"the team's time zone (IANA name) for periods and dates"`
	WeekStart          string        `envconfig:"REPCOACH_WEEK_START" default:"Monday" desc:"first day of the week"`
	FiscalYearStart    int           `envconfig:"REPCOACH_FISCAL_YEAR_START" default:"1" desc:"first month of the fiscal year (1-12)"`
	Language           string        `envconfig:"REPCOACH_LANGUAGE" default:"en" desc:"language for people whose Slack language RepCoach does not speak and who chose none: en or tr (each person can /repcoach language tr|en)"`
	Currency           string        `envconfig:"REPCOACH_CURRENCY" default:"USD" desc:"ISO 4217 currency of amounts (USD, EUR, TRY, …); deals in another currency (Salesforce CurrencyIsoCode, HubSpot Deal Currency Code, a generic currency column) are converted with REPCOACH_FX_RATES"`
	FXRates            string        `envconfig:"REPCOACH_FX_RATES" desc:"conversion rates into REPCOACH_CURRENCY, e.g. EUR=1.08,TRY=0.029 (one unit of each = that many REPCOACH_CURRENCY); an import with a currency that has no rate is refused, never added up as if it were the same money"`
	OpsGroup           string        `envconfig:"REPCOACH_OPS_GROUP" default:"sales-ops" desc:"handle (sales-ops) or ID (S…) of the Slack user group whose members are sales ops; a group's display name never counts"`
	OpsUsers           []string      `envconfig:"REPCOACH_OPS_USERS" desc:"Slack user IDs (U…, comma-separated) who are sales ops, alongside or instead of the group"`
	Import             []string      `envconfig:"REPCOACH_IMPORT" desc:"CRM export files or folders to import at start and on schedule (comma-separated)"`
	ImportProfile      string        `envconfig:"REPCOACH_IMPORT_PROFILE" desc:"importer profile: auto (default), maven, salesforce, hubspot, generic"`
	ImportEvery        time.Duration `envconfig:"REPCOACH_IMPORT_EVERY" default:"24h" desc:"how often to re-import REPCOACH_IMPORT"`
	SyncEvery          time.Duration `envconfig:"REPCOACH_SYNC_EVERY" desc:"how often repcoach run syncs from the CRM APIs configured below, e.g. 15m (also once at start); empty or 0: only repcoach sync"`
	SyncOverlap        time.Duration `envconfig:"REPCOACH_SYNC_OVERLAP" default:"5m" desc:"an incremental sync re-reads records changed this long before the last sync, to catch late commits"`
	SFLoginURL         string        `envconfig:"SALESFORCE_LOGIN_URL" default:"https://login.salesforce.com" desc:"Salesforce login URL: https://test.salesforce.com for a sandbox, or your My Domain URL (needed for client credentials)"`
	SFClientID         string        `envconfig:"SALESFORCE_CLIENT_ID" desc:"consumer key of the Salesforce connected app; setting it turns the Salesforce sync on"`
	SFUsername         string        `envconfig:"SALESFORCE_USERNAME" desc:"user the JWT bearer flow signs in as (pre-authorised for the connected app)"`
	SFPrivateKey       string        `envconfig:"SALESFORCE_PRIVATE_KEY" desc:"PEM RSA key whose certificate the connected app holds, for the JWT bearer flow (or SALESFORCE_PRIVATE_KEY_FILE)"`
	SFPrivateKeyFile   string        `envconfig:"SALESFORCE_PRIVATE_KEY_FILE" desc:"file holding SALESFORCE_PRIVATE_KEY"`
	SFClientSecret     string        `envconfig:"SALESFORCE_CLIENT_SECRET" desc:"consumer secret, to use the client credentials flow instead of JWT (or SALESFORCE_CLIENT_SECRET_FILE)"`
	SFClientSecretFile string        `envconfig:"SALESFORCE_CLIENT_SECRET_FILE" desc:"file holding SALESFORCE_CLIENT_SECRET"`
	SFAPIVersion       string        `envconfig:"SALESFORCE_API_VERSION" default:"v62.0" desc:"Salesforce REST API version"`
	SFProductField     string        `envconfig:"SALESFORCE_PRODUCT_FIELD" desc:"Opportunity field holding the product, e.g. Product__c (default: none)"`
	HSToken            string        `envconfig:"HUBSPOT_TOKEN" desc:"HubSpot private app token (pat-…) with crm.objects.deals.read and crm.objects.owners.read; setting it turns the HubSpot sync on (or HUBSPOT_TOKEN_FILE)"`
	HSTokenFile        string        `envconfig:"HUBSPOT_TOKEN_FILE" desc:"file holding HUBSPOT_TOKEN"`
	HSAPIURL           string        `envconfig:"HUBSPOT_API_URL" default:"https://api.hubapi.com" desc:"HubSpot API base URL"`
	HSProductProp      string        `envconfig:"HUBSPOT_PRODUCT_PROPERTY" desc:"deal property holding the product (default: none)"`
	UserMap            string        `envconfig:"REPCOACH_USER_MAP" desc:"CSV mapping CRM names to Slack user IDs or emails; it takes precedence over every other match"`
	MatchNames         bool          `envconfig:"REPCOACH_MATCH_NAMES" default:"true" desc:"match CRM people without an email match by full real name (full members only, unique names); false turns name matching off"`
	DefaultQuota       float64       `envconfig:"REPCOACH_DEFAULT_QUOTA" desc:"yearly quota of every rep the quota file leaves out, prorated (default: the team's median yearly won revenue)"`
	StaleAfterDays     int           `envconfig:"REPCOACH_STALE_AFTER_DAYS" desc:"days without movement after which an open deal is stale (default: longer than 80 % of deals stay in its stage)"`
	FeedbackAt         string        `envconfig:"FEEDBACK_AT" default:"Fri 16:00" desc:"when reps get their weekly feedback DM, in their own time zone"`
	NudgeAt            string        `envconfig:"NUDGE_AT" default:"Wed 10:00" desc:"when reps get a training nudge for their weakest step, in their own time zone"`
	AwardsAt           string        `envconfig:"AWARDS_AT" default:"Mon 09:00" desc:"when sales ops get the awards the data suggests, to approve with a button"`
	AwardsChannel      string        `envconfig:"REPCOACH_AWARDS_CHANNEL" desc:"channel ID (C…) where approved awards are posted; empty turns award suggestions off"`
	DigestAt           string        `envconfig:"DIGEST_AT" default:"Mon 08:00" desc:"when managers get their team digest DM, in their own time zone"`
	WorkingDays        string        `envconfig:"REPCOACH_WORKING_DAYS" default:"Mon,Tue,Wed,Thu,Fri" desc:"days scheduled DMs may go out"`
	Holidays           []string      `envconfig:"REPCOACH_HOLIDAYS" desc:"dates with no scheduled DMs, comma-separated YYYY-MM-DD"`
	QuietStart         int           `envconfig:"REPCOACH_QUIET_START" default:"21" desc:"local hour from which no scheduled DM goes out"`
	QuietEnd           int           `envconfig:"REPCOACH_QUIET_END" default:"7" desc:"local hour until which no scheduled DM goes out"`
	PostRate           float64       `envconfig:"REPCOACH_POST_RATE" default:"10" desc:"scheduled messages per second, workspace-wide (past Slack's limit it answers 429 and RepCoach waits)"`
	DeliveryLease      time.Duration `envconfig:"REPCOACH_DELIVERY_LEASE" default:"2m" desc:"how long a replica may take to post one scheduled DM before another replica takes it over"`
	DryRun             bool          `envconfig:"REPCOACH_DRY_RUN" default:"false" desc:"log scheduled messages instead of sending them"`
	LogLevel           string        `envconfig:"REPCOACH_LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
}

// loadConfig reads the environment into a Config.
func loadConfig() (Config, error) {
	var c Config
	if err := envconfig.Process("", &c); err != nil {
		return c, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// slackUserID matches a Slack user ID.
var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// roles returns who is sales ops, as configured.
func (c Config) roles() bot.Roles {
	r := bot.Roles{Group: strings.TrimSpace(c.OpsGroup)}
	for _, id := range c.OpsUsers {
		if id = strings.TrimSpace(id); id != "" {
			r.Users = append(r.Users, id)
		}
	}
	return r
}

// validateSlack checks what `run` needs to reach Slack. Messages name the
// variable and never echo a token.
func (c Config) validateSlack() error {
	var errs []error
	switch {
	case c.AppToken == "":
		errs = append(errs, errors.New("SLACK_APP_TOKEN is not set: create an app-level token with connections:write in your app's Basic Information page"))
	case !strings.HasPrefix(c.AppToken, "xapp-"):
		errs = append(errs, errors.New("SLACK_APP_TOKEN must start with xapp- (an app-level token), not a bot or user token"))
	}
	switch {
	case c.BotToken == "":
		errs = append(errs, errors.New("SLACK_BOT_TOKEN is not set: install the app to your workspace and copy the Bot User OAuth Token"))
	case !strings.HasPrefix(c.BotToken, "xoxb-"):
		errs = append(errs, errors.New("SLACK_BOT_TOKEN must start with xoxb- (a bot token)"))
	}
	for _, id := range c.OpsUsers {
		if !slackUserID.MatchString(strings.TrimSpace(id)) {
			errs = append(errs, fmt.Errorf("REPCOACH_OPS_USERS: %q is not a Slack user ID (like U0123ABCD; find it in the person's profile under More → Copy member ID)", id))
		}
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.HasSuffix(c.APIURL, "/") {
		errs = append(errs, fmt.Errorf("SLACK_API_URL %q must be an http(s) URL ending in /", bot.RedactURL(c.APIURL)))
	}
	return errors.Join(errs...)
}

// locale returns the workspace's default language and currency.
func (c Config) locale() (language.Tag, string, error) {
	tag, ok := i18n.Parse(c.Language)
	if !ok {
		return tag, "", fmt.Errorf("REPCOACH_LANGUAGE %q: want en or tr", c.Language)
	}
	cur, err := i18n.ParseCurrency(c.Currency)
	if err != nil {
		return tag, "", fmt.Errorf("REPCOACH_CURRENCY: %w", err)
	}
	return tag, cur, nil
}

// rates parses REPCOACH_FX_RATES: CODE=rate pairs separated by commas.
func (c Config) rates() (map[string]float64, error) {
	out := map[string]float64{}
	for _, pair := range strings.Split(c.FXRates, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		code, rate, ok := strings.Cut(pair, "=")
		cur, err := i18n.ParseCurrency(code)
		if err != nil || !ok {
			return nil, fmt.Errorf("REPCOACH_FX_RATES %q: want CODE=rate pairs such as EUR=1.08,TRY=0.029", pair)
		}
		r, err := strconv.ParseFloat(strings.TrimSpace(rate), 64)
		if err != nil || r <= 0 || math.IsInf(r, 0) {
			return nil, fmt.Errorf("REPCOACH_FX_RATES %q: the rate must be a positive number", pair)
		}
		out[cur] = r
	}
	return out, nil
}

// calendar returns the team calendar the config describes.
func (c Config) calendar() (insights.Calendar, error) {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return insights.Calendar{}, fmt.Errorf("REPCOACH_TZ %q is not a time zone name (try Europe/London or America/New_York): %w", c.TimeZone, err)
	}
	var start time.Weekday = -1
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(c.WeekStart, d.String()) || strings.EqualFold(c.WeekStart, d.String()[:3]) {
			start = d
		}
	}
	if start < 0 {
		return insights.Calendar{}, fmt.Errorf("REPCOACH_WEEK_START %q is not a weekday", c.WeekStart)
	}
	if c.FiscalYearStart < 1 || c.FiscalYearStart > 12 {
		return insights.Calendar{}, fmt.Errorf("REPCOACH_FISCAL_YEAR_START %d must be a month number 1-12", c.FiscalYearStart)
	}
	return insights.NewCalendar(loc, start, time.Month(c.FiscalYearStart)), nil
}

// clock returns the app's clock: pinned to REPCOACH_AS_OF when set.
func (c Config) clock(loc *time.Location) (func() time.Time, error) {
	if c.AsOf == "" {
		return time.Now, nil
	}
	t, err := insights.ParseAsOf(c.AsOf, loc)
	if err != nil {
		return nil, fmt.Errorf("REPCOACH_AS_OF: %w", err)
	}
	return func() time.Time { return t }, nil
}

// holidays parses REPCOACH_HOLIDAYS.
func (c Config) holidays(loc *time.Location) ([]time.Time, error) {
	var out []time.Time
	for _, h := range c.Holidays {
		d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(h), loc)
		if err != nil {
			return nil, fmt.Errorf("REPCOACH_HOLIDAYS: %q is not a date like 2026-12-25", h)
		}
		out = append(out, d)
	}
	return out, nil
}

// workingDays parses REPCOACH_WORKING_DAYS.
func (c Config) workingDays() ([]time.Weekday, error) {
	var out []time.Weekday
	for _, name := range strings.Split(c.WorkingDays, ",") {
		name = strings.TrimSpace(name)
		found := false
		for d := time.Sunday; d <= time.Saturday; d++ {
			if strings.EqualFold(name, d.String()) || strings.EqualFold(name, d.String()[:3]) {
				out, found = append(out, d), true
			}
		}
		if !found {
			return nil, fmt.Errorf("REPCOACH_WORKING_DAYS: %q is not a weekday (use Mon,Tue,…)", name)
		}
	}
	return out, nil
}

// redisTarget describes REDIS_URL for logs without its password.
func (c Config) redisTarget() string {
	if c.RedisURL == "" {
		return "embedded in-process Redis (keeps nothing after exit)"
	}
	if u, err := url.Parse(c.RedisURL); err == nil && u.Host != "" {
		return u.Host
	}
	return "configured Redis"
}
