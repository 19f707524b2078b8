// Package sffake is a faithful fake of the parts of the Salesforce REST API
// that RepCoach's sync uses, for tests, the demo and benchmarks. It serves an
// org built from any insights.Dataset (the Maven set converted, generated
// data of any size) and behaves as Salesforce documents: the OAuth 2.0 token
// endpoint /services/oauth2/token (JWT bearer flow with an RS256-signed
// assertion checked against the connected app's certificate key, or client
// credentials) answering access_token, instance_url, id, token_type and
// issued_at; sessions that expire (401 [{"message","errorCode":
// "INVALID_SESSION_ID"}]); SOQL through /services/data/vXX.X/query and
// /queryAll with totalSize, done, nextRecordsUrl and records carrying
// attributes {type, url}; the Sforce-Query-Options batchSize (200-2,000,
// default 2,000); the org's 24-hour API request allowance in the
// Sforce-Limit-Info header (api-usage=N/MAX), refused with 403
// REQUEST_LIMIT_EXCEEDED once used up; and error bodies
// [{"message","errorCode"}] (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE,
// NOT_FOUND, INVALID_QUERY_LOCATOR). Tests change the org (UpdateDeal,
// DeleteDeal), move its clock, expire sessions and cut connections.
//
// The SOQL it understands is what the sync sends: SELECT field, … FROM
// object [WHERE condition AND …] with conditions field op literal (=, !=,
// <, <=, >, >= on datetimes, dates, strings, numbers and booleans) and
// field IN ('a', …), over Opportunity, OpportunityHistory, User and
// Account, with parent fields (Account.Name, Manager.Name, Owner.Email).
package sffake

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
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
	DefaultClientID     = "3MVG9fake.consumer.key"
	DefaultClientSecret = "fake-consumer-secret"
	DefaultUsername     = "integration@repcoach.example"
	DefaultDailyLimit   = 1_000_000
	DefaultSessionTTL   = 2 * time.Hour
	// APIVersions are the REST API versions the fake serves.
	minVersion = 31.0
	maxVersion = 62.0
)

// Config configures a Server. The zero value serves an empty org.
type Config struct {
	// Dataset is the org's data: reps become users (managers named in
	// Rep.Manager too, with Department the rep's team), deals become
	// opportunities with their stage history, accounts are made from the
	// deals' account names. Owners without a Rep get a user named by the
	// owner ID.
	Dataset insights.Dataset
	// Location is the zone whose days date-only fields (CloseDate) are
	// written in; nil means UTC.
	Location *time.Location
	// ProductField is the custom Opportunity field holding Deal.Product
	// (default "Product__c").
	ProductField string
	// MultiCurrency turns on the org's multiple currencies: Opportunity
	// then has CurrencyIsoCode, Deal.Currency or else CorporateCurrency
	// (default "USD"). Without it, as in a real org, a query naming
	// CurrencyIsoCode is refused with INVALID_FIELD.
	MultiCurrency     bool
	CorporateCurrency string
	// ClientID, ClientSecret and Username are the connected app's consumer
	// key and secret and the user the JWT bearer flow may sign in as.
	ClientID, ClientSecret, Username string
	// PublicKey checks JWT assertions (the certificate uploaded to the
	// connected app); nil refuses the JWT bearer flow.
	PublicKey *rsa.PublicKey
	// SessionTTL is how long an access token works (default 2 hours, the
	// org's session timeout).
	SessionTTL time.Duration
	// DailyLimit is the org's API requests per rolling 24 hours (default
	// 1,000,000); token requests do not count.
	DailyLimit int
	// Now is the fake's clock (default time.Now).
	Now func() time.Time
}

// Server is a running fake Salesforce org. Its methods are safe for
// concurrent use.
type Server struct {
	cfg  Config
	ln   net.Listener
	http *http.Server
	base string

	mu       sync.Mutex
	org      org
	sessions map[string]time.Time // access token -> expiry
	usage    []time.Time          // API requests in the last 24 hours, oldest first
	cursors  map[string]*cursor
	seq      int
	cutAfter int // >0: cut the connection on the cutAfter-th request from now
	stats    Stats
}

// Stats counts what the fake served.
type Stats struct {
	Tokens   int            // tokens issued
	Requests int            // API requests answered (token requests excluded)
	Records  map[string]int // records served, by object
	Refused  map[string]int // error answers, by errorCode
}

// New starts a fake org on a loopback port.
func New(cfg Config) (*Server, error) {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.ProductField == "" {
		cfg.ProductField = "Product__c"
	}
	if cfg.CorporateCurrency == "" {
		cfg.CorporateCurrency = "USD"
	}
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = DefaultClientSecret
	}
	if cfg.Username == "" {
		cfg.Username = DefaultUsername
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.DailyLimit <= 0 {
		cfg.DailyLimit = DefaultDailyLimit
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sffake: listen: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		ln:       ln,
		base:     "http://" + ln.Addr().String(),
		sessions: map[string]time.Time{},
		cursors:  map[string]*cursor{},
		stats:    Stats{Records: map[string]int{}, Refused: map[string]int{}},
	}
	s.org = buildOrg(cfg.Dataset, cfg.Location, cfg.ProductField, cfg.Now())
	mux := http.NewServeMux()
	mux.HandleFunc("POST /services/oauth2/token", s.token)
	mux.HandleFunc("GET /services/data/{version}/{op}", s.query)
	mux.HandleFunc("GET /services/data/{version}/{op}/{locator}", s.query)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

// URL is the base URL of the fake: both the login URL and the instance URL.
func (s *Server) URL() string { return s.base }

// Close stops the server.
func (s *Server) Close() error { return s.http.Close() }

// Stats returns a copy of what the fake served so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Records = make(map[string]int, len(s.stats.Records))
	for k, v := range s.stats.Records {
		st.Records[k] = v
	}
	st.Refused = make(map[string]int, len(s.stats.Refused))
	for k, v := range s.stats.Refused {
		st.Refused[k] = v
	}
	return st
}

// ExpireSessions ends every session, as an org's session timeout or an
// admin's "revoke" does: the next API request with any issued token gets
// 401 INVALID_SESSION_ID.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

// CutAfter makes the fake drop the connection in the middle of its answer
// to the n-th API request from now (n >= 1), as a network failure would.
func (s *Server) CutAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cutAfter = n
}

// UseRequests spends n of the org's daily API requests, as the org's other
// integrations do.
func (s *Server) UseRequests(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	for range n {
		s.usage = append(s.usage, now)
	}
}

// OpportunityIDs returns the IDs of the org's opportunities not deleted,
// sorted.
func (s *Server) OpportunityIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, o := range s.org.opps {
		if !o.deleted {
			ids = append(ids, o.id)
		}
	}
	return ids
}

// UserID returns the ID of the user standing for rep (a RepID of the
// dataset served), or "" if there is none.
func (s *Server) UserID(rep insights.RepID) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.org.userOf[rep]
}

// OpportunityID returns the ID of the opportunity standing for deal (a deal
// ID of the dataset served), or "" if there is none.
func (s *Server) OpportunityID(deal string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.org.oppOf[deal]
}

// UpdateDeal changes opportunity id as a user editing it would: f edits a
// copy of its fields (Stage, Status, Amount, AmountKnown, Closed, Owner as
// a user ID, Name, Probability, ForecastCategory), SystemModstamp becomes now, and a changed stage adds an
// OpportunityHistory row and sets LastStageChangeDate. It returns false if
// there is no such opportunity.
func (s *Server) UpdateDeal(id string, f func(d *insights.Deal)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.org.oppIndex[id]
	if !ok || s.org.opps[i].deleted {
		return false
	}
	o := &s.org.opps[i]
	d := o.deal
	f(&d)
	now := s.cfg.Now()
	if d.Stage != o.deal.Stage {
		o.moved = now
		s.org.history = append(s.org.history, historyRow{id: s.org.nextID("008"), opp: id, stage: d.Stage, at: now,
			amount: d.Amount, amountKnown: d.AmountKnown, prob: d.Probability, hasProb: d.HasProbability, closed: d.Closed})
	}
	o.deal = d
	o.modstamp = now
	return true
}

// DeleteDeal moves opportunity id to the recycle bin: query no longer
// returns it, queryAll returns it with IsDeleted true and a new
// SystemModstamp. It returns false if there is no such opportunity.
func (s *Server) DeleteDeal(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.org.oppIndex[id]
	if !ok || s.org.opps[i].deleted {
		return false
	}
	s.org.opps[i].deleted = true
	s.org.opps[i].modstamp = s.cfg.Now()
	return true
}

// newToken returns a random access token in Salesforce's shape
// (00D…!…).
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "00DFAKE0000000001!" + hex.EncodeToString(b[:])
}

// sfid returns the 18-character ID with the key prefix and number n.
func sfid(prefix string, n int) string {
	s := strconv.FormatInt(int64(n), 36)
	return prefix + strings.Repeat("0", 15-len(s)) + strings.ToUpper(s)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
