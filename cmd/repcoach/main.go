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
//	repcoach job run NAME [flags]     run one scheduled job now
//	repcoach preview feedback|digest --user NAME
//
// Configuration comes from the environment; `repcoach help` lists it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"reflect"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"

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
			fmt.Fprintln(os.Stderr, "repcoach:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// run is the whole program: it parses args, reads the environment through
// envconfig and runs one subcommand until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	redisstore.SetLogger(log)
	switch args[0] {
	case "run":
		return runBot(ctx, cfg, log, args[1:])
	case "demo":
		return runDemo(ctx, cfg, log, args[1:], stdout)
	case "import":
		return runImport(ctx, cfg, log, args[1:], stdout, stderr)
	case "backtest":
		return runBacktest(cfg, args[1:], stdout, stderr)
	case "sync":
		return runSync(ctx, cfg, log, args[1:], stdout, stderr)
	case "manifest":
		return printManifest(stdout)
	case "sample":
		return runSample(args[1:], stdout, stderr)
	case "job":
		return runJob(ctx, cfg, log, args[1:], stdout)
	case "preview":
		return runPreview(ctx, cfg, log, args[1:], stdout)
	case "help", "-h", "--help":
		usage(stdout)
		return nil
	}
	fmt.Fprintf(stderr, "repcoach: unknown command %q\n\n", args[0])
	usage(stderr)
	return errUsage
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
  repcoach manifest                   print the Slack app manifest (YAML) to create the app
  repcoach sample [flags] DIR         write a generated team's CRM export (any size) to try imports
  repcoach job run NAME [--dry-run] [--only USER]
                                      run a scheduled job once now
  repcoach preview feedback|digest --user NAME
                                      print the message that would be sent

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

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
