package importer

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/repcoach/repcoach/insights"
)

// importer holds the state of one Import: the dataset being built, indexes
// for de-duplication and the caches that keep memory flat on big files.
type importer struct {
	opts Options
	fmt  format // as Options ask; sniff fills in the rest per file
	cur  format // of the file being read
	loc  *time.Location
	res  Result
	ds   *insights.Dataset

	deals  map[string]int // deal ID -> index in ds.Deals
	acts   map[string]int
	reps   map[insights.RepID]int
	quotas map[quotaKey]int

	users    map[string]insights.Rep // Salesforce OwnerId -> rep
	accounts map[string]string       // Salesforce account ID -> name
	products map[string]string       // productKey -> canonical spelling
	canon    map[string]string       // product as written -> canonical spelling
	won      map[string]bool         // stageKey of won stages
	lost     map[string]bool

	strs  map[string]string // interned owners, stages, products, accounts
	dates map[string]time.Time
	size  int64 // size of the file being read, for pre-sizing
}

type quotaKey struct {
	rep        insights.RepID
	start, end int64
}

func newImporter(opts Options) (*importer, error) {
	if !validProfile(opts.Profile) {
		return nil, fmt.Errorf("unknown profile %q (want auto, %s)", opts.Profile, strings.Join(profiles, ", "))
	}
	for f := range opts.Mapping {
		if !isGenericField(f) {
			return nil, fmt.Errorf("unknown mapping field %q (want one of %s)", f, strings.Join(genericFields, ", "))
		}
	}
	fm, err := newFormat(opts)
	if err != nil {
		return nil, err
	}
	im := &importer{
		opts:     opts,
		fmt:      fm,
		loc:      opts.Location,
		deals:    map[string]int{},
		acts:     map[string]int{},
		reps:     map[insights.RepID]int{},
		quotas:   map[quotaKey]int{},
		users:    map[string]insights.Rep{},
		accounts: map[string]string{},
		products: map[string]string{},
		canon:    map[string]string{},
		won:      map[string]bool{"won": true, "closedwon": true},
		lost:     map[string]bool{"lost": true, "closedlost": true},
		strs:     map[string]string{},
		dates:    map[string]time.Time{},
	}
	if im.loc == nil {
		im.loc = time.UTC
	}
	im.ds = &im.res.Dataset
	for _, s := range opts.WonStages {
		im.won[stageKey(s)] = true
	}
	for _, s := range opts.LostStages {
		im.lost[stageKey(s)] = true
	}
	return im, nil
}

// maxInterned bounds the interning table; past it strings are copied.
const maxInterned = 1 << 17

// intern returns a copy of s that does not pin the CSV reader's line buffer,
// shared with earlier equal strings.
func (im *importer) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := im.strs[s]; ok {
		return v
	}
	v := strings.Clone(s)
	if len(im.strs) < maxInterned {
		im.strs[v] = v
	}
	return v
}

// stageKey folds a stage name for matching: lower case, no spaces, '-' or '_'.
func stageKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r != ' ' && r != '-' && r != '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stageStatus says whether a stage means won, lost or still open.
func (im *importer) stageStatus(stage string) insights.Status {
	k := stageKey(stage)
	switch {
	case im.won[k]:
		return insights.StatusWon
	case im.lost[k]:
		return insights.StatusLost
	}
	return insights.StatusOpen
}

// statusClosed is what parseStatus returns, with ok false, for a bare
// "closed": the stage must say whether it was won or lost.
const statusClosed insights.Status = "closed"

// parseStatus reads an explicit status column: open, won or lost, in the
// spellings CRMs use. Blank means unknown (ok false, err nil).
func parseStatus(s string) (st insights.Status, ok bool, err error) {
	switch stageKey(s) {
	case "":
		return "", false, nil
	case "closed":
		return statusClosed, false, nil
	case "open", "active", "inprogress", "pipeline":
		return insights.StatusOpen, true, nil
	case "won", "closedwon", "win", "w":
		return insights.StatusWon, true, nil
	case "lost", "closedlost", "lose", "l":
		return insights.StatusLost, true, nil
	}
	return "", false, fmt.Errorf("status %q is not open, won or lost", s)
}

// parseBool reads a CRM boolean: 1/true/yes or 0/false/no/blank.
func parseBool(s string) bool {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "y", "t":
		return true
	}
	return false
}

var errNegative = errors.New("is negative")

// maxAmount is the largest amount one deal may plausibly hold (a million
// million): anything larger is a unit or export mistake, and past 2^63 it
// would no longer print as a whole number.
const maxAmount = 1e12

// parseAmount reads a money amount: "1234", "1,234.50", "$1234", "€ 99",
// "1234 USD". Blank is unknown (known false). A decimal comma ("1.234,50"),
// a negative amount, NaN, infinities and amounts over maxAmount are errors.
func parseAmount(s string) (v float64, known bool, err error) {
	v, known, err = readAmount(s)
	if err == nil && v > maxAmount {
		return 0, false, fmt.Errorf("amount %q is too large to be a deal (over 1,000,000,000,000)", strings.TrimSpace(s))
	}
	return v, known, err
}

func readAmount(s string) (v float64, known bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, nil
	}
	if v, ok := plainNumber(s); ok {
		return v, true, nil
	}
	t := s
	neg := false
	if strings.HasPrefix(t, "-") {
		neg, t = true, t[1:]
	}
	for _, cur := range currencyMarks {
		t = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(t, cur), cur))
	}
	if strings.HasPrefix(t, "-") {
		neg, t = true, t[1:]
	}
	if c, d := strings.LastIndexByte(t, ','), strings.LastIndexByte(t, '.'); c >= 0 && (d >= 0 && c > d || d < 0 && len(t)-c-1 != 3) {
		return 0, false, fmt.Errorf("amount %q: use '.' for decimals", s)
	}
	t = strings.ReplaceAll(t, ",", "")
	v, ok := plainNumber(t)
	if !ok {
		return 0, false, fmt.Errorf("amount %q is not a number", s)
	}
	if neg && v != 0 {
		return 0, false, fmt.Errorf("amount %q %w", s, errNegative)
	}
	return v, true, nil
}

// plainNumber parses digits with at most one '.', and nothing else.
func plainNumber(s string) (float64, bool) {
	if s == "" || len(s) > 40 {
		return 0, false
	}
	dots := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			dots++
		case c < '0' || c > '9':
			return 0, false
		}
	}
	if dots > 1 || s == "." {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// Layouts tried for timestamps that carry a zone, then for ones that do not
// (read in the team's zone). Fractional seconds are accepted after seconds.
var (
	zonedLayouts = []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05 -0700"}
	localLayouts = []string{
		"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04",
		"1/2/2006 15:04:05", "1/2/2006 15:04", "1/2/2006 3:04 PM", "1/2/2006 3:04:05 PM",
	}
	dateLayouts = []string{"1/2/2006", "2006/1/2"}
)

// maxCachedDates bounds the date cache; CRM files repeat the same few
// hundred dates, so a small cache saves most of the parsing.
const maxCachedDates = 8192

// date parses a CRM date or timestamp; blank is the zero time. A date
// without a time is the start of that day in the team's zone; slash dates
// are month/day/year (01/22/2024). Years outside 1900-2999 are rejected.
func (im *importer) date(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, ok := im.dates[s]; ok {
		return t, nil
	}
	t, numeric, err := numericDateIn(s, im.cur.order, im.loc)
	if !numeric {
		t, err = parseTime(s, im.loc)
	}
	if err != nil {
		return time.Time{}, err
	}
	if len(im.dates) < maxCachedDates {
		im.dates[strings.Clone(s)] = t
	}
	return t, nil
}

func parseTime(s string, loc *time.Location) (time.Time, error) {
	t, ok := isoDate(s, loc)
	if !ok {
		// The zone comes from the text; UTC only names a zero offset.
		t, ok = tryLayouts(s, zonedLayouts, time.UTC)
	}
	if !ok {
		t, ok = tryLayouts(s, localLayouts, loc)
	}
	if !ok {
		t, ok = tryLayouts(s, dateLayouts, loc)
	}
	if !ok {
		return time.Time{}, fmt.Errorf("%q is not a date", s)
	}
	if y := t.Year(); y < 1900 || y > 2999 {
		return time.Time{}, fmt.Errorf("%q: year %d out of range", s, y)
	}
	return t, nil
}

func tryLayouts(s string, layouts []string, loc *time.Location) (time.Time, bool) {
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// isoDate is the fast path for YYYY-MM-DD.
func isoDate(s string, loc *time.Location) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
	if t.Day() != d { // 2017-02-30 normalises to March
		return time.Time{}, false
	}
	return t, true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseProbability reads a win probability: "40" or "40%" as a percentage
// when percent is true (Salesforce Probability), else "0.4" as a fraction,
// a value above 1 being read as a percentage (HubSpot exports either). Blank
// is unknown (known false); a value outside 0–100 % is an error.
func parseProbability(s string, percent bool) (p float64, known bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, nil
	}
	t := strings.TrimSpace(strings.TrimSuffix(s, "%"))
	v, ok := plainNumber(t)
	if !ok {
		return 0, false, fmt.Errorf("probability %q is not a number", s)
	}
	if percent || t != s || v > 1 {
		v /= 100
	}
	if v < 0 || v > 1 {
		return 0, false, fmt.Errorf("probability %q is not between 0 and 100 %%", s)
	}
	return v, true, nil
}

// forecastCategory folds a CRM forecast category ("Best Case", "BestCase",
// "commit", "Omitted") to an insights.Forecast… constant, "" if unknown.
func forecastCategory(s string) string {
	switch stageKey(s) {
	case "commit":
		return insights.ForecastCommit
	case "bestcase", "best":
		return insights.ForecastBestCase
	case "pipeline":
		return insights.ForecastPipeline
	case "omitted", "omit":
		return insights.ForecastOmitted
	case "closed", "closedwon":
		return insights.ForecastClosed
	}
	return ""
}
