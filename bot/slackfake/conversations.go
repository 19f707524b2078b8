package slackfake

import "strings"

// Channel is a public or private channel of the fake workspace, for
// Config.Channels.
type Channel struct {
	ID       string // C… (public or, since 2021, private), or G… (an older private channel)
	Name     string // without the #
	Private  bool
	Archived bool
	// Member is whether the bot was invited: it may post in a channel it is
	// in without chat:write.public, and in a private one only then.
	Member bool
}

// channelLocked returns the channel id names, as conversations.info and
// chat.postMessage see it. Without Config.Channels every C… ID is a public
// channel the bot is not in and every G… ID a private one it is in (the
// fake's first workspaces); with it, only the channels listed exist. The
// caller holds s.mu.
func (s *Server) channelLocked(id string) (Channel, bool) {
	if s.cfg.Channels == nil {
		switch {
		case strings.HasPrefix(id, "C"):
			return Channel{ID: id, Name: channelName(id)}, true
		case strings.HasPrefix(id, "G"):
			return Channel{ID: id, Name: channelName(id), Private: true, Member: true}, true
		}
		return Channel{}, false
	}
	for _, c := range s.cfg.Channels {
		if c.ID == id {
			return c, true
		}
	}
	return Channel{}, false
}

// canPostLocked is chat.postMessage's check of a channel (C… or G…): like
// Slack it answers channel_not_found for a channel that does not exist or
// is private without the bot, is_archived for an archived one, and
// not_in_channel for a public one the bot is not in, unless the token has
// chat:write.public.
func (s *Server) canPostLocked(id string) *apiError {
	c, ok := s.channelLocked(id)
	switch {
	case !ok || (c.Private && !c.Member):
		return fail("channel_not_found")
	case c.Archived:
		return fail("is_archived")
	case !c.Member && !s.hasScope("chat:write.public"):
		return fail("not_in_channel")
	}
	return nil
}

// conversationsInfo answers conversations.info for a channel as Slack does
// for a bot token: channel_not_found for one that does not exist or is
// private without the bot, else the channel object with is_private,
// is_archived and is_member. DMs (D…) are the bot's IMs.
func (s *Server) conversationsInfo(req *apiRequest) (obj, *apiError) {
	id := req.str("channel")
	if strings.HasPrefix(id, "D") {
		u, ok := s.dmUserLocked(id)
		if !ok {
			return nil, fail("channel_not_found")
		}
		return obj{"channel": obj{"id": id, "is_im": true, "user": u.ID, "is_archived": false, "is_org_shared": false,
			"context_team_id": TeamID, "created": 1700000000, "is_user_deleted": u.Deleted}}, nil
	}
	c, ok := s.channelLocked(id)
	if !ok || (c.Private && !c.Member) {
		return nil, fail("channel_not_found")
	}
	name := c.Name
	if name == "" {
		name = channelName(c.ID)
	}
	return obj{"channel": obj{
		"id": c.ID, "name": name, "name_normalized": name,
		"is_channel": true, "is_group": false, "is_im": false, "is_mpim": false,
		"is_private": c.Private, "is_archived": c.Archived, "is_general": c.ID == DefaultChannel,
		"is_member": c.Member, "is_shared": false, "is_ext_shared": false, "is_org_shared": false,
		"is_pending_ext_shared": false, "unlinked": 0, "created": 1700000000, "updated": 1700000000000,
		"creator": "", "context_team_id": TeamID, "shared_team_ids": []string{TeamID},
		"parent_conversation": nil, "pending_shared": []string{}, "pending_connected_team_ids": []string{},
		"topic":          obj{"value": "", "creator": "", "last_set": 0},
		"purpose":        obj{"value": "", "creator": "", "last_set": 0},
		"previous_names": []string{},
	}}, nil
}

// infoScope is the scope conversations.info needs for a channel ID:
// im:read for a DM, groups:read for an older private channel (G…),
// channels:read otherwise (a private C… channel needs groups:read too, which
// the fake cannot tell from the ID alone and leaves to Config.Channels).
func infoScope(channel string) string {
	switch {
	case strings.HasPrefix(channel, "D"):
		return "im:read"
	case strings.HasPrefix(channel, "G"):
		return "groups:read"
	}
	return "channels:read"
}
