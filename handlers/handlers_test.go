package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
	"github.com/repcoach/repcoach/insights/sample"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// asOf is the clock every golden message is rendered at.
var asOf = time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)

// snapshot computes the reports of the demo team, plus a rep whose CRM name
// tries to inject mrkdwn.
func snapshot(t *testing.T) insights.Snapshot {
	t.Helper()
	ds := sample.Demo(asOf, time.UTC)
	ds.Reps[0].Name = "<!channel> Eve & <@U123>"
	return insights.Compute(ds, insights.NewCalendar(time.UTC, time.Monday, time.January), asOf, insights.Options{})
}

// golden compares m with testdata/name.golden (the JSON Slack would get),
// after checking it against Slack's Block Kit limits.
func golden(t *testing.T, name string, m Message) {
	t.Helper()
	if err := kit.CheckMessage(m.Text, m.Blocks); err != nil {
		t.Errorf("%s breaks Slack's limits: %v", name, err)
	}
	got, err := json.MarshalIndent(map[string]any{"text": m.Text, "blocks": m.Blocks}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./handlers -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (go test ./handlers -update rewrites it); got:\n%s", name, path, got)
	}
}

func TestGoldenMessages(t *testing.T) {
	snap := snapshot(t)
	rep := snap.Reps[len(snap.Reps)/2].Rep.ID
	repQuarter, _ := snap.Rep(rep, insights.PeriodQuarter)
	repWeek, _ := snap.Rep(rep, insights.PeriodWeek)
	team := insights.ManagerTeam(repQuarter.Rep.Manager)
	teamQuarter, err := snap.Team(team, insights.PeriodQuarter)
	if err != nil {
		t.Fatal(err)
	}
	teamLastWeek, _ := snap.Team(team, insights.PeriodLastWeek)
	all, _ := snap.Team(insights.TeamAll, insights.PeriodQuarter)

	golden(t, "rep_quarter", RepMessage(repQuarter, time.UTC))
	golden(t, "rep_week", RepMessage(repWeek, time.UTC))
	golden(t, "team_quarter", TeamMessage(teamQuarter, time.UTC))
	golden(t, "team_all", TeamMessage(all, time.UTC))
	golden(t, "digest", DigestMessage(teamQuarter, teamLastWeek, time.UTC))
	golden(t, "feedback", FeedbackMessage(repWeek, repQuarter, RepAwards(teamQuarter, rep), nil, time.UTC))
	star := teamQuarter.Recognitions[0].Rep
	starWeek, _ := snap.Rep(star, insights.PeriodWeek)
	starQuarter, _ := snap.Rep(star, insights.PeriodQuarter)
	golden(t, "feedback_recognised", FeedbackMessage(starWeek, starQuarter, RepAwards(teamQuarter, star), []insights.Recognition{{To: "U1", From: "UOPS", Kind: "top-closer", Reason: "Closed Acme & <!channel>", At: asOf}}, time.UTC))
	golden(t, "help", PerformanceHelp())
}

func TestEveryReportPassesBlockKitLimits(t *testing.T) {
	snap := snapshot(t)
	for _, r := range snap.Reps {
		if err := kit.CheckMessage(RepMessage(r, time.UTC).Text, RepMessage(r, time.UTC).Blocks); err != nil {
			t.Errorf("rep %s %s: %v", r.Rep.Name, r.Period.Kind, err)
		}
	}
	for _, tr := range snap.Teams {
		m := TeamMessage(tr, time.UTC)
		if err := kit.CheckMessage(m.Text, m.Blocks); err != nil {
			t.Errorf("team %s %s: %v", tr.Team, tr.Period.Kind, err)
		}
	}
}

func TestUserTextIsEscaped(t *testing.T) {
	snap := snapshot(t)
	hostile := snap.Reps[0]
	for _, r := range snap.Reps {
		if strings.Contains(r.Rep.Name, "<!channel>") {
			hostile = r
		}
	}
	msgs := []Message{RepMessage(hostile, time.UTC)}
	team, _ := snap.Team(insights.ManagerTeam(hostile.Rep.Manager), insights.PeriodQuarter)
	msgs = append(msgs, TeamMessage(team, time.UTC))
	for _, m := range msgs {
		for _, text := range mrkdwnTexts(t, m) {
			for _, bad := range []string{"<!channel>", "<@U123>"} {
				if strings.Contains(text, bad) {
					t.Errorf("mrkdwn carries unescaped %q: %s", bad, kit.Truncate(text, 300))
				}
			}
		}
	}
}

// mrkdwnTexts returns every text of m that Slack reads as mrkdwn: the
// fallback text and each mrkdwn text object (raw_text and plain_text are
// shown as typed, so they need no escaping).
func mrkdwnTexts(t *testing.T, m Message) []string {
	t.Helper()
	var blocks any
	if err := json.Unmarshal([]byte(render(m)), &blocks); err != nil {
		t.Fatal(err)
	}
	out := []string{m.Text}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "mrkdwn" {
				s, _ := x["text"].(string)
				out = append(out, s)
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(blocks)
	if len(out) < 3 {
		t.Fatalf("found only %d mrkdwn texts in %s", len(out), render(m))
	}
	return out
}

func TestParseTeamArgs(t *testing.T) {
	tests := []struct {
		text     string
		wantKind insights.PeriodKind
		wantTeam string
	}{
		{"", insights.PeriodQuarter, ""},
		{"month", insights.PeriodMonth, ""},
		{"last week", insights.PeriodLastWeek, ""},
		{"Dustin Brinkmann", insights.PeriodQuarter, "Dustin Brinkmann"},
		{"month Central", insights.PeriodMonth, "Central"},
		{"Dustin Brinkmann last week", insights.PeriodLastWeek, "Dustin Brinkmann"},
		{"all ytd", insights.PeriodYearToDate, "all"},
		// Turkish periods, first or last, with or without Turkish letters.
		{"ay", insights.PeriodMonth, ""},
		{"geçen hafta", insights.PeriodLastWeek, ""},
		{"GEÇEN HAFTA Ayşe Yılmaz", insights.PeriodLastWeek, "Ayşe Yılmaz"},
		{"Ayşe Yılmaz gecen hafta", insights.PeriodLastWeek, "Ayşe Yılmaz"},
		{"çeyrek İzmir", insights.PeriodQuarter, "İzmir"},
		{"hepsi yıl", insights.PeriodYearToDate, "hepsi"},
		{"Merkez hafta", insights.PeriodWeek, "Merkez"},
	}
	for _, tt := range tests {
		kind, team := ParseTeamArgs(tt.text)
		if kind != tt.wantKind || team != tt.wantTeam {
			t.Errorf("ParseTeamArgs(%q) = %q, %q; want %q, %q", tt.text, kind, team, tt.wantKind, tt.wantTeam)
		}
	}
}

// fakes for the handler interfaces, backed by a snapshot.
type snapStore struct {
	snap  insights.Snapshot
	links map[string]insights.RepID
	ops   map[string]bool
}

func (s *snapStore) RepReport(_ context.Context, rep insights.RepID, k insights.PeriodKind) (insights.RepReport, error) {
	return s.snap.Rep(rep, k)
}
func (s *snapStore) TeamReport(_ context.Context, team string, k insights.PeriodKind) (insights.TeamReport, error) {
	return s.snap.Team(team, k)
}
func (s *snapStore) Teams(context.Context) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, t := range s.snap.Teams {
		if !seen[t.Team] {
			seen[t.Team] = true
			out = append(out, t.Team)
		}
	}
	return out, nil
}
func (s *snapStore) RepFor(_ context.Context, id string) (insights.RepID, error) {
	if r, ok := s.links[id]; ok {
		return r, nil
	}
	return "", insights.ErrUnknownRep
}
func (s *snapStore) IsOps(_ context.Context, id string) (bool, error) { return s.ops[id], nil }

func TestTeamAccess(t *testing.T) {
	snap := snapshot(t)
	rep := snap.Reps[3].Rep
	other := ""
	for _, r := range snap.Reps {
		if r.Rep.Manager != rep.Manager {
			other = r.Rep.Manager
		}
	}
	st := &snapStore{snap: snap, links: map[string]insights.RepID{
		"UREP": rep.ID, "UMGR": insights.RepID(insights.ManagerTeam(rep.Manager)),
	}, ops: map[string]bool{"UOPS": true}}
	team := &Team{Reports: st, People: st, Roles: st, Location: time.UTC}
	ctx := context.Background()

	tests := []struct {
		name, user, text string
		wantErr          error
		wantIn           string
	}{
		{"manager sees own team", "UMGR", "", nil, kit.Escape(rep.Manager) + "'s team"},
		{"manager cannot see another team", "UMGR", other, ErrNotAllowed, ""},
		{"rep is refused", "UREP", "", ErrNotAllowed, ""},
		{"stranger is refused", "UNOBODY", "", ErrNotAllowed, ""},
		{"ops sees everyone by default", "UOPS", "", nil, "Whole sales team"},
		{"ops names a team", "UOPS", other + " month", nil, kit.Escape(other) + "'s team"},
		{"ops names an unknown team", "UOPS", "Nobody Atall", insights.ErrUnknownTeam, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := team.Show(ctx, tt.user, tt.text)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Show error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantIn != "" && !strings.Contains(m.Text+render(m), tt.wantIn) {
				t.Errorf("Show = %q, want it to contain %q", m.Text, tt.wantIn)
			}
		})
	}
}

// render returns a message's blocks as the JSON Slack receives, with <, >
// and & as themselves (json.Marshal would hide them as \u003c…), so tests
// can look for unescaped mrkdwn.
func render(m Message) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m.Blocks)
	return b.String()
}

func TestExplain(t *testing.T) {
	for _, err := range []error{insights.ErrUnknownRep, insights.ErrNoData, insights.ErrUnknownTeam, NotAllowed("who.ops")} {
		if msg, ok := Explain(err); !ok || msg == "" {
			t.Errorf("Explain(%v) = %q, %v; want a friendly message", err, msg, ok)
		}
	}
	if _, ok := Explain(errors.New("redis down")); ok {
		t.Error("Explain(internal error) = ok, want false so the user sees an apology")
	}
}

type publisher struct {
	views map[string]slack.HomeTabViewRequest
}

func (p *publisher) PublishViewContext(_ context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error) {
	p.views[req.UserID] = req.View
	return &slack.ViewResponse{}, nil
}

func TestHomeViews(t *testing.T) {
	snap := snapshot(t)
	rep := snap.Reps[2].Rep
	st := &snapStore{snap: snap, links: map[string]insights.RepID{
		"UREP": rep.ID, "UMGR": insights.RepID(insights.ManagerTeam(rep.Manager)),
	}}
	pub := &publisher{views: map[string]slack.HomeTabViewRequest{}}
	home := &Home{Reports: st, Teams: st, People: st, Publisher: pub, Location: time.UTC}
	for user, want := range map[string]string{"UREP": "Your numbers", "UMGR": "'s team", "USTRANGER": "couldn't match you"} {
		if err := home.Opened(context.Background(), user); err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		raw, _ := json.Marshal(pub.views[user])
		if !strings.Contains(string(raw), want) {
			t.Errorf("%s's Home lacks %q: %s", user, want, kit.Truncate(string(raw), 300))
		}
		for _, messageOnly := range []string{`"type":"table"`, `"type":"data_visualization"`} {
			if strings.Contains(string(raw), messageOnly) {
				t.Errorf("%s's Home has a %s block, which Home tabs cannot show", user, messageOnly)
			}
		}
	}
}

func TestDigestLastWeekInManagersZone(t *testing.T) {
	// The team counts weeks in UTC; at Sunday 29 Nov 23:00 UTC its "last
	// week" is 16–22 Nov. A manager in Tokyo gets the digest on Monday 30
	// Nov at 08:00 local (that same instant): their last week is 23–29 Nov.
	now := time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC)
	ds := sample.Demo(now, time.UTC)
	snap := insights.Compute(ds, insights.NewCalendar(time.UTC, time.Monday, time.January), now, insights.Options{})
	mgr := insights.ManagerTeam(ds.Reps[0].Manager)
	st := &snapStore{snap: snap, links: map[string]insights.RepID{"UMGR": insights.RepID(mgr)}}
	d := &Digest{Reports: st, People: st, Users: nil, Location: time.UTC, WeekStart: time.Monday}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	for _, tt := range []struct {
		due  time.Time
		want string
	}{
		{now.In(tokyo), "week of 23 Nov 2026"},
		{now.Add(-20 * time.Hour), "week of 16 Nov 2026"}, // Sunday in UTC: the week before
		{time.Time{}, "week of 16 Nov 2026"},              // a manual run: the team's last week
	} {
		m, err := d.For(context.Background(), "UMGR", tt.due)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(m.Blocks)
		if !strings.Contains(string(raw), tt.want) {
			t.Errorf("digest due %v covers %s, want %q", tt.due, kit.Truncate(string(raw), 200), tt.want)
		}
	}
}

type recStore []insights.Recognition

func (r recStore) AddRecognition(context.Context, insights.Recognition) error { return nil }
func (r recStore) Recognitions(_ context.Context, to string, since time.Time) ([]insights.Recognition, error) {
	var out []insights.Recognition
	for _, x := range r {
		if x.To == to && !x.At.Before(since) {
			out = append(out, x)
		}
	}
	return out, nil
}

func TestFeedbackShowsRecognitionsReceived(t *testing.T) {
	snap := snapshot(t)
	rep := snap.Reps[4].Rep
	st := &snapStore{snap: snap, links: map[string]insights.RepID{"UREP": rep.ID}}
	recs := recStore{
		{To: "UREP", From: "UOPS", Kind: "top-closer", Reason: "Closed Acme", At: asOf.Add(-time.Hour)},
		{To: "UREP", From: "UOPS", Kind: "shout-out", Reason: "Last year's news", At: asOf.AddDate(-1, 0, 0)},
		{To: "UOTHER", From: "UOPS", Kind: "shout-out", Reason: "Someone else", At: asOf},
	}
	f := &Feedback{Reports: st, Teams: st, Received: recs, People: st, Location: time.UTC}
	m, err := f.For(context.Background(), "UREP")
	if err != nil {
		t.Fatal(err)
	}
	got := render(m)
	if !strings.Contains(got, "Closed Acme") {
		t.Errorf("feedback lacks this quarter's recognition: %s", kit.Truncate(got, 400))
	}
	for _, not := range []string{"Last year's news", "Someone else"} {
		if strings.Contains(got, not) {
			t.Errorf("feedback shows %q, which is not this rep's this quarter", not)
		}
	}
}

func TestPlayerCoachSeesOwnTeam(t *testing.T) {
	snap := snapshot(t)
	manager := snap.Reps[0].Rep.Manager
	// The manager also sells: linked as a rep whose ID is their name.
	st := &snapStore{snap: snap, links: map[string]insights.RepID{"UCOACH": insights.RepID(manager)}}
	team := &Team{Reports: st, People: st, Roles: st, Location: time.UTC}
	m, err := team.Show(context.Background(), "UCOACH", "")
	if err != nil {
		t.Fatalf("a player-coach asking for their team: %v", err)
	}
	if !strings.Contains(m.Text, manager+"'s team") {
		t.Errorf("player-coach got %q, want their own team", m.Text)
	}
}
