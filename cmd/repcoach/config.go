package main

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/repcoach/repcoach/handlers/i18n"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/bot/schedule"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/importer"
)

// Config is everything RepCoach reads from the environment. Only cmd reads
// the environment; everything below gets plain values. Each field's tags
// name its variable (envconfig), its default and its help text (desc);
// rules says what form each value must take.
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
	LogFormat          string        `envconfig:"REPCOACH_LOG_FORMAT" default:"text" desc:"log lines as text (key=value) or json"`
	HTTPAddr           string        `envconfig:"REPCOACH_HTTP_ADDR" desc:"host:port for /healthz, /readyz and /metrics (e.g. :8080); empty turns the listener off"`
}

// rule says what form one variable's value must take: ok reports whether
// a set value has it, want describes it for the operator.
type rule struct {
	key  string
	want string
	ok   func(v string) bool
}

// rules is every variable's form, checked before anything runs. A rule
// sees only set values; a variable left empty takes its default.
var rules = []rule{
	{"SLACK_APP_TOKEN", "an app-level token starting with xapp- (Basic Information → App-Level Tokens), not a bot or user token", prefix("xapp-")},
	{"SLACK_BOT_TOKEN", "a bot token starting with xoxb- (Install App → Bot User OAuth Token)", prefix("xoxb-")},
	{"SLACK_API_URL", "an http(s) URL ending in /, like https://slack.com/api/", func(v string) bool {
		u, err := url.Parse(v)
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && strings.HasSuffix(v, "/")
	}},
	{"REDIS_URL", "a URL like redis://host:6379/0 (rediss:// for TLS, unix:///path/redis.sock)", func(v string) bool {
		u, err := url.Parse(v)
		return err == nil && ((u.Scheme == "redis" || u.Scheme == "rediss") && u.Host != "" || u.Scheme == "unix" && u.Path != "")
	}},
	{"REPCOACH_REDIS_PREFIX", "a key prefix without braces, like rc:", func(v string) bool { return !strings.ContainsAny(v, "{} ") }},
	{"REPCOACH_AS_OF", "a date like 2017-12-31 or an RFC 3339 time like 2017-12-31T18:00:00Z", func(v string) bool {
		_, err := insights.ParseAsOf(v, time.UTC)
		return err == nil
	}},
	{"REPCOACH_TZ", "an IANA time zone name, like Europe/London or America/New_York", func(v string) bool {
		_, err := time.LoadLocation(v)
		return err == nil && v != "Local"
	}},
	{"REPCOACH_WEEK_START", "a weekday, like Monday or Sun", func(v string) bool { _, ok := weekday(v); return ok }},
	{"REPCOACH_FISCAL_YEAR_START", "a month number from 1 to 12", intIn(1, 12)},
	{"REPCOACH_OPS_GROUP", "a user group handle without @ or spaces, like sales-ops, or its ID (S…)", func(v string) bool { return !strings.ContainsAny(v, "@ ,#") }},
	{"REPCOACH_OPS_USERS", "Slack user IDs separated by commas, like U0123ABCD (in Slack: the person's profile → More → Copy member ID)", func(v string) bool {
		for _, id := range strings.Split(v, ",") {
			if !slackUserID.MatchString(strings.TrimSpace(id)) {
				return false
			}
		}
		return true
	}},
	{"REPCOACH_IMPORT", "CRM export files or folders that exist, separated by commas", func(v string) bool {
		for _, p := range strings.Split(v, ",") {
			if _, err := os.Stat(strings.TrimSpace(p)); err != nil {
				return false
			}
		}
		return true
	}},
	{"REPCOACH_IMPORT_PROFILE", "one of auto, " + strings.Join(importer.Profiles(), ", "), func(v string) bool {
		return v == "auto" || slices.Contains(importer.Profiles(), v)
	}},
	{"REPCOACH_IMPORT_EVERY", "a duration like 24h or 30m (0 turns re-importing off)", durationIn(time.Minute, 365*24*time.Hour, true)},
	{"REPCOACH_USER_MAP", "the path of a CSV file that exists (rows: crm,slack)", func(v string) bool {
		fi, err := os.Stat(v)
		return err == nil && !fi.IsDir()
	}},
	{"REPCOACH_DEFAULT_QUOTA", "a yearly amount of 0 or more, like 1200000", func(v string) bool {
		f, err := strconv.ParseFloat(v, 64)
		return err == nil && f >= 0 && f <= 1e12
	}},
	{"REPCOACH_STALE_AFTER_DAYS", "a whole number of days from 1 to 3650", intIn(1, 3650)},
	{"FEEDBACK_AT", "a day and a time, like Fri 16:00 or Fri 4pm", weekly},
	{"NUDGE_AT", "a day and a time, like Wed 10:00 or Wed 10am", weekly},
	{"AWARDS_AT", "a day and a time, like Mon 09:00 or Mon 9am", weekly},
	{"REPCOACH_AWARDS_CHANNEL", "a channel ID like C0123ABCD, not a name (in Slack: the channel's name → About → Channel ID)", regexp.MustCompile(`^[CG][A-Z0-9]{6,}$`).MatchString},
	{"DIGEST_AT", "a day and a time, like Mon 08:00 or Mon 8am", weekly},
	{"REPCOACH_WORKING_DAYS", "weekdays separated by commas, like Mon,Tue,Wed,Thu,Fri", func(v string) bool {
		for _, d := range strings.Split(v, ",") {
			if _, ok := weekday(d); !ok {
				return false
			}
		}
		return true
	}},
	{"REPCOACH_HOLIDAYS", "dates separated by commas, like 2026-12-25,2026-12-26", func(v string) bool {
		for _, d := range strings.Split(v, ",") {
			if _, err := time.Parse(time.DateOnly, strings.TrimSpace(d)); err != nil {
				return false
			}
		}
		return true
	}},
	{"REPCOACH_QUIET_START", "a whole hour from 0 to 23, like 21 for 9 pm", intIn(0, 23)},
	{"REPCOACH_QUIET_END", "a whole hour from 0 to 23, like 7 for 7 am", intIn(0, 23)},
	{"REPCOACH_POST_RATE", "messages per second, more than 0 and at most 1000, like 10", func(v string) bool {
		f, err := strconv.ParseFloat(v, 64)
		return err == nil && f > 0 && f <= 1000
	}},
	{"REPCOACH_DELIVERY_LEASE", "a duration from 1s to 1h, like 2m", durationIn(time.Second, time.Hour, false)},
	{"REPCOACH_DRY_RUN", "true or false", func(v string) bool { _, err := strconv.ParseBool(v); return err == nil }},
	{"REPCOACH_LOG_LEVEL", "debug, info, warn or error", oneOf("debug", "info", "warn", "error")},
	{"REPCOACH_LOG_FORMAT", "text or json", oneOf("text", "json")},
	{"REPCOACH_LANGUAGE", "en or tr", func(v string) bool { _, ok := i18n.Parse(v); return ok }},
	{"REPCOACH_CURRENCY", "an ISO 4217 currency code, like USD, EUR or TRY", func(v string) bool { _, err := i18n.ParseCurrency(v); return err == nil }},
	{"REPCOACH_FX_RATES", "CODE=rate pairs separated by commas, each rate a positive number, like EUR=1.08,TRY=0.029", func(v string) bool {
		_, err := Config{FXRates: v}.rates()
		return err == nil
	}},
	{"REPCOACH_HTTP_ADDR", "host:port or :port, like :8080", func(v string) bool {
		_, port, err := net.SplitHostPort(v)
		n, perr := strconv.Atoi(port)
		return err == nil && perr == nil && n >= 0 && n < 65536
	}},
}

func prefix(p string) func(string) bool {
	return func(v string) bool { return strings.HasPrefix(v, p) }
}

func intIn(lo, hi int) func(string) bool {
	return func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n >= lo && n <= hi
	}
}

// durationIn accepts a Go duration from lo to hi, and 0 when zeroOK.
func durationIn(lo, hi time.Duration, zeroOK bool) func(string) bool {
	return func(v string) bool {
		d, err := time.ParseDuration(v)
		return err == nil && (d >= lo && d <= hi || zeroOK && d == 0)
	}
}

func oneOf(values ...string) func(string) bool {
	return func(v string) bool { return slices.Contains(values, strings.ToLower(v)) }
}

func weekly(v string) bool { _, err := schedule.ParseWeekly(v); return err == nil }

// weekday reads an English weekday name or its first three letters.
func weekday(s string) (time.Weekday, bool) {
	s = strings.TrimSpace(s)
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(s, d.String()) || strings.EqualFold(s, d.String()[:3]) {
			return d, true
		}
	}
	return 0, false
}

// ConfigError lists every problem found in the configuration, one line
// each, naming the variable, its value (never a secret) and the form wanted.
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string { return strings.Join(e.Problems, "\n") }

// loadConfig reads the configuration through getenv (os.Getenv in
// production) and checks every variable against rules at once. It returns
// a *ConfigError listing each problem when any value has the wrong form.
func loadConfig(getenv func(string) string) (Config, error) {
	var c Config
	var problems []string
	v := reflect.ValueOf(&c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		key := f.Tag.Get("envconfig")
		raw := strings.TrimSpace(getenv(key))
		if raw != "" {
			if r, ok := ruleFor(key); ok && !r.ok(raw) {
				problems = append(problems, fmt.Sprintf("%s=%s: want %s", key, shown(key, raw), r.want))
				continue
			}
		} else {
			raw = f.Tag.Get("default")
		}
		if err := setField(v.Field(i), raw); err != nil {
			problems = append(problems, fmt.Sprintf("%s=%s: %v", key, shown(key, raw), err))
		}
	}
	if len(problems) > 0 {
		return c, &ConfigError{Problems: problems}
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

// defaultConfig is the configuration with every variable unset.
func defaultConfig() Config {
	c, err := loadConfig(func(string) string { return "" })
	if err != nil {
		panic("defaults break their own rules: " + err.Error())
	}
	return c
}

func ruleFor(key string) (rule, bool) {
	for _, r := range rules {
		if r.key == key {
			return r, true
		}
	}
	return rule{}, false
}

// setField stores raw in a Config field of kind string, int, float64,
// bool, time.Duration or []string (comma-separated).
func setField(f reflect.Value, raw string) error {
	if raw == "" {
		return nil
	}
	switch f.Interface().(type) {
	case string:
		f.SetString(raw)
	case int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return errors.New("want a whole number")
		}
		f.SetInt(int64(n))
	case float64:
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return errors.New("want a number")
		}
		f.SetFloat(x)
	case bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return errors.New("want true or false")
		}
		f.SetBool(b)
	case time.Duration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return errors.New("want a duration like 2m or 24h")
		}
		f.SetInt(int64(d))
	case []string:
		var list []string
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		f.Set(reflect.ValueOf(list))
	default:
		panic(fmt.Sprintf("config field of unsupported type %s", f.Type()))
	}
	return nil
}

// shown is a value as a problem line may print it: quoted, with tokens
// hidden and a Redis password masked.
func shown(key, v string) string {
	switch key {
	case "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN":
		if len(v) > 5 {
			v = v[:5] + "…"
		}
		return strconv.Quote(v) + " (rest hidden)"
	case "SLACK_API_URL":
		return strconv.Quote(bot.RedactURL(v))
	case "REDIS_URL":
		if u, err := url.Parse(v); err == nil && u.User != nil {
			return strconv.Quote(u.Redacted())
		}
		if at := strings.LastIndex(v, "@"); at >= 0 {
			return strconv.Quote("…" + v[at:])
		}
	}
	return strconv.Quote(v)
}

// validateSlack checks that the tokens a command needs are set: the app
// token only for commands that open a socket. Their form was checked by
// loadConfig. Messages name the variable and never echo a token.
func (c Config) validateSlack(needAppToken bool) error {
	var errs []error
	if needAppToken && c.AppToken == "" {
		errs = append(errs, errors.New("SLACK_APP_TOKEN is not set: create an app-level token with connections:write in your app's Basic Information page"))
	}
	if c.BotToken == "" {
		errs = append(errs, errors.New("SLACK_BOT_TOKEN is not set: install the app to your workspace and copy the Bot User OAuth Token"))
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
	start, ok := weekday(c.WeekStart)
	if !ok {
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
		d, ok := weekday(name)
		if !ok {
			return nil, fmt.Errorf("REPCOACH_WORKING_DAYS: %q is not a weekday (use Mon,Tue,…)", name)
		}
		out = append(out, d)
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
