package sample

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/repcoach/repcoach/insights"
)

// DealColumns is the header WriteCSV writes: the importer's generic deals
// shape, which it recognises without a mapping.
var DealColumns = []string{"id", "name", "owner", "stage", "status", "amount", "created", "closed", "moved", "product", "account"}

// WriteCSV writes ds's deals to w as CSV with DealColumns as header. Dates
// at the start of a day in their location are written as 2006-01-02, other
// times as RFC 3339; an unknown amount is blank. History, reps, activities
// and quotas are not written.
func WriteCSV(w io.Writer, ds insights.Dataset) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(DealColumns); err != nil {
		return err
	}
	rec := make([]string, len(DealColumns))
	for _, d := range ds.Deals {
		amount := ""
		if d.AmountKnown {
			amount = strconv.FormatFloat(d.Amount, 'f', -1, 64)
		}
		rec[0], rec[1], rec[2], rec[3], rec[4], rec[5] = d.ID, d.Name, string(d.Owner), d.Stage, string(d.Status), amount
		rec[6], rec[7], rec[8], rec[9], rec[10] = formatTime(d.Created), formatTime(d.Closed), formatTime(d.Moved), d.Product, d.Account
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteRepsCSV writes ds's reps to w as CSV: id, name, email, manager, team.
func WriteRepsCSV(w io.Writer, ds insights.Dataset) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"id", "name", "email", "manager", "team"}); err != nil {
		return err
	}
	for _, r := range ds.Reps {
		if err := cw.Write([]string{string(r.ID), r.Name, r.Email, r.Manager, r.Team}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteQuotasCSV writes ds's quotas to w as CSV: rep, start, end, amount,
// where end is the last day of the quota (inclusive), as the importer's
// quotas profile reads it.
func WriteQuotasCSV(w io.Writer, ds insights.Dataset) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"rep", "start", "end", "amount"}); err != nil {
		return err
	}
	for _, q := range ds.Quotas {
		end := q.End
		if isMidnight(end) {
			end = end.AddDate(0, 0, -1)
		}
		if err := cw.Write([]string{string(q.Rep), formatTime(q.Start), formatTime(end),
			strconv.FormatFloat(q.Amount, 'f', -1, 64)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func isMidnight(t time.Time) bool {
	h, m, s := t.Clock()
	return h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0
}

func formatTime(t time.Time) string {
	switch {
	case t.IsZero():
		return ""
	case isMidnight(t):
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}
