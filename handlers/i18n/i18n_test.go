package i18n

import (
	"testing"
	"time"

	"golang.org/x/text/language"
)

func TestMoney(t *testing.T) {
	tests := []struct {
		lang language.Tag
		cur  string
		v    float64
		want string
	}{
		{English, "USD", 1234567.4, "$1,234,567"},
		{Turkish, "TRY", 1234567.4, "₺1.234.567"},
		{Turkish, "USD", 1234567, "$1.234.567"},
		{English, "TRY", 1500, "₺1,500"},
		{English, "EUR", -2500, "-€2,500"},
		{Turkish, "EUR", 0, "€0"},
		{English, "CHF", 10, "CHF\u00a010"},
		{English, "", 10, "$10"},
	}
	for _, tt := range tests {
		if got := New(tt.lang, tt.cur).Money(tt.v); got != tt.want {
			t.Errorf("%s %s Money(%v): got %q, want %q", tt.lang, tt.cur, tt.v, got, tt.want)
		}
	}
}

func TestNumbers(t *testing.T) {
	en, tr := New(English, "USD"), New(Turkish, "TRY")
	for _, c := range []struct{ got, want string }{
		{en.Percent(0.256), "26%"}, {tr.Percent(0.256), "%26"},
		{en.Number(10005534), "10,005,534"}, {tr.Number(10005534), "10.005.534"},
		{en.Decimal(12.5), "12.5"}, {tr.Decimal(12.5), "12,5"},
		{en.T("n.deals", 1), "1 deal"}, {en.T("n.deals", 3), "3 deals"},
		{tr.T("n.deals", 1), "1 anlaşma"}, {tr.T("n.deals", 3), "3 anlaşma"},
		{en.T("n.deals", 1200), "1,200 deals"}, {tr.T("n.deals", 1200), "1.200 anlaşma"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestRoundsHalfUp is part of finding 7 of issue 9: halves were rounded
// to even (a 52.5 % win rate showed 52 %).
func TestRoundsHalfUp(t *testing.T) {
	en, tr := New(English, "USD"), New(Turkish, "TRY")
	for _, c := range []struct{ got, want string }{
		{en.Percent(21.0 / 40), "53%"}, {tr.Percent(21.0 / 40), "%53"},
		{en.Percent(0.125), "13%"}, {en.Percent(0.865), "87%"}, {en.Percent(0.124), "12%"},
		{en.Decimal(2.25), "2.3"}, {tr.Decimal(2.25), "2,3"}, {en.Number(86.5), "87"},
		// The cases of kit's copy, which is gone (issue 8: one grouping).
		{en.Percent(-0.025), "-3%"}, {en.Number(2.5), "3"}, {en.Number(2.49), "2"}, {en.Percent(0.865), "87%"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestDates(t *testing.T) {
	day := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	en, tr := New(English, "USD"), New(Turkish, "TRY")
	for _, c := range []struct{ got, want string }{
		{en.Date(day), "Fri 27 Nov 2026"}, {tr.Date(day), "27 Kasım 2026 Cuma"},
		{en.ShortDate(day), "27 Nov"}, {tr.ShortDate(day), "27 Kas"},
		{en.DateTime(day, time.UTC), "Fri 27 Nov 2026, 16:00 UTC"}, {tr.DateTime(day, time.UTC), "27 Kasım 2026 Cuma, 16:00 UTC"},
		{tr.Weekday(time.Wednesday), "Çarşamba"}, {tr.Month(time.August), "Ağustos"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want language.Tag
		ok   bool
	}{
		{"tr", Turkish, true}, {"tr-TR", Turkish, true}, {"tr_TR", Turkish, true}, {"Türkçe", Turkish, true},
		{"en", English, true}, {"en-GB", English, true}, {"english", English, true}, {"İngilizce", English, true},
		{"de", language.Und, false}, {"", language.Und, false}, {"xx-!!", language.Und, false},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q): got %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if got := Match("de-DE", Turkish); got != Turkish {
		t.Errorf("Match(de-DE, tr): got %v, want the fallback", got)
	}
	if got := Match("tr-TR", English); got != Turkish {
		t.Errorf("Match(tr-TR): got %v", got)
	}
}

// TestCatalogComplete fails when a message lacks a language.
func TestCatalogComplete(t *testing.T) {
	for _, k := range Keys() {
		for _, lang := range Languages() {
			if !Has(lang, k) {
				t.Errorf("%q has no %s text", k, lang)
			}
		}
	}
}

func TestParseCurrency(t *testing.T) {
	if got, err := ParseCurrency("try"); got != "TRY" || err != nil {
		t.Errorf("ParseCurrency(try): %q, %v", got, err)
	}
	if _, err := ParseCurrency("XYZW"); err == nil {
		t.Error("ParseCurrency(XYZW): want an error")
	}
}
