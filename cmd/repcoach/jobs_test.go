package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repcoach/repcoach/bot/slackfake"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// allJobs are the names the task table must hold, in its order.
var allJobs = []string{"import", "sync", "link-users", "recompute", "weekly-feedback", "training-nudge", "manager-digest", "award-suggestions"}

// TestJobList: `repcoach job list` (and `job --help`) print every entry of
// the one task table, data tasks and DM jobs, with when each runs as
// configured.
func TestJobList(t *testing.T) {
	t.Setenv("FEEDBACK_AT", "Thu 9am")
	t.Setenv("REPCOACH_SYNC_EVERY", "15m")
	t.Setenv("REPCOACH_IMPORT", "")
	for _, args := range [][]string{{"job", "list"}, {"job", "--help"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, io.Discard); err != nil {
			t.Fatalf("%v = %v\n%s", args, err, out.String())
		}
		got := out.String()
		at := 0
		for _, name := range allJobs {
			i := strings.Index(got[at:], "  "+name+" ")
			if i < 0 {
				t.Errorf("%v does not list %s (in table order):\n%s", args, name, got)
				continue
			}
			at += i
		}
		for _, want := range []string{"weekly-feedback    Thu 09:00 local", "sync               every 15m", "import             by hand", "recompute          every 1h"} {
			if !strings.Contains(got, want) {
				t.Errorf("%v lacks %q:\n%s", args, want, got)
			}
		}
	}
	table, err := (&App{cfg: defaultConfig()}).tasks()
	if err != nil {
		t.Fatal(err)
	}
	if got := taskNames(table); got != strings.Join(allJobs, ", ") {
		t.Errorf("task table = %s, want %s", got, strings.Join(allJobs, ", "))
	}
}

// TestJobRunUnknownName: an unknown name is one line naming every job.
func TestJobRunUnknownName(t *testing.T) {
	err := run(context.Background(), []string{"job", "run", "weekly-feedbak"}, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("job run of an unknown name succeeded")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, `unknown job "weekly-feedbak"`) {
		t.Errorf("error = %q, want one line starting unknown job", msg)
	}
	for _, name := range allJobs {
		if !strings.Contains(msg, name) {
			t.Errorf("error %q does not name %s", msg, name)
		}
	}
}

// TestJobRunDataTasks runs each data task of the table by name, end to end
// against a Redis and a fake Slack: import loads REPCOACH_IMPORT, link-users
// links the reps to their Slack users, recompute and a lock held by
// another replica, sync with no CRM API configured, and DM-only flags.
func TestJobRunDataTasks(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for name, body := range map[string]string{"reps.csv": fixtureReps, "deals.csv": fixtureDeals, "quotas.csv": fixtureQuotas} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	fake, err := slackfake.New(slackfake.Config{Users: fixtureUsers, BotScopes: manifest().OAuthConfig.Scopes.Bot})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	url, prefix := testRedisURL(t), "rcjobs:"+randomHex(t)+":"
	if os.Getenv("REDIS_URL") != "" {
		t.Cleanup(func() { deleteKeys(t, url, prefix) })
	}
	t.Setenv("REDIS_URL", url)
	t.Setenv("REPCOACH_REDIS_PREFIX", prefix)
	t.Setenv("REPCOACH_AS_OF", "2017-12-31")
	t.Setenv("REPCOACH_TZ", "UTC")
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-fake")
	t.Setenv("SLACK_API_URL", fake.APIURL())
	t.Setenv("REPCOACH_IMPORT", strings.Join(files, ","))
	for _, k := range []string{"SALESFORCE_CLIENT_ID", "HUBSPOT_TOKEN", "HUBSPOT_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
	ctx := context.Background()
	store, err := redisstore.Open(ctx, url, redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	jobRun := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"job", "run"}, args...), &out, io.Discard)
		return out.String(), err
	}
	if out, err := jobRun("import"); err != nil || !strings.HasPrefix(out, "import: done in ") {
		t.Fatalf("job run import = %q, %v", out, err)
	}
	if gen, err := store.DataGeneration(ctx); err != nil || gen == 0 {
		t.Errorf("after job run import: data generation %d, %v; want data", gen, err)
	}
	if _, err := store.RepUser(ctx, "Ana Lima"); err == nil {
		t.Fatal("Ana Lima is linked before link-users ran; the test proves nothing")
	}
	if out, err := jobRun("link-users"); err != nil || !strings.HasPrefix(out, "link-users: done in ") {
		t.Fatalf("job run link-users = %q, %v", out, err)
	}
	if uid, err := store.RepUser(ctx, insights.RepID("Ana Lima")); err != nil || uid != "U0ANA0001" {
		t.Errorf("after job run link-users: Ana Lima is %q, %v; want U0ANA0001", uid, err)
	}
	if out, err := jobRun("recompute"); err != nil || !strings.HasPrefix(out, "recompute: done in ") {
		t.Errorf("job run recompute = %q, %v", out, err)
	}
	if ok, err := store.TryLock(ctx, "recompute", "another-replica", time.Minute); err != nil || !ok {
		t.Fatalf("take the recompute lock: %v, %v", ok, err)
	}
	if _, err := jobRun("recompute"); err == nil || !strings.Contains(err.Error(), "another replica is running it") {
		t.Errorf("job run recompute while another replica holds it = %v", err)
	}
	if _, err := jobRun("sync"); err == nil || !strings.Contains(err.Error(), "no CRM API is configured") {
		t.Errorf("job run sync with no CRM API = %v, want it said", err)
	}
	if _, err := jobRun("import", "--dry-run"); err == nil || !strings.Contains(err.Error(), "for the DM jobs") {
		t.Errorf("job run import --dry-run = %v, want refused", err)
	}
	t.Setenv("REPCOACH_IMPORT", "")
	if _, err := jobRun("import"); err == nil || !strings.Contains(err.Error(), "REPCOACH_IMPORT is not set") {
		t.Errorf("job run import without REPCOACH_IMPORT = %v", err)
	}
	if n := fake.Calls("chat.postMessage"); n != 0 {
		t.Errorf("the data tasks posted %d messages", n)
	}
}
