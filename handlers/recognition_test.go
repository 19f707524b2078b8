package handlers

import (
	"errors"
	"strings"
	"testing"

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
	if err := kit.CheckModal(recognizeModal("C123")); err != nil {
		t.Fatal(err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
