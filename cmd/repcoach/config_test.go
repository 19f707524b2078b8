package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigProblems(t *testing.T) {
	tests := []struct {
		key, value string
		want       string
	}{
		{"REPCOACH_QUIET_START", "9pm", `REPCOACH_QUIET_START="9pm": want a whole hour from 0 to 23, like 21 for 9 pm`},
		{"REPCOACH_QUIET_END", "25", `REPCOACH_QUIET_END="25": want a whole hour from 0 to 23, like 7 for 7 am`},
		{"REPCOACH_POST_RATE", "0", `REPCOACH_POST_RATE="0": want messages per second, more than 0 and at most 1000, like 10`},
		{"REPCOACH_POST_RATE", "-1", `REPCOACH_POST_RATE="-1": want messages per second, more than 0 and at most 1000, like 10`},
		{"REPCOACH_DELIVERY_LEASE", "0s", `REPCOACH_DELIVERY_LEASE="0s": want a duration from 1s to 1h, like 2m`},
		{"REPCOACH_LOG_LEVEL", "verbose", `REPCOACH_LOG_LEVEL="verbose": want debug, info, warn or error`},
		{"REPCOACH_LOG_FORMAT", "xml", `REPCOACH_LOG_FORMAT="xml": want text or json`},
		{"REPCOACH_AWARDS_CHANNEL", "#wins", `REPCOACH_AWARDS_CHANNEL="#wins": want a channel ID like C0123ABCD, not a name (in Slack: the channel's name → About → Channel ID)`},
		{"REPCOACH_OPS_GROUP", "@sales ops", `REPCOACH_OPS_GROUP="@sales ops": want a user group handle without @ or spaces, like sales-ops, or its ID (S…)`},
		{"REPCOACH_OPS_USERS", "U0123ABCD,olivia", `REPCOACH_OPS_USERS="U0123ABCD,olivia": want Slack user IDs separated by commas, like U0123ABCD (in Slack: the person's profile → More → Copy member ID)`},
		{"SLACK_API_URL", "ftp://me:pw@proxy/", `SLACK_API_URL="ftp://me:xxxxx@proxy/": want an http(s) URL ending in /, like https://slack.com/api/`},
		{"REDIS_URL", "localhost:6379", `REDIS_URL="localhost:6379": want a URL like redis://host:6379/0 (rediss:// for TLS, unix:///path/redis.sock)`},
		{"REDIS_URL", "redis//:hunter2@db:6379", `REDIS_URL="…@db:6379": want a URL like redis://host:6379/0 (rediss:// for TLS, unix:///path/redis.sock)`},
		{"SLACK_APP_TOKEN", "xoxb-secret-1", `SLACK_APP_TOKEN="xoxb-…" (rest hidden): want an app-level token starting with xapp- (Basic Information → App-Level Tokens), not a bot or user token`},
		{"SLACK_BOT_TOKEN", "xapp-secret-2", `SLACK_BOT_TOKEN="xapp-…" (rest hidden): want a bot token starting with xoxb- (Install App → Bot User OAuth Token)`},
		{"SLACK_API_URL", "ftp://x", `SLACK_API_URL="ftp://x": want an http(s) URL ending in /, like https://slack.com/api/`},
		{"REPCOACH_TZ", "Mars/Olympus", `REPCOACH_TZ="Mars/Olympus": want an IANA time zone name, like Europe/London or America/New_York`},
		{"REPCOACH_AS_OF", "yesterday", `REPCOACH_AS_OF="yesterday": want a date like 2017-12-31 or an RFC 3339 time like 2017-12-31T18:00:00Z`},
		{"REPCOACH_WEEK_START", "Funday", `REPCOACH_WEEK_START="Funday": want a weekday, like Monday or Sun`},
		{"REPCOACH_FISCAL_YEAR_START", "13", `REPCOACH_FISCAL_YEAR_START="13": want a month number from 1 to 12`},
		{"REPCOACH_IMPORT", "/no/such/export.csv", `REPCOACH_IMPORT="/no/such/export.csv": want CRM export files or folders that exist, separated by commas`},
		{"REPCOACH_IMPORT_PROFILE", "pipedrive", `REPCOACH_IMPORT_PROFILE="pipedrive": want one of auto, generic, maven, salesforce, hubspot, quotas`},
		{"REPCOACH_IMPORT_EVERY", "daily", `REPCOACH_IMPORT_EVERY="daily": want a duration like 24h or 30m (0 turns re-importing off)`},
		{"REPCOACH_USER_MAP", "/no/map.csv", `REPCOACH_USER_MAP="/no/map.csv": want the path of a CSV file that exists (rows: crm,slack)`},
		{"REPCOACH_DEFAULT_QUOTA", "1.2M", `REPCOACH_DEFAULT_QUOTA="1.2M": want a yearly amount of 0 or more, like 1200000`},
		{"REPCOACH_STALE_AFTER_DAYS", "-3", `REPCOACH_STALE_AFTER_DAYS="-3": want a whole number of days from 1 to 3650`},
		{"FEEDBACK_AT", "Friday", `FEEDBACK_AT="Friday": want a day and a time, like Fri 16:00 or Fri 4pm`},
		{"REPCOACH_WORKING_DAYS", "Mon-Fri", `REPCOACH_WORKING_DAYS="Mon-Fri": want weekdays separated by commas, like Mon,Tue,Wed,Thu,Fri`},
		{"REPCOACH_HOLIDAYS", "25/12/2026", `REPCOACH_HOLIDAYS="25/12/2026": want dates separated by commas, like 2026-12-25,2026-12-26`},
		{"REPCOACH_DRY_RUN", "yes please", `REPCOACH_DRY_RUN="yes please": want true or false`},
		{"REPCOACH_LANGUAGE", "de", `REPCOACH_LANGUAGE="de": want en or tr`},
		{"REPCOACH_CURRENCY", "dollars", `REPCOACH_CURRENCY="dollars": want an ISO 4217 currency code, like USD, EUR or TRY`},
		{"REPCOACH_FX_RATES", "EUR=-1", `REPCOACH_FX_RATES="EUR=-1": want CODE=rate pairs separated by commas, each rate a positive number, like EUR=1.08,TRY=0.029`},
		{"REPCOACH_HTTP_ADDR", "8080", `REPCOACH_HTTP_ADDR="8080": want host:port or :port, like :8080`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			_, err := loadConfig(envOf(map[string]string{tt.key: tt.value}))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("loadConfig = %v, want a *ConfigError", err)
			}
			if len(ce.Problems) != 1 || ce.Problems[0] != tt.want {
				t.Errorf("problems = %q\nwant        [%q]", ce.Problems, tt.want)
			}
			for _, secret := range []string{"secret-1", "secret-2", "hunter2"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("a secret reached the message: %s", err)
				}
			}
		})
	}
}

func TestConfigListsEveryProblemAtOnce(t *testing.T) {
	_, err := loadConfig(envOf(map[string]string{"REPCOACH_QUIET_START": "9pm", "REPCOACH_POST_RATE": "0", "REDIS_URL": "localhost:6379"}))
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 3 {
		t.Fatalf("loadConfig = %v, want three problems", err)
	}
	if got := strings.Count(err.Error(), "\n"); got != 2 {
		t.Errorf("error has %d line breaks, want one line per problem:\n%s", got, err)
	}
}

func TestConfigDefaultsAndValues(t *testing.T) {
	def := defaultConfig()
	if def.QuietStart != 21 || def.QuietEnd != 7 || def.PostRate != 10 || def.DeliveryLease != 2*time.Minute || def.OpsGroup != "sales-ops" || def.LogFormat != "text" || def.HTTPAddr != "" {
		t.Errorf("defaults = %+v", def)
	}
	dir := t.TempDir()
	c, err := loadConfig(envOf(map[string]string{
		"REPCOACH_QUIET_START": "22", "REPCOACH_POST_RATE": "2.5", "REPCOACH_DELIVERY_LEASE": "30s",
		"REPCOACH_IMPORT": dir + ", " + dir, "REPCOACH_DRY_RUN": "true", "REPCOACH_AWARDS_CHANNEL": "C0123ABCD",
		"REDIS_URL": "rediss://:pw@db.example.com:6380/1", "REPCOACH_IMPORT_EVERY": "0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.QuietStart != 22 || c.PostRate != 2.5 || c.DeliveryLease != 30*time.Second || len(c.Import) != 2 || !c.DryRun || c.ImportEvery != 0 {
		t.Errorf("config = %+v", c)
	}
}

// TestCommandsThatNeedNoConfig runs help, version, manifest, sample and a
// subcommand's --help with a malformed variable set: none of them reads it.
func TestCommandsThatNeedNoConfig(t *testing.T) {
	t.Setenv("REPCOACH_QUIET_START", "9pm")
	for _, args := range [][]string{{"help"}, {"version"}, {"manifest"}, {"run", "--help"}, {"doctor", "-h"}, {"import", "--help"}, {"job", "run", "--help"}, {"preview", "--help"}, {"sample", "--help"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, &out); err != nil {
			t.Errorf("%v = %v, want success\n%s", args, err, out.String())
		}
		if out.Len() == 0 {
			t.Errorf("%v printed nothing", args)
		}
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"run"}, &out, &out)
	if err == nil || err.Error() != `REPCOACH_QUIET_START="9pm": want a whole hour from 0 to 23, like 21 for 9 pm` {
		t.Errorf("run = %v, want the one-line problem", err)
	}
}

func TestSampleHelpPrintsUsageOnce(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"sample", "--help"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "Usage: repcoach sample"); n != 1 {
		t.Errorf("usage printed %d times:\n%s", n, out.String())
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasPrefix(got, "repcoach ") || !strings.Contains(got, "go1.") {
		t.Errorf("version = %q, want the module version and the Go version", got)
	}
}

func TestLogFormatJSON(t *testing.T) {
	var out bytes.Buffer
	newLogger(&out, Config{LogLevel: "info", LogFormat: "json"}).Info("hello", "k", "v")
	if !strings.HasPrefix(out.String(), `{"time":`) || !strings.Contains(out.String(), `"msg":"hello","k":"v"`) {
		t.Errorf("json log line = %q", out.String())
	}
}

func TestUserMapMustExist(t *testing.T) {
	p := filepath.Join(t.TempDir(), "map.csv")
	if err := os.WriteFile(p, []byte("crm,slack\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(envOf(map[string]string{"REPCOACH_USER_MAP": p})); err != nil {
		t.Errorf("an existing map file: %v", err)
	}
}

// TestDemoTour runs the whole demo with a malformed variable set (the demo
// needs no configuration) and reads its steps: the award is posted once,
// by the click that posts it, and not again when the rep starts training.
func TestDemoTour(t *testing.T) {
	t.Setenv("REPCOACH_POST_RATE", "-1")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"demo"}, &out, &errOut); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	steps := strings.Split(out.String(), "─── ")
	if len(steps) < 17 {
		t.Fatalf("demo printed %d steps, want at least 16:\n%s", len(steps)-1, out.String())
	}
	for i, step := range steps[1:] {
		posts := strings.Count(step, "(posted in #general)")
		want := 0
		if strings.Contains(step, "Sales ops approve one") {
			want = 1
		}
		if posts != want {
			t.Errorf("step %d prints %d award posts, want %d:\n%s", i+1, posts, want, step)
		}
	}
	if !strings.Contains(errOut.String(), "the demo uses the defaults") {
		t.Errorf("demo stderr = %q, want a note that the configuration was set aside", errOut.String())
	}
}
