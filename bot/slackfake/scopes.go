package slackfake

import (
	"slices"
	"strings"
)

// methodScopes lists, for each Web API method the fake serves with the bot
// token, the bot scopes of which a token needs at least one, as Slack's
// method reference gives them. Methods absent here (auth.test, views.*)
// need none. conversations.history depends on the conversation's kind (see
// historyScope).
var methodScopes = map[string][]string{
	"chat.postMessage":      {"chat:write"},
	"chat.postEphemeral":    {"chat:write"},
	"chat.update":           {"chat:write"},
	"conversations.open":    {"im:write", "mpim:write", "channels:manage", "groups:write"},
	"users.info":            {"users:read"},
	"users.list":            {"users:read"},
	"users.lookupByEmail":   {"users:read.email"},
	"usergroups.list":       {"usergroups:read"},
	"usergroups.users.list": {"usergroups:read"},
}

// historyScope is the scope conversations.history needs for a channel ID:
// im:history for a DM (D…), groups:history for a private channel (G…),
// channels:history for a public one.
func historyScope(channel string) string {
	switch {
	case strings.HasPrefix(channel, "D"):
		return "im:history"
	case strings.HasPrefix(channel, "G"):
		return "groups:history"
	}
	return "channels:history"
}

// MethodScopes returns the bot scopes of which a token needs one to call
// method on a conversation of channel's kind (channel matters only for
// conversations.history; pass "" otherwise). It returns nil for a method
// that needs no scope.
func MethodScopes(method, channel string) []string {
	switch method {
	case "conversations.history":
		return []string{historyScope(channel)}
	case "conversations.info":
		return []string{infoScope(channel)}
	}
	return slices.Clone(methodScopes[method])
}

// AllBotScopes returns every bot scope the fake knows, sorted: what a token
// gets when Config.BotScopes is nil, plus chat:write.public and
// users:read.email, which widen what methods do rather than gate them.
func AllBotScopes() []string {
	set := []string{"chat:write.public", "users:read.email", "commands",
		"channels:history", "groups:history", "im:history", "mpim:history",
		"channels:read", "groups:read", "im:read"}
	for _, s := range methodScopes {
		set = append(set, s...)
	}
	slices.Sort(set)
	return slices.Compact(set)
}

// missingScope returns the missing_scope failure for a bot-token call of
// method that the granted scopes do not cover, or nil. Like Slack it names
// the scope needed and lists the ones provided.
func (s *Server) missingScope(method string, req *apiRequest) *apiError {
	need := MethodScopes(method, req.str("channel"))
	if len(need) == 0 || slices.ContainsFunc(need, s.hasScope) {
		return nil
	}
	return &apiError{code: "missing_scope", needed: strings.Join(need, ","), provided: strings.Join(s.cfg.BotScopes, ",")}
}

func (s *Server) hasScope(scope string) bool { return slices.Contains(s.cfg.BotScopes, scope) }
