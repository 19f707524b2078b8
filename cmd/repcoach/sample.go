package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/sample"
)

// runSample is `repcoach sample`: it writes a generated team's CRM export
// (deals.csv, reps.csv, quotas.csv) to a folder, for trying imports and for
// load tests at any size.
func runSample(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	fs.SetOutput(stderr)
	reps := fs.Int("reps", 21, "number of reps")
	managers := fs.Int("managers", 3, "number of managers")
	deals := fs.Int("deals", 3000, "number of deals")
	seed := fs.Uint64("seed", 1, "random seed (the same seed writes the same data)")
	end := fs.String("end", time.Now().UTC().Format("2006-01-02"), "last day of the year of data (YYYY-MM-DD)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: repcoach sample [--reps N] [--managers N] [--deals N] [--seed N] [--end DATE] DIR")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagDone(err) // the FlagSet has printed the usage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	if *reps < 1 || *managers < 1 || *deals < 1 || *managers > *reps {
		return fmt.Errorf("sample: want reps ≥ managers ≥ 1 and deals ≥ 1")
	}
	endDay, err := time.Parse("2006-01-02", *end)
	if err != nil {
		return fmt.Errorf("--end %q: want a date like 2026-11-26", *end)
	}
	ds := sample.Generate(sample.Config{
		Seed: *seed, Managers: *managers, RepsPerManager: (*reps + *managers - 1) / *managers,
		Deals: *deals, End: endDay.Add(24*time.Hour - time.Second), ActivitiesPerDeal: -1,
	})
	dir := fs.Arg(0)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, write := range map[string]func(io.Writer, insights.Dataset) error{
		"deals.csv": sample.WriteCSV, "reps.csv": sample.WriteRepsCSV, "quotas.csv": sample.WriteQuotasCSV,
	} {
		if err := writeFile(filepath.Join(dir, name), ds, write); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "Wrote %d deals for %d reps under %d managers to %s (deals.csv, reps.csv, quotas.csv).\n", len(ds.Deals), len(ds.Reps), *managers, dir)
	return nil
}

func writeFile(path string, ds insights.Dataset, write func(io.Writer, insights.Dataset) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := write(w, ds); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
