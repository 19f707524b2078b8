package handlers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

// renderView flattens a modal or Home tab to the text a reader sees, for
// golden files: title and buttons, then each block (inputs by label and
// placeholder, options listed).
func renderView(title, submit, close string, blocks []slack.Block) string {
	var b strings.Builder
	if title != "" {
		fmt.Fprintf(&b, "== %s == [%s] [%s]\n\n", title, submit, close)
	}
	for _, bl := range blocks {
		in, ok := bl.(*slack.InputBlock)
		if !ok {
			b.WriteString(strings.TrimPrefix(rendered(Message{Blocks: []slack.Block{bl}}), "[notification] \n"))
			continue
		}
		fmt.Fprintf(&b, "%s: ", in.Label.Text)
		switch e := in.Element.(type) {
		case *slack.SelectBlockElement:
			b.WriteString("(" + e.Placeholder.Text + ")")
			for _, o := range e.Options {
				b.WriteString(" | " + o.Text.Text)
			}
		case *slack.PlainTextInputBlockElement:
			b.WriteString("(" + e.Placeholder.Text + ")")
		}
		b.WriteString("\n\n")
	}
	return b.String()
}

// goldenView compares a rendered view with testdata/name.txt.
func goldenView(t *testing.T, name, got string) {
	t.Helper()
	goldenText(t, name, Message{Text: "(view)", Blocks: []slack.Block{kit.Section(kit.Truncate(got, kit.MaxSectionText))}})
}

// memBook is the link book and the decisions, in memory.
type memBook struct {
	book      insights.LinkBook
	decisions map[string]insights.RepID
}

func (m *memBook) LinkBook(context.Context) (insights.LinkBook, error)       { return m.book, nil }
func (m *memBook) SaveLinkBook(_ context.Context, b insights.LinkBook) error { m.book = b; return nil }
func (m *memBook) LinkDecisions(context.Context) (map[string]insights.RepID, error) {
	return m.decisions, nil
}
func (m *memBook) SetLinkDecision(_ context.Context, id string, rep insights.RepID) error {
	m.decisions[id] = rep
	return nil
}

func sampleBook() *memBook {
	return &memBook{decisions: map[string]insights.RepID{}, book: insights.LinkBook{
		Generation: 3, At: asOf,
		Links: map[string]insights.Link{
			"U0ANA": {Rep: "Ana Lima", How: insights.LinkByEmail},
			"U0BOB": {Rep: "Bob Stone", How: insights.LinkByName},
			"U0MGR": {Rep: insights.RepID(insights.ManagerTeam("Iris Chen")), How: insights.LinkByName},
			"U0OPS": {Rep: "Cem Yıldız", How: insights.LinkByMapping},
		},
		// One clash of each kind, names with mrkdwn in them.
		Clashes: []insights.Clash{
			{Kind: insights.ClashClaimed, User: "U0X", People: []string{"Dan Roe", "Dan <Roe>"}, How: insights.LinkByEmail},
			{Kind: insights.ClashUserTaken, User: "U0ANA", People: []string{"Ana Lima", "Bob Stone"}, How: insights.LinkByMapping, Held: insights.LinkByName},
			{Kind: insights.ClashPersonTaken, User: "U0NEW", People: []string{"Cem Yıldız"}, Users: []string{"U0OPS"}, How: insights.LinkByOps, Held: insights.LinkByMapping},
			{Kind: insights.ClashCRMNamesake, People: []string{"Eve Kaya"}, Count: 2},
			{Kind: insights.ClashSlackNamesake, People: []string{"İpek Işık"}, Users: []string{"U0IP1", "U0IP2"}},
			{Kind: insights.ClashCopiedName, User: "U0BOB", People: []string{"Bob Stone"}, Users: []string{"U0COPY"}, Held: insights.LinkByName},
			{Kind: insights.ClashCopiedName, User: "U0ANA", People: []string{"Ana Lima"}, Users: []string{"U0C1", "U0C2"}, Held: insights.LinkByEmail},
		},
		Unmatched: []string{"Deniz Kaya", "Eve <Ops>"},
	}}
}

// teamFixture is the sample snapshot with a manager, a rep and sales ops
// linked, and a manager's quarter and last week.
type teamFixture struct {
	snap                   insights.Snapshot
	st                     *snapStore
	manager                string
	quarter, lastWeek, all insights.TeamReport
}

func newTeamFixture(t *testing.T) teamFixture {
	snap := snapshot(t)
	rep := snap.Reps[len(snap.Reps)/2].Rep
	key := insights.ManagerTeam(rep.Manager)
	quarter, err := snap.Team(key, insights.PeriodQuarter)
	if err != nil {
		t.Fatal(err)
	}
	lastWeek, _ := snap.Team(key, insights.PeriodLastWeek)
	all, _ := snap.Team(insights.TeamAll, insights.PeriodQuarter)
	st := &snapStore{snap: snap, links: map[string]insights.RepID{"UMGR": insights.RepID(key), "UREP": rep.ID}, ops: map[string]bool{"UOPS": true}}
	return teamFixture{snap: snap, st: st, manager: rep.Manager, quarter: quarter, lastWeek: lastWeek, all: all}
}

// TestGoldenTeamAndOpsMessagesBothLanguages pins, in English and Turkish,
// every message kind of /teamperformance, the manager digest, a manager's
// App Home, /recognize (answers, form, post), the award suggestions and
// their approval, /repcoach links and its answers, the sync lines of
// /repcoach status, and what the bot itself says.
func TestGoldenTeamAndOpsMessagesBothLanguages(t *testing.T) {
	f := newTeamFixture(t)
	ctx := context.Background()
	for _, lang := range []string{"en", "tr"} {
		l := &Locales{Store: memLanguages{"UMGR": lang, "UOPS": lang, "UREP": lang}, Default: i18n.English, Currency: "USD"}
		if lang == "tr" {
			// A Turkish workspace: Turkish by default, in lira.
			l = &Locales{Store: memLanguages{}, Default: i18n.Turkish, Currency: "TRY"}
		}
		p := l.DefaultPrinter()
		g := func(name string, m Message) { t.Helper(); goldenText(t, "i18n/"+name+"."+lang, m) }

		// /teamperformance.
		team := &Team{Reports: f.st, People: f.st, Roles: f.st, Location: time.UTC, Locales: l}
		for _, tc := range []struct{ name, user, text string }{
			{"team_quarter", "UMGR", ""},
			{"team_lastweek", "UMGR", map[string]string{"en": "last week", "tr": "geçen hafta"}[lang]},
			{"team_all", "UOPS", map[string]string{"en": "all", "tr": "hepsi"}[lang]},
			{"team_help", "UMGR", map[string]string{"en": "help", "tr": "yardım"}[lang]},
		} {
			m, err := team.Show(ctx, tc.user, tc.text)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			g(tc.name, m)
		}
		_, err := team.Show(ctx, "UREP", "")
		msg, ok := ExplainIn(p, err)
		if !ok {
			t.Fatalf("a rep asking for a team: %v, want ErrNotAllowed", err)
		}
		g("team_forbidden", Text(msg))

		// The manager digest, as sent to the manager, and their App Home.
		d := &Digest{Reports: f.st, People: f.st, Users: users{}, Location: time.UTC, WeekStart: time.Monday, Locales: l}
		m, err := d.For(ctx, "UMGR", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		g("digest", m)
		pub := &publisher{views: map[string]slack.HomeTabViewRequest{}}
		home := &Home{Reports: f.st, Teams: f.st, People: f.st, Publisher: pub, Location: time.UTC, Locales: l}
		if err := home.Opened(ctx, "UMGR"); err != nil {
			t.Fatal(err)
		}
		g("home_manager", Message{Text: "(home)", Blocks: pub.views["UMGR"].Blocks.BlockSet})
		if err := home.Opened(ctx, "UOPS"); err != nil {
			t.Fatal(err)
		}
		g("home_ops", Message{Text: "(home)", Blocks: pub.views["UOPS"].Blocks.BlockSet})

		// /recognize.
		rec := &Recognize{Store: &memRecognitions{}, Roles: fakeRoles{"UOPS": true}, Poster: &oncePosts{}, Now: func() time.Time { return asOf }, Locales: l}
		for _, tc := range []struct{ name, text string }{
			{"recognize_post", "<@U0ANA|ana> top-closer Saved the Acme renewal & <!channel>"},
			{"recognize_help", map[string]string{"en": "help", "tr": "yardım"}[lang]},
			{"recognize_nomention", "ana great work"},
			{"recognize_noreason", "<@U0ANA> biggest-deal"},
			{"recognize_long", "<@U0ANA> " + strings.Repeat("ğ", maxReason+1)},
		} {
			m, err := rec.Command(ctx, "UOPS", "C0WINS", "T1", tc.text)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			g(tc.name, m)
		}
		goldenView(t, "i18n/recognize_form."+lang, renderForm(recognizeModal(p, "C0WINS")))
		problems, err := rec.Submit(ctx, "UOPS", "V1", map[string]map[string]string{"who": {"user": "x"}, "kind": {"kind": "nope"}, "why": {"reason": ""}}, "C0WINS")
		if err != nil {
			t.Fatal(err)
		}
		g("recognize_form_errors", Text(sortedProblems(problems)))

		// Award suggestions and their approval.
		star := f.quarter.Recognitions[0]
		a := &Awards{Teams: f.st, Users: users{star.Rep: "USTAR"}, Store: &keptRecs{}, Roles: f.st, Poster: &oncePosts{}, Channel: "C0WINS", Now: func() time.Time { return asOf }, Locales: l}
		m, err = a.For(ctx, "UOPS")
		if err != nil {
			t.Fatal(err)
		}
		g("awards", m)
		value := firstButtonValue(m)
		for _, name := range []string{"awards_posted", "awards_already"} {
			m, err := a.Approve(ctx, "UOPS", value)
			if err != nil {
				t.Fatal(err)
			}
			g(name, m)
		}
		a.Users, a.Poster = users{}, &oncePosts{}
		m, err = a.Approve(ctx, "UOPS", value)
		if err != nil {
			t.Fatal(err)
		}
		g("awards_nouser", m)

		// /repcoach links and its answers.
		book := sampleBook()
		links := &Links{Roles: fakeRoles{"UOPS": true}, Book: book, Decisions: book, Locales: l,
			Reps: func(context.Context) ([]insights.Rep, error) {
				return []insights.Rep{{ID: "Ana Lima", Name: "Ana Lima", Manager: "Iris Chen"}}, nil
			},
			Refresh: func(context.Context) error { return nil }}
		m, err = links.Show(ctx, "UOPS")
		if err != nil {
			t.Fatal(err)
		}
		g("links", m)
		for _, tc := range []struct {
			name   string
			unlink bool
			args   []string
		}{
			{"link", false, []string{"<@U0NEW>", "Ana", "Lima"}},
			{"link_manager", false, []string{"<@U0NEW>", "iris", "chen"}},
			{"unlink", true, []string{"<@U0BOB>"}},
			{"link_usage", false, nil},
		} {
			m, err := links.Command(ctx, "UOPS", tc.unlink, tc.args)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			g(tc.name, m)
		}
		for _, tc := range []struct{ name, value string }{{"link_kept", ActionLinkConfirm + "|U0MGR"}, {"link_removed", ActionLinkRemove + "|U0BOB"}, {"link_gone", ActionLinkConfirm + "|U0GONE"}} {
			m, err := links.Act(ctx, "UOPS", tc.value)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			g(tc.name, m)
		}

		// /repcoach status with CRM syncs and links to settle, to sales ops.
		at := time.Date(2026, 11, 29, 16, 5, 0, 0, time.UTC)
		admin := &Admin{Control: &controlMem{out: map[string]bool{}}, OptOut: &OptOut{}, Roles: fakeRoles{"UOPS": true}, Links: links, Location: time.UTC, Locales: l,
			Syncs: syncStates{
				{Source: "salesforce", LastRun: at, LastOK: at, Full: true, Deals: 1234, Total: 1234},
				{Source: "hubspot", LastRun: at.Add(time.Hour), LastOK: at, Error: "read deals: HTTP 503"},
				{Source: "hubspot", LastRun: at.Add(2 * time.Hour), Error: "read deals: HTTP 401"},
			}}
		m, err = admin.Handle(ctx, "UOPS", "status")
		if err != nil {
			t.Fatal(err)
		}
		g("status_syncs", m)

		// What the bot itself says.
		g("apology", Text(l.Apology(ctx, "UOPS")))
		g("form_not_saved", Text(l.FormNotSaved(ctx, "UOPS", []string{"Pick a kind.", "Write why."})))
		g("unknown_command", Text(l.UnknownCommand(ctx, "UOPS", "/frobnicate", []string{"/myperformance", "/teamperformance", "/recognize", "/repcoach"})))
		for _, tc := range []struct {
			name string
			err  error
		}{{"explain_unknownrep", insights.ErrUnknownRep}, {"explain_nodata", insights.ErrNoData}, {"explain_notincrm", ErrNotInCRM}, {"explain_unknownteam", insights.ErrUnknownTeam}, {"explain_opsonly", NotAllowed("who.ops")}} {
			msg, ok := l.Explain(ctx, "UOPS", fmt.Errorf("wrapped: %w", tc.err))
			if !ok {
				t.Fatalf("%s not explained", tc.name)
			}
			g(tc.name, Text(msg))
		}
	}
}

func renderForm(v slack.ModalViewRequest) string {
	return renderView(v.Title.Text, v.Submit.Text, v.Close.Text, v.Blocks.BlockSet)
}

func sortedProblems(problems map[string]string) string {
	var lines []string
	for k, v := range problems {
		lines = append(lines, k+": "+v)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func firstButtonValue(m Message) string {
	for _, b := range m.Blocks {
		if s, ok := b.(*slack.SectionBlock); ok && s.Accessory != nil && s.Accessory.ButtonElement != nil {
			return s.Accessory.ButtonElement.Value
		}
	}
	return ""
}

// TestTurkishTeamMessagesWithinLimits renders every team report of the
// sample, each manager's digest and Home, the award suggestions, the
// recognition form and post, and the links view in Turkish: each must pass
// Slack's Block Kit limits (section text 3,000, header 150, button 75,
// modal title 24, chart labels 20…), hold no printf error or raw catalog
// key, and no English word RepCoach writes.
func TestTurkishTeamMessagesWithinLimits(t *testing.T) {
	f := newTeamFixture(t)
	ctx := context.Background()
	// CRM text (deal, stage, product and account names) is English in the
	// sample; the check is for what RepCoach writes.
	turkishCRM := func(r insights.TeamReport) insights.TeamReport {
		r.StaleDeals = append([]insights.DealRef(nil), r.StaleDeals...)
		for i := range r.StaleDeals {
			d := &r.StaleDeals[i]
			d.Name, d.Stage, d.Product, d.Account = "Anlaşma", "Aşama", "Ürün", "Müşteri"
		}
		if r.Bottleneck != "" {
			r.StageFunnel = append([]insights.StageStat(nil), r.StageFunnel...)
			for i := range r.StageFunnel {
				if r.StageFunnel[i].Stage == r.Bottleneck {
					r.StageFunnel[i].Stage = "Teklif"
				}
			}
			r.Bottleneck = "Teklif"
		}
		r.Recognitions = append([]insights.Award(nil), r.Recognitions...)
		for i := range r.Recognitions {
			r.Recognitions[i].Deal = "Büyük Anlaşma"
		}
		return r
	}
	checked := 0
	byKey := map[string]insights.TeamReport{}
	for _, r := range f.snap.Teams {
		r = turkishCRM(r)
		check(t, "team "+r.Team+" "+string(r.Period.Kind), TeamMessageIn(turkish, r, time.UTC))
		if r.Period.Kind == insights.PeriodQuarter {
			check(t, "home "+r.Team, Message{Text: "Ana sayfa", Blocks: TeamHome(turkish, r, time.UTC)})
			if err := kit.CheckHome(homeView(TeamHome(turkish, r, time.UTC))); err != nil {
				t.Errorf("home %s breaks Slack's limits in Turkish: %v", r.Team, err)
			}
		}
		byKey[r.Team+"/"+string(r.Period.Kind)] = r
		checked++
	}
	for _, r := range f.snap.Teams {
		if r.Period.Kind != insights.PeriodQuarter || !insights.IsManagerTeam(r.Team) {
			continue
		}
		lw, ok := byKey[r.Team+"/"+string(insights.PeriodLastWeek)]
		if !ok {
			continue
		}
		check(t, "digest "+r.Team, DigestMessageIn(turkish, When{time.Thursday, 18}, byKey[r.Team+"/"+string(insights.PeriodQuarter)], lw, time.UTC))
		checked++
	}
	if checked < 20 {
		t.Fatalf("checked %d team messages, want every team and period", checked)
	}
	// Award suggestions, with a deal name as long as a CRM allows.
	snap := f.snap
	snap.Teams = append([]insights.TeamReport(nil), snap.Teams...)
	for i := range snap.Teams {
		snap.Teams[i] = turkishCRM(snap.Teams[i])
		if len(snap.Teams[i].Recognitions) > 0 {
			snap.Teams[i].Recognitions[0] = insights.Award{Rep: snap.Teams[i].Recognitions[0].Rep, Kind: insights.AwardBiggestDeal, Amount: 1234567, Deal: strings.Repeat("Çok Büyük Anlaşma ", 110)}
		}
	}
	st := &snapStore{snap: snap, ops: map[string]bool{"UOPS": true}}
	l := &Locales{Store: memLanguages{}, Default: i18n.Turkish, Currency: "TRY"}
	a := &Awards{Teams: st, Users: users{}, Store: &keptRecs{}, Roles: st, Poster: &oncePosts{}, Channel: "C0WINS", Now: func() time.Time { return asOf }, Locales: l}
	m, err := a.For(ctx, "UOPS")
	if err != nil {
		t.Fatal(err)
	}
	check(t, "awards", m)
	check(t, "recognition", RecognitionMessageIn(turkish, insights.Recognition{To: "U1", From: "U2", Kind: insights.AwardMostImproved, Reason: strings.Repeat("ş", maxReason), At: asOf}))
	if err := kit.CheckModal(recognizeModal(turkish, "C0WINS")); err != nil {
		t.Errorf("recognition form breaks Slack's limits in Turkish: %v", err)
	}
	book := sampleBook()
	for i := range 40 {
		book.book.Links[fmt.Sprintf("U%03d", i)] = insights.Link{Rep: insights.RepID(strings.Repeat("Uzun Ad ", 30)), How: insights.LinkByName}
		book.book.Unmatched = append(book.book.Unmatched, strings.Repeat("Eşleşmeyen Kişi ", 10))
	}
	links := &Links{Roles: fakeRoles{"UOPS": true}, Book: book, Decisions: book, Locales: l}
	m, err = links.Show(ctx, "UOPS")
	if err != nil {
		t.Fatal(err)
	}
	if err := kit.CheckMessage(m.Text, m.Blocks); err != nil {
		t.Errorf("links view breaks Slack's limits in Turkish: %v", err)
	}
}

// TestTextsFollowTheConfiguredDays: with the digest on Tuesday mornings,
// feedback on Thursday evenings and nudges on Saturday, no message names
// the defaults' days (Monday digest, Wednesday nudges, Friday feedback) (issue 8: texts said
// "Monday" and "Friday" whatever DIGEST_AT and FEEDBACK_AT said).
func TestTextsFollowTheConfiguredDays(t *testing.T) {
	f := newTeamFixture(t)
	ctx := context.Background()
	sched := Schedule{Digest: When{time.Tuesday, 7}, Feedback: When{time.Thursday, 18}, Nudge: When{time.Saturday, 11}}
	for _, tc := range []struct {
		lang  string
		want  []string
		wrong *regexp.Regexp
	}{
		{"en", []string{"every Tuesday morning", "Every Thursday evening", "training nudges every Saturday morning"}, regexp.MustCompile(`Monday|Wednesday|Friday|midweek`)},
		{"tr", []string{"her salı sabahı", "Her perşembe akşamı", "eğitim önerileri her cumartesi sabahı"}, regexp.MustCompile(`(?i)pazartesi|çarşamba|cuma[^r]|hafta ortası`)},
	} {
		l := &Locales{Store: memLanguages{"UMGR": tc.lang, "UREP": tc.lang, "UOPS": tc.lang}, Default: i18n.English, Currency: "USD"}
		d := &Digest{Reports: f.st, People: f.st, Users: users{}, Location: time.UTC, WeekStart: time.Monday, Locales: l, Schedule: sched}
		digest, err := d.For(ctx, "UMGR", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		fb := &Feedback{Reports: f.st, Teams: f.st, People: f.st, Users: users{}, Location: time.UTC, Locales: l, Schedule: sched}
		feedback, err := fb.For(ctx, "UREP")
		if err != nil {
			t.Fatal(err)
		}
		admin := &Admin{Control: &controlMem{out: map[string]bool{}}, OptOut: &OptOut{}, Roles: fakeRoles{}, Location: time.UTC, Locales: l, Schedule: sched}
		status, err := admin.Handle(ctx, "UOPS", "status")
		if err != nil {
			t.Fatal(err)
		}
		help, _ := admin.Handle(ctx, "UOPS", "help")
		optOut, err := (&OptOut{Prefs: &controlMem{out: map[string]bool{}}, Locales: l}).Set(ctx, "UMGR", KindDigest, true)
		if err != nil {
			t.Fatal(err)
		}
		all := rendered(digest) + rendered(feedback) + rendered(status) + rendered(help) + rendered(optOut)
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: want %q in the messages:\n%s", tc.lang, w, all)
			}
		}
		if w := tc.wrong.FindString(all); w != "" {
			t.Errorf("%s: %q names a day the schedule does not:\n%s", tc.lang, w, all)
		}
	}
}

// TestNotAllowedSaysWhoInTheReadersLanguage: the refusal names who may, in
// the reader's language, and the error's own text stays English for logs.
func TestNotAllowedSaysWhoInTheReadersLanguage(t *testing.T) {
	err := fmt.Errorf("ask: %w", NotAllowed("team.forbidden"))
	if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "managers and sales ops") {
		t.Errorf("error = %v", err)
	}
	msg, _ := ExplainIn(turkish, err)
	if want := ":lock: Üzgünüm, bu yalnızca şu kişilere açık: yöneticiler ve satış operasyonları"; !strings.HasPrefix(msg, want) {
		t.Errorf("Turkish refusal = %q, want it to start %q", msg, want)
	}
}
