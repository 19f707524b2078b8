package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/bot/slackfake"
)

// webAPIMethod maps each slack-go client method the code calls to the Web
// API method it calls, and the kind of conversation it is used on (the bot
// reads the history of its own DMs only). A call of a client method missing
// here fails TestManifestScopesDerivedFromCode until it is added.
var webAPIMethod = map[string]struct{ method, channel string }{
	"AuthTestContext":               {"auth.test", ""},
	"GetConversationHistoryContext": {"conversations.history", "D"},
	"GetConversationInfoContext":    {"conversations.info", "C"}, // doctor: the awards channel
	"GetUserGroupMembersContext":    {"usergroups.users.list", ""},
	"GetUserGroupsContext":          {"usergroups.list", ""},
	"GetUserInfoContext":            {"users.info", ""},
	"GetUsersPaginated":             {"users.list", ""},
	"GetUserByEmailContext":         {"users.lookupByEmail", ""},
	"OpenConversationContext":       {"conversations.open", "D"},
	"OpenViewContext":               {"views.open", ""},
	"PostEphemeralContext":          {"chat.postEphemeral", ""},
	"PostMessageContext":            {"chat.postMessage", ""},
	"PublishViewContext":            {"views.publish", ""},
	"UpdateMessageContext":          {"chat.update", ""},
	"UpdateViewContext":             {"views.update", ""},
}

// notSlackCalls are slack.Client method names that also name other things
// the code calls (slog's Debug).
var notSlackCalls = map[string]bool{"Debug": true, "Debugf": true, "Debugln": true}

// scopeUse is what the code calls and reads of Slack, found in its source.
type scopeUse struct {
	methods       map[string]string // Web API method → conversation kind
	readsEmail    bool              // reads a user's Profile.Email
	postsChannels bool              // handlers post in channels (awards, /recognize form)
}

// scanSlackUse parses the non-test Go files in dirs for calls of slack-go
// client methods and reads of profile emails.
func scanSlackUse(t *testing.T, dirs ...string) scopeUse {
	t.Helper()
	client := map[string]bool{}
	ct := reflect.TypeOf(&slack.Client{})
	for i := range ct.NumMethod() {
		client[ct.Method(i).Name] = true
	}
	use := scopeUse{methods: map[string]string{}}
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(af, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					sel, ok := n.Fun.(*ast.SelectorExpr)
					if ok && sel.Sel.Name == "PostOnce" && filepath.Base(dir) == "handlers" {
						// handlers.OncePoster: the Poster's chat.postMessage, in a channel.
						use.postsChannels = true
					}
					if !ok || !client[sel.Sel.Name] || notSlackCalls[sel.Sel.Name] {
						return true
					}
					m, ok := webAPIMethod[sel.Sel.Name]
					if !ok {
						t.Errorf("%s calls slack-go's %s: add the Web API method it calls to webAPIMethod", f, sel.Sel.Name)
						return true
					}
					use.methods[m.method] = m.channel
					if m.method == "chat.postMessage" && filepath.Base(dir) == "handlers" {
						use.postsChannels = true
					}
				case *ast.SelectorExpr:
					if inner, ok := n.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "Profile" && n.Sel.Name == "Email" {
						use.readsEmail = true
					}
				}
				return true
			})
		}
	}
	return use
}

// Finding 6 and "scopes from the code": the manifest must grant exactly the
// scopes the code's calls need, as the fake Slack enforces them.
func TestManifestScopesDerivedFromCode(t *testing.T) {
	use := scanSlackUse(t, "../../bot", "../../handlers", "../../handlers/kit", ".")
	need := map[string]string{} // scope → why
	for method, channel := range use.methods {
		scopes := slackfake.MethodScopes(method, channel)
		if len(scopes) > 0 {
			// Of alternatives, the first is the one for the bot's kind of use.
			need[scopes[0]] = method
		}
	}
	if len(new(App).routes().Commands) > 0 {
		need["commands"] = "slash commands"
	}
	if use.readsEmail {
		need["users:read.email"] = "identity reads profile emails (users.list leaves them out otherwise)"
	}
	if use.postsChannels {
		need["chat:write.public"] = "awards and the /recognize form post in channels the bot was not invited to"
	}
	for _, m := range []string{"users.list", "conversations.history", "chat.postMessage", "usergroups.list"} {
		if _, ok := use.methods[m]; !ok {
			t.Errorf("the scan found no call of %s: it is not reading the code", m)
		}
	}
	granted := manifest().OAuthConfig.Scopes.Bot
	for scope, why := range need {
		if !slices.Contains(granted, scope) {
			t.Errorf("manifest lacks %s, needed by %s", scope, why)
		}
	}
	for _, scope := range granted {
		if _, ok := need[scope]; !ok {
			t.Errorf("manifest requests %s, which no call in the code needs", scope)
		}
	}
}
