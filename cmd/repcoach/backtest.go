package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/importer"
)

// runBacktest is `repcoach backtest`: it imports CRM exports in memory and
// replays every week of every quarter with no look-ahead, printing each
// forecast model's error against what was finally won (insights.Backtest).
// It stores nothing and needs no Redis.
func runBacktest(cfg Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", cfg.ImportProfile, "export shape: auto, maven, salesforce, hubspot, generic")
	detail := fs.Bool("detail", false, "also print every team's and every rep's errors")
	models := fs.String("models", "", "comma-separated forecast models to compare (default all: "+modelNames()+")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: repcoach backtest [--profile P] [--models M,…] [--detail] PATH...")
		fmt.Fprintln(stderr, "Replays every week of every quarter in the data with no look-ahead and prints forecast errors (MAPE and bias) by weeks before the quarter's end.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagDone(err)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	var ms []insights.ForecastModel
	if *models != "" {
		for _, m := range strings.Split(*models, ",") {
			m := insights.ForecastModel(strings.TrimSpace(m))
			if !validModel(m) {
				return fmt.Errorf("--models: unknown model %q (want %s)", m, modelNames())
			}
			ms = append(ms, m)
		}
	}
	cal, err := cfg.calendar()
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := importer.Import(fs.Args(), importer.Options{Profile: *profile, Location: cal.Zone()})
	if err != nil {
		return err
	}
	if len(res.Dataset.Deals) == 0 {
		return errors.New("no deals in the files given")
	}
	// The data runs to the end of the day of its last event.
	until := cal.StartOfDay(res.Last).AddDate(0, 0, 1)
	if cfg.AsOf != "" {
		if until, err = insights.ParseAsOf(cfg.AsOf, cal.Zone()); err != nil {
			return err
		}
	}
	bt := insights.Backtest(res.Dataset, cal, until, insights.Options{StaleAfterDays: cfg.StaleAfterDays}, ms)
	printBacktest(stdout, bt, *detail)
	fmt.Fprintf(stdout, "\n%d deals, %d quarters, %d as-of times scored, in %s.\n", len(res.Dataset.Deals), len(bt.Quarters), bt.AsOfs, time.Since(start).Round(time.Millisecond))
	return nil
}

func modelNames() string {
	var names []string
	for _, m := range insights.ForecastModels() {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}

func validModel(m insights.ForecastModel) bool {
	for _, x := range insights.ForecastModels() {
		if x == m {
			return true
		}
	}
	return false
}

// printBacktest writes one table per model: for each number of weeks
// before the quarter's end, the company's MAPE and bias, the median team's
// and the median rep's MAPE.
func printBacktest(w io.Writer, bt insights.BacktestResult, detail bool) {
	var qs []string
	for _, q := range bt.Quarters {
		qs = append(qs, q.Label)
	}
	fmt.Fprintf(w, "Forecast backtest over %s: error of the quarter's forecast against what was won, by weeks left.\n", strings.Join(qs, ", "))
	fmt.Fprintln(w, "MAPE = mean |forecast − won| ÷ won; bias = mean (forecast − won) ÷ won (positive: too high).")
	for _, m := range bt.Models {
		fmt.Fprintf(w, "\nModel %q%s\n", m.Model, defaultMark(m.Model))
		tw := tabwriter.NewWriter(w, 4, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "weeks left\tquarters\tcompany MAPE\tcompany bias\tmedian team MAPE\tmedian rep MAPE\t")
		for k := len(m.Company.ByWeeksLeft) - 1; k >= 1; k-- {
			c := m.Company.ByWeeksLeft[k]
			if c.N == 0 {
				continue
			}
			team, _ := insights.MedianMAPE(m.Teams, k)
			rep, _ := insights.MedianMAPE(m.Reps, k)
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t\n", k, c.N, pct1(c.MAPE), signedPct1(c.Bias), pct1(team), pct1(rep))
		}
		tw.Flush()
		if detail {
			printScopes(w, "Teams", m.Teams)
			printScopes(w, "Reps", m.Reps)
		}
	}
}

func printScopes(w io.Writer, title string, scopes []insights.BacktestScope) {
	fmt.Fprintf(w, "\n%s (MAPE / bias at 13 … 1 weeks left)\n", title)
	tw := tabwriter.NewWriter(w, 4, 4, 2, ' ', 0)
	for _, s := range scopes {
		var cells []string
		for k := len(s.ByWeeksLeft) - 1; k >= 1; k-- {
			if e := s.ByWeeksLeft[k]; e.N > 0 {
				cells = append(cells, fmt.Sprintf("%d:%s/%s", k, pct1(e.MAPE), signedPct1(e.Bias)))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\n", s.Name, strings.Join(cells, "  "))
	}
	tw.Flush()
}

func defaultMark(m insights.ForecastModel) string {
	if m == insights.DefaultForecastModel {
		return " (the default)"
	}
	return ""
}

func pct1(f float64) string { return fmt.Sprintf("%.1f %%", f*100) }

func signedPct1(f float64) string { return fmt.Sprintf("%+.1f %%", f*100) }
