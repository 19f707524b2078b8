package handlers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

func TestParseRecognize(t *testing.T) {
	long := make([]byte, maxReason+1)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		name, text         string
		user, kind, reason string
		wantErr            bool
	}{
		{"escaped mention, kind, reason", "<@U0ANA0001|ana> top-closer Closed Acme", "U0ANA0001", "top-closer", "Closed Acme", false},
		{"no kind is a shout-out", "<@U0ANA0001> Great demo today", "U0ANA0001", "shout-out", "Great demo today", false},
		{"kind alias, any case", "<@W123|x> Most-Improved from 20% to 35%", "W123", insights.AwardMostImproved, "from 20% to 35%", false},
		{"hostile reason kept as typed", "<@U1AB> <!channel> & <https://x|y>", "U1AB", "shout-out", "<!channel> & <https://x|y>", false},
		{"Turkish keyword", "<@U0ANA0001> en-çok-kapatan Acme'yi kapattı", "U0ANA0001", "top-closer", "Acme'yi kapattı", false},
		{"Turkish name as the help lists it", "<@U0ANA0001> En büyük anlaşma Acme", "U0ANA0001", "biggest-deal", "Acme", false},
		{"Turkish capitals fold (İ, I)", "<@U0ANA0001> KOTA ŞAMPİYONU %120", "U0ANA0001", "quota-crusher", "%120", false},
		{"Turkish without Turkish letters", "<@U0ANA0001> en-cok-gelisen harika", "U0ANA0001", insights.AwardMostImproved, "harika", false},
		{"teşekkür", "<@U0ANA0001> TEŞEKKÜR demo için", "U0ANA0001", "shout-out", "demo için", false},
		{"a prefix of a name is reason", "<@U0ANA0001> en iyi demo", "U0ANA0001", "shout-out", "en iyi demo", false},
		{"empty", "", "", "", "", true},
		{"plain @name, not a mention", "@ana great job", "", "", "", true},
		{"channel mention is not a person", "<!channel> great job", "", "", "", true},
		{"no reason", "<@U0ANA0001> top-closer", "", "", "", true},
		{"reason too long", "<@U0ANA0001> " + string(long), "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, kind, reason, err := ParseRecognize(tt.text)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseRecognize(%q) error = %v, want error %v", tt.text, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadRecognition) {
				t.Errorf("error %v does not wrap ErrBadRecognition", err)
			}
			if user != tt.user || kind != tt.kind || reason != tt.reason {
				t.Errorf("ParseRecognize(%q) = %q, %q, %q; want %q, %q, %q", tt.text, user, kind, reason, tt.user, tt.kind, tt.reason)
			}
		})
	}
}

func TestRecognitionMessageEscapesReason(t *testing.T) {
	m := RecognitionMessage(insights.Recognition{To: "U1AB", From: "U2CD", Kind: "top-closer", Reason: "<!channel> & <@U999>", At: asOf})
	if err := kit.CheckMessage(m.Text, m.Blocks); err != nil {
		t.Fatal(err)
	}
	for _, s := range mrkdwnTexts(t, m) {
		if contains(s, "<!channel>") || contains(s, "<@U999>") {
			t.Errorf("recognition carries unescaped user text: %s", s)
		}
	}
	if !contains(m.Text, "<@U1AB>") || !contains(render(m), "<@U1AB>") {
		t.Errorf("recognition does not mention the person: %s %s", m.Text, render(m))
	}
}

func TestRecognizeModalFitsSlack(t *testing.T) {
	for _, p := range []*i18n.Printer{english, i18n.New(i18n.Turkish, "TRY")} {
		if err := kit.CheckModal(recognizeModal(p, "C123")); err != nil {
			t.Errorf("%s: %v", p.Lang(), err)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// fakeRoles is sales ops by a fixed set of Slack IDs.
type fakeRoles map[string]bool

func (f fakeRoles) IsOps(_ context.Context, id string) (bool, error) { return f[id], nil }

type memRecognitions struct{ recs []insights.Recognition }

func (m *memRecognitions) AddRecognition(_ context.Context, r insights.Recognition) error {
	m.recs = append(m.recs, r)
	return nil
}

func (m *memRecognitions) Recognitions(context.Context, string, time.Time) ([]insights.Recognition, error) {
	return m.recs, nil
}

// Finding 8: the form accepted a user value with text appended; only a
// well-formed user ID may pass.
func TestRecognizeFormAcceptsOnlyAUserID(t *testing.T) {
	for _, tt := range []struct {
		user string
		ok   bool
	}{
		{"U0ANA0001", true},
		{"W0ANA0001", true},
		{"U123<!channel>", false},
		{"U123|<!channel", false},
		{"U123|x", false},
		{"U123> <!here", false},
		{"U123 ", false},
		{"u0ana0001", false},
		{"C0CHANNEL", false},
		{"", false},
	} {
		t.Run(tt.user, func(t *testing.T) {
			store, poster := &memRecognitions{}, &oncePosts{}
			r := &Recognize{Store: store, Roles: fakeRoles{"U0OPS": true}, Poster: poster, Now: func() time.Time { return asOf }}
			problems, err := r.Submit(context.Background(), "U0OPS", "V0FORM1", map[string]map[string]string{
				"who": {"user": tt.user}, "kind": {"kind": "shout-out"}, "why": {"reason": "Great quarter"},
			}, "C0GENERAL")
			if err != nil {
				t.Fatal(err)
			}
			if tt.ok != (problems["who"] == "") || tt.ok != (len(poster.channels) == 1) || tt.ok != (len(store.recs) == 1) {
				t.Errorf("Submit(who=%q): problems %v, %d posts, %d stored; want accepted=%v", tt.user, problems, len(poster.channels), len(store.recs), tt.ok)
			}
		})
	}
}

// TestRecognizeFormResubmittedOnce: a form submitted again (its ack missed
// Slack's deadline, a double click) is posted and stored once: the view is
// the key (before, a resubmission stored the award twice).
func TestRecognizeFormResubmittedOnce(t *testing.T) {
	store, poster := &memRecognitions{}, &oncePosts{}
	r := &Recognize{Store: store, Roles: fakeRoles{"U0OPS": true}, Poster: poster, Now: func() time.Time { return asOf }}
	values := map[string]map[string]string{"who": {"user": "U0ANA0001"}, "kind": {"kind": "shout-out"}, "why": {"reason": "Great quarter"}}
	for range 3 {
		if problems, err := r.Submit(context.Background(), "U0OPS", "V0FORM1", values, "C0GENERAL"); err != nil || len(problems) > 0 {
			t.Fatalf("Submit = %v, %v", problems, err)
		}
	}
	if len(poster.channels) != 1 || len(store.recs) != 1 {
		t.Errorf("three submissions of one form: %d posts, %d stored; want 1 and 1", len(poster.channels), len(store.recs))
	}
	if _, err := r.Submit(context.Background(), "U0OPS", "V0FORM2", values, "C0GENERAL"); err != nil || len(poster.channels) != 2 {
		t.Errorf("another form: err %v, %d posts; want a second post", err, len(poster.channels))
	}
}
