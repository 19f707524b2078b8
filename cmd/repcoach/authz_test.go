package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/repcoach/repcoach/bot/slackfake"
)

// The authorization matrix: every kind of person × everything they can do
// in Slack, each cell with its expected outcome. The README's "Who sees
// what" table is generated from it (go test ./cmd/repcoach -run
// TestAuthorizationMatrix -update-readme) and checked against it.

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's Who sees what table from the authorization matrix")

// persona is a kind of person in the workspace: how their own numbers
// begin (a rep's name) and their own team, where they have them.
type persona struct {
	key, label, user    string
	ownNumbers, ownTeam string
}

var personas = []persona{
	{"rep", "rep", "U0ANA0001", "Ana Lima, ", ""},
	{"manager", "manager", "U0MARIA01", "", "Maria Boss's team"},
	{"other", "another team's manager", "U0OMAR001", "", "Omar Other's team"},
	{"ops", "sales ops", "U0OPS0001", "", ""},
	{"guest", "guest with a rep's name", "U0GUEST01", "", ""},
	{"impostor", "member who copied a linked rep's name", "U0IMPOST1", "", ""},
	{"lookalike", "member of a group named like the ops group", "U0LOOK001", "", ""},
	{"unmatched", "member not in the CRM", "U0NEW0001", "", ""},
}

// Outcomes, as the README shows them.
const (
	own       = "own numbers"
	ownTeam   = "own team"
	thatTeam  = "that team"
	everyone  = "everyone"
	refused   = "refused"
	noMatch   = "friendly note, no numbers"
	helpText  = "help"
	status    = "status"
	ownStatus = "own settings only"
	done      = "allowed"
	notFound  = "not found"
	formOpens = "form opens"
	linksView = "links view"
)

// classify names what p saw in an answer, by the markers each kind of
// answer carries. Numbers that are not p's own are named as a leak.
func classify(p persona, got string) string {
	has := func(s ...string) bool {
		for _, x := range s {
			if strings.Contains(got, x) {
				return true
			}
		}
		return false
	}
	switch {
	case has("only open to"):
		return refused
	case has("couldn't match you"):
		return noMatch
	case got == "form opened":
		return formOpens
	case has("How /myperformance works", "`/teamperformance [", "`/repcoach [", "`/recognize @person"):
		return helpText
	case has("Your numbers"):
		// Ana's answers start with her name (App Home shows her won
		// revenue); no other rep's name or deal may show.
		if p.ownNumbers != "" && (strings.HasPrefix(got, p.ownNumbers) || has("$40,000")) && !has("Ben Ode", "Cy Oda", "Hooli", "Wayne", "Initrode") {
			return own
		}
		return "SOMEONE ELSE'S NUMBERS"
	case has("'s team"):
		if p.ownTeam != "" && has(p.ownTeam) && !has("Whole sales team") {
			return ownTeam
		}
		if p.key == "ops" {
			return thatTeam
		}
		return "ANOTHER TEAM"
	case has("Whole sales team"):
		if p.key == "ops" {
			return everyone
		}
		return "EVERYONE'S NUMBERS"
	case has(`"East: Q4`):
		if p.key == "ops" {
			return thatTeam
		}
		return "AN OFFICE"
	case has("Numbers as of"):
		return status
	case has("you won't get", "Started *"):
		return ownStatus
	case has("Paused:", "Posted in", "Kept:", "linked to nobody", "Shout-out posted", "Shout-out for"):
		return done
	case has("couldn't find that person"):
		return notFound
	case has("Who is linked to whom"):
		return linksView
	}
	return "?? " + summarize(got)
}

// authzRow is one thing a person can do, and what each persona gets.
type authzRow struct {
	what string
	do   func(t *testing.T, h *harness, user string) string // returns what the user saw
	want map[string]string                                  // persona key → outcome
}

// all returns the same outcome for every persona but the ones in except.
func all(outcome string, except map[string]string) map[string]string {
	m := map[string]string{}
	for _, p := range personas {
		m[p.key] = outcome
	}
	for k, v := range except {
		m[k] = v
	}
	return m
}

// Fixture for the matrix: reps without emails (matched by full name, so
// copied names matter), a second team under Omar Other.
const (
	matrixReps = mavenReps + `Cy Oda,Cy Oda,,Omar Other,West
`
	matrixDeals = fixtureDeals + `C1,Initrode deal,Cy Oda,Won,won,9999,2017-10-02,2017-11-02,2017-11-02,Widget,Initrode
`
)

var matrixUsers = append(slices.Clone(fixtureUsers),
	slackfake.User{ID: "U0OMAR001", Name: "omar", RealName: "Omar Other", Email: "omar@example.com", TZ: "UTC"},
	slackfake.User{ID: "U0CYODA01", Name: "cy", RealName: "Cy Oda", Email: "cy@example.com", TZ: "UTC"},
	slackfake.User{ID: "U0GUEST01", Name: "ben.guest", RealName: "Ben Ode", Email: "ben@partner.example", TZ: "UTC", Restricted: true},
	slackfake.User{ID: "U0IMPOST1", Name: "imp", RealName: "Ivan Post", Email: "ivan@example.com", TZ: "UTC"},
	slackfake.User{ID: "U0LOOK001", Name: "lou", RealName: "Lou Kalike", Email: "lou@example.com", TZ: "UTC"},
)

// command types a slash command and returns the reply, "in_channel: " and
// the reply for a public one, or "form opened" when a modal opened instead.
func command(cmd, text string) func(*testing.T, *harness, string) string {
	return func(t *testing.T, h *harness, user string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		views := countViews(h, user)
		c, err := h.fake.SendCommand(ctx, user, cmd, text)
		if err != nil || !c.Acked {
			t.Fatalf("%s %s: not acked: %v", cmd, text, err)
		}
		rctx, rcancel := context.WithTimeout(ctx, 3*time.Second)
		defer rcancel()
		m, err := c.Reply(rctx)
		if err != nil {
			if countViews(h, user) > views {
				return "form opened"
			}
			t.Fatalf("%s %s: no reply and no form: %v", cmd, text, err)
		}
		out := m.Text + "\n" + string(m.Blocks)
		if m.ResponseType == "in_channel" {
			out = "in_channel: " + out
		}
		return out
	}
}

// everyPeriod asks cmd for each period, and returns the first answer when
// every answer is of the same kind, else all of them marked as mixed.
func everyPeriod(cmd string) func(*testing.T, *harness, string) string {
	return func(t *testing.T, h *harness, user string) string {
		t.Helper()
		var p persona
		for _, q := range personas {
			if q.user == user {
				p = q
			}
		}
		var first, firstKind string
		for _, period := range []string{"", "week", "last week", "month", "quarter", "ytd"} {
			got := command(cmd, period)(t, h, user)
			kind := classify(p, got)
			if first == "" {
				first, firstKind = got, kind
			} else if kind != firstKind {
				return fmt.Sprintf("mixed: %q gave %s, the quarter %s", period, kind, firstKind)
			}
		}
		return first
	}
}

func countViews(h *harness, user string) int {
	n := 0
	for _, m := range h.fake.Messages() {
		if m.Method == "views.open" && m.User == user {
			n++
		}
	}
	return n
}

func press(actionID, value string) func(*testing.T, *harness, string) string {
	return func(t *testing.T, h *harness, user string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		in, err := h.fake.SendAction(ctx, user, slackfake.Action{ActionID: actionID, BlockID: "b", Value: value, MessageTS: "1700000000.000100"})
		if err != nil || !in.Acked {
			t.Fatalf("%s not acked: %v", actionID, err)
		}
		m, err := h.fake.WaitMessage(ctx, func(m slackfake.Message) bool { return m.Method == "response_url" && m.ResponseURL == in.ResponseURL })
		if err != nil {
			t.Fatalf("%s: no answer: %v", actionID, err)
		}
		return m.Text + "\n" + string(m.Blocks)
	}
}

func recognizeForm(t *testing.T, h *harness, user string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := len(h.fake.MessagesTo(slackfake.DefaultChannel))
	in, err := h.fake.SendViewSubmission(ctx, user, "recognize", map[string]map[string]any{
		"who":  {"user": map[string]any{"type": "users_select", "selected_user": "U0BEN0001"}},
		"kind": {"kind": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "shout-out"}}},
		"why":  {"reason": map[string]any{"type": "plain_text_input", "value": "Matrix test"}},
	}, slackfake.DefaultChannel)
	if err != nil || !in.Acked {
		t.Fatalf("form not acked: %v", err)
	}
	if len(in.AckPayload) > 2 {
		return string(in.AckPayload)
	}
	if _, err := h.fake.WaitMessage(ctx, func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == slackfake.DefaultChannel && strings.Contains(m.Text, "Matrix test")
	}); err != nil || len(h.fake.MessagesTo(slackfake.DefaultChannel)) == before {
		return "form closed, nothing posted"
	}
	return "Shout-out posted"
}

func appHome(t *testing.T, h *harness, user string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := len(h.fake.Messages())
	if _, err := h.fake.SendEvent(ctx, map[string]any{"type": "app_home_opened", "user": user, "channel": slackfake.DMChannel(user), "tab": "home"}); err != nil {
		t.Fatal(err)
	}
	m, err := h.fake.WaitMessage(ctx, func(m slackfake.Message) bool { return m.Method == "views.publish" && m.User == user })
	if err != nil {
		t.Fatalf("App Home for %s not published: %v", user, err)
	}
	_ = before
	return string(m.View)
}

var awardValue, _ = json.Marshal(map[string]string{"rep": "Ana Lima", "name": "Ana Lima", "kind": "top-closer", "reason": "Matrix test"})

var authzMatrix = []authzRow{
	{"`/myperformance` (every period)", everyPeriod("/myperformance"), all(noMatch, map[string]string{"rep": own})},
	{"`/myperformance help`", command("/myperformance", "help"), all(helpText, nil)},
	{"`/teamperformance`", command("/teamperformance", ""), all(refused, map[string]string{"manager": ownTeam, "other": ownTeam, "ops": everyone})},
	{"`/teamperformance Maria Boss`", command("/teamperformance", "Maria Boss"), all(refused, map[string]string{"manager": ownTeam, "ops": thatTeam})},
	{"`/teamperformance Omar Other`", command("/teamperformance", "Omar Other"), all(refused, map[string]string{"other": ownTeam, "ops": thatTeam})},
	{"`/teamperformance East` (an office)", command("/teamperformance", "East"), all(refused, map[string]string{"ops": thatTeam})},
	{"`/teamperformance all`", command("/teamperformance", "all"), all(refused, map[string]string{"ops": everyone})},
	{"`/teamperformance help`", command("/teamperformance", "help"), all(helpText, nil)},
	{"`/recognize @person why`", command("/recognize", "<@U0BEN0001|ben> matrix test"), all(refused, map[string]string{"ops": done})},
	{"`/recognize` (the form)", command("/recognize", ""), all(refused, map[string]string{"ops": formOpens})},
	{"`/recognize help`", command("/recognize", "help"), all(refused, map[string]string{"ops": helpText})},
	{"`/repcoach status`", command("/repcoach", "status"), all(status, nil)},
	{"`/repcoach feedback off` (own DMs)", command("/repcoach", "feedback off"), all(ownStatus, nil)},
	{"`/repcoach pause` / `resume`", func(t *testing.T, h *harness, user string) string {
		got := h.ask(t, user, "/repcoach", "pause")
		h.ask(t, "U0OPS0001", "/repcoach", "resume")
		return got
	}, all(refused, map[string]string{"ops": done})},
	{"`/repcoach links`", command("/repcoach", "links"), all(refused, map[string]string{"ops": linksView})},
	{"`/repcoach link @person NAME`", command("/repcoach", "link <@U0NEW0001|sam> Nobody Known"), all(refused, map[string]string{"ops": notFound})},
	{"`/repcoach unlink @person`", command("/repcoach", "unlink <@U0LOOK001|lou>"), all(refused, map[string]string{"ops": done})},
	{"`/repcoach help`", command("/repcoach", "help"), all(helpText, nil)},
	{"button: Post it (suggested award)", press("award:post", string(awardValue)), all(refused, map[string]string{"ops": done})},
	{"button: Keep / Remove a link", press("links:menu", "links:confirm|U0BEN0001"), all(refused, map[string]string{"ops": done})},
	{"button: training Start (own)", press("nudge:start", "prospecting"), all(ownStatus, nil)},
	{"button: Stop these DMs (own)", press("optout:nudges", "nudges"), all(ownStatus, nil)},
	{"form: recognition", recognizeForm, all(refused, map[string]string{"ops": done})},
	{"App Home", appHome, all(noMatch, map[string]string{"rep": own, "manager": ownTeam, "other": ownTeam})},
}

func TestAuthorizationMatrix(t *testing.T) {
	h := startBotWith(t, botOptions{reps: matrixReps, deals: matrixDeals, env: map[string]string{"REPCOACH_AWARDS_CHANNEL": "C0AWARDS01"}, fake: func(c *slackfake.Config) {
		c.Users = matrixUsers
	}})
	// A member creates a group named like the ops group.
	h.fake.AddUserGroup("sales-ops-fans", "sales-ops", "U0LOOK001")
	// After the first match, an impostor copies Ana's full name.
	h.fake.AddUsers(slackfake.User{ID: "U0IMPOST1", Name: "imp", RealName: "Ana Lima", DisplayName: "Ana Lima", Email: "ivan@example.com", TZ: "UTC"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := h.fake.SendEvent(ctx, map[string]any{"type": "user_change", "user": map[string]any{"id": "U0IMPOST1"}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(h.logs.String(), `why="Slack profiles changed"`); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no relink after user_change")
		}
	}
	for _, row := range authzMatrix {
		for _, p := range personas {
			got := row.do(t, h, p.user)
			if c := classify(p, got); c != row.want[p.key] {
				t.Errorf("%s, as %s: got %q, want %q\n%s", row.what, p.label, c, row.want[p.key], summarize(got))
			}
		}
	}
	// Ben, whose name a guest copied, and Ana, whose name an impostor
	// copied after she was linked, still see their own numbers.
	if got := h.ask(t, "U0BEN0001", "/myperformance", "quarter"); !strings.Contains(got, "$7,777") {
		t.Errorf("Ben got %q, want his numbers", summarize(got))
	}

	table := whoSeesWhat()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start, end := strings.Index(string(readme), readmeBegin), strings.Index(string(readme), readmeEnd)
	if start < 0 || end < start {
		t.Fatalf("README lacks the %s … %s markers around the Who sees what table", readmeBegin, readmeEnd)
	}
	current := string(readme[start+len(readmeBegin) : end])
	if *updateReadme {
		out := string(readme[:start+len(readmeBegin)]) + table + string(readme[end:])
		if err := os.WriteFile("../../README.md", []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if current != table {
		t.Errorf("README's Who sees what table differs from the authorization matrix; run go test ./cmd/repcoach -run TestAuthorizationMatrix -update-readme\nwant:\n%s", table)
	}
}

const (
	readmeBegin = "<!-- who-sees-what: generated from authzMatrix in cmd/repcoach/authz_test.go -->\n"
	readmeEnd   = "<!-- end who-sees-what -->"
)

// whoSeesWhat renders the matrix as the README's Markdown table.
func whoSeesWhat() string {
	var b strings.Builder
	b.WriteString("| What | ")
	for _, p := range personas {
		b.WriteString(p.label + " | ")
	}
	b.WriteString("\n| --- |")
	for range personas {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, row := range authzMatrix {
		b.WriteString("| " + row.what + " | ")
		for _, p := range personas {
			b.WriteString(row.want[p.key] + " | ")
		}
		b.WriteString("\n")
	}
	return strings.ReplaceAll(b.String(), " \n", "\n")
}

func summarize(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 140 {
		s = s[:140]
	}
	return s
}
