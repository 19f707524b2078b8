package handlers

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/insights"
)

func user(id, name, email string) slack.User {
	return slack.User{ID: id, RealName: name, Profile: slack.UserProfile{Email: email, RealName: name}}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name          string
		reps          []insights.Rep
		users         []slack.User
		mapping       map[string]string
		want          string // sorted "slackID=identity" pairs
		wantUnmatched string
	}{
		{
			name:  "email first, case-insensitive",
			reps:  []insights.Rep{{ID: "r1", Name: "Ana Lima", Email: "Ana.Lima@Example.com", Manager: "Maria Boss"}},
			users: []slack.User{user("U1", "Someone Else", "ana.lima@example.com"), user("U2", "Maria Boss", "maria@example.com")},
			want:  "U1=r1 U2=manager:Maria Boss",
		},
		{
			name:  "unique full name",
			reps:  []insights.Rep{{ID: "r1", Name: "Ben  Ode"}},
			users: []slack.User{user("U1", "ben ode", "")},
			want:  "U1=r1",
		},
		{
			name:          "two Slack users with the name: no guess",
			reps:          []insights.Rep{{ID: "r1", Name: "Ana Silva"}},
			users:         []slack.User{user("U1", "Ana Silva", ""), user("U2", "Ana Silva", "")},
			wantUnmatched: "Ana Silva",
		},
		{
			name:          "two CRM reps with the name: the emailed one links, the other never takes their user",
			reps:          []insights.Rep{{ID: "r1", Name: "Ana Silva", Email: "ana@example.com"}, {ID: "r2", Name: "Ana Silva"}},
			users:         []slack.User{user("U1", "Ana Silva", "ana@example.com")},
			want:          "U1=r1",
			wantUnmatched: "Ana Silva",
		},
		{
			name:          "the mapping file takes precedence over email",
			reps:          []insights.Rep{{ID: "r1", Name: "A", Email: "x@example.com"}, {ID: "r2", Name: "B"}},
			users:         []slack.User{user("U1", "Zed", "x@example.com")},
			mapping:       map[string]string{"b": "U1"},
			want:          "U1=r2",
			wantUnmatched: "A",
		},
		{
			name:          "two reps with one email: neither",
			reps:          []insights.Rep{{ID: "r1", Name: "A", Email: "x@example.com"}, {ID: "r2", Name: "B", Email: "X@example.com"}},
			users:         []slack.User{user("U1", "Zed", "x@example.com")},
			wantUnmatched: "A B",
		},
		{
			name:    "mapping by name to an email",
			reps:    []insights.Rep{{ID: "005X", Name: "Carl Case"}},
			users:   []slack.User{user("U9", "Charles Case", "charles@example.com")},
			mapping: map[string]string{"carl case": "charles@example.com"},
			want:    "U9=005X",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Match(MatchInput{Reps: tt.reps, Users: tt.users, Mapping: tt.mapping, NameMatch: true})
			unmatched := m.Unmatched
			var pairs []string
			for uid, l := range m.Links {
				pairs = append(pairs, fmt.Sprintf("%s=%s", uid, l.Rep))
			}
			slices.Sort(pairs)
			if got := strings.Join(pairs, " "); got != tt.want {
				t.Errorf("links = %q, want %q", got, tt.want)
			}
			if got := strings.Join(unmatched, " "); got != tt.wantUnmatched {
				t.Errorf("unmatched = %q, want %q", got, tt.wantUnmatched)
			}
		})
	}
}

func TestReadMapping(t *testing.T) {
	m, err := ReadMapping(strings.NewReader("crm,slack\n# a comment\nCarl  Case, U123\n005X,ana@example.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m["carl case"] != "U123" || m["005x"] != "ana@example.com" || len(m) != 2 {
		t.Errorf("ReadMapping = %v", m)
	}
	if _, err := ReadMapping(strings.NewReader("only-one-column\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("one-column mapping error = %v, want the line number", err)
	}
}

// Finding 2: people were matched by editable display names; guests and
// unmatched members who copied a rep's name saw that rep's numbers, and a
// copy of a linked rep's name locked the real rep out.
func TestMatchTrust(t *testing.T) {
	maven := []insights.Rep{{ID: "Darcel Schlecht", Name: "Darcel Schlecht", Manager: "Dustin Brinkmann"}} // no email, as in the Maven set
	darcel := user("U1", "Darcel Schlecht", "")
	guest := user("UGUEST", "Darcel Schlecht", "")
	guest.IsRestricted = true
	single := user("USINGLE", "Darcel Schlecht", "")
	single.IsUltraRestricted = true
	displayOnly := slack.User{ID: "UDISP", RealName: "Someone Else", Profile: slack.UserProfile{RealName: "Someone Else", DisplayName: "Darcel Schlecht"}}
	impostor := user("UIMP", "Darcel Schlecht", "")
	bot := user("UBOT", "Darcel Schlecht", "")
	bot.IsBot = true
	gone := user("UGONE", "Darcel Schlecht", "")
	gone.Deleted = true
	linked := map[string]insights.Link{"U1": {Rep: "Darcel Schlecht", How: insights.LinkByName}}

	tests := []struct {
		name       string
		in         MatchInput
		want       string // sorted "slackID=rep/how"
		wantClash  string // a substring of some clash, "" for none
		wantNoLink string // a Slack ID that must stay unlinked
	}{
		{"a guest who copies the name is never matched",
			MatchInput{Reps: maven, Users: []slack.User{guest}, NameMatch: true}, "", "", "UGUEST"},
		{"nor a single-channel guest",
			MatchInput{Reps: maven, Users: []slack.User{single}, NameMatch: true}, "", "", "USINGLE"},
		{"a display name never counts",
			MatchInput{Reps: maven, Users: []slack.User{displayOnly}, NameMatch: true}, "", "", "UDISP"},
		{"nor a bot or a deactivated user",
			MatchInput{Reps: maven, Users: []slack.User{bot, gone}, NameMatch: true}, "", "", "UBOT"},
		{"a full member with the unique full name is matched",
			MatchInput{Reps: maven, Users: []slack.User{darcel, guest}, NameMatch: true}, "U1=Darcel Schlecht/name", "", "UGUEST"},
		{"two full members with the name: no guess, reported",
			MatchInput{Reps: maven, Users: []slack.User{darcel, impostor}, NameMatch: true}, "", "2 Slack members have this full name", "UIMP"},
		{"sticky: an impostor copying a linked rep's name moves nothing, and is reported",
			MatchInput{Reps: maven, Users: []slack.User{darcel, impostor, displayOnly}, Previous: linked, NameMatch: true},
			"U1=Darcel Schlecht/name", "<@UDISP>, <@UIMP> also use that name", "UIMP"},
		{"name matching off",
			MatchInput{Reps: maven, Users: []slack.User{darcel}, NameMatch: false}, "", "", "U1"},
		{"a deactivated linked user loses the link",
			MatchInput{Reps: maven, Users: []slack.User{gone}, Previous: map[string]insights.Link{"UGONE": {Rep: "Darcel Schlecht", How: insights.LinkByName}}, NameMatch: true}, "", "", "UGONE"},
		{"a rep gone from the CRM loses the link",
			MatchInput{Reps: nil, Users: []slack.User{darcel}, Previous: linked, NameMatch: true}, "", "", "U1"},
		{"sales ops move a link",
			MatchInput{Reps: maven, Users: []slack.User{darcel, impostor}, Previous: linked, Decisions: map[string]insights.RepID{"UIMP": "Darcel Schlecht"}, NameMatch: true},
			"UIMP=Darcel Schlecht/ops", "", "U1"},
		{"sales ops remove a link, and the name match does not bring it back",
			MatchInput{Reps: maven, Users: []slack.User{darcel}, Previous: linked, Decisions: map[string]insights.RepID{"U1": ""}, NameMatch: true}, "", "", "U1"},
		{"the mapping file beats sales ops' decision",
			MatchInput{Reps: maven, Users: []slack.User{darcel, impostor}, Mapping: map[string]string{"darcel schlecht": "U1"}, Decisions: map[string]insights.RepID{"UIMP": "Darcel Schlecht"}, NameMatch: true},
			"U1=Darcel Schlecht/mapping", "already <@U1> (mapping file)", "UIMP"},
		{"email beats a sticky name link",
			MatchInput{Reps: []insights.Rep{{ID: "Darcel Schlecht", Name: "Darcel Schlecht", Email: "darcel@example.com"}}, Users: []slack.User{darcel, user("U2", "D. Schlecht", "darcel@example.com")}, Previous: linked, NameMatch: true},
			"U2=Darcel Schlecht/email", "", "U1"},
		{"a guest with the rep's email is the rep",
			MatchInput{Reps: []insights.Rep{{ID: "r1", Name: "Gil Guest", Email: "gil@partner.example"}}, Users: []slack.User{func() slack.User {
				u := user("UG", "Gil Guest", "gil@partner.example")
				u.IsRestricted = true
				return u
			}()}, NameMatch: true},
			"UG=r1/email", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Match(tt.in)
			var pairs []string
			for uid, l := range m.Links {
				if !insights.IsManagerTeam(string(l.Rep)) {
					pairs = append(pairs, fmt.Sprintf("%s=%s/%s", uid, l.Rep, l.How))
				}
			}
			slices.Sort(pairs)
			if got := strings.Join(pairs, " "); got != tt.want {
				t.Errorf("links = %q, want %q", got, tt.want)
			}
			if tt.wantNoLink != "" && m.Links[tt.wantNoLink].Rep != "" {
				t.Errorf("%s linked to %s, want unlinked", tt.wantNoLink, m.Links[tt.wantNoLink].Rep)
			}
			var lines []string
			for _, c := range m.Clashes {
				lines = append(lines, ClashText(english, c))
			}
			all := strings.Join(lines, "\n")
			if tt.wantClash != "" && !strings.Contains(all, tt.wantClash) {
				t.Errorf("clashes = %q, want one containing %q", all, tt.wantClash)
			}
		})
	}
}
