// Package importer reads CRM exports (CSV) into an insights.Dataset. It knows
// the export shapes teams really have: the Maven "CRM Sales Opportunities"
// folder, raw Salesforce object exports (Opportunity, Task, Event, Account,
// User), HubSpot deal exports, a generic deals file with a column mapping,
// and a quotas file. Files are streamed row by row; a bad row is reported
// with its file, line and reason and skipped, and the good rows are kept. The
// package uses only the standard library and never reads the clock.
package importer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/numfmt"
)

// MaxErrors is the most row errors a Result keeps; FileSummary.Rejected
// still counts every rejected row.
const MaxErrors = 1000

// progressEvery is how many rows pass between calls of Options.Progress.
const progressEvery = 10000

// Options says how to read the files given to Import. The zero value detects
// each file's profile from its header and reads dates in UTC.
type Options struct {
	// Profile is the export shape: "" or "auto" detects it from each file's
	// header; "generic", "maven", "salesforce", "hubspot" or "quotas" force
	// it. With a forced profile, a named file that does not fit is an error
	// and a file in a folder that does not fit is skipped.
	Profile string
	// Mapping maps a generic field to the column that holds it (fields: id,
	// name, owner, stage, status, amount, created, closed, moved, product,
	// account, manager, team, email). Unmapped fields are found by their own
	// name or a common alias (close_date, deal_owner, ...). It applies to
	// generic deal files only; a non-empty Mapping with Profile "" or "auto"
	// reads every deals file as generic.
	Mapping map[string]string
	// Location is the team's time zone: a date without a time (2017-03-01)
	// is the start of that day there, as is a timestamp without a zone.
	// Nil means UTC.
	Location *time.Location
	// ShiftTo, if not zero, moves every date in the data (deals, history,
	// activities and quotas) by the same whole number of days, so that the
	// latest event in the data (see Result.Last) falls on ShiftTo's day in
	// Location. Use it to make a historical export look current.
	ShiftTo time.Time
	// Users maps a Salesforce OwnerId to the rep it stands for. Entries here
	// win over a users file (User.csv) imported alongside. An OwnerId found
	// in neither becomes a rep whose ID and Name are the OwnerId.
	Users map[string]insights.Rep
	// Progress, if not nil, is called with a file's path and the rows read
	// so far every 10,000 rows and once when the file is done.
	Progress func(file string, rows int)
	// Encoding is the files' text encoding: utf-8, windows-1254, iso-8859-9
	// or windows-1252 (see ParseEncoding). "" detects it per file: UTF-8
	// when the file is valid UTF-8, else a guess recorded in
	// Result.Warnings.
	Encoding string
	// Delimiter separates fields: ',', ';', tab or '|'. 0 detects it per
	// file from the header line.
	Delimiter rune
	// Decimal is the decimal separator of amounts: "comma" (1.234,50) or
	// "point" (1,234.50). "" detects it per file from the numbers; Import
	// returns an error naming a column and a line when they fit both (only
	// 1.234-like values in a file not separated by commas) or disagree.
	Decimal string
	// DateFormat says how numeric dates such as 05/11/2026 are read:
	// "dd.mm.yyyy" (day first) or "mm/dd/yyyy" (month first); see
	// ParseDateFormat. "" detects it per file: a date with a day over 12
	// decides, and Import returns an error naming a column and a line when
	// every such date fits both orders. ISO dates (2026-11-05) need nothing.
	DateFormat string
	// WonStages and LostStages name extra stages that mean won or lost
	// (matched ignoring case, spaces, '-' and '_'), for CRMs whose closed
	// stages are not called "Won"/"Closed Won" and "Lost"/"Closed Lost".
	WonStages, LostStages []string
}

// FileSummary describes one file Import read.
type FileSummary struct {
	Path string
	// Profile is the export shape: "maven", "salesforce", "hubspot",
	// "generic" or "quotas"; "skipped" for a file in a folder that was not
	// recognised.
	Profile string
	// Kind is what the file held: "deals", "activities", "reps", "users",
	// "accounts", "products", "quotas" or "ignored".
	Kind string
	// Read counts data rows (not the header, not all-blank rows); Imported
	// and Rejected split them.
	Read, Imported, Rejected int
	// Note says why a file was skipped, where it was.
	Note string
	// Encoding, Delimiter, Decimal ("comma" or "point") and DateFormat
	// ("dd.mm.yyyy", "mm/dd/yyyy" or "" when the file has no numeric dates)
	// say how the file was read.
	Encoding   string
	Delimiter  rune
	Decimal    string
	DateFormat string
}

// RowError is a row that was skipped.
type RowError struct {
	File string
	// Line is the 1-based physical line in the file where the row starts;
	// the header is line 1. Quoted fields holding newlines are counted.
	Line   int
	Reason string
}

func (e RowError) String() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// Result is what Import read.
type Result struct {
	Dataset insights.Dataset
	Files   []FileSummary
	// Errors lists skipped rows in the order met, at most MaxErrors of them.
	Errors []RowError
	// Warnings are things a person should check, such as a guessed
	// encoding.
	Warnings []string
	// Reps counts Dataset.Reps; Managers counts their distinct managers.
	Reps, Managers int
	// First and Last are the earliest and latest events in the data: deal
	// created, moved and stage-change times, close dates of won and lost
	// deals, and activity times (expected close dates of open deals are
	// forecasts, not events, and are left out). Zero if there are none.
	First, Last time.Time
}

// Import reads the CRM exports at paths into one Dataset. A path is a CSV file
// or a folder, whose *.csv files are read (a Maven folder: sales_pipeline.csv,
// sales_teams.csv, products.csv, accounts.csv; a Salesforce folder:
// Opportunity.csv, Task.csv, Event.csv, Account.csv, User.csv). Reference files
// (teams, products, accounts, users) are read before deals, deals before
// activities, and quotas last, whatever order the paths come in. Within one
// Import a deal, activity, rep or quota seen twice is replaced by the later
// copy, as Merge does.
//
// Maven open deals keep Amount 0 with AmountKnown false; products.csv list
// prices go to Dataset.ListPrices under the products.csv spelling, and deal
// products are written in that spelling too ("GTXPro" becomes "GTX Pro").
// A Maven deal's History holds Engaging at engage_date and Won or Lost at
// close_date where those are known. A Salesforce task's WhatId becomes its
// DealID only when it names an opportunity (ID prefix 006).
//
// A bad row is recorded in Result.Errors and skipped. A file in a folder that
// is not a recognised export is listed as skipped. Import returns an error,
// and no Result, when a path cannot be read, a named file is not CSV or lacks
// the columns its profile needs (the error names them), a folder holds no
// recognised export, or Options are invalid.
func Import(paths []string, opts Options) (Result, error) {
	im, err := newImporter(opts)
	if err != nil {
		return Result{}, err
	}
	var files []*source
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return Result{}, err
		}
		if !fi.IsDir() {
			src, err := im.classify(p, false)
			if err != nil {
				return Result{}, err
			}
			files = append(files, src)
			continue
		}
		names, err := csvFiles(p)
		if err != nil {
			return Result{}, err
		}
		found := false
		for _, name := range names {
			src, err := im.classify(name, true)
			if err != nil {
				return Result{}, err
			}
			found = found || src.kind != nil && src.kind.read != nil
			files = append(files, src)
		}
		if !found {
			return Result{}, fmt.Errorf("%s: no recognised CRM export in folder", p)
		}
	}
	// A stable sort keeps the given order within a phase.
	slices.SortStableFunc(files, func(a, b *source) int { return phaseOf(a) - phaseOf(b) })
	for _, src := range files {
		if err := im.read(src); err != nil {
			return Result{}, err
		}
	}
	return im.finish(), nil
}

// csvFiles lists the *.csv files directly inside dir, sorted by name.
func csvFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() || !strings.EqualFold(filepath.Ext(e.Name()), ".csv") {
			continue
		}
		names = append(names, filepath.Join(dir, e.Name()))
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no .csv files in folder", dir)
	}
	return names, nil
}

func phaseOf(s *source) int {
	if s.kind == nil {
		return -1
	}
	return s.kind.phase
}

// Summary returns a few lines for a person: rows read, imported and
// rejected, the deal mix, reps and managers, the date range and the first
// errors.
func (r Result) Summary() string {
	var b strings.Builder
	var read, imported, rejected, used int
	for _, f := range r.Files {
		read += f.Read
		imported += f.Imported
		rejected += f.Rejected
		if f.Profile != "skipped" && f.Kind != "ignored" {
			used++
		}
	}
	fmt.Fprintf(&b, "Read %s rows from %d files: %s imported, %s rejected.\n",
		numfmt.Int(read), used, numfmt.Int(imported), numfmt.Int(rejected))
	for _, f := range r.Files {
		switch {
		case f.Profile == "skipped":
			fmt.Fprintf(&b, "  %s: skipped (%s)\n", f.Path, f.Note)
			continue
		case f.Kind == "ignored":
			fmt.Fprintf(&b, "  %s: %s, not needed\n", f.Path, f.Profile)
			continue
		}
		fmt.Fprintf(&b, "  %s: %s %s, %s read, %s imported, %s rejected%s\n",
			f.Path, f.Profile, f.Kind, numfmt.Int(f.Read), numfmt.Int(f.Imported), numfmt.Int(f.Rejected), f.readAs())
	}
	var won, lost, open int
	for _, d := range r.Dataset.Deals {
		switch d.Status {
		case insights.StatusWon:
			won++
		case insights.StatusLost:
			lost++
		default:
			open++
		}
	}
	fmt.Fprintf(&b, "Deals: %s (%s won, %s lost, %s open); activities: %s; quotas: %s.\n",
		numfmt.Int(len(r.Dataset.Deals)), numfmt.Int(won), numfmt.Int(lost), numfmt.Int(open),
		numfmt.Int(len(r.Dataset.Activities)), numfmt.Int(len(r.Dataset.Quotas)))
	fmt.Fprintf(&b, "Reps: %s under %s managers.\n", numfmt.Int(r.Reps), numfmt.Int(r.Managers))
	if !r.First.IsZero() {
		fmt.Fprintf(&b, "Dates: %s to %s.\n", r.First.Format(time.DateOnly), r.Last.Format(time.DateOnly))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "Warning: %s\n", w)
	}
	if len(r.Errors) > 0 {
		const show = 5
		if rejected > show {
			fmt.Fprintf(&b, "First %d of %s errors:\n", show, numfmt.Int(rejected))
		} else {
			b.WriteString("Errors:\n")
		}
		for _, e := range r.Errors[:min(show, len(r.Errors))] {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	return b.String()
}

// errNotCSV is wrapped by the error for a file that is not CSV text.
var errNotCSV = errors.New("not a CSV file")

// readAs describes a file's format where it differs from a US export:
// " (windows-1254, ';', decimal comma, dd.mm.yyyy)".
func (f FileSummary) readAs() string {
	var parts []string
	if f.Encoding != "" && f.Encoding != "utf-8" {
		parts = append(parts, f.Encoding)
	}
	if f.Delimiter != 0 && f.Delimiter != ',' {
		parts = append(parts, strconv.QuoteRune(f.Delimiter))
	}
	if f.Decimal == "comma" {
		parts = append(parts, "decimal comma")
	}
	if f.DateFormat != "" {
		parts = append(parts, f.DateFormat)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
