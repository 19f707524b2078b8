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
			name:          "two reps claiming one Slack user: neither",
			reps:          []insights.Rep{{ID: "r1", Name: "A", Email: "x@example.com"}, {ID: "r2", Name: "B"}},
			users:         []slack.User{user("U1", "Zed", "x@example.com")},
			mapping:       map[string]string{"b": "U1"},
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
			links, unmatched := Match(tt.reps, tt.users, tt.mapping)
			var pairs []string
			for uid, id := range links {
				pairs = append(pairs, fmt.Sprintf("%s=%s", uid, id))
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
