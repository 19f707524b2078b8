package slackfake

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// userJSON is a user as users.info, users.list and users.lookupByEmail return it.
// With include_locale=true (users.info and users.list; slack-go always sends
// it) the user carries "locale", as in Slack: "en-US" unless set.
func (s *Server) userJSON(u User, req *apiRequest) obj {
	now := s.cfg.Now()
	tz := u.TZ
	if tz == "" {
		tz = "UTC"
	}
	offset := u.TZOffset
	if offset == 0 {
		offset = tzOffset(tz, now)
	}
	first, last, _ := strings.Cut(u.RealName, " ")
	display := u.DisplayName
	if display == "" {
		display = u.Name
	}
	profile := obj{
		"real_name": u.RealName, "real_name_normalized": normalize(u.RealName),
		"display_name": display, "display_name_normalized": normalize(display),
		"first_name": first, "last_name": last, "team": TeamID,
		"avatar_hash": "g" + strings.ToLower(u.ID[1:min(len(u.ID), 12)]),
		"image_24":    "https://secure.gravatar.com/avatar/" + u.ID + ".jpg?s=24",
		"image_48":    "https://secure.gravatar.com/avatar/" + u.ID + ".jpg?s=48",
		"image_72":    "https://secure.gravatar.com/avatar/" + u.ID + ".jpg?s=72",
	}
	if u.Email != "" && !u.IsBot && s.hasScope("users:read.email") {
		profile["email"] = u.Email
	}
	o := obj{
		"id": u.ID, "team_id": TeamID, "name": u.Name, "deleted": u.Deleted, "color": "9f69e7",
		"real_name": u.RealName, "tz": tz, "tz_label": tzLabel(tz, now), "tz_offset": offset,
		"profile": profile, "is_admin": false, "is_owner": false, "is_primary_owner": false,
		"is_restricted": u.Restricted || u.UltraRestricted, "is_ultra_restricted": u.UltraRestricted, "is_bot": u.IsBot, "is_app_user": false,
		"updated": now.Unix(), "is_email_confirmed": u.Email != "", "who_can_share_contact_card": "EVERYONE",
	}
	if req != nil && req.str("include_locale") == "true" {
		o["locale"] = u.Locale
		if u.Locale == "" {
			o["locale"] = "en-US"
		}
	}
	if u.IsBot && u.ID == BotUserID {
		profile["bot_id"] = BotID
		profile["api_app_id"] = AppID
	}
	return o
}

// normalize approximates Slack's *_normalized fields: accents dropped.
func normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < unicode.MaxASCII:
			return r
		case strings.ContainsRune("áàâäã", r):
			return 'a'
		case strings.ContainsRune("éèêë", r):
			return 'e'
		case strings.ContainsRune("íìîï", r):
			return 'i'
		case strings.ContainsRune("óòôöõ", r):
			return 'o'
		case strings.ContainsRune("úùûü", r):
			return 'u'
		case r == 'ñ':
			return 'n'
		case r == 'ç':
			return 'c'
		}
		return r
	}, s)
}

func (s *Server) usersInfo(req *apiRequest) (obj, *apiError) {
	u, ok := s.dir.user(req.str("user"))
	if !ok {
		return nil, fail("user_not_found")
	}
	return obj{"user": s.userJSON(u, req)}, nil
}

// usersList pages the workspace's members (deleted ones and bots included, as Slack does) by
// limit (0: everyone) and an opaque cursor, answered in response_metadata.next_cursor.
func (s *Server) usersList(req *apiRequest) (obj, *apiError) {
	limit, _ := strconv.Atoi(req.str("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	start := 0
	if cur := req.str("cursor"); cur != "" {
		b, err := base64.StdEncoding.DecodeString(cur)
		id, ok := strings.CutPrefix(string(b), "user:")
		i, known := s.dir.byID[id]
		if err != nil || !ok || !known {
			return nil, fail("invalid_cursor")
		}
		start = i
	}
	members := []obj{}
	next := ""
	for i := start; i < len(s.dir.users); i++ {
		if len(members) == limit {
			next = base64.StdEncoding.EncodeToString([]byte("user:" + s.dir.users[i].ID))
			break
		}
		members = append(members, s.userJSON(s.dir.users[i], req))
	}
	return obj{"members": members, "cache_ts": s.cfg.Now().Unix(), "response_metadata": obj{"next_cursor": next}}, nil
}

// usersLookupByEmail finds an active user by email; deactivated users are not found.
func (s *Server) usersLookupByEmail(req *apiRequest) (obj, *apiError) {
	email := req.str("email")
	if email == "" {
		return nil, fail("invalid_arguments")
	}
	u, ok := s.dir.byEmail(email)
	if !ok {
		return nil, fail("users_not_found")
	}
	return obj{"user": s.userJSON(u, nil)}, nil
}

// activeMembers returns the group's members who are not deactivated.
func (s *Server) activeMembers(g userGroup) []string {
	out := []string{}
	for _, id := range g.Members {
		if u, ok := s.dir.user(id); !ok || !u.Deleted {
			out = append(out, id)
		}
	}
	return out
}

func (s *Server) usergroupsList(req *apiRequest) (obj, *apiError) {
	created := s.cfg.Now().Add(-365 * 24 * time.Hour).Unix()
	groups := []obj{}
	for _, g := range s.dir.groups {
		members := s.activeMembers(g)
		o := obj{
			"id": g.ID, "team_id": TeamID, "is_usergroup": true, "is_subteam": true,
			"name": g.Name, "description": "", "handle": g.Handle, "is_external": false,
			"date_create": created, "date_update": created, "date_delete": 0, "auto_type": nil,
			"created_by": "U02OPSLEAD", "updated_by": "U02OPSLEAD", "deleted_by": nil,
			"prefs": obj{"channels": []string{}, "groups": []string{}},
		}
		if req.flag("include_count") {
			o["user_count"] = len(members)
		}
		if req.flag("include_users") {
			o["users"] = members
		}
		groups = append(groups, o)
	}
	return obj{"usergroups": groups}, nil
}

func (s *Server) usergroupsUsersList(req *apiRequest) (obj, *apiError) {
	g, ok := s.dir.group(req.str("usergroup"))
	if !ok {
		return nil, fail("no_such_subteam")
	}
	return obj{"users": s.activeMembers(g)}, nil
}
