package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/crmsync"
)

// Salesforce's timestamp and date formats in API answers, and the datetime
// literal of SOQL.
const (
	timeLayout    = "2006-01-02T15:04:05.000-0700"
	dateLayout    = "2006-01-02"
	literalLayout = "2006-01-02T15:04:05Z"
	// idsPerQuery is how many IDs one IN (…) list holds, well inside
	// SOQL's 100,000-character limit.
	idsPerQuery = 200
	// maxPrealloc is the most deals Fetch makes room for up front, from
	// the query's totalSize; a larger org's list grows as it is read.
	maxPrealloc = 1 << 22
)

// pack makes the strings ps point to share one allocation. Deals keep
// their IDs and names: each in a small allocation of its own, made among
// the many the decoding throws away, they would keep half-empty spans of
// the heap in use.
func pack(ps []*string) {
	var b strings.Builder
	n := 0
	for _, p := range ps {
		n += len(*p)
	}
	b.Grow(n)
	for _, p := range ps {
		b.WriteString(*p)
	}
	all := b.String()
	for _, p := range ps {
		*p, all = all[:len(*p)], all[len(*p):]
	}
}

// interner holds one copy of each string it was given: the values a
// million deals repeat (owners, stages, accounts, products, currencies)
// are then held once each rather than once per deal.
type interner map[string]string

func (in interner) of(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	in[s] = s
	return s
}

// Name returns "salesforce".
func (c *Client) Name() string { return "salesforce" }

// opportunity is an Opportunity record as the sync queries it.
type opportunity struct {
	ID                  string   `json:"Id"`
	Name                string   `json:"Name"`
	OwnerID             string   `json:"OwnerId"`
	StageName           string   `json:"StageName"`
	IsClosed            bool     `json:"IsClosed"`
	IsWon               bool     `json:"IsWon"`
	IsDeleted           bool     `json:"IsDeleted"`
	Amount              *float64 `json:"Amount"`
	Probability         *float64 `json:"Probability"`
	ForecastCategory    string   `json:"ForecastCategoryName"`
	CreatedDate         string   `json:"CreatedDate"`
	CloseDate           string   `json:"CloseDate"`
	LastStageChangeDate string   `json:"LastStageChangeDate"`
	SystemModstamp      string   `json:"SystemModstamp"`
	CurrencyIsoCode     string   `json:"CurrencyIsoCode"`
	Account             *struct {
		Name string `json:"Name"`
	} `json:"Account"`
	// product is the value of Config.ProductField when it is a string.
	product string
}

// decodeOpportunity decodes the next opportunity record of dec into o, its
// product field (Config.ProductField) included, in one pass and without a
// map per record: the product field is a field of a struct type built for
// it.
func (c *Client) decodeOpportunity(dec *json.Decoder, o *opportunity) error {
	if c.withProduct == nil {
		return dec.Decode(o)
	}
	v := reflect.New(c.withProduct)
	if err := dec.Decode(v.Interface()); err != nil {
		return err
	}
	*o = v.Elem().Field(0).Interface().(opportunity)
	if p := v.Elem().Field(1).Bytes(); len(p) > 0 && p[0] == '"' {
		return json.Unmarshal(p, &o.product)
	}
	return nil
}

// opportunityWith returns the type of an opportunity record with the
// product field named field: an embedded opportunity and the field's raw
// value.
func opportunityWith(field string) reflect.Type {
	return reflect.StructOf([]reflect.StructField{
		{Name: "Opportunity", Type: reflect.TypeFor[opportunity](), Anonymous: true},
		{Name: "Product", Type: reflect.TypeFor[json.RawMessage](), Tag: reflect.StructTag(`json:"` + field + `"`)}, // API names are letters, digits and _
	})
}

type user struct {
	ID      string `json:"Id"`
	Name    string `json:"Name"`
	Email   string `json:"Email"`
	Manager *struct {
		Name string `json:"Name"`
	} `json:"Manager"`
	Department string `json:"Department"`
}

type historyRow struct {
	OpportunityID string   `json:"OpportunityId"`
	StageName     string   `json:"StageName"`
	CreatedDate   string   `json:"CreatedDate"`
	Amount        *float64 `json:"Amount"`
	Probability   *float64 `json:"Probability"`
	CloseDate     string   `json:"CloseDate"`
}

// Fetch reads the org's opportunities and their owners. With a zero since
// it reads everything (a full sync, Changes.Full); otherwise it reads,
// through queryAll, only the opportunities whose SystemModstamp is at or
// after since, reporting the deleted ones in Changes.Deleted, and the stage
// history of the changed ones. Users come with name, email, manager name and
// department (the team). The watermark is the server's time (its Date
// header) when the opportunity query ran, or the latest SystemModstamp read
// when the server sent no date; the caller subtracts its overlap from it
// for the next since, to catch changes committed late.
func (c *Client) Fetch(ctx context.Context, since time.Time) (crmsync.Changes, error) {
	start := c.Requests()
	ch := crmsync.Changes{Full: since.IsZero()}
	fields := "Id, Name, OwnerId, StageName, IsClosed, IsWon, IsDeleted, Amount, Probability, ForecastCategoryName, CreatedDate, CloseDate, LastStageChangeDate, SystemModstamp, Account.Name"
	if c.cfg.ProductField != "" {
		fields += ", " + c.cfg.ProductField
	}
	where := ""
	if !ch.Full {
		where = " WHERE SystemModstamp >= " + since.UTC().Format(literalLayout)
	}
	// CurrencyIsoCode exists only in orgs with multiple currencies; an org
	// without refuses it, and is not asked again.
	currency := !c.singleCurrency.Load()
	soql := func() string {
		if currency {
			return "SELECT " + fields + ", CurrencyIsoCode FROM Opportunity" + where
		}
		return "SELECT " + fields + " FROM Opportunity" + where
	}
	index := map[string]int{}
	owners := map[string]bool{}
	strs := interner{}
	var kept []*string
	var latest time.Time
	first := true
	read := func(total int, recs []opportunity) error {
		if first {
			// The server's clock when the query ran: whatever changes
			// later has a later SystemModstamp.
			ch.Watermark, first = c.servedAt(), false
			ch.Deals = make([]insights.Deal, 0, min(total, maxPrealloc))
		}
		kept = kept[:0]
		for i := range recs {
			kept = append(kept, &recs[i].ID, &recs[i].Name)
		}
		pack(kept)
		for i := range recs {
			o := &recs[i]
			if t, err := parseTime(o.SystemModstamp); err == nil && t.After(latest) {
				latest = t
			}
			if o.IsDeleted {
				ch.Deleted = append(ch.Deleted, o.ID)
				continue
			}
			d, err := c.deal(o, strs)
			if err != nil {
				return err
			}
			index[d.ID] = len(ch.Deals)
			ch.Deals = append(ch.Deals, d)
			owners[string(d.Owner)] = true
		}
		return nil
	}
	opportunities := func() error {
		return query(ctx, c, soql(), !ch.Full, c.decodeOpportunity, read)
	}
	err := opportunities()
	var apiErr *Error
	if currency && first && errors.As(err, &apiErr) && apiErr.Code == "INVALID_FIELD" && strings.Contains(apiErr.Message, "CurrencyIsoCode") {
		c.singleCurrency.Store(true)
		currency = false
		err = opportunities()
	}
	if err != nil {
		return ch, fmt.Errorf("read opportunities: %w", err)
	}
	if ch.Watermark.IsZero() {
		ch.Watermark = latest
	}
	if err := c.history(ctx, &ch, index, strs); err != nil {
		return ch, fmt.Errorf("read opportunity history: %w", err)
	}
	if ch.Reps, err = c.users(ctx, ch.Full, since, owners); err != nil {
		return ch, fmt.Errorf("read users: %w", err)
	}
	ch.Requests = c.Requests() - start
	if used, max := c.Usage(); max > 0 {
		ch.Usage = fmt.Sprintf("api-usage=%d/%d", used, max)
	}
	return ch, nil
}

// deal maps an opportunity: IsWon and IsClosed give the status, CloseDate
// (date only) the close day in the team's zone, LastStageChangeDate when it
// last moved; a blank Amount is unknown. The strings deals repeat are
// taken from strs.
func (c *Client) deal(o *opportunity, strs interner) (insights.Deal, error) {
	d := insights.Deal{ID: o.ID, Name: o.Name, Owner: insights.RepID(strs.of(o.OwnerID)), Stage: strs.of(o.StageName), Status: insights.StatusOpen}
	switch {
	case o.IsWon:
		d.Status = insights.StatusWon
	case o.IsClosed:
		d.Status = insights.StatusLost
	}
	if o.Amount != nil {
		d.Amount, d.AmountKnown = *o.Amount, true
	}
	if o.Probability != nil {
		d.Probability, d.HasProbability = *o.Probability/100, true
	}
	d.ForecastCategory = forecastCategory(o.ForecastCategory)
	var err error
	if d.Created, err = parseTime(o.CreatedDate); err != nil {
		return d, fmt.Errorf("salesforce: opportunity %s CreatedDate: %w", o.ID, err)
	}
	if o.CloseDate != "" {
		if d.Closed, err = time.ParseInLocation(dateLayout, o.CloseDate, c.cfg.Location); err != nil {
			return d, fmt.Errorf("salesforce: opportunity %s CloseDate: %w", o.ID, err)
		}
	}
	if d.Moved, err = parseTime(o.LastStageChangeDate); err != nil {
		return d, fmt.Errorf("salesforce: opportunity %s LastStageChangeDate: %w", o.ID, err)
	}
	if o.Account != nil {
		d.Account = strs.of(o.Account.Name)
	}
	if o.CurrencyIsoCode != "" {
		d.Currency = strs.of(strings.ToUpper(o.CurrencyIsoCode))
	}
	d.Product = strs.of(o.product)
	return d, nil
}

// history reads the OpportunityHistory rows of the deals read (all of them
// in a full sync) and sets each deal's History: the stages it entered,
// oldest first, each with the amount, probability and close date its row
// recorded; a row that changed something other than the stage collapses
// into the stage entry before it. Stage names are taken from strs.
func (c *Client) history(ctx context.Context, ch *crmsync.Changes, index map[string]int, strs interner) error {
	// An opportunity's rows mostly come one after another: they gather in
	// run, and each history is allocated once, at its size, rather than
	// grown row by row into twice that. Rows that come apart are appended.
	var run []insights.StageChange
	cur := -1
	flush := func() {
		if len(run) > 0 {
			h := ch.Deals[cur].History
			ch.Deals[cur].History = append(h[:len(h):len(h)], run...)
		}
		run = run[:0]
	}
	add := func(_ int, recs []historyRow) error {
		for k := range recs {
			h := &recs[k]
			i, ok := index[h.OpportunityID]
			if !ok {
				continue
			}
			at, err := parseTime(h.CreatedDate)
			if err != nil {
				return fmt.Errorf("salesforce: history of %s: %w", h.OpportunityID, err)
			}
			e := insights.StageChange{Stage: strs.of(h.StageName), At: at}
			if h.Amount != nil {
				e.Amount, e.AmountKnown = *h.Amount, true
			}
			if h.Probability != nil {
				e.Probability, e.HasProbability = *h.Probability/100, true
			}
			if h.CloseDate != "" {
				if e.CloseDate, err = time.ParseInLocation(dateLayout, h.CloseDate, c.cfg.Location); err != nil {
					return fmt.Errorf("salesforce: history of %s: CloseDate: %w", h.OpportunityID, err)
				}
			}
			if i != cur {
				flush()
				cur = i
			}
			run = append(run, e)
		}
		return nil
	}
	const fields = "SELECT OpportunityId, StageName, CreatedDate, Amount, Probability, CloseDate FROM OpportunityHistory"
	if ch.Full {
		if err := query(ctx, c, fields, false, decodeAs[historyRow], add); err != nil {
			return err
		}
	} else {
		ids := make([]string, 0, len(ch.Deals))
		for _, d := range ch.Deals {
			ids = append(ids, d.ID)
		}
		for lo := 0; lo < len(ids); lo += idsPerQuery {
			if err := query(ctx, c, fields+" WHERE OpportunityId IN "+inList(ids[lo:min(lo+idsPerQuery, len(ids))]), false, decodeAs[historyRow], add); err != nil {
				return err
			}
		}
	}
	flush()
	for i := range ch.Deals {
		h := stages(ch.Deals[i].History)
		if cap(h)-len(h) > len(h)/4 {
			// Rows collapsed or appended apart: give back the room left.
			h = slices.Clone(h)
		}
		ch.Deals[i].History = h
	}
	return nil
}

// stages sorts h by time and keeps the first row of each run of one stage,
// in h's array.
func stages(h []insights.StageChange) []insights.StageChange {
	if len(h) == 0 {
		return nil
	}
	slices.SortStableFunc(h, func(a, b insights.StageChange) int { return a.At.Compare(b.At) })
	out := h[:1]
	for _, s := range h[1:] {
		if s.Stage != out[len(out)-1].Stage {
			out = append(out, s)
		}
	}
	return out
}

// users reads the owners of the deals read: in a full sync every user; else
// the users changed since since and the owners of the changed deals.
func (c *Client) users(ctx context.Context, full bool, since time.Time, owners map[string]bool) ([]insights.Rep, error) {
	var reps []insights.Rep
	seen := map[string]bool{}
	add := func(_ int, recs []user) error {
		for _, u := range recs {
			if seen[u.ID] {
				continue
			}
			seen[u.ID] = true
			r := insights.Rep{ID: insights.RepID(u.ID), Name: u.Name, Email: u.Email, Team: u.Department}
			if u.Manager != nil {
				r.Manager = u.Manager.Name
			}
			reps = append(reps, r)
		}
		return nil
	}
	const fields = "SELECT Id, Name, Email, Manager.Name, Department FROM User"
	if full {
		return reps, query(ctx, c, fields, false, decodeAs[user], add)
	}
	if err := query(ctx, c, fields+" WHERE SystemModstamp >= "+since.UTC().Format(literalLayout), false, decodeAs[user], add); err != nil {
		return nil, err
	}
	var ids []string
	for id := range owners {
		if !seen[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for lo := 0; lo < len(ids); lo += idsPerQuery {
		if err := query(ctx, c, fields+" WHERE Id IN "+inList(ids[lo:min(lo+idsPerQuery, len(ids))]), false, decodeAs[user], add); err != nil {
			return nil, err
		}
	}
	return reps, nil
}

// forecastCategory folds ForecastCategoryName (Pipeline, Best Case,
// Commit, Omitted, Closed) to an insights.Forecast… constant, "" if unknown.
func forecastCategory(s string) string {
	switch strings.ToLower(strings.ReplaceAll(s, " ", "")) {
	case "commit":
		return insights.ForecastCommit
	case "bestcase":
		return insights.ForecastBestCase
	case "pipeline":
		return insights.ForecastPipeline
	case "omitted":
		return insights.ForecastOmitted
	case "closed":
		return insights.ForecastClosed
	}
	return ""
}

// inList writes ids as a SOQL IN list: ('a','b'). Salesforce IDs are
// alphanumeric; quotes and backslashes are dropped so nothing can escape
// the literal.
func inList(ids []string) string {
	clean := strings.NewReplacer(`\`, "", `'`, "")
	var b strings.Builder
	b.WriteByte('(')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("'" + clean.Replace(id) + "'")
	}
	b.WriteByte(')')
	return b.String()
}

// parseTime reads a Salesforce timestamp; empty is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Parse(time.RFC3339Nano, s)
	}
	return t, nil
}
