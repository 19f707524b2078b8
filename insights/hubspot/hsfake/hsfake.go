// Package hsfake is a faithful fake of the parts of HubSpot's CRM API that
// RepCoach's sync uses, for tests, the demo and benchmarks. It serves an
// account built from any insights.Dataset and behaves as HubSpot documents:
// private app tokens (401 with category INVALID_AUTHENTICATION, or
// EXPIRED_AUTHENTICATION for a rotated token); GET /crm/v3/pipelines/deals
// (stages with label, displayOrder and metadata isClosed and probability);
// GET /crm/v3/owners (id, email, firstName, lastName, teams) and
// GET /crm/v3/objects/deals (limit up to 100, 50 with propertiesWithHistory,
// `after` paging, associations=companies, archived=true with archivedAt),
// each with paging.next.after; POST /crm/v3/objects/deals/search (filters
// on hs_lastmodifieddate, one sort, limit up to 200, and a 400
// VALIDATION_ERROR past the 10,000th result); batch reads of deals (with
// propertiesWithHistory, newest value first), companies and deal-to-company
// associations (v4); and the rate limits private apps get: a rolling
// 10-second allowance, 5 search requests a second and a daily allowance,
// reported in the X-HubSpot-RateLimit-* headers and answered past the limit
// with 429, an errorType RATE_LIMIT body naming the policy, and
// Retry-After. Property values are strings (or null), times ISO 8601 UTC.
// Tests change and archive deals, rotate the token, move the fake's clock
// and cut connections.
package hsfake

import (
	"cmp"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/repcoach/repcoach/insights"
)

// Defaults of Config.
const (
	DefaultToken        = "pat-na1-00000000-fake-0000-0000-000000000000"
	DefaultTenSecondly  = 190
	DefaultSearchPerSec = 5
	DefaultDaily        = 650_000
	searchCap           = 10_000
)

// Config configures a Server.
type Config struct {
	// Dataset is the account's data: reps become owners (their team the
	// owner's primary team), deals become deals in one pipeline whose stages
	// are the deals' stages, account names become companies.
	Dataset insights.Dataset
	// ProductProperty is the deal property holding Deal.Product (default
	// "product").
	ProductProperty string
	// Token is the private app token accepted (default DefaultToken).
	Token string
	// TenSecondly, SearchPerSecond and Daily are the rate limits (defaults
	// 190 per rolling 10 s, 5 searches a second, 650,000 a day); negative
	// means unlimited.
	TenSecondly, SearchPerSecond, Daily int
	// Now is the fake's clock (default time.Now).
	Now func() time.Time
}

// Server is a running fake HubSpot account. Its methods are safe for
// concurrent use.
type Server struct {
	cfg  Config
	ln   net.Listener
	http *http.Server
	base string

	mu       sync.Mutex
	acct     account
	token    string
	rotated  map[string]bool
	tenSec   []time.Time // requests in the last 10 s
	searches []time.Time // searches in the last second
	day      string
	dayCount int
	cutAfter int
	stats    Stats
}

// Stats counts what the fake served.
type Stats struct {
	Requests int            // answered requests
	Records  map[string]int // deals, owners, companies served
	Refused  map[string]int // error answers by category or rate-limit policy
}

// New starts a fake account on a loopback port.
func New(cfg Config) (*Server, error) {
	if cfg.ProductProperty == "" {
		cfg.ProductProperty = "product"
	}
	if cfg.Token == "" {
		cfg.Token = DefaultToken
	}
	if cfg.TenSecondly == 0 {
		cfg.TenSecondly = DefaultTenSecondly
	}
	if cfg.SearchPerSecond == 0 {
		cfg.SearchPerSecond = DefaultSearchPerSec
	}
	if cfg.Daily == 0 {
		cfg.Daily = DefaultDaily
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("hsfake: listen: %w", err)
	}
	s := &Server{cfg: cfg, ln: ln, base: "http://" + ln.Addr().String(), token: cfg.Token, rotated: map[string]bool{},
		stats: Stats{Records: map[string]int{}, Refused: map[string]int{}}}
	s.acct = buildAccount(cfg.Dataset, cfg.Now())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /crm/v3/pipelines/deals", s.guard(false, s.pipelines))
	mux.HandleFunc("GET /crm/v3/owners", s.guard(false, s.owners))
	mux.HandleFunc("GET /crm/v3/objects/deals", s.guard(false, s.listDeals))
	mux.HandleFunc("POST /crm/v3/objects/deals/search", s.guard(true, s.search))
	mux.HandleFunc("POST /crm/v3/objects/deals/batch/read", s.guard(false, s.batchDeals))
	mux.HandleFunc("POST /crm/v3/objects/companies/batch/read", s.guard(false, s.batchCompanies))
	mux.HandleFunc("POST /crm/v4/associations/deals/companies/batch/read", s.guard(false, s.batchAssociations))
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

// URL is the fake's API base URL.
func (s *Server) URL() string { return s.base }

// Close stops the server.
func (s *Server) Close() error { return s.http.Close() }

// Stats returns a copy of what the fake served so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Requests: s.stats.Requests, Records: map[string]int{}, Refused: map[string]int{}}
	for k, v := range s.stats.Records {
		st.Records[k] = v
	}
	for k, v := range s.stats.Refused {
		st.Refused[k] = v
	}
	return st
}

// RotateToken replaces the accepted token, as rotating a private app's
// token does: the old one is refused with EXPIRED_AUTHENTICATION.
func (s *Server) RotateToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rotated[s.token] = true
	s.token = token
}

// CutAfter drops the connection in the middle of the n-th answer from now.
func (s *Server) CutAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cutAfter = n
}

// DealIDs returns the IDs of the deals not archived, in ID order.
func (s *Server) DealIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, d := range s.acct.deals {
		if !d.archived {
			out = append(out, d.id)
		}
	}
	return out
}

// DealID returns the HubSpot ID of the dataset's deal id, or "".
func (s *Server) DealID(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acct.dealOf[id]
}

// UpdateDeal changes deal id as a user would: f edits a copy (Stage and
// Status pick or make the matching pipeline stage; Amount, AmountKnown,
// Closed, Name, Probability, ForecastCategory), hs_lastmodifieddate becomes
// now and a changed stage adds a dealstage history value. It returns false
// if there is no such deal.
func (s *Server) UpdateDeal(id string, f func(d *insights.Deal)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.acct.dealIndex[id]
	if !ok || s.acct.deals[i].archived {
		return false
	}
	rec := &s.acct.deals[i]
	d := rec.deal
	f(&d)
	now := s.cfg.Now()
	if d.Stage != rec.deal.Stage || d.Status != rec.deal.Status {
		rec.history = append(rec.history, stageValue{stage: s.acct.stageID(d.Stage, d.Status), at: now})
	}
	rec.deal = d
	rec.modified = now
	return true
}

// DeleteDeal archives deal id (HubSpot's delete): searches and lists leave
// it out; archived=true lists it with archivedAt now.
func (s *Server) DeleteDeal(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.acct.dealIndex[id]
	if !ok || s.acct.deals[i].archived {
		return false
	}
	s.acct.deals[i].archived = true
	s.acct.deals[i].archivedAt = s.cfg.Now()
	return true
}

// --- the account ---

type account struct {
	stages    []stageRec
	stageIdx  map[string]int // id -> index
	owners    []ownerRec
	ownerOf   map[insights.RepID]string
	companies []companyRec
	compIdx   map[string]int
	deals     []dealRec
	dealIndex map[string]int
	dealOf    map[string]string
}

type stageRec struct {
	id, label   string
	closed, won bool
	order       int
}

type ownerRec struct {
	id, first, last, email, team string
}

type companyRec struct{ id, name string }

type stageValue struct {
	stage string
	at    time.Time
}

type dealRec struct {
	id         string
	deal       insights.Deal // Owner is the owner ID, Stage the label
	company    string
	history    []stageValue // oldest first
	created    time.Time
	modified   time.Time
	archived   bool
	archivedAt time.Time
}

// stageID returns the ID of the pipeline stage labelled label with the
// status's closed/won flags, adding the stage if there is none.
func (a *account) stageID(label string, st insights.Status) string {
	closed, won := st != insights.StatusOpen, st == insights.StatusWon
	for _, s := range a.stages {
		if s.label == label && s.closed == closed && s.won == won {
			return s.id
		}
	}
	id := slug(label)
	if _, taken := a.stageIdx[id]; taken || id == "" {
		id = fmt.Sprintf("%s%d", id, len(a.stages)+1)
	}
	a.stageIdx[id] = len(a.stages)
	a.stages = append(a.stages, stageRec{id: id, label: label, closed: closed, won: won, order: len(a.stages)})
	return id
}

// labelID returns a stage ID for a history label: the stage with that label
// (open ones first), or a new open stage.
func (a *account) labelID(label string) string {
	for _, open := range []bool{true, false} {
		for _, s := range a.stages {
			if s.label == label && s.closed != open {
				return s.id
			}
		}
	}
	return a.stageID(label, insights.StatusOpen)
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func buildAccount(ds insights.Dataset, now time.Time) account {
	a := account{stageIdx: map[string]int{}, ownerOf: map[insights.RepID]string{}, compIdx: map[string]int{}, dealIndex: map[string]int{}, dealOf: map[string]string{}}
	addOwner := func(id insights.RepID, r insights.Rep) string {
		if oid, ok := a.ownerOf[id]; ok {
			return oid
		}
		oid := strconv.Itoa(100001 + len(a.owners))
		name := cmp.Or(r.Name, string(id))
		first, last, _ := strings.Cut(name, " ")
		email := r.Email
		if email == "" {
			email = strings.ReplaceAll(strings.ToLower(name), " ", ".") + "@hubspot-fake.example"
		}
		a.ownerOf[id] = oid
		a.owners = append(a.owners, ownerRec{id: oid, first: first, last: last, email: email, team: r.Team})
		return oid
	}
	reps := slices.Clone(ds.Reps)
	slices.SortFunc(reps, func(x, y insights.Rep) int { return cmp.Compare(x.ID, y.ID) })
	for _, r := range reps {
		addOwner(r.ID, r)
	}
	deals := slices.Clone(ds.Deals)
	slices.SortFunc(deals, func(x, y insights.Deal) int { return cmp.Compare(x.ID, y.ID) })
	for _, d := range deals {
		a.stageID(d.Stage, d.Status)
	}
	for _, d := range deals {
		rec := dealRec{id: strconv.Itoa(5000001 + len(a.deals)), created: d.Created}
		a.dealOf[d.ID] = rec.id
		d.Owner = insights.RepID(addOwner(d.Owner, insights.Rep{}))
		if d.Account != "" {
			ci, ok := a.compIdx["name:"+d.Account]
			if !ok {
				ci = len(a.companies)
				cid := strconv.Itoa(9000001 + ci)
				a.compIdx["name:"+d.Account], a.compIdx[cid] = ci, ci
				a.companies = append(a.companies, companyRec{id: cid, name: d.Account})
			}
			rec.company = a.companies[ci].id
		}
		for j, h := range d.History {
			id := a.labelID(h.Stage)
			if j == len(d.History)-1 && h.Stage == d.Stage {
				id = a.stageID(d.Stage, d.Status)
			}
			rec.history = append(rec.history, stageValue{stage: id, at: h.At})
		}
		rec.modified = latest(d, now)
		d.History = nil
		rec.deal = d
		a.dealIndex[rec.id] = len(a.deals)
		a.deals = append(a.deals, rec)
	}
	return a
}

// latest returns d's latest event no later than now.
func latest(d insights.Deal, now time.Time) time.Time {
	var t time.Time
	for _, x := range []time.Time{d.Created, d.Moved} {
		if !x.After(now) && x.After(t) {
			t = x
		}
	}
	if d.Status != insights.StatusOpen && !d.Closed.After(now) && d.Closed.After(t) {
		t = d.Closed
	}
	for _, h := range d.History {
		if !h.At.After(now) && h.At.After(t) {
			t = h.At
		}
	}
	if t.IsZero() {
		t = now.Add(-24 * time.Hour)
	}
	return t
}
