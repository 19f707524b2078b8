package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

var turkish = i18n.New(i18n.Turkish, "TRY")

// rendered flattens a message to the text a reader sees, block by block,
// for golden files a person can review.
func rendered(m Message) string {
	var b strings.Builder
	b.WriteString("[notification] " + m.Text + "\n")
	for _, bl := range m.Blocks {
		switch x := bl.(type) {
		case *slack.HeaderBlock:
			b.WriteString("# " + x.Text.Text + "\n")
		case *slack.SectionBlock:
			if x.Text != nil {
				b.WriteString(x.Text.Text + "\n")
			}
			for _, f := range x.Fields {
				b.WriteString("| " + strings.ReplaceAll(f.Text, "\n", "\n|   ") + "\n")
			}
		case *slack.ContextBlock:
			for _, e := range x.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					b.WriteString("~ " + t.Text + "\n")
				}
			}
		case *slack.ActionBlock:
			for _, e := range x.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					b.WriteString("[" + btn.Text.Text + "] ")
				}
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// goldenText compares the rendered text of m with testdata/name.txt, and m
// itself with name.golden.
func goldenText(t *testing.T, name string, m Message) {
	t.Helper()
	golden(t, name, m)
	got := rendered(m)
	path := filepath.Join("testdata", name+".txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./handlers -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test ./handlers -update rewrites it); got:\n%s", name, path, got)
	}
}

// TestGoldenMessagesBothLanguages pins every translated message kind in
// English and Turkish, as Block Kit JSON and as rendered text.
func TestGoldenMessagesBothLanguages(t *testing.T) {
	snap := snapshot(t)
	rep := snap.Reps[len(snap.Reps)/2].Rep.ID
	english := i18n.New(i18n.English, "USD")
	for _, lang := range []struct {
		suffix string
		p      *i18n.Printer
	}{{"en", english}, {"tr", turkish}} {
		for _, kind := range []insights.PeriodKind{insights.PeriodQuarter, insights.PeriodWeek, insights.PeriodLastWeek, insights.PeriodMonth, insights.PeriodYearToDate} {
			r, err := snap.Rep(rep, kind)
			if err != nil {
				t.Fatal(err)
			}
			goldenText(t, "i18n/rep_"+string(kind)+"."+lang.suffix, RepMessageIn(lang.p, r, time.UTC))
		}
		goldenText(t, "i18n/help."+lang.suffix, PerformanceHelpIn(lang.p))
		repWeek, _ := snap.Rep(rep, insights.PeriodWeek)
		repQuarter, _ := snap.Rep(rep, insights.PeriodQuarter)
		team, err := snap.Team(insights.ManagerTeam(repQuarter.Rep.Manager), insights.PeriodQuarter)
		if err != nil {
			t.Fatal(err)
		}
		goldenText(t, "i18n/feedback."+lang.suffix, FeedbackMessageIn(lang.p, repWeek, repQuarter, RepAwards(team, rep), nil, time.UTC))
		star := team.Recognitions[0].Rep
		starWeek, _ := snap.Rep(star, insights.PeriodWeek)
		starQuarter, _ := snap.Rep(star, insights.PeriodQuarter)
		goldenText(t, "i18n/feedback_recognised."+lang.suffix, FeedbackMessageIn(lang.p, starWeek, starQuarter, RepAwards(team, star),
			[]insights.Recognition{{To: "U1", From: "UOPS", Kind: "top-closer", Reason: "Acme yenilemesini kurtardı & <!channel>", At: asOf}}, time.UTC))
		for _, text := range []string{"language", "language tr", "language de"} {
			l := &Locales{Store: memLanguages{}, Default: lang.p.Lang(), Currency: lang.p.Currency()}
			m, err := (&Admin{Locales: l}).Handle(context.Background(), "U1", text)
			if err != nil {
				t.Fatal(err)
			}
			goldenText(t, "i18n/"+strings.ReplaceAll(text, " ", "_")+"."+lang.suffix, m)
		}
		for _, started := range []bool{false, true} {
			if tr, ok := insights.Nudge(repQuarter); ok {
				goldenText(t, "i18n/nudge_"+strconv.FormatBool(started)+"."+lang.suffix, NudgeMessageIn(lang.p, tr, repQuarter, started))
			}
		}
		m, _ := (&Performance{Locales: &Locales{Default: lang.p.Lang(), Currency: lang.p.Currency()}}).Mine(context.Background(), "U1", "next year")
		goldenText(t, "i18n/bad_period."+lang.suffix, m)
	}
}

// englishWords would show an untranslated string in a Turkish message.
// CRM data (stage, product and account names) is English in the sample, so
// the words are ones RepCoach itself writes.
// Boundaries are letters in any script (\b would split "için" at ç).
var englishWords = regexp.MustCompile(`(?i)(?:^|[^\p{L}])(the|your|you|won|lost|deals?|median|quarter|week|month|quota|pipeline|forecast|of|vs|days?|team|at|in|no|as of)(?:[^\p{L}]|$)`)

// TestTurkishMessagesComplete renders every rep's report for every period
// in Turkish: each must pass Slack's Block Kit limits (Turkish runs
// longer), hold no printf error or raw catalog key, and no English word
// RepCoach writes.
func TestTurkishMessagesComplete(t *testing.T) {
	snap := snapshot(t)
	checked := 0
	for _, r := range snap.Reps {
		// CRM text (deal, stage, product and account names) is English in
		// the sample data; the check is for what RepCoach writes.
		r.StaleDeals = append([]insights.DealRef(nil), r.StaleDeals...)
		for i := range r.StaleDeals {
			d := &r.StaleDeals[i]
			d.Name, d.Stage, d.Product, d.Account = "Anlaşma", "Aşama", "Ürün", "Müşteri"
		}
		m := RepMessageIn(turkish, r, time.UTC)
		check(t, r.Rep.Name+" "+string(r.Period.Kind), m)
		checked++
	}
	check(t, "help", PerformanceHelpIn(turkish))
	for _, week := range snap.Reps {
		if week.Period.Kind != insights.PeriodWeek {
			continue
		}
		quarter, err := snap.Rep(week.Rep.ID, insights.PeriodQuarter)
		if err != nil {
			t.Fatal(err)
		}
		var awards []insights.Award
		if team, err := snap.Team(insights.ManagerTeam(quarter.Rep.Manager), insights.PeriodQuarter); err == nil {
			awards = RepAwards(team, week.Rep.ID)
		}
		quarter.StaleDeals = append([]insights.DealRef(nil), quarter.StaleDeals...)
		for i := range quarter.StaleDeals {
			d := &quarter.StaleDeals[i]
			d.Name, d.Stage, d.Product, d.Account = "Anlaşma", "Aşama", "Ürün", "Müşteri"
		}
		received := []insights.Recognition{{To: "U1", From: "UOPS", Kind: "biggest-deal", Reason: "Harika iş", At: asOf}}
		check(t, "feedback "+week.Rep.Name, FeedbackMessageIn(turkish, week, quarter, awards, received, time.UTC))
		checked++
		if tr, ok := insights.Nudge(quarter); ok {
			check(t, "nudge "+week.Rep.Name, NudgeMessageIn(turkish, tr, quarter, false))
		}
	}
	if checked < 100 {
		t.Fatalf("checked %d messages, want every rep and period", checked)
	}
}

func check(t *testing.T, name string, m Message) {
	t.Helper()
	if err := kit.CheckMessage(m.Text, m.Blocks); err != nil {
		t.Errorf("%s breaks Slack's limits in Turkish: %v", name, err)
	}
	text := rendered(m)
	if strings.Contains(text, "%!") {
		t.Errorf("%s: printf error in Turkish:\n%s", name, text)
	}
	if k := regexp.MustCompile(`\b[a-z_]+\.[a-z_.]+\b`).FindString(text); k != "" && i18n.Has(i18n.English, k) {
		t.Errorf("%s: raw catalog key %q in Turkish:\n%s", name, k, text)
	}
	body := text[strings.Index(text, "\n")+1:] // the notification names the rep
	if w := englishWords.FindStringSubmatch(strings.NewReplacer("/myperformance", "", "(pipeline)", "").Replace(body)); w != nil {
		t.Errorf("%s: English word %q in a Turkish message:\n%s", name, w[1], text)
	}
}

// TestCatalogCoversHandlers fails when a handler asks for a message the
// catalog lacks in either language: it reads every p.T("key", …) and
// NotAllowed("key") call in the package's source, and the keys built from
// metric, activity, hygiene, award and command names.
// TestNoUserTextOutsideTheCatalog catches text written outside the catalog.
func TestCatalogCoversHandlers(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			// p.T("key", …), and NotAllowed("key") whose key says who may.
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if fn.Sel.Name != "T" {
					return true
				}
			case *ast.Ident:
				if fn.Name != "NotAllowed" {
					return true
				}
			default:
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				k, _ := strconv.Unquote(lit.Value)
				keys[k] = fset.Position(lit.Pos()).String()
			}
			return true
		})
	}
	if len(keys) < 50 {
		t.Fatalf("found %d message keys in the handlers, want the catalog's calls", len(keys))
	}
	for _, d := range insights.Definitions() {
		keys["metric."+string(d.ID)+".name"] = "insights.Definitions"
		keys["metric."+string(d.ID)+".formula"] = "insights.Definitions"
	}
	for _, id := range []insights.MetricID{insights.MetricAttainment, insights.MetricWinRate, insights.MetricAvgDealSize, insights.MetricCycle, insights.MetricCoverage, insights.MetricStale, insights.MetricActivity} {
		keys["evidence."+string(id)] = "coaching findings"
	}
	for _, id := range []insights.MetricID{insights.MetricWinRate, insights.MetricAvgDealSize, insights.MetricCycle} {
		keys["tip."+string(id)] = "coaching tips"
	}
	for _, tr := range insights.Trainings() {
		keys["training."+tr.ID+".title"] = "insights.Trainings"
		keys["training."+tr.ID+".description"] = "insights.Trainings"
	}
	for _, k := range []insights.ActivityKind{insights.ActivityCall, insights.ActivityEmail, insights.ActivityMeeting, insights.ActivityOther} {
		keys["n."+string(k)] = "activity kinds"
	}
	for _, k := range []string{insights.HygienePastClose, insights.HygieneMissingAmount, insights.HygieneMissingAccount, insights.HygieneWonZero, insights.HygieneClosedNoDate, insights.HygieneUnknownOwner, insights.HygieneUnknownProduct, insights.HygieneDuplicate} {
		keys["hygiene."+k] = "hygiene kinds"
	}
	for _, k := range awardKinds {
		keys["kind."+k.id] = "award kinds"
	}
	for _, k := range []string{KindFeedback, KindDigest, KindNudge} {
		keys["optout.kind."+k] = "opt-out kinds"
		keys["admin.your."+k] = "opt-out kinds"
	}
	for _, c := range []string{"/myperformance", "/teamperformance", "/recognize", "/repcoach"} {
		keys["cmd."+c] = "command summaries"
	}
	for k, where := range keys {
		for _, lang := range i18n.Languages() {
			if !i18n.Has(lang, k) {
				t.Errorf("%s: message %q has no %s text in the catalog", where, k, lang)
			}
		}
	}
}

// TestMetricCatalogMatchesDefinitions keeps the catalog's English metric
// texts equal to insights' definitions, their single source.
func TestMetricCatalogMatchesDefinitions(t *testing.T) {
	en := i18n.New(i18n.English, "USD")
	for _, d := range insights.Definitions() {
		if got := en.T("metric." + string(d.ID) + ".name"); got != d.Name {
			t.Errorf("%s name: catalog %q, insights %q", d.ID, got, d.Name)
		}
		if got := en.T("metric." + string(d.ID) + ".formula"); got != d.Formula {
			t.Errorf("%s formula: catalog %q, insights %q", d.ID, got, d.Formula)
		}
	}
	for _, tr := range insights.Trainings() {
		if got := en.T("training." + tr.ID + ".title"); got != tr.Title {
			t.Errorf("%s title: catalog %q, insights %q", tr.ID, got, tr.Title)
		}
		if got := en.T("training." + tr.ID + ".description"); got != tr.Description {
			t.Errorf("%s description: catalog %q, insights %q", tr.ID, got, tr.Description)
		}
	}
}

type oneRep struct{ snap insights.Snapshot }

func (o oneRep) RepReport(_ context.Context, rep insights.RepID, kind insights.PeriodKind) (insights.RepReport, error) {
	return o.snap.Rep(rep, kind)
}

type fixedPeople insights.RepID

func (f fixedPeople) RepFor(context.Context, string) (insights.RepID, error) {
	return insights.RepID(f), nil
}

// TestPeriodArgumentsInEitherLanguage: /myperformance takes its period in
// English or Turkish, whatever language it answers in.
func TestPeriodArgumentsInEitherLanguage(t *testing.T) {
	snap := snapshot(t)
	rep := snap.Reps[len(snap.Reps)/2].Rep.ID
	perf := &Performance{Reports: oneRep{snap}, People: fixedPeople(rep), Location: time.UTC,
		Locales: &Locales{Store: memLanguages{"UTR": "tr"}, Default: i18n.English, Currency: "TRY"}}
	for _, tt := range []struct {
		user, text, want string
	}{
		{"UTR", "hafta", "haftası"},
		{"UTR", "geçen hafta", "haftası"},
		{"UTR", "GEÇEN HAFTA", "haftası"},
		{"UTR", "ay", "Rakamlarınız: Kasım 2026"},
		{"UTR", "çeyrek", "4. çeyrek (Ekim–Aralık)"},
		{"UTR", "ÇEYREK", "4. çeyrek"},
		{"UTR", "yıl", "başından bugüne"},
		{"UTR", "YIL", "başından bugüne"},
		{"UTR", "YILBAŞINDAN BERİ", "başından bugüne"},
		{"UTR", "Yardım", "hafta"},
		{"UTR", "yardım", "/myperformance nasıl çalışır"},
		{"UTR", "quarter", "4. çeyrek"},
		{"UEN", "çeyrek", "Your numbers: Q4 2026"},
		{"UEN", "geçen hafta", "Your numbers: week of"},
		{"UTR", "gelecek yıl", "“gelecek yıl” diye bir dönem bilmiyorum"},
	} {
		m, err := perf.Mine(context.Background(), tt.user, tt.text)
		if err != nil {
			t.Fatal(err)
		}
		got := rendered(m)
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s /myperformance %s: want %q in\n%s", tt.user, tt.text, tt.want, got)
		}
	}
}

// TestNudgeButtonsInTurkish: a Turkish rep's clicks are answered in Turkish.
func TestNudgeButtonsInTurkish(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) // a Wednesday
	n := &Nudges{Status: trainingMem{}, Now: func() time.Time { return now },
		Locales: &Locales{Store: memLanguages{"UTR": "tr"}, Default: i18n.English, Currency: "TRY"}}
	for _, tt := range []struct{ action, want string }{
		{ActionNudgeStart, ":runner: *Hedefe göre çalışmak* başladı. Bitirdiğinizde Tamamlandı'ya basın."},
		{ActionNudgeSnooze, ":zzz: *Hedefe göre çalışmak* 9 Ara Çarşamba tarihine kadar ertelendi."},
		{ActionNudgeDone, ":white_check_mark: Tamamlandı: *Hedefe göre çalışmak*. Harika iş; yöneticiniz bunu haftalık özetinde görecek."},
	} {
		m, err := n.Act(context.Background(), "UTR", tt.action, "quota-planning")
		if err != nil {
			t.Fatal(err)
		}
		if m.Text != tt.want {
			t.Errorf("%s: got %q, want %q", tt.action, m.Text, tt.want)
		}
	}
}

// TestHomeInTurkish: a Turkish rep's App Home is their quarter in Turkish;
// someone unmatched gets the Turkish note.
func TestHomeInTurkish(t *testing.T) {
	snap := snapshot(t)
	rep := snap.Reps[2].Rep
	st := &snapStore{snap: snap, links: map[string]insights.RepID{"UREP": rep.ID}}
	pub := &publisher{views: map[string]slack.HomeTabViewRequest{}}
	home := &Home{Reports: st, Teams: st, People: st, Publisher: pub, Location: time.UTC,
		Locales: &Locales{Slack: &slackLocales{locales: map[string]string{"UREP": "tr-TR", "USTRANGER": "tr-TR"}}, Default: i18n.English, Currency: "TRY"}}
	for user, want := range map[string]string{"UREP": "Rakamlarınız: 2026 4. çeyrek", "USTRANGER": "Sizi CRM verisinde kimseyle eşleştiremedim"} {
		if err := home.Opened(context.Background(), user); err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		raw, _ := json.Marshal(pub.views[user])
		if !strings.Contains(string(raw), want) {
			t.Errorf("%s's Home lacks %q: %s", user, want, kit.Truncate(string(raw), 300))
		}
	}
}

// controlMem is the state /repcoach reads, in memory.
type controlMem struct {
	paused bool
	by     string
	at     time.Time
	out    map[string]bool
}

func (c *controlMem) SetPaused(_ context.Context, paused bool, by string) error {
	c.paused, c.by = paused, by
	return nil
}

func (c *controlMem) PausedBy(context.Context) (string, time.Time, bool, error) {
	return c.by, c.at, c.paused, nil
}

func (c *controlMem) OptedOut(_ context.Context, _ string, kind string) (bool, error) {
	return c.out[kind], nil
}

func (c *controlMem) SetOptOut(_ context.Context, _ string, kind string, out bool) error {
	c.out[kind] = out
	return nil
}

func (c *controlMem) Current(context.Context) (int64, time.Time, error) { return 1, asOf, nil }

type allOps bool

func (o allOps) IsOps(context.Context, string) (bool, error) { return bool(o), nil }

// TestRepcoachGoldenBothLanguages pins /repcoach's answers and the opt-out
// buttons' in English and Turkish.
func TestRepcoachGoldenBothLanguages(t *testing.T) {
	for _, lang := range []string{"en", "tr"} {
		ctrl := &controlMem{out: map[string]bool{KindDigest: true}, at: asOf, by: "UOPS", paused: true}
		l := &Locales{Store: memLanguages{"U1": lang}, Default: i18n.English, Currency: "USD"}
		optOut := &OptOut{Prefs: ctrl, Locales: l}
		a := &Admin{Control: ctrl, OptOut: optOut, Roles: allOps(true), Location: time.UTC, Locales: l}
		for _, text := range []string{"status", "help", "frobnicate", "feedback off", "pause", "resume"} {
			m, err := a.Handle(context.Background(), "U1", text)
			if err != nil {
				t.Fatal(err)
			}
			goldenText(t, "i18n/repcoach_"+strings.ReplaceAll(text, " ", "_")+"."+lang, m)
		}
		ctrl.paused = false
		m, err := a.Handle(context.Background(), "U1", "")
		if err != nil {
			t.Fatal(err)
		}
		goldenText(t, "i18n/repcoach_running."+lang, m)
		m, err = optOut.Set(context.Background(), "U1", KindNudge, true)
		if err != nil {
			t.Fatal(err)
		}
		goldenText(t, "i18n/optout_nudges."+lang, m)
		m, err = optOut.Set(context.Background(), "U1", KindNudge, false)
		if err != nil {
			t.Fatal(err)
		}
		goldenText(t, "i18n/optin_nudges."+lang, m)
	}
}

// TestExplainInTurkish: a Turkish rep whom the CRM does not know, or who
// asks before any data is loaded, is told so in Turkish.
func TestExplainInTurkish(t *testing.T) {
	l := &Locales{Store: memLanguages{"UTR": "tr"}, Default: i18n.English, Currency: "TRY"}
	perf := &Performance{People: unknownPeople{}, Locales: l}
	m, err := perf.Mine(context.Background(), "UTR", "")
	if err != nil || !strings.Contains(m.Text, "Sizi CRM verisindeki bir temsilciyle eşleştiremedim") {
		t.Errorf("got %q, %v", m.Text, err)
	}
	if _, err := perf.Mine(context.Background(), "UEN", ""); !errors.Is(err, insights.ErrUnknownRep) {
		t.Errorf("English: got %v, want ErrUnknownRep for the bot to explain", err)
	}
	for _, err := range []error{insights.ErrUnknownRep, insights.ErrNoData, insights.ErrUnknownTeam, NotAllowed("who.ops")} {
		if msg, ok := ExplainIn(turkish, err); !ok || msg == "" || strings.Contains(msg, "%!") {
			t.Errorf("ExplainIn(tr, %v) = %q, %v", err, msg, ok)
		}
	}
}

type unknownPeople struct{}

func (unknownPeople) RepFor(context.Context, string) (insights.RepID, error) {
	return "", insights.ErrUnknownRep
}

// TestEnglishInOtherCurrencies: an English reader in a workspace that
// counts in euros sees euros everywhere in /myperformance and the weekly
// feedback, coaching included, and never a dollar sign; in dollars the
// coaching reads exactly as insights writes it.
func TestEnglishInOtherCurrencies(t *testing.T) {
	snap := snapshot(t)
	eur, usd := i18n.New(i18n.English, "EUR"), i18n.New(i18n.English, "USD")
	for _, r := range snap.Reps {
		m := rendered(RepMessageIn(eur, r, time.UTC))
		if strings.Contains(m, "$") {
			t.Fatalf("%s %s: a dollar sign in a euro workspace:\n%s", r.Rep.Name, r.Period.Kind, m)
		}
		for _, f := range r.Strengths {
			// x/text groups thousands (1,070%), insights does not.
			if got := strings.ReplaceAll(evidence(usd, f), ",", ""); got != strings.ReplaceAll(f.Evidence, ",", "") {
				t.Errorf("%s: catalog evidence %q, insights %q", r.Rep.Name, got, f.Evidence)
			}
		}
		if r.Focus != nil {
			if got := strings.ReplaceAll(evidence(usd, *r.Focus), ",", ""); got != strings.ReplaceAll(r.Focus.Evidence, ",", "") {
				t.Errorf("%s: catalog evidence %q, insights %q", r.Rep.Name, got, r.Focus.Evidence)
			}
			if got := tip(usd, r.Focus.Metric, r); got != r.Focus.Tip {
				t.Errorf("%s: catalog tip %q, insights %q", r.Rep.Name, got, r.Focus.Tip)
			}
		}
		if r.Focus != nil && r.Focus.Tip != "" {
			if got, want := rendered(RepMessageIn(usd, r, time.UTC)), rendered(Message{Blocks: []slack.Block{focusSection("One thing to work on", r.Focus)}}); !strings.Contains(got, strings.TrimPrefix(want, "[notification] \n")) {
				t.Fatalf("%s: dollar coaching differs from insights':\n%s\nwant\n%s", r.Rep.Name, got, want)
			}
		}
	}
}
