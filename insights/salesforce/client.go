// Package salesforce reads opportunities, their stage history and their
// owners from the Salesforce REST API for RepCoach's live CRM sync. It signs
// in through the OAuth 2.0 JWT bearer flow (or client credentials) with
// golang.org/x/oauth2, runs SOQL queries following nextRecordsUrl, reads the
// org's API usage from the Sforce-Limit-Info header and backs off when the
// org is out of API requests. Client.Fetch maps what it reads into the
// dataset types the CSV importers produce.
package salesforce

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/oauth2/jwt"

	"github.com/repcoach/repcoach/insights/clock"
)

// DefaultAPIVersion is the REST API version used when Config.APIVersion is
// empty.
const DefaultAPIVersion = "v62.0"

// Config says how to reach and sign in to a Salesforce org.
type Config struct {
	// LoginURL is where tokens are issued: https://login.salesforce.com,
	// https://test.salesforce.com for a sandbox, or the org's My Domain URL
	// (required for client credentials). The token endpoint is
	// LoginURL/services/oauth2/token.
	LoginURL string
	// ClientID is the connected app's consumer key.
	ClientID string
	// Username and PrivateKey (PEM, PKCS#1 or PKCS#8 RSA) select the JWT
	// bearer flow: the token is issued for Username, whom the connected app
	// must be pre-authorised for.
	Username   string
	PrivateKey []byte
	// ClientSecret selects the client credentials flow instead (the
	// connected app's "run as" user).
	ClientSecret string
	// APIVersion is the REST API version, like "v62.0"; DefaultAPIVersion
	// when empty.
	APIVersion string
	// BatchSize asks for this many records per page (200-2,000, the
	// Sforce-Query-Options batchSize); 0 leaves Salesforce's default.
	BatchSize int
	// ProductField names an Opportunity field holding the product (a custom
	// field such as Product__c); empty reads none.
	ProductField string
	// MaxUsage stops a sync (with an error wrapping ErrUsage) once the org
	// has used this share of its daily API requests, leaving the rest to
	// the org's other integrations; 0 means 0.9.
	MaxUsage float64
	// LimitRetries is how many times a request refused with
	// REQUEST_LIMIT_EXCEEDED is tried again, after LimitBackoff, doubling
	// each time; 0 means 3 times after 1 minute.
	LimitRetries int
	LimitBackoff time.Duration
	// Location is the team's time zone: a date-only value (CloseDate) is
	// the start of that day there. Nil means UTC.
	Location *time.Location
	// HTTPClient makes every request, the token's included; nil means
	// http.DefaultClient.
	HTTPClient *http.Client
	// Sleep waits d or until ctx ends (tests inject one); nil is
	// clock.Real.Sleep.
	Sleep func(ctx context.Context, d time.Duration) error
}

// ErrUsage means the org has used up the share of its daily API requests
// the sync may take (Config.MaxUsage) or Salesforce kept refusing requests
// with REQUEST_LIMIT_EXCEEDED.
var ErrUsage = errors.New("salesforce API request limit reached")

// Error is an error answer of the REST API: its HTTP status and the first
// entry of its [{"message","errorCode"}] body.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("salesforce: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// Client talks to one Salesforce org. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client
	// singleCurrency is set once the org refused CurrencyIsoCode.
	singleCurrency atomic.Bool
	// withProduct is opportunityWith(Config.ProductField), nil without.
	withProduct reflect.Type
	// newSource returns a token source that fetches a new token on its first
	// use: Salesforce tokens carry no expiry, so a refused session is
	// replaced by starting a new source.
	newSource func() oauth2.TokenSource

	mu       sync.Mutex
	src      oauth2.TokenSource
	requests int
	used     int
	max      int
	// served is the time of the last answer, from its Date header.
	served time.Time
}

// New returns a client for cfg. It checks the configuration but does not
// sign in until the first request.
func New(cfg Config) (*Client, error) {
	if cfg.LoginURL == "" {
		return nil, errors.New("salesforce: no login URL")
	}
	if cfg.ClientID == "" {
		return nil, errors.New("salesforce: no client ID (the connected app's consumer key)")
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	if !strings.HasPrefix(cfg.APIVersion, "v") {
		cfg.APIVersion = "v" + cfg.APIVersion
	}
	if cfg.MaxUsage <= 0 {
		cfg.MaxUsage = 0.9
	}
	if cfg.LimitRetries == 0 {
		cfg.LimitRetries = 3
	}
	if cfg.LimitBackoff <= 0 {
		cfg.LimitBackoff = time.Minute
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Sleep == nil {
		cfg.Sleep = clock.Real.Sleep
	}
	c := &Client{cfg: cfg, http: cfg.HTTPClient}
	if cfg.ProductField != "" {
		c.withProduct = opportunityWith(cfg.ProductField)
	}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	tokenURL := strings.TrimSuffix(cfg.LoginURL, "/") + "/services/oauth2/token"
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, c.http)
	switch {
	case len(cfg.PrivateKey) > 0:
		if cfg.Username == "" {
			return nil, errors.New("salesforce: the JWT bearer flow needs a username")
		}
		if _, err := parseKey(cfg.PrivateKey); err != nil {
			return nil, err
		}
		jc := &jwt.Config{
			Email:      cfg.ClientID,
			Subject:    cfg.Username,
			PrivateKey: cfg.PrivateKey,
			Audience:   audience(cfg.LoginURL),
			TokenURL:   tokenURL,
			Expires:    3 * time.Minute,
		}
		c.newSource = func() oauth2.TokenSource { return jc.TokenSource(ctx) }
	case cfg.ClientSecret != "":
		cc := &clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}
		c.newSource = func() oauth2.TokenSource { return cc.TokenSource(ctx) }
	default:
		return nil, errors.New("salesforce: set a private key and username (JWT bearer flow) or a client secret (client credentials)")
	}
	c.src = c.newSource()
	return c, nil
}

// audience is the JWT aud claim Salesforce expects: the login host for
// production and sandboxes, else the My Domain URL.
func audience(login string) string {
	u, err := url.Parse(login)
	if err != nil {
		return login
	}
	switch u.Host {
	case "login.salesforce.com", "test.salesforce.com":
		return "https://" + u.Host
	}
	return strings.TrimSuffix(login, "/")
}

// parseKey checks that pemKey is an RSA private key.
func parseKey(pemKey []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemKey)
	if block == nil {
		return nil, errors.New("salesforce: the private key is not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("salesforce: the private key is neither PKCS#1 nor PKCS#8: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("salesforce: the private key is not an RSA key")
	}
	return rk, nil
}

// Usage returns the org's API requests used and allowed in the last 24
// hours, as the last answer's Sforce-Limit-Info header said (0, 0 before
// any).
func (c *Client) Usage() (used, max int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used, c.max
}

// served returns the server's time of the last answer (zero if unknown).
func (c *Client) servedAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.served
}

// Requests returns how many API requests (tokens excluded) the client made.
func (c *Client) Requests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests
}

// token returns the current token and the instance URL it is for.
func (c *Client) token() (*oauth2.Token, string, error) {
	c.mu.Lock()
	src := c.src
	c.mu.Unlock()
	tok, err := src.Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			// Never echo the request: it holds the assertion or secret.
			code, desc := re.ErrorCode, re.ErrorDescription
			if code == "" {
				var body struct {
					Error       string `json:"error"`
					Description string `json:"error_description"`
				}
				_ = json.Unmarshal(re.Body, &body)
				code, desc = body.Error, body.Description
			}
			return nil, "", fmt.Errorf("salesforce: sign in: HTTP %d %s: %s", re.Response.StatusCode, code, desc)
		}
		return nil, "", fmt.Errorf("salesforce: sign in: %w", err)
	}
	inst, _ := tok.Extra("instance_url").(string)
	if inst == "" {
		return nil, "", errors.New("salesforce: sign in: the token answer has no instance_url")
	}
	return tok, strings.TrimSuffix(inst, "/"), nil
}

// renew drops the token old so the next request signs in again, unless
// another request already replaced it.
func (c *Client) renew(old *oauth2.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, err := c.src.Token(); err == nil && cur.AccessToken != old.AccessToken {
		return
	}
	c.src = c.newSource()
}

// get sends a GET for path (starting with /services/data/) and decodes the
// JSON answer into out. A refused session signs in again once; a
// REQUEST_LIMIT_EXCEEDED answer waits and tries again (Config.LimitRetries).
func (c *Client) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, path, func(body io.Reader) error {
		b, err := io.ReadAll(body)
		if err != nil {
			return fmt.Errorf("read answer: %w", err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("decode answer: %w", err)
		}
		return nil
	})
}

// do is get handing a successful answer's body (at most 64 MiB) to ok,
// which reads it as it arrives.
func (c *Client) do(ctx context.Context, path string, ok func(body io.Reader) error) error {
	renewed := false
	backoff, tries := c.cfg.LimitBackoff, 0
	for {
		if err := c.checkUsage(); err != nil {
			return err
		}
		tok, inst, err := c.token()
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, inst+path, nil)
		if err != nil {
			return err
		}
		tok.SetAuthHeader(req)
		req.Header.Set("Accept", "application/json")
		if c.cfg.BatchSize > 0 {
			req.Header.Set("Sforce-Query-Options", "batchSize="+strconv.Itoa(c.cfg.BatchSize))
		}
		c.mu.Lock()
		c.requests++
		c.mu.Unlock()
		resp, err := c.http.Do(req)
		if err != nil {
			return fmt.Errorf("salesforce: GET %s: %w", redact(path), err)
		}
		c.noteUsage(resp.Header.Get("Sforce-Limit-Info"))
		if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			c.mu.Lock()
			c.served = t
			c.mu.Unlock()
		}
		if resp.StatusCode == http.StatusOK {
			err := ok(io.LimitReader(resp.Body, 64<<20))
			resp.Body.Close()
			if err != nil {
				return fmt.Errorf("salesforce: GET %s: %w", redact(path), err)
			}
			return nil
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("salesforce: GET %s: read answer: %w", redact(path), err)
		}
		apiErr := decodeError(resp.StatusCode, body)
		switch {
		case apiErr.Code == "INVALID_SESSION_ID" && !renewed:
			renewed = true
			c.renew(tok)
			continue
		case apiErr.Code == "REQUEST_LIMIT_EXCEEDED":
			if tries >= c.cfg.LimitRetries {
				return fmt.Errorf("%w: %w", ErrUsage, apiErr)
			}
			tries++
			if err := c.cfg.Sleep(ctx, backoff); err != nil {
				return err
			}
			backoff *= 2
			// Requests leave the org's rolling 24-hour window while we
			// wait: the usage is unknown until the next answer.
			c.mu.Lock()
			c.used, c.max = 0, 0
			c.mu.Unlock()
			continue
		}
		return apiErr
	}
}

// checkUsage returns ErrUsage once the org has used Config.MaxUsage of its
// API requests.
func (c *Client) checkUsage() error {
	used, max := c.Usage()
	if max > 0 && float64(used) >= c.cfg.MaxUsage*float64(max) {
		return fmt.Errorf("%w: the org has used %d of its %d daily API requests; the sync stops at %.0f%% to leave the rest to other integrations", ErrUsage, used, max, 100*c.cfg.MaxUsage)
	}
	return nil
}

// noteUsage records an "api-usage=18/5000" Sforce-Limit-Info header.
func (c *Client) noteUsage(h string) {
	for _, part := range strings.Split(h, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k != "api-usage" {
			continue
		}
		u, m, ok := strings.Cut(v, "/")
		if !ok {
			continue
		}
		used, err1 := strconv.Atoi(u)
		max, err2 := strconv.Atoi(m)
		if err1 != nil || err2 != nil {
			continue
		}
		c.mu.Lock()
		c.used, c.max = used, max
		c.mu.Unlock()
	}
}

// decodeError reads a [{"message","errorCode"}] error body.
func decodeError(status int, body []byte) *Error {
	var list []struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}
	if err := json.Unmarshal(body, &list); err == nil && len(list) > 0 {
		return &Error{Status: status, Code: list[0].ErrorCode, Message: list[0].Message}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return &Error{Status: status, Code: http.StatusText(status), Message: msg}
}

// redact shortens a query path for error messages: the SOQL can be long.
func redact(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return p
}

// Query runs the SOQL query q and calls fn with each page of records,
// following nextRecordsUrl until done. With all it uses queryAll, which also
// returns deleted (IsDeleted) and archived records.
func (c *Client) Query(ctx context.Context, q string, all bool, fn func(records []json.RawMessage) error) error {
	return query(ctx, c, q, all, decodeAs[json.RawMessage], func(_ int, recs []json.RawMessage) error {
		// The caller may keep the page: each gets a list of its own.
		return fn(slices.Clone(recs))
	})
}

// query is Query decoding each record with decode as it arrives, straight
// into a T, rather than holding the page's records as JSON first. fn gets
// the query's totalSize and the page's records; the list is reused for the
// next page, so fn must not keep it (it may keep the records).
func query[T any](ctx context.Context, c *Client, q string, all bool, decode func(*json.Decoder, *T) error, fn func(total int, records []T) error) error {
	op := "query"
	if all {
		op = "queryAll"
	}
	path := "/services/data/" + c.cfg.APIVersion + "/" + op + "?q=" + url.QueryEscape(q)
	var recs []T
	for {
		page := queryPage[T]{Records: recs[:0], decodeRecord: decode}
		if err := c.do(ctx, path, page.decode); err != nil {
			return err
		}
		if err := fn(page.TotalSize, page.Records); err != nil {
			return err
		}
		recs = page.Records
		clear(recs) // let the records go once fn is done with them
		if page.Done || page.NextRecordsURL == "" {
			return nil
		}
		if !strings.HasPrefix(page.NextRecordsURL, "/services/data/") {
			return fmt.Errorf("salesforce: unexpected nextRecordsUrl %q", page.NextRecordsURL)
		}
		path = page.NextRecordsURL
	}
}

// decodeAs decodes a record into a T with encoding/json.
func decodeAs[T any](dec *json.Decoder, x *T) error { return dec.Decode(x) }

// queryPage is one page of a query's answer.
type queryPage[T any] struct {
	TotalSize      int
	Done           bool
	NextRecordsURL string
	Records        []T
	decodeRecord   func(*json.Decoder, *T) error
}

// decode reads a page as it arrives, record by record, rather than
// reading the whole answer first and then decoding it.
func (p *queryPage[T]) decode(body io.Reader) error {
	dec := json.NewDecoder(body)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("decode answer: want an object: %v", err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("decode answer: %w", err)
		}
		switch t {
		case "totalSize":
			err = dec.Decode(&p.TotalSize)
		case "done":
			err = dec.Decode(&p.Done)
		case "nextRecordsUrl":
			err = dec.Decode(&p.NextRecordsURL)
		case "records":
			if t, err = dec.Token(); err == nil && t != json.Delim('[') {
				if t == nil { // "records": null
					continue
				}
				return fmt.Errorf("decode answer: records is not a list")
			}
			for err == nil && dec.More() {
				var x T
				p.Records = append(p.Records, x)
				if err = p.decodeRecord(dec, &p.Records[len(p.Records)-1]); err != nil {
					err = fmt.Errorf("record %d: %w", len(p.Records)-1, err)
				}
			}
			if err == nil {
				_, err = dec.Token() // ]
			}
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return fmt.Errorf("decode answer: %w", err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}
