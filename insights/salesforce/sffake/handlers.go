package sffake

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	defaultBatch = 2000
	minBatch     = 200
)

// cursor is an open query's remaining records.
type cursor struct {
	q       *query
	version string
	idx     []int
	pos     int
	batch   int
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type apiError struct {
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
}

// fail answers a REST API error in Salesforce's shape. s.mu is held.
func (s *Server) fail(w http.ResponseWriter, status int, code, msg string) {
	s.stats.Refused[code]++
	writeJSON(w, status, []apiError{{Message: msg, ErrorCode: code}})
}

func oauthFail(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

// token is POST /services/oauth2/token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthFail(w, "invalid_request", "bad form")
		return
	}
	var user string
	switch r.PostForm.Get("grant_type") {
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		u, code, desc := s.checkAssertion(r.PostForm.Get("assertion"))
		if code != "" {
			oauthFail(w, code, desc)
			return
		}
		user = u
	case "client_credentials":
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if id != s.cfg.ClientID {
			oauthFail(w, "invalid_client_id", "client identifier invalid")
			return
		}
		if secret != s.cfg.ClientSecret {
			oauthFail(w, "invalid_client", "invalid client credentials")
			return
		}
		user = s.cfg.Username
	default:
		oauthFail(w, "unsupported_grant_type", "grant type not supported")
		return
	}
	s.mu.Lock()
	tok := newToken()
	now := s.cfg.Now()
	s.sessions[tok] = now.Add(s.cfg.SessionTTL)
	s.stats.Tokens++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{
		"access_token": tok,
		"scope":        "api",
		"instance_url": s.base,
		"id":           s.base + "/id/00DFAKE000000001AAA/" + sfid("005", 0),
		"token_type":   "Bearer",
		"issued_at":    strconv.FormatInt(now.UnixMilli(), 10),
		"signature":    base64.StdEncoding.EncodeToString([]byte(user)),
	})
}

// checkAssertion verifies a JWT bearer assertion: RS256 signed by the
// connected app's key, iss the consumer key, sub the allowed user, aud the
// login URL, exp in the future (by the real clock, as the signer's).
func (s *Server) checkAssertion(a string) (user, code, desc string) {
	parts := strings.Split(a, ".")
	if len(parts) != 3 {
		return "", "invalid_grant", "invalid assertion"
	}
	if s.cfg.PublicKey == nil {
		return "", "invalid_client", "no certificate uploaded to the connected app"
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if b, err := base64.RawURLEncoding.DecodeString(parts[0]); err != nil || json.Unmarshal(b, &hdr) != nil || hdr.Alg != "RS256" {
		return "", "invalid_grant", "invalid assertion"
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", "invalid_grant", "invalid assertion"
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(s.cfg.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return "", "invalid_grant", "invalid assertion"
	}
	var claims struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(b, &claims) != nil {
		return "", "invalid_grant", "invalid assertion"
	}
	switch {
	case claims.Iss != s.cfg.ClientID:
		return "", "invalid_client_id", "client identifier invalid"
	case claims.Aud != s.base && claims.Aud != "https://login.salesforce.com" && claims.Aud != "https://test.salesforce.com":
		return "", "invalid_grant", "audience is invalid"
	case claims.Exp <= time.Now().Unix():
		return "", "invalid_grant", "expired authorization code"
	case claims.Sub != s.cfg.Username:
		return "", "invalid_grant", "user hasn't approved this consumer"
	}
	return claims.Sub, "", ""
}

// query is GET /services/data/vXX.X/{query,queryAll}[/locator].
func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	version := r.PathValue("version")
	v, err := strconv.ParseFloat(strings.TrimPrefix(version, "v"), 64)
	if err != nil || !strings.HasPrefix(version, "v") || v < minVersion || v > maxVersion {
		s.fail(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	op := r.PathValue("op")
	if op != "query" && op != "queryAll" {
		s.fail(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		tok, _ = strings.CutPrefix(auth, "OAuth ")
	}
	if exp, ok := s.sessions[tok]; !ok || !now.Before(exp) {
		delete(s.sessions, tok)
		s.fail(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	for len(s.usage) > 0 && !s.usage[0].After(now.Add(-24*time.Hour)) {
		s.usage = s.usage[1:]
	}
	if len(s.usage) >= s.cfg.DailyLimit {
		w.Header().Set("Sforce-Limit-Info", "api-usage="+strconv.Itoa(len(s.usage))+"/"+strconv.Itoa(s.cfg.DailyLimit))
		s.fail(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
		return
	}
	s.usage = append(s.usage, now)
	s.stats.Requests++
	w.Header().Set("Sforce-Limit-Info", "api-usage="+strconv.Itoa(len(s.usage))+"/"+strconv.Itoa(s.cfg.DailyLimit))
	if s.cutAfter > 0 {
		s.cutAfter--
		if s.cutAfter == 0 {
			s.cutConnection(w)
			return
		}
	}

	var cur *cursor
	if loc := r.PathValue("locator"); loc != "" {
		cur = s.cursors[loc]
		if cur == nil {
			s.fail(w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
			return
		}
		delete(s.cursors, loc)
	} else {
		q, err := parse(r.URL.Query().Get("q"), objects(s.cfg))
		if err != nil {
			se := err.(*soqlError)
			s.fail(w, http.StatusBadRequest, se.code, se.msg)
			return
		}
		cur = &cursor{q: q, version: version, batch: batchSize(r.Header.Get("Sforce-Query-Options"))}
		for i := range q.object.count(&s.org) {
			if op == "query" && q.object.deleted(&s.org, i) {
				continue
			}
			if q.match(&s.org, i) {
				cur.idx = append(cur.idx, i)
			}
		}
	}
	end := min(cur.pos+cur.batch, len(cur.idx))
	var b bytes.Buffer
	b.WriteString(`{"totalSize":` + strconv.Itoa(len(cur.idx)) + `,"done":` + strconv.FormatBool(end == len(cur.idx)))
	if end < len(cur.idx) {
		s.seq++
		loc := "01gFAKE" + strconv.Itoa(s.seq) + "-" + strconv.Itoa(end)
		s.cursors[loc] = cur
		b.WriteString(`,"nextRecordsUrl":"/services/data/` + cur.version + `/query/` + loc + `"`)
	}
	b.WriteString(`,"records":[`)
	for j, i := range cur.idx[cur.pos:end] {
		if j > 0 {
			b.WriteByte(',')
		}
		cur.q.render(&b, &s.org, i, cur.version)
	}
	b.WriteString("]}")
	s.stats.Records[cur.q.object.name] += end - cur.pos
	cur.pos = end
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(b.Bytes())
}

// batchSize reads "batchSize=N" from Sforce-Query-Options: 200-2,000,
// default 2,000.
func batchSize(h string) int {
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(k, "batchSize") {
			if n, err := strconv.Atoi(v); err == nil {
				return max(minBatch, min(n, defaultBatch))
			}
		}
	}
	return defaultBatch
}

// cutConnection sends the start of an answer and drops the connection.
func (s *Server) cutConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: 100000\r\n\r\n{\"totalSize\":")
	_ = buf.Flush()
	_ = conn.Close()
}
