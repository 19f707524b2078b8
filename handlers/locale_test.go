package handlers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/repcoach/repcoach/handlers/i18n"
)

type memLanguages map[string]string

func (m memLanguages) Language(_ context.Context, id string) (string, bool, error) {
	c, ok := m[id]
	return c, ok, nil
}

func (m memLanguages) SetLanguage(_ context.Context, id, code string) error {
	m[id] = code
	return nil
}

type slackLocales struct {
	locales map[string]string
	calls   int
}

func (s *slackLocales) Locale(_ context.Context, id string) (string, error) {
	s.calls++
	if l, ok := s.locales[id]; ok {
		return l, nil
	}
	return "", errors.New("user_not_found")
}

func TestLocalesResolution(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	slack := &slackLocales{locales: map[string]string{"UTR": "tr-TR", "UEN": "en-US", "UDE": "de-DE", "UCHOSE": "en-GB"}}
	l := &Locales{Store: memLanguages{"UCHOSE": "tr"}, Slack: slack, Default: i18n.Turkish, Currency: "TRY", Now: func() time.Time { return now }}
	ctx := context.Background()
	for _, tt := range []struct {
		user string
		want string
		src  Source
	}{
		{"UTR", "tr", FromSlack}, {"UEN", "en", FromSlack}, {"UDE", "tr", FromDefault},
		{"UCHOSE", "tr", FromChoice}, {"UGONE", "tr", FromDefault},
	} {
		tag, src := l.Language(ctx, tt.user)
		if i18n.Code(tag) != tt.want || src != tt.src {
			t.Errorf("%s: got %s from %d, want %s from %d", tt.user, i18n.Code(tag), src, tt.want, tt.src)
		}
	}
	calls := slack.calls
	l.Language(ctx, "UTR")
	if slack.calls != calls {
		t.Errorf("a second look-up within a day asked Slack again")
	}
	if got := l.Printer(ctx, "UEN").Money(1234567); got != "₺1,234,567" {
		t.Errorf("English reader, TRY: got %q", got)
	}
	if got := l.Printer(ctx, "UTR").Money(1234567); got != "₺1.234.567" {
		t.Errorf("Turkish reader, TRY: got %q", got)
	}
}

func TestRepcoachLanguage(t *testing.T) {
	store := memLanguages{}
	l := &Locales{Store: store, Slack: &slackLocales{locales: map[string]string{"U1": "en-US"}}, Default: i18n.English, Currency: "USD"}
	a := &Admin{Locales: l}
	ctx := context.Background()
	for _, tt := range []struct {
		text, want, stored string
	}{
		{"language", "I write to you in *English* (from your Slack language)", ""},
		{"language tr", "Bundan sonra size Türkçe yazacağım.", "tr"},
		{"language", "Size *Türkçe* yazıyorum (sizin seçiminiz)", "tr"},
		{"language de", "İngilizce (`en`) ve Türkçe (`tr`) biliyorum", "tr"},
		{"dil en", "From now on I'll write to you in English.", "en"},
	} {
		m, err := a.Handle(ctx, "U1", tt.text)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, tt.want) || store["U1"] != tt.stored {
			t.Errorf("/repcoach %s: got %q (stored %q), want %q (stored %q)", tt.text, m.Text, store["U1"], tt.want, tt.stored)
		}
	}
}
