// Command repcoach is RepCoach, a self-hosted Slack bot that coaches a sales
// team from CRM data.
//
//	repcoach run                      serve Slack over Socket Mode (production)
//	repcoach demo                     fake Slack + embedded Redis + sample team, and a guided tour
//	repcoach import [flags] PATH...   load CRM exports into Redis and recompute metrics
//	repcoach backtest [flags] PATH... replay history and measure forecast error
//	repcoach sync [--full]            read Salesforce / HubSpot through their APIs into Redis
//	repcoach manifest                 print the Slack app manifest (YAML)
//	repcoach sample [flags] DIR       write a generated CRM export to DIR
//	repcoach job list                 list the periodic tasks and DM jobs
//	repcoach job run NAME [flags]     run one of them now
//	repcoach preview feedback|digest --user NAME
//	repcoach doctor                   check the setup, one line per check
//	repcoach version                  print the version and VCS revision
//
// Configuration comes from the environment; `repcoach help` lists it.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	// Zone data in the binary: the container image has no zoneinfo.
	_ "time/tzdata"

	"github.com/repcoach/repcoach/insights/redisstore"
)

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT says
// otherwise: it keeps a 1,000,000-deal import under 1 GiB resident, and
// fits the 1 GB dynos of Heroku-style hosts.
const defaultMemoryLimit = 768 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			for _, line := range strings.Split(err.Error(), "\n") {
				fmt.Fprintln(os.Stderr, "repcoach:", line)
			}
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// run is the whole program: it parses args and runs one subcommand until
// ctx ends. help, version, manifest, sample and demo run whatever the
// environment holds; the other commands first read the configuration and
// stop with every problem in it, one line each.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	if line, ok := plainCommands[cmd]; ok && wantsHelp(rest) {
		fmt.Fprintln(stdout, "Usage: repcoach "+line)
		return nil
	}
	switch cmd {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	case "version":
		fmt.Fprintln(stdout, "repcoach", version())
		return nil
	case "manifest":
		return printManifest(stdout)
	case "health":
		return checkHealth(ctx, os.Getenv("REPCOACH_HTTP_ADDR"), stdout)
	case "sample":
		return runSample(rest, stdout, stderr)
	case "demo":
		cfg, err := loadConfig(os.Getenv)
		if err != nil {
			fmt.Fprintln(stderr, "demo: the environment's configuration has problems (`repcoach doctor` lists them); the demo uses the defaults")
			cfg = defaultConfig()
		}
		log := newLogger(stderr, cfg)
		redisstore.SetLogger(log)
		return runDemo(ctx, cfg, log, rest, stdout)
	case "run", "import", "backtest", "sync", "job", "preview", "doctor":
	default:
		fmt.Fprintf(stderr, "repcoach: unknown command %q\n\n", cmd)
		usage(stderr)
		return errUsage
	}
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		var ce *ConfigError
		if cmd == "doctor" && errors.As(err, &ce) {
			for _, p := range ce.Problems {
				fmt.Fprintf(stdout, "FAIL  configuration: %s\n", p)
			}
			return fmt.Errorf("doctor: fix the configuration first (%d problems); the other checks need it", len(ce.Problems))
		}
		if !wantsHelp(rest) {
			return err
		}
		cfg = defaultConfig() // --help needs no valid configuration
	}
	log := newLogger(stderr, cfg)
	redisstore.SetLogger(log)
	switch cmd {
	case "run":
		return runBot(ctx, cfg, log, rest)
	case "import":
		return runImport(ctx, cfg, log, rest, stdout, stderr)
	case "backtest":
		return runBacktest(cfg, rest, stdout, stderr)
	case "sync":
		return runSync(ctx, cfg, log, rest, stdout, stderr)
	case "job":
		return runJob(ctx, cfg, log, rest, stdout)
	case "preview":
		return runPreview(ctx, cfg, log, rest, stdout)
	default:
		return runDoctor(ctx, cfg, log, rest, stdout)
	}
}

// plainCommands are the commands without flags, and their usage lines.
var plainCommands = map[string]string{
	"run":      "run                 serve Slack over Socket Mode (configuration: environment variables, see `repcoach help`)",
	"demo":     "demo [--lang en|tr]  fake Slack, embedded Redis, a sample team and a guided tour",
	"manifest": "manifest            print the Slack app manifest (YAML)",
	"version":  "version             print the version and the VCS revision it was built from",
	"health":   "health              ask the running bot's /healthz on REPCOACH_HTTP_ADDR (for container health checks)",
	"doctor":   "doctor              check the configuration, Slack, Redis and the data, one line per check",
}

// wantsHelp reports whether args ask for help.
func wantsHelp(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" || a == "help" })
}

// flagDone turns a FlagSet's parse error into run's result: nil after
// -h/--help (the FlagSet has printed its usage), errUsage otherwise.
func flagDone(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return errUsage
}

// Set at link time by builds made without VCS information (the Dockerfile's
// context has no .git; GOFLAGS=-buildvcs=false) and by scripts/release:
//
//	go build -ldflags "-X main.release=v1.2.3 -X main.revision=$(git rev-parse HEAD)"
//
// The build info's own module version and revision win where present.
var release, revision string

// version describes this build from its build info: the module version
// (a tag for `go install …@v1.2.3`, "(devel)" for a local build, else
// main.release), the VCS revision and time (else main.revision), and the
// Go version.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown version)"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = cmp.Or(release, "(devel)")
	}
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	switch {
	case rev != "":
		v += fmt.Sprintf(" (revision %s, %s%s)", rev, at, dirty)
	case revision != "":
		v += fmt.Sprintf(" (revision %s)", revision[:min(12, len(revision))])
	}
	return v + " " + bi.GoVersion
}

func usage(w io.Writer) {
	fmt.Fprint(w, `RepCoach: a self-hosted Slack bot that coaches a sales team from CRM data.

Usage:
  repcoach run                        serve Slack over Socket Mode
  repcoach demo                       try it: fake Slack, embedded Redis, a sample team and a guided tour
  repcoach import [flags] PATH...     load CRM exports (files or folders) and recompute metrics
  repcoach backtest [flags] PATH...   replay every week of history and measure the forecast's error
  repcoach sync [--full]              read Salesforce and HubSpot through their APIs (what changed since
                                      the last sync, with stage history) and recompute metrics
  repcoach doctor                     check tokens and scopes, Redis, the ops group, the awards channel and the data
  repcoach manifest                   print the Slack app manifest (YAML) to create the app
  repcoach sample [flags] DIR         write a generated team's CRM export (any size) to try imports
  repcoach job list                   list the periodic tasks (import, sync, link-users, recompute)
                                      and the DM jobs, with when each runs
  repcoach job run NAME [--dry-run] [--only USER]
                                      run one of them once now (DM jobs: --dry-run shows who would get what)
  repcoach preview feedback|digest --user NAME
                                      print the message that would be sent
  repcoach version                    print the version and VCS revision
  repcoach health                     ask the running bot's /healthz (container health checks)
  repcoach COMMAND --help             a command's flags

Environment:
`)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	t := reflect.TypeOf(Config{})
	for i := range t.NumField() {
		f := t.Field(i)
		def := f.Tag.Get("default")
		if def != "" {
			def = " (default " + def + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s%s\n", f.Tag.Get("envconfig"), f.Tag.Get("desc"), def)
	}
	tw.Flush()
}

// newLogger returns the logger cfg asks for: REPCOACH_LOG_LEVEL and
// REPCOACH_LOG_FORMAT (text or json), writing to w.
func newLogger(w io.Writer, cfg Config) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel))); err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	if strings.EqualFold(cfg.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
