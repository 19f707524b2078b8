package slackfake

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// apiRequest is a Web API call's arguments, from a form body, the query string or a JSON body.
type apiRequest struct {
	token string
	form  url.Values
	json  map[string]json.RawMessage
}

// str returns argument k as a string: a JSON string unquoted, other JSON values verbatim.
func (r *apiRequest) str(k string) string {
	if v, ok := r.json[k]; ok {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		if string(v) == "null" {
			return ""
		}
		return string(v)
	}
	return r.form.Get(k)
}

// raw returns argument k as JSON: a JSON body's value, or a form value (which holds JSON text).
func (r *apiRequest) raw(k string) json.RawMessage {
	if v, ok := r.json[k]; ok {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return json.RawMessage(s) // Node's SDK sends view as a JSON string even in JSON bodies
		}
		if string(v) == "null" {
			return nil
		}
		return v
	}
	if v := r.form.Get(k); v != "" {
		return json.RawMessage(v)
	}
	return nil
}

func (r *apiRequest) flag(k string) bool {
	b, _ := strconv.ParseBool(r.str(k))
	return b || r.str(k) == "1"
}

func parseAPIRequest(r *http.Request) (*apiRequest, error) {
	req := &apiRequest{form: url.Values{}}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		req.token = strings.TrimPrefix(h, "Bearer ")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			return nil, err
		}
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, &req.json); err != nil {
				return nil, err
			}
		}
		req.form = r.URL.Query()
	} else {
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		req.form = r.Form
	}
	if req.token == "" {
		req.token = req.str("token")
	}
	return req, nil
}

// apiError is a Web API failure: {"ok":false,"error":code}, or HTTP 429 when retry is set.
type apiError struct {
	code string
	// needed and provided are missing_scope's fields: the scope the call
	// needs and the token's scopes, comma-separated.
	needed, provided string
	retry            time.Duration
	messages         []string // response_metadata.messages, as Slack gives for invalid_blocks
}

func (e *apiError) Error() string { return e.code }

func fail(code string, messages ...string) *apiError {
	return &apiError{code: code, messages: messages}
}

// obj is a JSON object answer; "ok":true is added on the way out.
type obj = map[string]any

type apiHandler func(req *apiRequest) (obj, *apiError)

// handler returns the implementation of a Web API method and whether it takes the app-level
// token rather than the bot token. Every handler runs with s.mu held.
func (s *Server) handler(method string) (h apiHandler, appToken, ok bool) {
	switch method {
	case "apps.connections.open":
		return s.appsConnectionsOpen, true, true
	case "auth.test":
		return s.authTest, false, true
	case "chat.postMessage":
		return s.chatPostMessage, false, true
	case "chat.postEphemeral":
		return s.chatPostEphemeral, false, true
	case "chat.update":
		return s.chatUpdate, false, true
	case "conversations.open":
		return s.conversationsOpen, false, true
	case "conversations.history":
		return s.conversationsHistory, false, true
	case "conversations.info":
		return s.conversationsInfo, false, true
	case "users.info":
		return s.usersInfo, false, true
	case "users.list":
		return s.usersList, false, true
	case "users.lookupByEmail":
		return s.usersLookupByEmail, false, true
	case "usergroups.list":
		return s.usergroupsList, false, true
	case "usergroups.users.list":
		return s.usergroupsUsersList, false, true
	case "views.open":
		return s.viewsOpen, false, true
	case "views.publish":
		return s.viewsPublish, false, true
	case "views.update":
		return s.viewsUpdate, false, true
	}
	return nil, false, false
}

// serveAPI answers {api}/METHOD: count, injected faults, token check, rate limit, then the method.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	req, err := parseAPIRequest(r)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.calls[method]++
	h, wantApp, known := s.handler(method)
	if !known {
		writeError(w, fail("unknown_method"))
		return
	}
	if err != nil {
		writeError(w, fail("invalid_form_data"))
		return
	}
	if code, limited := s.injectedLocked(method); code != "" {
		writeError(w, fail(code))
		return
	} else if limited {
		writeError(w, &apiError{code: "ratelimited", retry: time.Second})
		return
	}
	if e := s.checkToken(req.token, wantApp); e != nil {
		writeError(w, e)
		return
	}
	if !wantApp {
		if e := s.missingScope(method, req); e != nil {
			writeError(w, e)
			return
		}
		if method == "auth.test" {
			// Slack returns the token's scopes in this header on every call.
			w.Header().Set("X-OAuth-Scopes", strings.Join(s.cfg.BotScopes, ","))
		}
	}
	if ok, retry := s.limits.allow(method, s.cfg.Now()); !ok {
		writeError(w, &apiError{code: "ratelimited", retry: retry})
		return
	}
	res, e := h(req)
	if e != nil {
		writeError(w, e)
		return
	}
	res["ok"] = true
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) checkToken(token string, wantApp bool) *apiError {
	want, other := s.cfg.BotToken, s.cfg.AppToken
	if wantApp {
		want, other = other, want
	}
	if slices.Contains(s.cfg.RevokedTokens, token) || (s.uninstalled && token != "") {
		return fail("token_revoked")
	}
	switch token {
	case "":
		return fail("not_authed")
	case want:
		return nil
	case other:
		return fail("not_allowed_token_type")
	}
	return fail("invalid_auth")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers a failure as Slack does; rate limits as HTTP 429 with Retry-After in seconds.
func writeError(w http.ResponseWriter, e *apiError) {
	body := obj{"ok": false, "error": e.code}
	if len(e.messages) > 0 {
		body["response_metadata"] = obj{"messages": e.messages}
	}
	if e.code == "missing_scope" {
		body["needed"], body["provided"] = e.needed, e.provided
	}
	status := http.StatusOK
	if e.retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(e.retry)))
		status = http.StatusTooManyRequests
	}
	writeJSON(w, status, body)
}

func (s *Server) appsConnectionsOpen(*apiRequest) (obj, *apiError) {
	ticket := newUUID()
	s.tickets[ticket] = true
	u := "ws" + strings.TrimPrefix(s.base, "http") + "/link/?ticket=" + ticket + "&app_id=" + AppID
	return obj{"url": u}, nil
}

func (s *Server) authTest(*apiRequest) (obj, *apiError) {
	return obj{
		"url": "https://" + TeamDomain + ".slack.com/", "team": TeamName, "user": "repcoach",
		"team_id": TeamID, "user_id": BotUserID, "bot_id": BotID, "is_enterprise_install": false,
	}, nil
}
