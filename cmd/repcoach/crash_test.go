package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/repcoach/repcoach/bot/slackfake"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/sample"
)

// fanoutWorld is a fake Slack with a team of reps, their reports published
// in a Redis that separate bot processes share, and the built binary.
type fanoutWorld struct {
	fake   *slackfake.Server
	bin    string
	env    []string
	users  []slackfake.User
	reps   map[string]bool // Slack IDs of the reps
	prefix string
}

var buildOnce struct {
	sync.Once
	bin string
	err error
}

// buildBinary builds repcoach once per test run.
func buildBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "repcoach-bin")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.bin = filepath.Join(dir, "repcoach")
		out, err := exec.Command("go", "build", "-o", buildOnce.bin, ".").CombinedOutput()
		if err != nil {
			buildOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.bin
}

func newFanoutWorld(t *testing.T, reps int) *fanoutWorld {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and runs processes")
	}
	w := &fanoutWorld{bin: buildBinary(t), reps: map[string]bool{}}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	ds := sample.Generate(sample.Config{Seed: 11, Managers: reps / 100, RepsPerManager: 100, Deals: reps * 20, End: now, ActivitiesPerDeal: -1})
	for i, r := range ds.Reps {
		u := slackfake.User{ID: fmt.Sprintf("U%08d", i), Name: handle(r.Name), RealName: r.Name, Email: r.Email, TZ: "UTC"}
		w.users = append(w.users, u)
		w.reps[u.ID] = true
	}
	fake, err := slackfake.New(slackfake.Config{Users: w.users, BotScopes: manifest().OAuthConfig.Scopes.Bot, Limits: map[string]int{"users.list": -1, "conversations.open": -1, "conversations.history": -1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	w.fake = fake

	url := testRedisURL(t)
	w.prefix = "rcfan:" + randomHex(t) + ":"
	t.Cleanup(func() { deleteKeys(t, url, w.prefix) })
	cfg := Config{RedisURL: url, RedisPrefix: w.prefix, AsOf: now.Format(time.RFC3339), TimeZone: "UTC", WeekStart: "Monday", FiscalYearStart: 1}
	app, err := newApp(context.Background(), cfg, newLogger(io.Discard, Config{LogLevel: "error"}))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if err := app.publish(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	w.env = append(os.Environ(),
		"SLACK_APP_TOKEN=xapp-1-fake", "SLACK_BOT_TOKEN=xoxb-fake", "SLACK_API_URL="+fake.APIURL(),
		"REDIS_URL="+url, "REPCOACH_REDIS_PREFIX="+w.prefix, "REPCOACH_AS_OF="+now.Format(time.RFC3339),
		"REPCOACH_TZ=UTC", "REPCOACH_POST_RATE=400", "REPCOACH_DELIVERY_LEASE=2s", "REPCOACH_LOG_LEVEL=warn",
	)
	return w
}

// start runs `repcoach job run weekly-feedback` as a separate process.
func (w *fanoutWorld) start(t *testing.T) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(w.bin, "job", "run", "weekly-feedback")
	cmd.Env = w.env
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

// feedbackDMs counts the feedback DMs each rep received.
func (w *fanoutWorld) feedbackDMs() map[string]int {
	got := map[string]int{}
	for _, m := range w.fake.Messages() {
		if m.Method == "chat.postMessage" && strings.HasPrefix(m.Text, "Your week") {
			got[m.Channel]++
		}
	}
	return got
}

// checkExactlyOnce fails unless every rep has exactly one feedback DM.
func (w *fanoutWorld) checkExactlyOnce(t *testing.T) {
	t.Helper()
	got := w.feedbackDMs()
	missing, doubled := 0, 0
	for _, u := range w.users {
		switch n := got[slackfake.DMChannel(u.ID)]; {
		case n == 0:
			missing++
		case n > 1:
			doubled++
		}
	}
	if missing > 0 || doubled > 0 {
		t.Errorf("of %d reps, %d got no feedback DM and %d got more than one; want exactly one each", len(w.users), missing, doubled)
	}
}

func TestFanoutSurvivesSIGKILL(t *testing.T) {
	w := newFanoutWorld(t, 2000)
	first, out1 := w.start(t)
	deadline := time.Now().Add(60 * time.Second)
	for w.fake.Calls("chat.postMessage") < 500 {
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("fan-out did not get going:\n%s", out1)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	sentBefore := len(w.feedbackDMs())
	if sentBefore >= len(w.users) {
		t.Fatalf("the fan-out finished (%d DMs) before it was killed; the test proves nothing", sentBefore)
	}
	t.Logf("killed with SIGKILL after %d of %d DMs", sentBefore, len(w.users))

	// Restarted at once: the job waits out the dead process's leases
	// itself (the delivery lease), then finds its unrecorded posts.
	second, out2 := w.start(t)
	if err := waitTimeout(second, jobHangGuard); err != nil {
		t.Fatalf("restarted job: %v\n%s", err, out2)
	}
	t.Logf("restart: %s", strings.TrimSpace(out2.String()))
	if !strings.Contains(out2.String(), " 0 held by another replica") {
		t.Errorf("the restarted job left deliveries held by the dead process:\n%s", out2)
	}
	w.checkExactlyOnce(t)
}

func TestTwoReplicasSendOnce(t *testing.T) {
	w := newFanoutWorld(t, 2000)
	// Slack answers 429 to every 20th post until 300 posts have been
	// seen; each 429 makes a poster wait the Retry-After second, so a
	// longer stretch only slows the test down.
	w.fake.RateLimitShare("chat.postMessage", 0.05)
	a, outA := w.start(t)
	b, outB := w.start(t)
	go func() {
		deadline := time.Now().Add(60 * time.Second)
		for w.fake.Calls("chat.postMessage") < 300 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		w.fake.RateLimitShare("chat.postMessage", 0)
	}()
	errA, errB := waitTimeout(a, jobHangGuard), waitTimeout(b, jobHangGuard)
	if errA != nil || errB != nil {
		t.Fatalf("replicas: %v / %v\n%s\n%s", errA, errB, outA, outB)
	}
	t.Logf("replica A: %s", strings.TrimSpace(outA.String()))
	t.Logf("replica B: %s", strings.TrimSpace(outB.String()))
	if !strings.Contains(outA.String()+outB.String(), "already sent") {
		t.Error("replicas printed no report")
	}
	if n := w.fake.Calls("chat.postMessage"); n <= len(w.users) {
		t.Errorf("%d chat.postMessage calls for %d reps: the 429s were not exercised", n, len(w.users))
	}
	w.checkExactlyOnce(t)
}

// jobHangGuard bounds a `repcoach job run` process of these tests. It only
// catches a hang (and then dumps its goroutines): the tests assert who got
// what, not speed, and a race-instrumented job sending 2,000 DMs takes well
// over a minute on a loaded 2-core machine.
const jobHangGuard = 4 * time.Minute

func waitTimeout(cmd *exec.Cmd, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Signal(syscall.SIGQUIT) // Go prints every goroutine's stack
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		return fmt.Errorf("still running after %v; killed", d)
	}
}

// BenchmarkIdleRSS starts `repcoach run` as its own process against the fake
// Slack with the demo team loaded, lets it settle for 3 s, and reports its
// resident memory:
//
//	go test ./cmd/repcoach -run '^$' -bench IdleRSS -benchtime 1x
func BenchmarkIdleRSS(b *testing.B) {
	bin := buildBinary(b)
	dir := b.TempDir()
	ds := sample.Demo(time.Now(), time.UTC)
	for name, write := range map[string]func(io.Writer, insights.Dataset) error{"deals.csv": sample.WriteCSV, "reps.csv": sample.WriteRepsCSV, "quotas.csv": sample.WriteQuotasCSV} {
		if err := writeFile(filepath.Join(dir, name), ds, write); err != nil {
			b.Fatal(err)
		}
	}
	users, _ := demoUsers(ds)
	fake, err := slackfake.New(slackfake.Config{Users: users, BotScopes: manifest().OAuthConfig.Scopes.Bot})
	if err != nil {
		b.Fatal(err)
	}
	defer fake.Close()
	for range b.N {
		cmd := exec.Command(bin, "run")
		cmd.Env = append(os.Environ(), "SLACK_APP_TOKEN=xapp-1-fake", "SLACK_BOT_TOKEN=xoxb-fake", "SLACK_API_URL="+fake.APIURL(),
			"REDIS_URL=", "REPCOACH_EPHEMERAL=true", "REPCOACH_IMPORT="+dir, "REPCOACH_LOG_LEVEL=error")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		cmd.Process.Signal(syscall.SIGTERM)
		if werr := waitTimeout(cmd, 15*time.Second); werr != nil {
			b.Errorf("run did not stop on SIGTERM: %v", werr)
		}
		if err != nil {
			b.Skipf("no /proc here: %v", err)
		}
		for _, line := range strings.Split(string(status), "\n") {
			var kb float64
			if _, err := fmt.Sscanf(line, "VmRSS: %f kB", &kb); err == nil {
				b.ReportMetric(kb/1024, "RSS-MiB")
			}
		}
	}
}
