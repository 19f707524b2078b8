package slackfake

import (
	"encoding/json"
	"fmt"
	"time"
)

// triggerLife is how long a trigger_id can open a modal.
const triggerLife = 3 * time.Second

// trigger is a trigger_id handed out with a command or interaction.
type trigger struct {
	user   string
	issued time.Time // Config.Now
	used   bool
}

// newTriggerLocked issues a trigger_id for user, shaped like Slack's
// ("37053613634.26768298162.440952c06ef4de2653466a48fe495f93"). The caller holds s.mu.
func (s *Server) newTriggerLocked(user string) string {
	id := fmt.Sprintf("%d.%d.%s", 10000000000+s.nextSeqLocked(), 26768298162, randomHex(16))
	s.triggers[id] = &trigger{user: user, issued: s.cfg.Now()}
	return id
}

// view is an opened modal or a published Home tab.
type view struct {
	id, user, kind, externalID, hash string
	body                             map[string]json.RawMessage
}

// json renders the view as views.* answer it.
func (v *view) json() obj {
	o := obj{}
	for k, raw := range v.body {
		o[k] = raw
	}
	o["id"], o["team_id"], o["type"], o["hash"] = v.id, TeamID, v.kind, v.hash
	o["root_view_id"], o["app_id"], o["bot_id"], o["app_installed_team_id"] = v.id, AppID, BotID, TeamID
	o["external_id"], o["previous_view_id"] = v.externalID, nil
	o["state"] = obj{"values": obj{}}
	for _, k := range []string{"private_metadata", "callback_id"} {
		if _, ok := o[k]; !ok {
			o[k] = ""
		}
	}
	for _, k := range []string{"clear_on_close", "notify_on_close"} {
		if _, ok := o[k]; !ok {
			o[k] = false
		}
	}
	return o
}

// parseView decodes and checks a view argument: an object of type want (modal or home), at
// most 100 valid blocks, title, submit and close within 24 characters, private_metadata within
// 3000, all within 250 kB.
func parseView(raw json.RawMessage, want string) (map[string]json.RawMessage, *apiError) {
	var body map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &body) != nil {
		return nil, fail("invalid_arguments", "[ERROR] missing required field: view")
	}
	if len(raw) > 250*1024 {
		return nil, fail("view_too_large")
	}
	if typ := str(body, "type"); typ != want {
		return nil, fail("invalid_arguments", fmt.Sprintf("[ERROR] must be %q [json-pointer:/view/type]", want))
	}
	var v validator
	for _, k := range []string{"title", "submit", "close"} {
		if t, ok := textOf(body[k]); ok {
			v.maxLen("/view/"+k+"/text", t, 24)
		}
	}
	v.maxLen("/view/private_metadata", str(body, "private_metadata"), 3000)
	if _, msgs := checkBlocks(body["blocks"], maxViewBlocks, "/view/blocks"); len(msgs) > 0 {
		v.messages = append(v.messages, msgs...)
	}
	if len(v.messages) > 0 {
		return nil, fail("invalid_arguments", v.messages...)
	}
	return body, nil
}

// newViewLocked stores a view with a fresh ID and hash. The caller holds s.mu.
func (s *Server) newViewLocked(user, kind string, body map[string]json.RawMessage) *view {
	v := &view{id: fmt.Sprintf("V0FAKE%05d", s.nextSeqLocked()), user: user, kind: kind, body: body}
	v.externalID = str(body, "external_id")
	s.rehashLocked(v)
	s.views[v.id] = v
	return v
}

func (s *Server) rehashLocked(v *view) {
	v.hash = fmt.Sprintf("%d.%s", s.cfg.Now().Unix(), randomHex(4))
}

// viewsOpen opens a modal with a trigger_id that is known, unused and at most 3 s old.
func (s *Server) viewsOpen(req *apiRequest) (obj, *apiError) {
	t, ok := s.triggers[req.str("trigger_id")]
	switch {
	case !ok:
		return nil, fail("invalid_trigger_id")
	case t.used:
		return nil, fail("exchanged_trigger_id")
	case s.cfg.Now().Sub(t.issued) > triggerLife:
		return nil, fail("expired_trigger_id")
	}
	body, e := parseView(req.raw("view"), "modal")
	if e != nil {
		return nil, e
	}
	t.used = true
	v := s.newViewLocked(t.user, "modal", body)
	out := v.json()
	s.recordLocked(Message{Method: "views.open", User: t.user, View: mustJSON(out)})
	return obj{"view": out}, nil
}

// viewsPublish sets a user's Home tab. A hash that is not the current one gives hash_conflict.
func (s *Server) viewsPublish(req *apiRequest) (obj, *apiError) {
	userID := req.str("user_id")
	if _, ok := s.dir.user(userID); !ok {
		return nil, fail("user_not_found")
	}
	body, e := parseView(req.raw("view"), "home")
	if e != nil {
		return nil, e
	}
	v, ok := s.views[s.homes[userID]]
	if hash := req.str("hash"); ok && hash != "" && hash != v.hash {
		return nil, fail("hash_conflict")
	}
	if ok {
		v.body = body
		s.rehashLocked(v)
	} else {
		v = s.newViewLocked(userID, "home", body)
		s.homes[userID] = v.id
	}
	out := v.json()
	s.recordLocked(Message{Method: "views.publish", User: userID, View: mustJSON(out)})
	return obj{"view": out}, nil
}

// viewsUpdate replaces a view found by view_id or external_id.
func (s *Server) viewsUpdate(req *apiRequest) (obj, *apiError) {
	v := s.views[req.str("view_id")]
	if ext := req.str("external_id"); v == nil && ext != "" {
		for _, x := range s.views {
			if x.externalID == ext {
				v = x
			}
		}
	}
	if v == nil {
		return nil, fail("not_found")
	}
	if hash := req.str("hash"); hash != "" && hash != v.hash {
		return nil, fail("hash_conflict")
	}
	body, e := parseView(req.raw("view"), v.kind)
	if e != nil {
		return nil, e
	}
	v.body = body
	s.rehashLocked(v)
	out := v.json()
	s.recordLocked(Message{Method: "views.update", User: v.user, View: mustJSON(out)})
	return obj{"view": out}, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called on values built here from valid JSON
	}
	return b
}
