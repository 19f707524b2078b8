package hubspot

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/crmsync"
)

const (
	// searchCap is how many results one search can page through.
	searchCap = 10_000
	// searchPage, listPage and batchHistory are the largest pages HubSpot
	// allows: 200 search results, 50 listed deals or 50 batch-read deals
	// with property history, 100 companies or owners.
	searchPage   = 200
	listPage     = 50
	batchHistory = 50
	batchPlain   = 100
)

// dealProperties are the deal properties the sync reads.
func (c *Client) dealProperties() []string {
	p := []string{"dealname", "amount", "dealstage", "pipeline", "closedate", "createdate", "hs_lastmodifieddate",
		"hubspot_owner_id", "hs_deal_stage_probability", "hs_manual_forecast_category", "deal_currency_code"}
	if c.cfg.ProductProperty != "" {
		p = append(p, c.cfg.ProductProperty)
	}
	return p
}

// object is a CRM object as the v3 API returns it.
type object struct {
	ID                    string                      `json:"id"`
	Properties            map[string]*string          `json:"properties"`
	PropertiesWithHistory map[string][]historyEntry   `json:"propertiesWithHistory"`
	Associations          map[string]associationsPage `json:"associations"`
	Archived              bool                        `json:"archived"`
	ArchivedAt            string                      `json:"archivedAt"`
}

type historyEntry struct {
	Value     string `json:"value"`
	Timestamp string `json:"timestamp"`
}

type associationsPage struct {
	Results []struct {
		ID string `json:"id"`
	} `json:"results"`
}

type paging struct {
	Next *struct {
		After string `json:"after"`
	} `json:"next"`
}

type stage struct {
	label    string
	closed   bool
	won      bool
	pipeline string
}

type owner struct {
	id, name, email, team string
}

// Fetch reads the account's deals and owners: every deal with a zero
// since (Changes.Full), else the deals whose hs_lastmodifieddate is at or
// after since and the deals archived since then (Changes.Deleted). Each
// deal comes with its dealstage history and its first company's name.
// The watermark is the server's time when the first deal page was read.
func (c *Client) Fetch(ctx context.Context, since time.Time) (crmsync.Changes, error) {
	startReq, _ := c.Requests()
	ch := crmsync.Changes{Full: since.IsZero()}
	stages, err := c.stages(ctx)
	if err != nil {
		return ch, fmt.Errorf("read pipelines: %w", err)
	}
	owners, err := c.owners(ctx)
	if err != nil {
		return ch, fmt.Errorf("read owners: %w", err)
	}
	var objs []object
	if ch.Full {
		objs, err = c.listDeals(ctx, &ch.Watermark)
	} else {
		objs, err = c.changedDeals(ctx, since, &ch.Watermark)
	}
	if err != nil {
		return ch, fmt.Errorf("read deals: %w", err)
	}
	if !ch.Full {
		if ch.Deleted, err = c.archivedSince(ctx, since); err != nil {
			return ch, fmt.Errorf("read archived deals: %w", err)
		}
	}
	companies, err := c.companyNames(ctx, objs)
	if err != nil {
		return ch, fmt.Errorf("read companies: %w", err)
	}
	used := map[string]bool{}
	for i := range objs {
		d, ownerID, err := c.deal(&objs[i], stages, owners, companies)
		if err != nil {
			return ch, err
		}
		used[ownerID] = true
		ch.Deals = append(ch.Deals, d)
	}
	for _, id := range sortedKeys(owners) {
		o := owners[id]
		if ch.Full || used[id] {
			ch.Reps = append(ch.Reps, insights.Rep{ID: repID(o), Name: o.name, Email: o.email, Team: o.team})
		}
	}
	endReq, _ := c.Requests()
	ch.Requests = endReq - startReq
	c.mu.Lock()
	if c.daily != "" {
		ch.Usage = "daily-remaining=" + c.daily
	}
	c.mu.Unlock()
	return ch, nil
}

// repID is the rep a HubSpot owner stands for: their full name, as the
// HubSpot CSV importer has it, else their email, else their owner ID.
func repID(o owner) insights.RepID {
	return insights.RepID(cmp.Or(o.name, o.email, "hubspot-owner-"+o.id))
}

// deal maps one deal object.
func (c *Client) deal(o *object, stages map[string]stage, owners map[string]owner, companies map[string]string) (insights.Deal, string, error) {
	prop := func(k string) string {
		if v := o.Properties[k]; v != nil {
			return *v
		}
		return ""
	}
	d := insights.Deal{ID: o.ID, Name: prop("dealname"), Status: insights.StatusOpen}
	ownerID := prop("hubspot_owner_id")
	if ow, ok := owners[ownerID]; ok {
		d.Owner = repID(ow)
	} else if ownerID != "" {
		d.Owner = insights.RepID("hubspot-owner-" + ownerID)
	}
	st, ok := stages[prop("dealstage")]
	if !ok {
		st = stage{label: prop("dealstage")}
	}
	d.Stage = st.label
	switch {
	case st.won:
		d.Status = insights.StatusWon
	case st.closed:
		d.Status = insights.StatusLost
	}
	var err error
	if a := prop("amount"); a != "" {
		if d.Amount, err = strconv.ParseFloat(a, 64); err != nil {
			return d, "", fmt.Errorf("hubspot: deal %s amount %q: %w", o.ID, a, err)
		}
		d.AmountKnown = true
	}
	if p := prop("hs_deal_stage_probability"); p != "" {
		if d.Probability, err = strconv.ParseFloat(p, 64); err != nil {
			return d, "", fmt.Errorf("hubspot: deal %s probability %q: %w", o.ID, p, err)
		}
		d.HasProbability = true
	}
	d.ForecastCategory = forecastCategory(prop("hs_manual_forecast_category"))
	d.Currency = prop("deal_currency_code")
	if d.Created, err = parseTime(prop("createdate")); err != nil {
		return d, "", fmt.Errorf("hubspot: deal %s createdate: %w", o.ID, err)
	}
	if d.Closed, err = parseTime(prop("closedate")); err != nil {
		return d, "", fmt.Errorf("hubspot: deal %s closedate: %w", o.ID, err)
	}
	if c.cfg.ProductProperty != "" {
		d.Product = prop(c.cfg.ProductProperty)
	}
	if a, ok := o.Associations["companies"]; ok && len(a.Results) > 0 {
		d.Account = companies[a.Results[0].ID]
	}
	hist := o.PropertiesWithHistory["dealstage"]
	for i := len(hist) - 1; i >= 0; i-- { // HubSpot lists the newest first
		at, err := parseTime(hist[i].Timestamp)
		if err != nil {
			return d, "", fmt.Errorf("hubspot: deal %s stage history: %w", o.ID, err)
		}
		label := hist[i].Value
		if s, ok := stages[label]; ok {
			label = s.label
		}
		if n := len(d.History); n > 0 && d.History[n-1].Stage == label {
			continue
		}
		d.History = append(d.History, insights.StageChange{Stage: label, At: at})
	}
	if n := len(d.History); n > 0 {
		d.Moved = d.History[n-1].At
	}
	return d, ownerID, nil
}

// stages reads every deal pipeline's stages by ID: label, and whether the
// stage is closed and won (probability 1) or lost.
func (c *Client) stages(ctx context.Context) (map[string]stage, error) {
	var resp struct {
		Results []struct {
			ID     string `json:"id"`
			Label  string `json:"label"`
			Stages []struct {
				ID       string            `json:"id"`
				Label    string            `json:"label"`
				Metadata map[string]string `json:"metadata"`
			} `json:"stages"`
		} `json:"results"`
	}
	if err := c.do(ctx, "GET", "/crm/v3/pipelines/deals", nil, &resp); err != nil {
		return nil, err
	}
	out := map[string]stage{}
	for _, p := range resp.Results {
		for _, s := range p.Stages {
			closed := s.Metadata["isClosed"] == "true"
			prob, _ := strconv.ParseFloat(s.Metadata["probability"], 64)
			out[s.ID] = stage{label: s.Label, closed: closed, won: closed && prob >= 1, pipeline: p.Label}
		}
	}
	return out, nil
}

// owners reads every owner by ID.
func (c *Client) owners(ctx context.Context) (map[string]owner, error) {
	out := map[string]owner{}
	after := ""
	for {
		var resp struct {
			Results []struct {
				ID        string `json:"id"`
				Email     string `json:"email"`
				FirstName string `json:"firstName"`
				LastName  string `json:"lastName"`
				Teams     []struct {
					Name    string `json:"name"`
					Primary bool   `json:"primary"`
				} `json:"teams"`
			} `json:"results"`
			Paging paging `json:"paging"`
		}
		q := url.Values{"limit": {strconv.Itoa(batchPlain)}}
		if after != "" {
			q.Set("after", after)
		}
		if err := c.do(ctx, "GET", "/crm/v3/owners?"+q.Encode(), nil, &resp); err != nil {
			return nil, err
		}
		for _, o := range resp.Results {
			ow := owner{id: o.ID, name: strings.TrimSpace(o.FirstName + " " + o.LastName), email: o.Email}
			for _, t := range o.Teams {
				if t.Primary || ow.team == "" {
					ow.team = t.Name
				}
			}
			out[o.ID] = ow
		}
		if resp.Paging.Next == nil || resp.Paging.Next.After == "" {
			return out, nil
		}
		after = resp.Paging.Next.After
	}
}

// listDeals lists every deal with its stage history and companies.
func (c *Client) listDeals(ctx context.Context, watermark *time.Time) ([]object, error) {
	var out []object
	after := ""
	for {
		q := url.Values{
			"limit":                 {strconv.Itoa(listPage)},
			"properties":            {strings.Join(c.dealProperties(), ",")},
			"propertiesWithHistory": {"dealstage"},
			"associations":          {"companies"},
		}
		if after != "" {
			q.Set("after", after)
		}
		var resp struct {
			Results []object `json:"results"`
			Paging  paging   `json:"paging"`
		}
		if err := c.do(ctx, "GET", "/crm/v3/objects/deals?"+q.Encode(), nil, &resp); err != nil {
			return nil, err
		}
		if watermark.IsZero() {
			*watermark = c.servedAt()
		}
		out = append(out, resp.Results...)
		if resp.Paging.Next == nil || resp.Paging.Next.After == "" {
			return out, nil
		}
		after = resp.Paging.Next.After
	}
}

// changedDeals searches the deals modified at or after since, oldest
// change first, in windows: before a window's paging reaches the search
// cap, the next window starts at the last modification time seen (deals
// seen already are skipped). It then reads the deals found, with stage
// history, in batches, and their companies.
func (c *Client) changedDeals(ctx context.Context, since time.Time, watermark *time.Time) ([]object, error) {
	seen := map[string]bool{}
	var ids []string
	from := since
	for {
		after, inWindow, newInWindow := "", 0, 0
		var last time.Time
		for {
			body := map[string]any{
				"filterGroups": []any{map[string]any{"filters": []any{map[string]any{
					"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": strconv.FormatInt(from.UnixMilli(), 10)}}}},
				"sorts":      []any{map[string]any{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}},
				"properties": []string{"hs_lastmodifieddate"},
				"limit":      searchPage,
			}
			if after != "" {
				body["after"] = after
			}
			var resp struct {
				Total   int      `json:"total"`
				Results []object `json:"results"`
				Paging  paging   `json:"paging"`
			}
			if err := c.do(ctx, "POST", "/crm/v3/objects/deals/search", body, &resp); err != nil {
				return nil, err
			}
			if watermark.IsZero() {
				*watermark = c.servedAt()
			}
			for _, o := range resp.Results {
				inWindow++
				if v := o.Properties["hs_lastmodifieddate"]; v != nil {
					if t, err := parseTime(*v); err == nil {
						last = t
					}
				}
				if !seen[o.ID] {
					seen[o.ID] = true
					ids = append(ids, o.ID)
					newInWindow++
				}
			}
			if resp.Paging.Next == nil || resp.Paging.Next.After == "" {
				return c.readDeals(ctx, ids)
			}
			after = resp.Paging.Next.After
			if n, err := strconv.Atoi(after); err == nil && n+searchPage > searchCap || inWindow+searchPage > searchCap {
				break // the next page would pass the cap: start a new window
			}
		}
		if newInWindow == 0 || !last.After(from) && inWindow >= searchCap-searchPage {
			return nil, fmt.Errorf("hubspot: more than %d deals modified at %s: cannot page past the search cap", searchCap-searchPage, last.Format(time.RFC3339Nano))
		}
		from = last
	}
}

// readDeals batch-reads deals with stage history and companies.
func (c *Client) readDeals(ctx context.Context, ids []string) ([]object, error) {
	var out []object
	for lo := 0; lo < len(ids); lo += batchHistory {
		part := ids[lo:min(lo+batchHistory, len(ids))]
		inputs := make([]any, len(part))
		for i, id := range part {
			inputs[i] = map[string]string{"id": id}
		}
		var resp struct {
			Results []object `json:"results"`
		}
		body := map[string]any{"properties": c.dealProperties(), "propertiesWithHistory": []string{"dealstage"}, "inputs": inputs}
		if err := c.do(ctx, "POST", "/crm/v3/objects/deals/batch/read", body, &resp); err != nil {
			return nil, err
		}
		var assoc struct {
			Results []struct {
				From struct {
					ID string `json:"id"`
				} `json:"from"`
				To []struct {
					ToObjectID int64 `json:"toObjectId"`
				} `json:"to"`
			} `json:"results"`
		}
		if err := c.do(ctx, "POST", "/crm/v4/associations/deals/companies/batch/read", map[string]any{"inputs": inputs}, &assoc); err != nil {
			return nil, err
		}
		companyOf := map[string]string{}
		for _, a := range assoc.Results {
			if len(a.To) > 0 {
				companyOf[a.From.ID] = strconv.FormatInt(a.To[0].ToObjectID, 10)
			}
		}
		for _, o := range resp.Results {
			if cid, ok := companyOf[o.ID]; ok {
				o.Associations = map[string]associationsPage{"companies": {Results: []struct {
					ID string `json:"id"`
				}{{ID: cid}}}}
			}
			out = append(out, o)
		}
	}
	// Keep the search's order: oldest change first.
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	slices.SortFunc(out, func(a, b object) int { return cmp.Compare(pos[a.ID], pos[b.ID]) })
	return out, nil
}

// archivedSince lists the deals archived (deleted) at or after since.
func (c *Client) archivedSince(ctx context.Context, since time.Time) ([]string, error) {
	var out []string
	after := ""
	for {
		q := url.Values{"limit": {strconv.Itoa(batchPlain)}, "archived": {"true"}, "properties": {"hs_lastmodifieddate"}}
		if after != "" {
			q.Set("after", after)
		}
		var resp struct {
			Results []object `json:"results"`
			Paging  paging   `json:"paging"`
		}
		if err := c.do(ctx, "GET", "/crm/v3/objects/deals?"+q.Encode(), nil, &resp); err != nil {
			return nil, err
		}
		for _, o := range resp.Results {
			if t, err := parseTime(o.ArchivedAt); err == nil && !t.Before(since) {
				out = append(out, o.ID)
			}
		}
		if resp.Paging.Next == nil || resp.Paging.Next.After == "" {
			return out, nil
		}
		after = resp.Paging.Next.After
	}
}

// companyNames batch-reads the names of the deals' first companies.
func (c *Client) companyNames(ctx context.Context, objs []object) (map[string]string, error) {
	idSet := map[string]bool{}
	for i := range objs {
		if a, ok := objs[i].Associations["companies"]; ok && len(a.Results) > 0 {
			idSet[a.Results[0].ID] = true
		}
	}
	ids := sortedKeys(idSet)
	out := make(map[string]string, len(ids))
	for lo := 0; lo < len(ids); lo += batchPlain {
		part := ids[lo:min(lo+batchPlain, len(ids))]
		inputs := make([]any, len(part))
		for i, id := range part {
			inputs[i] = map[string]string{"id": id}
		}
		var resp struct {
			Results []object `json:"results"`
		}
		if err := c.do(ctx, "POST", "/crm/v3/objects/companies/batch/read", map[string]any{"properties": []string{"name"}, "inputs": inputs}, &resp); err != nil {
			return nil, err
		}
		for _, o := range resp.Results {
			if v := o.Properties["name"]; v != nil {
				out[o.ID] = *v
			}
		}
	}
	return out, nil
}

// forecastCategory folds hs_manual_forecast_category (OMIT, PIPELINE,
// BEST_CASE, COMMIT, CLOSED) to an insights.Forecast… constant.
func forecastCategory(s string) string {
	switch strings.ToUpper(s) {
	case "COMMIT":
		return insights.ForecastCommit
	case "BEST_CASE":
		return insights.ForecastBestCase
	case "PIPELINE":
		return insights.ForecastPipeline
	case "OMIT":
		return insights.ForecastOmitted
	case "CLOSED":
		return insights.ForecastClosed
	}
	return ""
}

// parseTime reads an ISO 8601 timestamp or epoch milliseconds; empty is
// the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
