package importer

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/repcoach/repcoach/insights"
)

// quotaRows reads a quotas file: a rep column (rep, rep_id, owner, sales_agent
// or email), an amount column (amount, quota or target) and either a
// period column (2017, 2017-12, 2017-Q4, Q4 2017) or start and end columns
// (end is the last day, inclusive, for a date; exclusive for a timestamp).
// Periods are whole calendar periods in the team's zone. A rep value that
// matches no rep ID but exactly one rep's name or email (ignoring case)
// becomes that rep's ID, so a Salesforce team can write names.
func (im *importer) quotaRows(t *table, fs *FileSummary) error {
	var (
		cRep    = t.col("rep", "rep_id", "rep id", "owner", "sales_agent", "email")
		cAmount = t.col("amount", "quota", "target")
		cPeriod = t.col("period")
		cStart  = t.col("start", "start_date")
		cEnd    = t.col("end", "end_date")
	)
	if cPeriod < 0 && cEnd < 0 {
		return fmt.Errorf("%s: missing columns for quotas: end (with start) or period", t.path)
	}
	byName := map[string]insights.RepID{}
	known := slices.Concat(im.ds.Reps, slices.Collect(maps.Values(im.users)), slices.Collect(maps.Values(im.opts.Users)))
	for _, r := range known {
		for _, k := range []string{strings.ToLower(r.Name), strings.ToLower(r.Email)} {
			if k == "" {
				continue
			}
			if other, dup := byName[k]; dup && other != r.ID {
				byName[k] = "" // ambiguous
			} else {
				byName[k] = r.ID
			}
		}
	}
	return im.rows(t, fs, func(rec []string) error {
		rep := field(rec, cRep)
		if rep == "" {
			return fmt.Errorf("%s is blank", t.header[cRep])
		}
		q := insights.Quota{Rep: insights.RepID(im.intern(rep))}
		if _, isID := im.reps[q.Rep]; !isID {
			if id, ok := byName[strings.ToLower(rep)]; ok && id != "" {
				q.Rep = id
			}
		}
		var err error
		amount, known, err := im.amount(field(rec, cAmount))
		if err != nil {
			return err
		}
		if !known {
			return fmt.Errorf("%s is blank", t.header[cAmount])
		}
		q.Amount = amount
		if p := field(rec, cPeriod); p != "" {
			if q.Start, q.End, err = parsePeriod(p, im.loc); err != nil {
				return err
			}
		} else {
			if q.Start, err = im.date(field(rec, cStart)); err != nil {
				return fmt.Errorf("start %v", err)
			}
			end := field(rec, cEnd)
			if q.End, err = im.date(end); err != nil {
				return fmt.Errorf("end %v", err)
			}
			if q.Start.IsZero() || q.End.IsZero() {
				return errors.New("needs a period or both start and end")
			}
			if len(end) == len(time.DateOnly) || !strings.ContainsAny(end, ":") {
				q.End = q.End.AddDate(0, 0, 1) // a date-only end is the last day
			}
			if !q.End.After(q.Start) {
				return errors.New("end is before start")
			}
		}
		im.addQuota(q)
		return nil
	})
}

// parsePeriod reads a calendar period: "2017" (year), "2017-12" or
// "2017/12" (month), "2017-Q4", "2017Q4", "Q4 2017" or "Q4-2017" (quarter).
// It returns [start, end) in loc.
func parsePeriod(s string, loc *time.Location) (start, end time.Time, err error) {
	p := strings.ToUpper(strings.TrimSpace(s))
	bad := fmt.Errorf("period %q is not a year, month (2017-12) or quarter (2017-Q4)", s)
	year := func(y string) (int, bool) {
		n, err := strconv.Atoi(y)
		return n, err == nil && len(y) == 4 && n >= 1900 && n <= 2999
	}
	// Quarter, in either order.
	if i := strings.IndexByte(p, 'Q'); i >= 0 {
		var ys, qs string
		if i == 0 {
			if len(p) < 2 {
				return start, end, bad
			}
			qs, ys = p[1:2], strings.TrimLeft(p[2:], " -/")
		} else {
			ys, qs = strings.TrimRight(p[:i], " -/"), p[i+1:]
		}
		y, ok := year(ys)
		q, err := strconv.Atoi(qs)
		if !ok || err != nil || q < 1 || q > 4 {
			return start, end, bad
		}
		start = time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, loc)
		return start, start.AddDate(0, 3, 0), nil
	}
	if y, ok := year(p); ok {
		start = time.Date(y, 1, 1, 0, 0, 0, 0, loc)
		return start, start.AddDate(1, 0, 0), nil
	}
	if len(p) == 7 && (p[4] == '-' || p[4] == '/') {
		y, ok := year(p[:4])
		m, err := strconv.Atoi(p[5:])
		if ok && err == nil && m >= 1 && m <= 12 {
			start = time.Date(y, time.Month(m), 1, 0, 0, 0, 0, loc)
			return start, start.AddDate(0, 1, 0), nil
		}
	}
	return start, end, bad
}
