// Package crmsync runs RepCoach's live CRM sync: it asks a Source (the
// Salesforce or HubSpot client) for what changed since the last sync, lays
// the changes over the stored dataset, stores it and has the reports
// recomputed and published, and remembers where it got to. A sync that
// fails anywhere publishes nothing: the stored dataset and reports stay as
// they were (each is replaced in one atomic step, the dataset first), and
// the watermark does not move, so the next sync reads the same changes
// again. It knows no HTTP and no Redis keys; the Store and Source
// interfaces are what it needs of them.
package crmsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/repcoach/repcoach/insights"
)

// DefaultOverlap is how far before the last watermark an incremental sync
// starts reading, to catch records committed late with an earlier
// modification time.
const DefaultOverlap = 5 * time.Minute

// Source is a CRM the sync reads. Fetch with a zero since reads everything
// (Changes.Full); otherwise the records changed at or after since.
type Source interface {
	Name() string
	Fetch(ctx context.Context, since time.Time) (Changes, error)
}

// Store keeps the dataset and each source's sync state. ScanDataset is
// Dataset without the deals, which it hands to deal one at a time instead
// (d is deal's only for the call), so that a full sync never holds the old
// deals next to the new ones.
type Store interface {
	Dataset(ctx context.Context) (insights.Dataset, error)
	ScanDataset(ctx context.Context, deal func(d *insights.Deal) error) (insights.Dataset, error)
	SaveDataset(ctx context.Context, ds insights.Dataset) error
	SyncState(ctx context.Context, source string) (State, error)
	SetSyncState(ctx context.Context, st State) error
}

// State is where a source's syncs got to, for the next sync and for
// /repcoach status.
type State struct {
	Source string `json:"source"`
	// Watermark is the time the last successful sync read changes up to;
	// zero before the first.
	Watermark time.Time `json:"watermark,omitzero"`
	// LastRun is when the last sync started; LastOK when the last successful
	// one did.
	LastRun time.Time `json:"last_run,omitzero"`
	LastOK  time.Time `json:"last_ok,omitzero"`
	// The last successful sync: full or incremental, the deals and reps it
	// read, the deals it found deleted, the deals that differed from the
	// stored ones, the reps and teams whose reports that touched, the API
	// requests it made, how long it took and the CRM's API allowance after.
	Full     bool          `json:"full"`
	Deals    int           `json:"deals"`
	Reps     int           `json:"reps"`
	Deleted  int           `json:"deleted"`
	Changed  int           `json:"changed"`
	Affected int           `json:"affected_reps"`
	Teams    int           `json:"affected_teams"`
	Requests int           `json:"requests"`
	Took     time.Duration `json:"took"`
	Usage    string        `json:"usage,omitempty"`
	// Total is the number of deals stored after the last successful sync.
	Total int `json:"total"`
	// Error is the last sync's error, "" when it succeeded.
	Error string `json:"error,omitempty"`
	// Unpublished is true when a sync stored changes whose reports were not
	// published; the next sync publishes them even if nothing changed.
	Unpublished bool `json:"unpublished,omitempty"`
}

// Syncer syncs one Source into a Store.
type Syncer struct {
	Source Source
	Store  Store
	// Publish recomputes and publishes the reports of ds; affected names the
	// reps whose deals changed (nil after a full sync: every rep).
	Publish func(ctx context.Context, ds insights.Dataset, affected []insights.RepID) error
	// Overlap is subtracted from the watermark (DefaultOverlap when 0).
	Overlap time.Duration
	// Currency, when set, is the currency figures are in: a deal read in
	// another currency (Salesforce CurrencyIsoCode, HubSpot
	// deal_currency_code) has its amounts, stage history included,
	// converted with Rates (one unit of a currency in Currency), as a CSV
	// import's are. A currency without a rate fails the sync, naming it.
	Currency string
	Rates    map[string]float64
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Sync reads the changes since the last sync (everything when full, or on
// the first sync, or when nothing is stored), applies them and publishes.
// It records the outcome in the source's State, which it returns; on error
// the State's Error says what failed and nothing half-done was published.
func (s *Syncer) Sync(ctx context.Context, full bool) (State, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	overlap := s.Overlap
	if overlap <= 0 {
		overlap = DefaultOverlap
	}
	name := s.Source.Name()
	st, err := s.Store.SyncState(ctx, name)
	if err != nil {
		return st, fmt.Errorf("sync %s: read state: %w", name, err)
	}
	st.Source = name
	start := now()
	st.LastRun = start
	next, err := s.sync(ctx, st, full, overlap)
	next.Took = now().Sub(start)
	if err != nil {
		st.Error = err.Error()
		st.Unpublished = st.Unpublished || next.Unpublished
		if serr := s.Store.SetSyncState(context.WithoutCancel(ctx), st); serr != nil {
			err = errors.Join(err, fmt.Errorf("record sync state: %w", serr))
		}
		return st, fmt.Errorf("sync %s: %w", name, err)
	}
	next.LastOK = start
	if err := s.Store.SetSyncState(ctx, next); err != nil {
		return next, fmt.Errorf("sync %s: record state: %w", name, err)
	}
	return next, nil
}

func (s *Syncer) sync(ctx context.Context, st State, full bool, overlap time.Duration) (State, error) {
	if st.Watermark.IsZero() {
		full = true
	}
	// A full sync reads the stored deals after the fetch, one at a time,
	// comparing them with the new ones (applyFull).
	var old insights.Dataset
	if !full {
		var err error
		old, err = s.Store.Dataset(ctx)
		switch {
		case errors.Is(err, insights.ErrNoData):
			full = true
		case err != nil:
			return st, fmt.Errorf("read stored data: %w", err)
		}
	}
	var since time.Time
	if !full {
		since = st.Watermark.Add(-overlap)
	}
	ch, err := s.Source.Fetch(ctx, since)
	if err != nil {
		return st, err
	}
	if s.Currency != "" {
		if err := convert(ch.Deals, s.Currency, s.Rates); err != nil {
			return st, err
		}
	}
	var ds insights.Dataset
	var diff Diff
	if full {
		if ds, diff, err = s.applyFull(ctx, ch); err != nil {
			return st, err
		}
	} else {
		ds, diff = Apply(old, ch)
	}
	next := st
	next.Error = ""
	next.Full = ch.Full
	next.Deals, next.Reps, next.Deleted = len(ch.Deals), len(ch.Reps), diff.Deleted
	next.Changed, next.Affected, next.Teams = diff.Changed, len(diff.Reps), len(diff.Teams)
	next.Requests, next.Usage = ch.Requests, ch.Usage
	next.Total = len(ds.Deals)
	if !ch.Watermark.IsZero() {
		next.Watermark = ch.Watermark
	}
	if diff.Changed == 0 && !diff.RepsChanged && !st.Unpublished {
		return next, nil
	}
	if err := s.Store.SaveDataset(ctx, ds); err != nil {
		return st, fmt.Errorf("store data: %w", err)
	}
	// Publish from the deals in the order the store returns them, so the
	// reports are those a recompute from the store would give.
	insights.SortDeals(ds.Deals)
	affected := diff.Reps
	if ch.Full || diff.RepsChanged || st.Unpublished {
		affected = nil
	}
	if err := s.Publish(ctx, ds, affected); err != nil {
		next.Unpublished = true
		return next, fmt.Errorf("publish reports: %w", err)
	}
	next.Unpublished = false
	return next, nil
}

// Diff says what applying changes did.
type Diff struct {
	// Changed counts deals added, changed or deleted; Deleted the deletions.
	Changed, Deleted int
	// Reps are the owners (before and after) of the changed deals, sorted;
	// Teams the team keys (insights.ManagerTeam, insights.OfficeTeam and
	// insights.TeamAll) whose reports they touch, sorted.
	Reps  []insights.RepID
	Teams []string
	// RepsChanged is true when a rep's name, email, manager or team changed
	// or a rep was added.
	RepsChanged bool
}

// Apply lays ch over old and returns the new dataset and what changed.
// Deals: with ch.Full the deals are ch.Deals; otherwise old's deals with
// ch.Deals replacing or adding by ID and ch.Deleted removed. Reps: ch.Reps
// are laid over old's (non-empty fields win); a CRM user not stored yet
// becomes a rep when they own a deal or share a manager with someone who
// does (a new rep with no deals yet), so admins and integration users stay
// out. Stored reps are never dropped. Activities, quotas and list prices
// are old's. Neither argument is modified.
func Apply(old insights.Dataset, ch Changes) (insights.Dataset, Diff) {
	return apply(old, ch, nil)
}

// applyFull is Apply of a full read over the stored dataset, whose deals it
// compares with the new ones as the Store hands them over, one at a time.
func (s *Syncer) applyFull(ctx context.Context, ch Changes) (insights.Dataset, Diff, error) {
	if !ch.Full {
		// Not what Source promises: lay the changes over the stored deals.
		old, err := s.Store.Dataset(ctx)
		if err != nil && !errors.Is(err, insights.ErrNoData) {
			return old, Diff{}, fmt.Errorf("read stored data: %w", err)
		}
		ds, diff := Apply(old, ch)
		return ds, diff, nil
	}
	full := newFullDiff(ch.Deals)
	old, err := s.Store.ScanDataset(ctx, full.old)
	if err != nil && !errors.Is(err, insights.ErrNoData) {
		return old, Diff{}, fmt.Errorf("read stored data: %w", err)
	}
	old.Deals = nil
	ds, diff := apply(old, ch, full)
	return ds, diff, nil
}

// apply is Apply; with ch.Full and a non-nil full, old's deals were given
// to full.old and old.Deals is not read.
func apply(old insights.Dataset, ch Changes, full *fullDiff) (insights.Dataset, Diff) {
	ds := old
	var diff Diff
	oldIdx := make(map[string]int, len(old.Deals))
	for i := range old.Deals {
		oldIdx[old.Deals[i].ID] = i
	}
	touched := map[insights.RepID]bool{}
	if ch.Full {
		if full == nil {
			full = newFullDiff(ch.Deals)
			for i := range old.Deals {
				full.old(&old.Deals[i])
			}
		}
		ds.Deals = ch.Deals
		diff.Changed, diff.Deleted = full.count(touched)
	} else {
		deals := slices.Clone(old.Deals)
		idx := make(map[string]int, len(oldIdx))
		for k, v := range oldIdx {
			idx[k] = v
		}
		for i := range ch.Deals {
			d := ch.Deals[i]
			if j, ok := idx[d.ID]; ok {
				if dealEqual(&deals[j], &d) {
					continue
				}
				touched[deals[j].Owner] = true
				deals[j] = d
			} else {
				idx[d.ID] = len(deals)
				deals = append(deals, d)
			}
			diff.Changed++
			touched[d.Owner] = true
		}
		gone := map[string]bool{}
		for _, id := range ch.Deleted {
			if j, ok := idx[id]; ok && !gone[id] {
				gone[id] = true
				diff.Changed++
				diff.Deleted++
				touched[deals[j].Owner] = true
			}
		}
		if len(gone) > 0 {
			deals = slices.DeleteFunc(deals, func(d insights.Deal) bool { return gone[d.ID] })
		}
		ds.Deals = deals
	}

	owners := make(map[insights.RepID]bool, len(old.Reps))
	for i := range ds.Deals {
		owners[ds.Deals[i].Owner] = true
	}
	repIdx := make(map[insights.RepID]int, len(old.Reps))
	reps := slices.Clone(old.Reps)
	for i, r := range reps {
		repIdx[r.ID] = i
	}
	// A user sits on a sales team when they own a deal or share a manager
	// with someone who does (a new rep with no deals yet).
	salesManagers := map[string]bool{}
	for _, list := range [][]insights.Rep{old.Reps, ch.Reps} {
		for _, r := range list {
			if owners[r.ID] && r.Manager != "" {
				salesManagers[r.Manager] = true
			}
		}
	}
	for _, r := range ch.Reps {
		if i, ok := repIdx[r.ID]; ok {
			m := mergeRep(reps[i], r)
			if m != reps[i] {
				diff.RepsChanged = true
				reps[i] = m
			}
			continue
		}
		if !owners[r.ID] && (r.Manager == "" || !salesManagers[r.Manager]) {
			continue
		}
		if r.Name == "" {
			r.Name = string(r.ID)
		}
		repIdx[r.ID] = len(reps)
		reps = append(reps, r)
		diff.RepsChanged = true
	}
	ds.Reps = reps

	byID := make(map[insights.RepID]insights.Rep, len(reps))
	for _, r := range reps {
		byID[r.ID] = r
	}
	teams := map[string]bool{}
	for id := range touched {
		diff.Reps = append(diff.Reps, id)
		r := byID[id]
		if r.Manager != "" {
			teams[insights.ManagerTeam(r.Manager)] = true
		}
		if r.Team != "" {
			teams[insights.OfficeTeam(r.Team)] = true
		}
	}
	if len(touched) > 0 {
		teams[insights.TeamAll] = true
	}
	for t := range teams {
		diff.Teams = append(diff.Teams, t)
	}
	slices.Sort(diff.Reps)
	slices.Sort(diff.Teams)
	return ds, diff
}

// fullDiff compares the deals of a full read with the stored ones, handed
// to old one at a time, keeping of the stored deals only which new deals
// they match and the owners of those that changed or are gone.
type fullDiff struct {
	deals []insights.Deal
	// idx holds the index of each ID's first new deal, next that of the
	// next new deal with the same ID (-1 for none).
	idx  map[string]int32
	next []int32
	// match says of each new deal whether a stored one had its ID and was
	// equal.
	match   []uint8
	deleted int
	touched map[insights.RepID]bool
}

// The values of fullDiff.match.
const (
	matchNone uint8 = iota
	matchChanged
	matchEqual
)

func newFullDiff(deals []insights.Deal) *fullDiff {
	return &fullDiff{deals: deals, match: make([]uint8, len(deals)), touched: map[insights.RepID]bool{}}
}

// index indexes the new deals by ID, on the first stored deal: with none
// stored, there is nothing to look up.
func (c *fullDiff) index() {
	c.idx, c.next = make(map[string]int32, len(c.deals)), make([]int32, len(c.deals))
	for i := len(c.deals) - 1; i >= 0; i-- {
		j, ok := c.idx[c.deals[i].ID]
		if !ok {
			j = -1
		}
		c.next[i] = j
		c.idx[c.deals[i].ID] = int32(i)
	}
}

// old compares the stored deal d with the new deals of its ID. It keeps
// nothing of d but, when d changed or is gone, its owner; it never fails.
func (c *fullDiff) old(d *insights.Deal) error {
	if c.idx == nil {
		c.index()
	}
	j, ok := c.idx[d.ID]
	if !ok {
		c.deleted++
		c.touched[d.Owner] = true
		return nil
	}
	for ; j >= 0; j = c.next[j] {
		if dealEqual(d, &c.deals[j]) {
			c.match[j] = matchEqual
		} else {
			c.match[j] = matchChanged
			c.touched[d.Owner] = true
		}
	}
	return nil
}

// count returns the deals added, changed or deleted and the deletions,
// once every stored deal was given to old, and adds the owners of the
// changed deals, before and after, to touched.
func (c *fullDiff) count(touched map[insights.RepID]bool) (changed, deleted int) {
	for id := range c.touched {
		touched[id] = true
	}
	for i := range c.deals {
		if c.match[i] != matchEqual {
			changed++
			touched[c.deals[i].Owner] = true
		}
	}
	return changed + c.deleted, c.deleted
}

// mergeRep lays r's non-empty fields over old.
func mergeRep(old, r insights.Rep) insights.Rep {
	for _, f := range []struct {
		dst *string
		v   string
	}{{&old.Name, r.Name}, {&old.Email, r.Email}, {&old.Manager, r.Manager}, {&old.Team, r.Team}} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	return old
}

// dealEqual reports whether a and b hold the same values.
func dealEqual(a, b *insights.Deal) bool {
	if a.ID != b.ID || a.Name != b.Name || a.Owner != b.Owner || a.Stage != b.Stage || a.Status != b.Status ||
		a.Amount != b.Amount || a.AmountKnown != b.AmountKnown || !a.Created.Equal(b.Created) || !a.Closed.Equal(b.Closed) ||
		!a.Moved.Equal(b.Moved) || a.Product != b.Product || a.Account != b.Account || a.Probability != b.Probability ||
		a.HasProbability != b.HasProbability || a.ForecastCategory != b.ForecastCategory || a.Currency != b.Currency ||
		len(a.History) != len(b.History) {
		return false
	}
	for i := range a.History {
		x, y := &a.History[i], &b.History[i]
		if x.Stage != y.Stage || !x.At.Equal(y.At) || x.Amount != y.Amount || x.AmountKnown != y.AmountKnown ||
			x.Probability != y.Probability || x.HasProbability != y.HasProbability || !x.CloseDate.Equal(y.CloseDate) {
			return false
		}
	}
	return true
}
