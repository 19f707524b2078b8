package bot

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/slack-go/slack"
)

// Kind says what a user did in Slack.
type Kind string

// The kinds of request the router dispatches.
const (
	KindCommand Kind = "command"
	KindAction  Kind = "action"
	KindView    Kind = "view_submission"
	KindEvent   Kind = "event"
)

// Request is what a user did in Slack, as a handler sees it: no socketmode
// types, only the fields handlers need.
type Request struct {
	Kind      Kind
	UserID    string
	TeamID    string
	ChannelID string

	// Command and Text are set for slash commands (Text is what follows the
	// command, trimmed).
	Command string
	Text    string

	// ActionID, BlockID and Value are set for block actions; MessageTS is the
	// message the button sat on, empty for App Home.
	ActionID  string
	BlockID   string
	Value     string
	MessageTS string

	// ViewID, CallbackID, Values and PrivateMetadata are set for view
	// submissions; Values maps block ID → action ID → the submitted value
	// (a selected user's ID, an option's value or typed text). ViewID is
	// the same when a form is submitted again: handlers key on it to act
	// once.
	ViewID          string
	CallbackID      string
	Values          map[string]map[string]string
	PrivateMetadata string

	// EventType is the Events API event's type (app_home_opened, …) and
	// EventTab its tab, where it has one.
	EventType string
	EventTab  string

	TriggerID   string
	ResponseURL string

	eventID string // Events API event_id, for dedupe
	retry   int    // Slack's retry_attempt
}

// Reply is what a handler wants shown. The zero Reply shows nothing.
type Reply struct {
	Text   string
	Blocks []slack.Block
	// InChannel makes a command's reply visible to the whole channel; by
	// default replies are ephemeral (only the asker sees them).
	InChannel bool
	// ReplaceOriginal replaces the message a button sat on.
	ReplaceOriginal bool
	// ViewErrors, for a view submission, keeps the modal open and shows each
	// message under the input block with that ID.
	ViewErrors map[string]string
}

// Empty reports whether the reply shows nothing.
func (r Reply) Empty() bool { return r.Text == "" && len(r.Blocks) == 0 && len(r.ViewErrors) == 0 }

// HandlerFunc handles one request. It returns the reply to show, or an error:
// the bot turns errors into an answer for the user (see Config.Explain).
type HandlerFunc func(ctx context.Context, req Request) (Reply, error)

// Command declares a slash command.
type Command struct {
	Name    string // "/myperformance"
	Usage   string // "[week|last week|month|quarter|help]"
	Summary string // one line for the help text
	// Mentions asks Slack to send @mentions in the text as <@U…|name>
	// (the manifest's should_escape).
	Mentions bool
	Handle   HandlerFunc
}

// Action declares a handler for block actions whose action_id equals ID or
// starts with ID followed by ":" (so one handler serves "nudge:start:42").
type Action struct {
	ID     string
	Handle HandlerFunc
}

// View declares a handler for a modal's submission, by callback ID. It runs
// before the ack, so that it can keep the modal open with errors; the ack
// goes out by Config.ViewDeadline even if it has not finished, so it must
// be safe to run again for the same Request.ViewID (a resubmission).
type View struct {
	CallbackID string
	Handle     HandlerFunc
}

// Event declares a handler for an Events API event type.
type Event struct {
	Type   string
	Handle HandlerFunc
}

// Routes is the whole table of what the bot answers.
type Routes struct {
	Commands []Command
	Actions  []Action
	Views    []View
	Events   []Event
}

// Router dispatches requests to the handlers declared in Routes.
type Router struct {
	commands map[string]Command
	actions  map[string]Action
	views    map[string]View
	events   map[string]Event
	order    []Command
}

// NewRouter builds a router. It panics on a duplicate or unnamed route, a
// programming error that must stop the bot at start.
func NewRouter(r Routes) *Router {
	rt := &Router{
		commands: map[string]Command{},
		actions:  map[string]Action{},
		views:    map[string]View{},
		events:   map[string]Event{},
		order:    r.Commands,
	}
	register(rt.commands, "command", r.Commands, func(c Command) (string, HandlerFunc) { return c.Name, c.Handle })
	register(rt.actions, "action", r.Actions, func(a Action) (string, HandlerFunc) { return a.ID, a.Handle })
	register(rt.views, "view", r.Views, func(v View) (string, HandlerFunc) { return v.CallbackID, v.Handle })
	register(rt.events, "event", r.Events, func(e Event) (string, HandlerFunc) { return e.Type, e.Handle })
	return rt
}

// register adds routes to table by key, panicking on an unnamed route, one
// without a handler, or a duplicate.
func register[T any](table map[string]T, kind string, routes []T, key func(T) (string, HandlerFunc)) {
	for _, r := range routes {
		k, h := key(r)
		if k == "" || h == nil {
			panic(fmt.Sprintf("bot: %s route %q has no name or no handler", kind, k))
		}
		if _, dup := table[k]; dup {
			panic(fmt.Sprintf("bot: duplicate %s %s", kind, k))
		}
		table[k] = r
	}
}

// Commands returns the declared commands in declaration order.
func (rt *Router) Commands() []Command { return rt.order }

// Help returns a mrkdwn list of the commands, generated from the table.
func (rt *Router) Help() string {
	var b strings.Builder
	for _, c := range rt.order {
		fmt.Fprintf(&b, "• `%s", c.Name)
		if c.Usage != "" {
			fmt.Fprintf(&b, " %s", c.Usage)
		}
		fmt.Fprintf(&b, "` — %s\n", c.Summary)
	}
	return b.String()
}

// handler finds the handler for req, or nil.
func (rt *Router) handler(req Request) HandlerFunc {
	switch req.Kind {
	case KindCommand:
		if c, ok := rt.commands[req.Command]; ok {
			return c.Handle
		}
	case KindAction:
		id := req.ActionID
		for {
			if a, ok := rt.actions[id]; ok {
				return a.Handle
			}
			i := strings.LastIndexByte(id, ':')
			if i < 0 {
				return nil
			}
			id = id[:i]
		}
	case KindView:
		if v, ok := rt.views[req.CallbackID]; ok {
			return v.Handle
		}
	case KindEvent:
		if e, ok := rt.events[req.EventType]; ok {
			return e.Handle
		}
	}
	return nil
}

// ActionIDs lists the declared action IDs, sorted; for tests and manifests.
func (rt *Router) ActionIDs() []string {
	ids := make([]string, 0, len(rt.actions))
	for id := range rt.actions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
