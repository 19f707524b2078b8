package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/importer"
)

// runImport is `repcoach import`: it reads CRM exports, reports bad rows by
// file and line, and (unless --dry-run) merges the data into Redis and
// recomputes every report.
func runImport(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", cfg.ImportProfile, "export shape: auto, maven, salesforce, hubspot, generic, quotas")
	dryRun := fs.Bool("dry-run", false, "read and check the files, store nothing")
	shiftTo := fs.String("shift-to", "", "move every date so the latest lands on this day (YYYY-MM-DD), to make a historical export current")
	merge := fs.Bool("merge", false, "lay the rows over the stored ones by ID (incremental exports); by default each kind of data imported (deals, reps, quotas, …) replaces the stored one")
	allowRejects := fs.Bool("allow-rejects", false, "exit 0 even when some rows are rejected (they are listed either way)")
	mapping := fs.String("map", "", "generic CSV column mapping: field=column,… (fields: id, name, owner, stage, status, amount, created, closed, moved, product, account, manager, team, email)")
	encoding := fs.String("encoding", "", "text encoding: utf-8, windows-1254, iso-8859-9 or windows-1252 (default: detect, with a warning when a file is not UTF-8)")
	delimiter := fs.String("delimiter", "", "field delimiter: , ; tab or | (default: detect from the header)")
	decimal := fs.String("decimal", "", "decimal separator of amounts: comma (1.234,50) or point (1,234.50) (default: detect; a file whose numbers fit both is refused)")
	dateFormat := fs.String("date-format", "", "numeric dates: dd.mm.yyyy (day first) or mm/dd/yyyy (month first) (default: detect; a file whose dates fit both is refused)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: repcoach import [--profile P] [--dry-run] [--merge] [--allow-rejects] [--shift-to DATE] [--map field=column,…] [--encoding E] [--delimiter D] [--decimal comma|point] [--date-format F] PATH...")
		fmt.Fprintln(stderr, "PATH is a CSV file or a folder of a profile's files (e.g. the Maven CRM folder).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagDone(err)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	cal, err := cfg.calendar()
	if err != nil {
		return err
	}
	show, done := progress(stderr)
	defer done()
	opts := importer.Options{Profile: *profile, Location: cal.Zone(), Progress: show,
		Encoding: *encoding, Decimal: *decimal, DateFormat: *dateFormat}
	switch *delimiter {
	case "":
	case "tab", `\t`, "\t":
		opts.Delimiter = '\t'
	case ",", ";", "|":
		opts.Delimiter = rune((*delimiter)[0])
	default:
		return fmt.Errorf("--delimiter %q: want , ; tab or |", *delimiter)
	}
	if *shiftTo != "" {
		if opts.ShiftTo, err = time.ParseInLocation("2006-01-02", *shiftTo, cal.Zone()); err != nil {
			return fmt.Errorf("--shift-to %q: want a date like 2026-11-26", *shiftTo)
		}
	}
	if *mapping != "" {
		opts.Mapping = map[string]string{}
		for _, pair := range strings.Split(*mapping, ",") {
			field, col, ok := strings.Cut(pair, "=")
			if !ok {
				return fmt.Errorf("--map %q: want field=column pairs separated by commas", pair)
			}
			opts.Mapping[strings.TrimSpace(field)] = strings.TrimSpace(col)
		}
	}

	if *dryRun {
		res, err := importer.Import(fs.Args(), opts)
		done()
		if err != nil {
			return err
		}
		_, cur, err := cfg.locale()
		if err != nil {
			return err
		}
		rates, err := cfg.rates()
		if err != nil {
			return err
		}
		converted, err := insights.ConvertCurrency(&res.Dataset, cur, rates)
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, res.Summary())
		for _, code := range slices.Sorted(maps.Keys(converted)) {
			fmt.Fprintf(stdout, "Converted %d deals from %s to %s at %g.\n", converted[code], code, cur, rates[code])
		}
		fmt.Fprintln(stdout, "Dry run: nothing was stored.")
		return rejects(res, *allowRejects, "")
	}
	if cfg.RedisURL == "" {
		return errors.New("REDIS_URL is not set, so the import would be lost when this command ends (the embedded Redis keeps nothing). Set REDIS_URL to the Redis `repcoach run` uses, use --dry-run to check the files, or set REPCOACH_IMPORT so `repcoach run` imports at start")
	}
	app, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	start := time.Now()
	res, summary, err := app.load(ctx, fs.Args(), opts, *merge)
	done()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, summary)
	_, asOf, err := app.store.Current(ctx)
	if err != nil && !errors.Is(err, insights.ErrNoData) {
		return err
	}
	fmt.Fprintf(stdout, "Stored and recomputed every rep's and team's reports as of %s in %s.\n", asOf.In(cal.Zone()).Format("Mon 2 Jan 2006 15:04 MST"), time.Since(start).Round(time.Millisecond))
	return rejects(res, *allowRejects, "; the good rows were stored")
}

// rejects fails an import that rejected rows, unless they are allowed:
// a scheduled import should not pass quietly with rows missing.
func rejects(res importer.Result, allowed bool, stored string) error {
	n := 0
	for _, f := range res.Files {
		n += f.Rejected
	}
	if n == 0 || allowed {
		return nil
	}
	rows := "rows"
	if n == 1 {
		rows = "row"
	}
	return fmt.Errorf("%d %s rejected (listed above)%s. Fix the rows and import again, or pass --allow-rejects when rejected rows are expected", n, rows, stored)
}

// progress reports rows read on stderr, rewriting one line, when stderr
// is a terminal; done ends that line.
func progress(stderr io.Writer) (show func(string, int), done func()) {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil, func() {}
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil, func() {}
	}
	shown := false
	show = func(file string, rows int) {
		fmt.Fprintf(f, "\r\033[K%s: %d rows read", file, rows)
		shown = true
	}
	done = func() {
		if shown {
			fmt.Fprintln(f)
			shown = false
		}
	}
	return show, done
}
