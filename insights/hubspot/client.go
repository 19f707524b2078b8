// Package hubspot reads deals, their stage history, owners and pipelines
// from the HubSpot CRM v3 API for RepCoach's live CRM sync, with a private
// app token. A full sync lists every deal (with its dealstage history and
// company); an incremental one searches deals by hs_lastmodifieddate,
// paging with `after` and starting a new window from the last modification
// time seen before the search API's 10,000-result cap, then reads the
// changed deals' stage history and companies in batches. It waits as told
// (Retry-After) when HubSpot answers 429 for its per-second or
// per-10-second limits. Client.Fetch maps what it reads into the dataset
// types the CSV importers produce.
package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/repcoach/repcoach/insights/clock"
)

// Config says how to reach a HubSpot account.
type Config struct {
	// BaseURL is the API's base URL (https://api.hubapi.com).
	BaseURL string
	// Token is a private app's access token (pat-…) with the
	// crm.objects.deals.read, crm.objects.owners.read and
	// crm.objects.companies.read scopes.
	Token string
	// ProductProperty names a deal property holding the product; empty
	// reads none.
	ProductProperty string
	// MaxWaits is how many 429 answers in a row one request waits out
	// before giving up; 0 means 10.
	MaxWaits int
	// HTTPClient makes every request; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Sleep waits d or until ctx ends (tests inject one); nil is
	// clock.Real.Sleep.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Error is an error answer of the API: its HTTP status and the body's
// category and message.
type Error struct {
	Status   int
	Category string
	Message  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("hubspot: HTTP %d %s: %s", e.Status, e.Category, e.Message)
}

// Client talks to one HubSpot account. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client

	mu       sync.Mutex
	requests int
	waits    int
	daily    string // "remaining/max" of the daily allowance, when told
	served   time.Time
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("hubspot: no API URL")
	}
	if cfg.Token == "" {
		return nil, errors.New("hubspot: no private app token")
	}
	if cfg.MaxWaits <= 0 {
		cfg.MaxWaits = 10
	}
	if cfg.Sleep == nil {
		cfg.Sleep = clock.Real.Sleep
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	c := &Client{cfg: cfg, http: cfg.HTTPClient}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	return c, nil
}

// Name returns "hubspot".
func (c *Client) Name() string { return "hubspot" }

// Requests returns how many requests the client made, and how many 429
// answers it waited out.
func (c *Client) Requests() (requests, waits int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests, c.waits
}

func (c *Client) servedAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.served
}

// do sends a request with a JSON body (nil for none) and decodes the JSON
// answer into out. A 429 waits Retry-After (else the limit's interval) and
// tries again, up to Config.MaxWaits times.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	for waits := 0; ; waits++ {
		req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+path, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		c.mu.Lock()
		c.requests++
		c.mu.Unlock()
		resp, err := c.http.Do(req)
		if err != nil {
			return fmt.Errorf("hubspot: %s %s: %w", method, pathOnly(path), err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("hubspot: %s %s: read answer: %w", method, pathOnly(path), err)
		}
		c.note(resp.Header)
		if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusMultiStatus {
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("hubspot: %s %s: decode answer: %w", method, pathOnly(path), err)
			}
			return nil
		}
		apiErr := decodeError(resp.StatusCode, data)
		if resp.StatusCode != http.StatusTooManyRequests || waits >= c.cfg.MaxWaits {
			return apiErr
		}
		c.mu.Lock()
		c.waits++
		c.mu.Unlock()
		if err := c.cfg.Sleep(ctx, retryAfter(resp.Header)); err != nil {
			return err
		}
	}
}

// retryAfter reads how long to wait after a 429: Retry-After in seconds,
// else the limit's interval, else one second.
func retryAfter(h http.Header) time.Duration {
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if ms, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds")); err == nil && ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return time.Second
}

// note records the daily allowance and the server's time from an answer.
func (c *Client) note(h http.Header) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rem, max := h.Get("X-HubSpot-RateLimit-Daily-Remaining"), h.Get("X-HubSpot-RateLimit-Daily"); rem != "" && max != "" {
		c.daily = rem + "/" + max
	}
	if t, err := http.ParseTime(h.Get("Date")); err == nil {
		c.served = t
	}
}

func decodeError(status int, body []byte) *Error {
	var e struct {
		Category  string `json:"category"`
		ErrorType string `json:"errorType"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err == nil && (e.Category != "" || e.ErrorType != "" || e.Message != "") {
		if e.Category == "" {
			e.Category = e.ErrorType
		}
		return &Error{Status: status, Category: e.Category, Message: e.Message}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return &Error{Status: status, Category: http.StatusText(status), Message: msg}
}

func pathOnly(p string) string {
	p, _, _ = strings.Cut(p, "?")
	return p
}
