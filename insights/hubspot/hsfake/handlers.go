package hsfake

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/repcoach/repcoach/insights"
)

const isoLayout = "2006-01-02T15:04:05.000Z"

func correlationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers an error in HubSpot's shape. s.mu is held.
func (s *Server) fail(w http.ResponseWriter, status int, category, msg string) {
	s.stats.Refused[category]++
	writeJSON(w, status, map[string]string{"status": "error", "message": msg, "correlationId": correlationID(), "category": category})
}

// guard checks the token and the rate limits, counts the request, and
// runs h with s.mu held.
func (s *Server) guard(search bool, h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		now := s.cfg.Now()
		w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch {
		case tok == s.token:
		case s.rotated[tok]:
			s.fail(w, http.StatusUnauthorized, "EXPIRED_AUTHENTICATION", "The OAuth token used to make this call expired.")
			return
		default:
			s.fail(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION", "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
			return
		}
		for len(s.tenSec) > 0 && !s.tenSec[0].After(now.Add(-10*time.Second)) {
			s.tenSec = s.tenSec[1:]
		}
		for len(s.searches) > 0 && !s.searches[0].After(now.Add(-time.Second)) {
			s.searches = s.searches[1:]
		}
		if d := now.UTC().Format("2006-01-02"); d != s.day {
			s.day, s.dayCount = d, 0
		}
		limited := func(policy, msg string, free time.Time) {
			wait := int(math.Ceil(free.Sub(now).Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(max(1, wait)))
			s.stats.Refused[policy]++
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"status": "error", "message": msg, "errorType": "RATE_LIMIT",
				"correlationId": correlationID(), "policyName": policy, "groupName": "api-calls:fake"})
		}
		switch {
		case s.cfg.Daily > 0 && s.dayCount >= s.cfg.Daily:
			y, m, d := now.UTC().Date()
			limited("DAILY", "You have reached your daily limit.", time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC))
			return
		case s.cfg.TenSecondly > 0 && len(s.tenSec) >= s.cfg.TenSecondly:
			limited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.", s.tenSec[0].Add(10*time.Second))
			return
		case search && s.cfg.SearchPerSecond > 0 && len(s.searches) >= s.cfg.SearchPerSecond:
			limited("SECONDLY", "You have reached your secondly limit.", s.searches[0].Add(time.Second))
			return
		}
		s.tenSec = append(s.tenSec, now)
		if search {
			s.searches = append(s.searches, now)
		}
		s.dayCount++
		s.stats.Requests++
		hd := w.Header()
		if s.cfg.Daily > 0 {
			hd.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(s.cfg.Daily))
			hd.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(s.cfg.Daily-s.dayCount))
		}
		if s.cfg.TenSecondly > 0 {
			hd.Set("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
			hd.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(s.cfg.TenSecondly))
			hd.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(s.cfg.TenSecondly-len(s.tenSec)))
		}
		if s.cutAfter > 0 {
			s.cutAfter--
			if s.cutAfter == 0 {
				cut(w)
				return
			}
		}
		h(w, r)
	}
}

// cut sends the start of an answer and drops the connection.
func cut(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"results\":[")
	_ = buf.Flush()
	_ = conn.Close()
}

func (s *Server) pipelines(w http.ResponseWriter, _ *http.Request) {
	var stages []any
	for _, st := range s.acct.stages {
		prob := "0.5"
		switch {
		case st.won:
			prob = "1.0"
		case st.closed:
			prob = "0.0"
		}
		stages = append(stages, map[string]any{"id": st.id, "label": st.label, "displayOrder": st.order, "archived": false,
			"metadata":  map[string]string{"isClosed": strconv.FormatBool(st.closed), "probability": prob},
			"createdAt": "2020-01-01T00:00:00.000Z", "updatedAt": "2020-01-01T00:00:00.000Z"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": []any{map[string]any{"id": "default", "label": "Sales Pipeline", "displayOrder": 0,
		"archived": false, "stages": stages, "createdAt": "2020-01-01T00:00:00.000Z", "updatedAt": "2020-01-01T00:00:00.000Z"}}})
}

// page reads limit (1..max, default def) and after (an offset) from a
// query; ok is false after an error answer.
func (s *Server) page(w http.ResponseWriter, r *http.Request, def, maxLimit int) (limit, after int, ok bool) {
	limit, after = def, 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "limit must be a positive number")
			return 0, 0, false
		}
		limit = min(n, maxLimit)
	}
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid after "+strconv.Quote(v))
			return 0, 0, false
		}
		after = n
	}
	return limit, after, true
}

func pagingAfter(base string, next, total int) map[string]any {
	if next >= total {
		return nil
	}
	a := strconv.Itoa(next)
	return map[string]any{"next": map[string]string{"after": a, "link": base + "?after=" + a}}
}

func (s *Server) owners(w http.ResponseWriter, r *http.Request) {
	limit, after, ok := s.page(w, r, 100, 500)
	if !ok {
		return
	}
	var res []any
	end := min(after+limit, len(s.acct.owners))
	for _, o := range s.acct.owners[min(after, end):end] {
		var teams []any
		if o.team != "" {
			teams = append(teams, map[string]any{"id": "team-" + slug(o.team), "name": o.team, "primary": true})
		}
		res = append(res, map[string]any{"id": o.id, "email": o.email, "type": "PERSON", "firstName": o.first, "lastName": o.last,
			"userId": 0, "archived": false, "teams": teams, "createdAt": "2020-01-01T00:00:00.000Z", "updatedAt": "2020-01-01T00:00:00.000Z"})
	}
	s.stats.Records["owners"] += len(res)
	out := map[string]any{"results": res}
	if p := pagingAfter(s.base+"/crm/v3/owners", end, len(s.acct.owners)); p != nil {
		out["paging"] = p
	}
	writeJSON(w, http.StatusOK, out)
}

func iso(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(isoLayout)
}

// render writes a deal as the v3 API does, with the properties asked for
// (and the ones HubSpot always adds), history and associations.
func (s *Server) render(d *dealRec, props []string, history bool, assoc bool) map[string]any {
	all := map[string]any{
		"hs_object_id":                d.id,
		"createdate":                  iso(d.created),
		"hs_lastmodifieddate":         iso(d.modified),
		"dealname":                    nilIfEmpty(d.deal.Name),
		"dealstage":                   s.acct.stageID(d.deal.Stage, d.deal.Status),
		"pipeline":                    "default",
		"closedate":                   iso(d.deal.Closed),
		"hubspot_owner_id":            nilIfEmpty(string(d.deal.Owner)),
		s.cfg.ProductProperty:         nilIfEmpty(d.deal.Product),
		"hs_manual_forecast_category": forecastValue(d.deal.ForecastCategory),
		"deal_currency_code":          nilIfEmpty(d.deal.Currency),
	}
	all["amount"] = nil
	if d.deal.AmountKnown {
		all["amount"] = strconv.FormatFloat(d.deal.Amount, 'f', -1, 64)
	}
	all["hs_deal_stage_probability"] = nil
	if d.deal.HasProbability {
		all["hs_deal_stage_probability"] = strconv.FormatFloat(d.deal.Probability, 'f', -1, 64)
	}
	properties := map[string]any{"hs_object_id": d.id, "createdate": all["createdate"], "hs_lastmodifieddate": all["hs_lastmodifieddate"]}
	for _, p := range props {
		if v, ok := all[p]; ok {
			properties[p] = v
		}
	}
	out := map[string]any{"id": d.id, "properties": properties, "createdAt": all["createdate"], "updatedAt": all["hs_lastmodifieddate"], "archived": d.archived}
	if d.archived {
		out["archivedAt"] = iso(d.archivedAt)
	}
	if history {
		vals := []any{}
		for i := len(d.history) - 1; i >= 0; i-- {
			vals = append(vals, map[string]any{"value": d.history[i].stage, "timestamp": iso(d.history[i].at), "sourceType": "CRM_UI", "sourceId": "userId:1"})
		}
		out["propertiesWithHistory"] = map[string]any{"dealstage": vals}
	}
	if assoc && d.company != "" {
		out["associations"] = map[string]any{"companies": map[string]any{"results": []any{map[string]string{"id": d.company, "type": "deal_to_company"}}}}
	}
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func forecastValue(c string) any {
	switch c {
	case insights.ForecastCommit:
		return "COMMIT"
	case insights.ForecastBestCase:
		return "BEST_CASE"
	case insights.ForecastPipeline:
		return "PIPELINE"
	case insights.ForecastOmitted:
		return "OMIT"
	case insights.ForecastClosed:
		return "CLOSED"
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) listDeals(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	history := len(splitList(q.Get("propertiesWithHistory"))) > 0
	maxLimit := 100
	if history {
		maxLimit = 50
	}
	limit, after, ok := s.page(w, r, 10, maxLimit)
	if !ok {
		return
	}
	archived := q.Get("archived") == "true"
	var idx []int
	for i := range s.acct.deals {
		if s.acct.deals[i].archived == archived {
			idx = append(idx, i)
		}
	}
	end := min(after+limit, len(idx))
	res := []any{}
	for _, i := range idx[min(after, end):end] {
		res = append(res, s.render(&s.acct.deals[i], splitList(q.Get("properties")), history, strings.Contains(q.Get("associations"), "companies")))
	}
	s.stats.Records["deals"] += len(res)
	out := map[string]any{"results": res}
	if p := pagingAfter(s.base+"/crm/v3/objects/deals", end, len(idx)); p != nil {
		out["paging"] = p
	}
	writeJSON(w, http.StatusOK, out)
}

type searchRequest struct {
	FilterGroups []struct {
		Filters []struct {
			PropertyName string `json:"propertyName"`
			Operator     string `json:"operator"`
			Value        string `json:"value"`
		} `json:"filters"`
	} `json:"filterGroups"`
	Sorts []struct {
		PropertyName string `json:"propertyName"`
		Direction    string `json:"direction"`
	} `json:"sorts"`
	Properties []string `json:"properties"`
	Limit      int      `json:"limit"`
	After      string   `json:"after"`
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	var req searchRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON on line 1")
		return
	}
	if req.Limit == 0 {
		req.Limit = 10
	}
	if req.Limit < 0 || req.Limit > 200 {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "limit must be between 1 and 200")
		return
	}
	after := 0
	if req.After != "" {
		n, err := strconv.Atoi(req.After)
		if err != nil || n < 0 {
			s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid after")
			return
		}
		after = n
	}
	if after+req.Limit > searchCap {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "There was a problem with the request.")
		return
	}
	if len(req.Sorts) > 1 {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "Only one sort is allowed")
		return
	}
	type filter struct {
		op string
		ms int64
	}
	var groups [][]filter
	for _, g := range req.FilterGroups {
		var fs []filter
		for _, f := range g.Filters {
			if f.PropertyName != "hs_lastmodifieddate" {
				s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("the fake filters on hs_lastmodifieddate only, not %q", f.PropertyName))
				return
			}
			ms, err := strconv.ParseInt(f.Value, 10, 64)
			if err != nil {
				t, terr := time.Parse(time.RFC3339Nano, f.Value)
				if terr != nil {
					s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("%q is not a valid datetime", f.Value))
					return
				}
				ms = t.UnixMilli()
			}
			fs = append(fs, filter{strings.ToUpper(f.Operator), ms})
		}
		groups = append(groups, fs)
	}
	match := func(d *dealRec) bool {
		if len(groups) == 0 {
			return true
		}
		v := d.modified.UnixMilli()
	group:
		for _, g := range groups {
			for _, f := range g {
				ok := false
				switch f.op {
				case "GTE":
					ok = v >= f.ms
				case "GT":
					ok = v > f.ms
				case "LTE":
					ok = v <= f.ms
				case "LT":
					ok = v < f.ms
				case "EQ":
					ok = v == f.ms
				}
				if !ok {
					continue group
				}
			}
			return true
		}
		return false
	}
	var idx []int
	for i := range s.acct.deals {
		if d := &s.acct.deals[i]; !d.archived && match(d) {
			idx = append(idx, i)
		}
	}
	if len(req.Sorts) == 1 {
		desc := strings.EqualFold(req.Sorts[0].Direction, "DESCENDING")
		key := func(i int) int64 {
			if req.Sorts[0].PropertyName == "hs_lastmodifieddate" {
				return s.acct.deals[i].modified.UnixMilli()
			}
			n, _ := strconv.ParseInt(s.acct.deals[i].id, 10, 64)
			return n
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			if desc {
				return cmp.Compare(key(b), key(a))
			}
			return cmp.Compare(key(a), key(b))
		})
	}
	end := min(after+req.Limit, len(idx))
	res := []any{}
	for _, i := range idx[min(after, end):end] {
		res = append(res, s.render(&s.acct.deals[i], req.Properties, false, false))
	}
	s.stats.Records["deals"] += len(res)
	out := map[string]any{"total": len(idx), "results": res}
	if end < len(idx) {
		out["paging"] = map[string]any{"next": map[string]string{"after": strconv.Itoa(end)}}
	}
	writeJSON(w, http.StatusOK, out)
}

type batchRequest struct {
	Properties            []string `json:"properties"`
	PropertiesWithHistory []string `json:"propertiesWithHistory"`
	Inputs                []struct {
		ID string `json:"id"`
	} `json:"inputs"`
}

func (s *Server) readBatch(w http.ResponseWriter, r *http.Request, maxInputs int) (batchRequest, bool) {
	var req batchRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON on line 1")
		return req, false
	}
	if len(req.PropertiesWithHistory) > 0 {
		maxInputs = min(maxInputs, 50)
	}
	if len(req.Inputs) > maxInputs {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Batch input size %d exceeds the limit of %d", len(req.Inputs), maxInputs))
		return req, false
	}
	return req, true
}

func batchAnswer(res []any) map[string]any {
	now := time.Now().UTC().Format(isoLayout)
	return map[string]any{"status": "COMPLETE", "results": res, "startedAt": now, "completedAt": now}
}

func (s *Server) batchDeals(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readBatch(w, r, 100)
	if !ok {
		return
	}
	res := []any{}
	for _, in := range req.Inputs {
		if i, ok := s.acct.dealIndex[in.ID]; ok && !s.acct.deals[i].archived {
			res = append(res, s.render(&s.acct.deals[i], req.Properties, len(req.PropertiesWithHistory) > 0, false))
		}
	}
	s.stats.Records["deals"] += len(res)
	writeJSON(w, http.StatusOK, batchAnswer(res))
}

func (s *Server) batchCompanies(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readBatch(w, r, 100)
	if !ok {
		return
	}
	res := []any{}
	for _, in := range req.Inputs {
		if i, ok := s.acct.compIdx[in.ID]; ok {
			c := s.acct.companies[i]
			res = append(res, map[string]any{"id": c.id, "properties": map[string]any{"hs_object_id": c.id, "name": c.name}, "archived": false,
				"createdAt": "2020-01-01T00:00:00.000Z", "updatedAt": "2020-01-01T00:00:00.000Z"})
		}
	}
	s.stats.Records["companies"] += len(res)
	writeJSON(w, http.StatusOK, batchAnswer(res))
}

func (s *Server) batchAssociations(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readBatch(w, r, 1000)
	if !ok {
		return
	}
	res := []any{}
	for _, in := range req.Inputs {
		i, ok := s.acct.dealIndex[in.ID]
		if !ok || s.acct.deals[i].company == "" {
			continue
		}
		cid, _ := strconv.ParseInt(s.acct.deals[i].company, 10, 64)
		res = append(res, map[string]any{"from": map[string]string{"id": in.ID},
			"to": []any{map[string]any{"toObjectId": cid, "associationTypes": []any{map[string]any{"category": "HUBSPOT_DEFINED", "typeId": 5, "label": "Primary"}}}}})
	}
	writeJSON(w, http.StatusOK, batchAnswer(res))
}
