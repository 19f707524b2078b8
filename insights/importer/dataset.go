package importer

import (
	"slices"
	"time"

	"github.com/repcoach/repcoach/insights"
)

// addDeal adds d, replacing an earlier deal with the same ID.
func (im *importer) addDeal(d insights.Deal) {
	if i, ok := im.deals[d.ID]; ok {
		im.ds.Deals[i] = d
		return
	}
	im.deals[d.ID] = len(im.ds.Deals)
	im.ds.Deals = append(im.ds.Deals, d)
}

// presize grows the deals slice and index once a deals file has shown how
// long its rows are, so a big file does not pay for repeated doubling.
func (im *importer) presize(rows int, offset int64) {
	if rows != 1000 || offset <= 0 || im.size <= 0 {
		return
	}
	est := int(float64(im.size)/float64(offset)*float64(rows)*1.02) + rows
	if est <= cap(im.ds.Deals) || est > 50_000_000 {
		return
	}
	im.ds.Deals = slices.Grow(im.ds.Deals, est-len(im.ds.Deals))
	idx := make(map[string]int, est)
	for k, v := range im.deals {
		idx[k] = v
	}
	im.deals = idx
}

// addActivity adds a, replacing an earlier activity with the same ID.
func (im *importer) addActivity(a insights.Activity) {
	if i, ok := im.acts[a.ID]; ok {
		im.ds.Activities[i] = a
		return
	}
	im.acts[a.ID] = len(im.ds.Activities)
	im.ds.Activities = append(im.ds.Activities, a)
}

// addRep adds r, named by its ID if it has no name; for a rep already
// known, r's non-empty fields replace the old ones.
func (im *importer) addRep(r insights.Rep) {
	if i, ok := im.reps[r.ID]; ok {
		im.ds.Reps[i] = mergeRep(im.ds.Reps[i], r)
		return
	}
	if r.Name == "" {
		r.Name = string(r.ID)
	}
	im.reps[r.ID] = len(im.ds.Reps)
	im.ds.Reps = append(im.ds.Reps, r)
}

func mergeRep(old, r insights.Rep) insights.Rep {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&old.Name, r.Name)
	set(&old.Email, r.Email)
	set(&old.Manager, r.Manager)
	set(&old.Team, r.Team)
	return old
}

// addQuota adds q, replacing an earlier quota of the same rep and period.
func (im *importer) addQuota(q insights.Quota) {
	k := quotaKey{q.Rep, q.Start.UnixNano(), q.End.UnixNano()}
	if i, ok := im.quotas[k]; ok {
		im.ds.Quotas[i] = q
		return
	}
	im.quotas[k] = len(im.ds.Quotas)
	im.ds.Quotas = append(im.ds.Quotas, q)
}

// finish adds a rep for every owner without one, applies ShiftTo and fills
// in the counts.
func (im *importer) finish() Result {
	owner := func(id insights.RepID) {
		if _, ok := im.reps[id]; ok || id == "" {
			return
		}
		r, ok := im.opts.Users[string(id)]
		if !ok {
			r, ok = im.users[string(id)]
		}
		if !ok {
			r = insights.Rep{Name: string(id)}
		}
		r.ID = id
		if r.Name == "" {
			r.Name = string(id)
		}
		im.addRep(r)
	}
	for i := range im.ds.Deals {
		owner(im.ds.Deals[i].Owner)
	}
	for i := range im.ds.Activities {
		owner(im.ds.Activities[i].Owner)
	}
	if !im.opts.ShiftTo.IsZero() {
		if _, last := eventRange(im.ds); !last.IsZero() {
			shiftDataset(im.ds, daysBetween(last, im.opts.ShiftTo, im.loc), im.loc)
		}
	}
	res := im.res
	res.Reps = len(res.Dataset.Reps)
	managers := map[string]bool{}
	for _, r := range res.Dataset.Reps {
		if r.Manager != "" {
			managers[r.Manager] = true
		}
	}
	res.Managers = len(managers)
	res.First, res.Last = eventRange(&res.Dataset)
	return res
}

// eventRange returns the earliest and latest events: deal created, moved and
// history times, close dates of closed deals, activity times.
func eventRange(ds *insights.Dataset) (first, last time.Time) {
	see := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if last.IsZero() || t.After(last) {
			last = t
		}
	}
	for i := range ds.Deals {
		d := &ds.Deals[i]
		see(d.Created)
		see(d.Moved)
		if d.Status != insights.StatusOpen {
			see(d.Closed)
		}
		for _, h := range d.History {
			see(h.At)
		}
	}
	for _, a := range ds.Activities {
		see(a.At)
	}
	return first, last
}

// daysBetween returns the whole days from from's day to to's day, both taken
// in loc.
func daysBetween(from, to time.Time, loc *time.Location) int {
	fy, fm, fd := from.In(loc).Date()
	ty, tm, td := to.In(loc).Date()
	a := time.Date(fy, fm, fd, 12, 0, 0, 0, time.UTC)
	b := time.Date(ty, tm, td, 12, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Round(24*time.Hour) / (24 * time.Hour))
}

// shiftDataset moves every date in ds by days calendar days in loc, keeping
// each time's clock reading there (a date-only midnight stays midnight
// across a DST change).
func shiftDataset(ds *insights.Dataset, days int, loc *time.Location) {
	if days == 0 {
		return
	}
	shift := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.In(loc).AddDate(0, 0, days).In(t.Location())
		}
	}
	for i := range ds.Deals {
		d := &ds.Deals[i]
		shift(&d.Created)
		shift(&d.Closed)
		shift(&d.Moved)
		for j := range d.History {
			shift(&d.History[j].At)
		}
	}
	for i := range ds.Activities {
		shift(&ds.Activities[i].At)
	}
	for i := range ds.Quotas {
		shift(&ds.Quotas[i].Start)
		shift(&ds.Quotas[i].End)
	}
}
