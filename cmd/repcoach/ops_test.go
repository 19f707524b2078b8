package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/repcoach/repcoach/bot/slackfake"
)

// ownRedis is a Redis this test may stop and start: a redis-server on a
// port of this project's range (append-only, noeviction, as compose.yaml
// runs it) where the binary is installed, else an embedded miniredis on
// that port. Never the shared Redis.
type ownRedis struct {
	url         string
	stop, start func()
}

func startOwnRedis(t *testing.T, port int) *ownRedis {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	r := &ownRedis{url: "redis://" + addr + "/0"}
	if bin, err := exec.LookPath("redis-server"); err == nil {
		dir := t.TempDir()
		var cmd *exec.Cmd
		r.start = func() {
			cmd = exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
				"--appendonly", "yes", "--maxmemory-policy", "noeviction", "--save", "")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitPort(t, addr, true)
		}
		r.stop = func() {
			if cmd != nil && cmd.Process != nil {
				cmd.Process.Kill()
				cmd.Wait()
				cmd = nil
				waitPort(t, addr, false)
			}
		}
	} else {
		t.Log("redis-server not installed: stopping and starting an embedded miniredis instead")
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr(addr); err != nil {
			t.Fatal(err)
		}
		m.Close()
		r.start = func() {
			if err := m.Restart(); err != nil {
				t.Fatal(err)
			}
		}
		r.stop = m.Close
	}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func waitPort(t *testing.T, addr string, up bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if c != nil {
			c.Close()
		}
		if (err == nil) == up {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not come %v", addr, map[bool]string{true: "up", false: "down"}[up])
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricValue sums the samples of name whose labels contain every one of
// labels (like `type="slash_commands"`).
func metricValue(body, name string, labels ...string) float64 {
	var sum float64
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

// TestMetricsAndReadiness runs the real bot with REPCOACH_HTTP_ADDR on its
// own Redis, drives a few commands and a job, scrapes /metrics, then stops
// Redis and sees /readyz turn unready, and ready again once Redis is back.
func TestMetricsAndReadiness(t *testing.T) {
	rds := startOwnRedis(t, 6611)
	const httpAddr = "127.0.0.1:6612"
	h := startBotWith(t, botOptions{env: map[string]string{"REDIS_URL": rds.url, "REPCOACH_HTTP_ADDR": httpAddr}})
	base := "http://" + httpAddr

	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	waitFor(t, "/readyz to answer ready", func() bool { code, _ := get(t, base+"/readyz"); return code == 200 })

	_, before := get(t, base+"/metrics")
	h.ask(t, "U0ANA0001", "/myperformance", "quarter")
	h.ask(t, "U0ANA0001", "/myperformance", "fortnight")
	h.ask(t, "U0ANA0001", "/teamperformance", "")
	checks := []struct {
		name    string
		labels  []string
		atLeast float64
	}{
		{"repcoach_envelopes_total", []string{`type="slash_commands"`}, 3},
		{"repcoach_ack_seconds_count", nil, 3},
		{"repcoach_handler_seconds_count", []string{`kind="command"`}, 3},
		{"repcoach_replies_total", []string{`kind="command"`}, 3},
		{"repcoach_replies_total", []string{`kind="command"`, `outcome="answered"`}, 1},
		{"repcoach_slack_calls_total", []string{`method="response_url"`, `outcome="ok"`}, 3},
	}
	// A reply reaches Slack a moment before its handler's run is counted:
	// scrape until every counter has moved, for at most ten seconds.
	var after string
	moved := func(name string, labels ...string) float64 {
		return metricValue(after, name, labels...) - metricValue(before, name, labels...)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var code int
		if code, after = get(t, base+"/metrics"); code != 200 {
			t.Fatalf("/metrics = %d", code)
		}
		all := true
		for _, c := range checks {
			all = all && moved(c.name, c.labels...) >= c.atLeast
		}
		if all || time.Now().After(deadline) {
			break
		}
	}
	for _, c := range checks {
		if got := moved(c.name, c.labels...); got < c.atLeast {
			t.Errorf("%s%v moved by %v over three commands, want ≥ %v", c.name, c.labels, got, c.atLeast)
		}
	}
	for _, name := range []string{"repcoach_import_rows_total", "repcoach_import_seconds_count"} {
		if metricValue(after, name) <= 0 {
			t.Errorf("%s = 0 after the import at start", name)
		}
	}
	if metricValue(after, "repcoach_socket_connections_total", `state="connected"`) < 1 {
		t.Errorf("no socket connection counted:\n%s", grepLines(after, "socket"))
	}

	rds.stop()
	waitFor(t, "/readyz to turn unready with Redis stopped", func() bool {
		code, body := get(t, base+"/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "redis:")
	})
	h.ask(t, "U0ANA0001", "/myperformance", "")
	_, down := get(t, base+"/metrics")
	if metricValue(down, "repcoach_redis_errors_total") <= metricValue(after, "repcoach_redis_errors_total") {
		t.Errorf("repcoach_redis_errors_total did not move while Redis was down")
	}
	rds.start()
	waitFor(t, "/readyz to be ready again with Redis back", func() bool { code, _ := get(t, base+"/readyz"); return code == 200 })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func grepLines(body, sub string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestStaticBinaryWithoutZoneinfo builds the binary the way the Dockerfile
// does (CGO_ENABLED=0, -trimpath) and runs it with an empty environment and
// no system zoneinfo: `version` works, and a configuration naming a time
// zone loads from the zone data embedded with time/tzdata.
func TestStaticBinaryWithoutZoneinfo(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "repcoach")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if out, err := exec.Command("file", bin).Output(); err == nil && !bytes.Contains(out, []byte("statically linked")) {
		t.Errorf("binary is not static: %s", out)
	}
	runIt := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env // never nil (which would inherit ours): nothing else: no HOME, no PATH, no TZ, no ZONEINFO
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	noZoneinfo := []string{"ZONEINFO=/nonexistent"}
	if out, err := runIt([]string{}, "version"); err != nil || !strings.HasPrefix(out, "repcoach ") {
		t.Errorf("version with an empty environment = %v: %s", err, out)
	}
	// preview reads the zone for its calendar; with no data it must fail
	// for want of data, not for want of zoneinfo.
	out, err := runIt(append(noZoneinfo, "REPCOACH_TZ=Asia/Kolkata"), "preview", "feedback", "--user", "Ana")
	if err == nil || !strings.Contains(out, "no CRM data") {
		t.Errorf("preview with REPCOACH_TZ=Asia/Kolkata and no zoneinfo = %v: %s", err, out)
	}
	if strings.Contains(out, "REPCOACH_TZ") {
		t.Errorf("the embedded zone data did not load Asia/Kolkata: %s", out)
	}
}

// TestDoctor runs `repcoach doctor` on a healthy setup (the fake Slack
// installed from the manifest, an append-only noeviction Redis of its own,
// data imported), on a broken one (an ops group that does not exist,
// nothing imported) and with a bot token that does not work, and prints both for the README.
func TestDoctor(t *testing.T) {
	rds := startOwnRedis(t, 6613)
	h := startBotWith(t, botOptions{env: map[string]string{"REDIS_URL": rds.url, "REPCOACH_AWARDS_CHANNEL": "C0AWARDS1"}})
	waitFor(t, "the import at start", func() bool { return strings.Contains(h.logs.String(), "imported CRM data") })
	h.stop()

	var out bytes.Buffer
	err := run(t.Context(), []string{"doctor"}, &out, &out)
	t.Logf("healthy:\n%s", out.String())
	if err != nil {
		t.Errorf("doctor on a healthy setup = %v", err)
	}
	for _, want := range []string{"ok    Slack bot token: valid for workspace", "ok    Slack scopes: all", "ok    Slack app token", "ok    Redis: answers",
		"ok    Redis persistence: append-only file on", "ok    Redis eviction: noeviction", "ok    sales ops: 1 people", "ok    awards channel: #c0awards1 (C0AWARDS1): public; the bot may post without joining", "ok    CRM data: reports as of", "people matched to Slack"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("healthy doctor output lacks %q", want)
		}
	}

	t.Setenv("REPCOACH_OPS_GROUP", "salesops")
	t.Setenv("REPCOACH_AWARDS_CHANNEL", "")
	t.Setenv("REPCOACH_REDIS_PREFIX", "rcdoctor:"+randomHex(t)+":")
	t.Setenv("REPCOACH_IMPORT", "")
	out.Reset()
	err = run(t.Context(), []string{"doctor"}, &out, &out)
	t.Logf("broken:\n%s", out.String())
	if err == nil || err.Error() != "doctor: 2 of 11 checks failed" {
		t.Errorf("doctor on a broken setup = %v, want 2 failed checks", err)
	}
	for _, want := range []string{
		`FAIL  sales ops: no Slack user group has the handle or ID "salesops" (REPCOACH_OPS_GROUP)`,
		"warn  awards channel: REPCOACH_AWARDS_CHANNEL is not set, so award suggestions are off → set it",
		"FAIL  CRM data: none imported: every rep is told no data is loaded → run `repcoach import PATH`",
		"warn  people matched to Slack: no CRM data to match yet",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("broken doctor output lacks %q", want)
		}
	}
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
	out.Reset()
	if err := run(t.Context(), []string{"doctor"}, &out, &out); err == nil || !strings.Contains(out.String(), "FAIL  Slack bot token: SLACK_BOT_TOKEN was refused by Slack (invalid_auth): copy the Bot User OAuth Token") {
		t.Errorf("doctor with a revoked token = %v:\n%s", err, out.String())
	}
	out.Reset()
	t.Setenv("REPCOACH_QUIET_START", "9pm")
	if err := run(t.Context(), []string{"doctor"}, &out, &out); err == nil || out.String() != "FAIL  configuration: REPCOACH_QUIET_START=\"9pm\": want a whole hour from 0 to 23, like 21 for 9 pm\n" {
		t.Errorf("doctor with a malformed variable = %v:\n%s", err, out.String())
	}
}

// TestJobDryRun runs `job run weekly-feedback --dry-run` with the bot token
// only: it lists each rep by name with the local arrival time and the
// message's first lines, sends nothing, and fails when Slack is unreachable.
func TestJobDryRun(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"reps.csv": fixtureReps, "deals.csv": fixtureDeals, "quotas.csv": fixtureQuotas} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fake, err := slackfake.New(slackfake.Config{Users: fixtureUsers, BotScopes: manifest().OAuthConfig.Scopes.Bot})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-fake")
	t.Setenv("SLACK_API_URL", fake.APIURL())
	t.Setenv("REDIS_URL", "")
	t.Setenv("REPCOACH_AS_OF", "2017-12-31")
	t.Setenv("REPCOACH_IMPORT", filepath.Join(dir, "reps.csv")+","+filepath.Join(dir, "deals.csv")+","+filepath.Join(dir, "quotas.csv"))

	var out bytes.Buffer
	if err := run(t.Context(), []string{"job", "run", "weekly-feedback", "--dry-run"}, &out, io.Discard); err != nil {
		t.Fatalf("dry run = %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{"Dry run of weekly-feedback", "\nAna Lima, Fri ", " 16:00 in Europe/Lisbon:\n  ", "would get it."} {
		if !strings.Contains(got, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, got)
		}
	}
	t.Logf("dry run:\n%s", got)
	if strings.Contains(got, "U0ANA0001") {
		t.Errorf("dry run shows Slack IDs rather than names:\n%s", got)
	}
	if n := fake.Calls("chat.postMessage"); n != 0 {
		t.Errorf("dry run posted %d messages", n)
	}

	t.Setenv("SLACK_API_URL", "http://127.0.0.1:6614/api/") // nothing listens there
	err = run(t.Context(), []string{"job", "run", "weekly-feedback", "--dry-run"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "dry run: cannot reach Slack at http://127.0.0.1:6614/api/") {
		t.Errorf("dry run with Slack unreachable = %v, want a failure", err)
	}
}
