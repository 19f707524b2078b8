package sffake

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/repcoach/repcoach/insights"
)

// org is the fake's data, in Salesforce's objects.
type org struct {
	users     []userRec
	userIndex map[string]int
	userOf    map[insights.RepID]string // dataset rep -> user ID
	accounts  []accountRec
	accIndex  map[string]int
	opps      []oppRec
	oppIndex  map[string]int
	oppOf     map[string]string // dataset deal ID -> opportunity ID
	history   []historyRow
	seq       map[string]int
	product   string // lower-case custom product field
}

type userRec struct {
	id, name, email, manager, department string
	modstamp                             time.Time
}

type accountRec struct {
	id, name string
	modstamp time.Time
}

// oppRec is an opportunity: deal holds its fields, deal.Owner the owner's
// user ID.
type oppRec struct {
	id        string
	deal      insights.Deal
	accountID string
	moved     time.Time
	modstamp  time.Time
	deleted   bool
}

// historyRow is an OpportunityHistory row: the stage, amount, probability
// (0-1) and close date from at on.
type historyRow struct {
	id, opp, stage string
	at             time.Time
	amount         float64
	amountKnown    bool
	prob           float64
	hasProb        bool
	closed         time.Time
}

func (o *org) nextID(prefix string) string {
	o.seq[prefix]++
	return sfid(prefix, o.seq[prefix])
}

// buildOrg converts ds into an org. Every record's SystemModstamp is the
// latest event it records, no later than now.
func buildOrg(ds insights.Dataset, loc *time.Location, productField string, now time.Time) org {
	o := org{
		userIndex: map[string]int{}, userOf: map[insights.RepID]string{},
		accIndex: map[string]int{}, oppIndex: map[string]int{}, oppOf: map[string]string{}, seq: map[string]int{},
		product: strings.ToLower(productField),
	}
	byName := map[string]string{}
	addUser := func(id insights.RepID, r insights.Rep) string {
		if uid, ok := o.userOf[id]; ok {
			return uid
		}
		uid := o.nextID("005")
		name := cmp.Or(r.Name, string(id))
		email := r.Email
		if email == "" {
			email = emailOf(name)
		}
		o.userOf[id] = uid
		o.userIndex[uid] = len(o.users)
		o.users = append(o.users, userRec{id: uid, name: name, email: email, department: r.Team, modstamp: now.Add(-24 * time.Hour)})
		byName[name] = uid
		return uid
	}
	reps := slices.Clone(ds.Reps)
	slices.SortFunc(reps, func(a, b insights.Rep) int { return cmp.Compare(a.ID, b.ID) })
	for _, r := range reps {
		addUser(r.ID, r)
	}
	// Managers are users too; a manager without a Rep gets the team of
	// their first rep.
	for _, r := range reps {
		if r.Manager == "" {
			continue
		}
		mid, ok := byName[r.Manager]
		if !ok {
			mid = addUser(insights.RepID("manager:"+r.Manager), insights.Rep{Name: r.Manager, Team: r.Team})
		}
		o.users[o.userIndex[o.userOf[r.ID]]].manager = mid
	}
	deals := slices.Clone(ds.Deals)
	slices.SortFunc(deals, func(a, b insights.Deal) int { return cmp.Compare(a.ID, b.ID) })
	for _, d := range deals {
		owner := addUser(d.Owner, insights.Rep{})
		d.Owner = insights.RepID(owner)
		rec := oppRec{id: o.nextID("006"), moved: d.Moved}
		o.oppOf[d.ID] = rec.id
		d.ID = rec.id
		if d.Account != "" {
			var aid string
			if i, found := o.accIndex["name:"+d.Account]; found {
				aid = o.accounts[i].id
			} else {
				aid = o.nextID("001")
				o.accIndex["name:"+d.Account] = len(o.accounts)
				o.accIndex[aid] = len(o.accounts)
				o.accounts = append(o.accounts, accountRec{id: aid, name: d.Account, modstamp: now.Add(-24 * time.Hour)})
			}
			rec.accountID = aid
		}
		rec.modstamp = latest(d, now)
		for _, h := range d.History {
			o.history = append(o.history, historyRow{id: o.nextID("008"), opp: rec.id, stage: h.Stage, at: h.At,
				amount: h.Amount, amountKnown: h.AmountKnown, prob: h.Probability, hasProb: h.HasProbability, closed: h.CloseDate})
		}
		d.History = nil
		rec.deal = d
		o.oppIndex[rec.id] = len(o.opps)
		o.opps = append(o.opps, rec)
	}
	return o
}

// latest returns d's latest event no later than now: created, moved, closed
// (for closed deals) and stage changes.
func latest(d insights.Deal, now time.Time) time.Time {
	var t time.Time
	see := func(x time.Time) {
		if !x.After(now) && x.After(t) {
			t = x
		}
	}
	see(d.Created)
	see(d.Moved)
	if d.Status != insights.StatusOpen {
		see(d.Closed)
	}
	for _, h := range d.History {
		see(h.At)
	}
	if t.IsZero() {
		t = now.Add(-24 * time.Hour)
	}
	return t
}

// emailOf makes up a work email for a name: "Ana Diaz" -> ana.diaz@….
func emailOf(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), ".") {
				b.WriteByte('.')
			}
		}
	}
	return strings.Trim(b.String(), ".") + "@salesforce-fake.example"
}
