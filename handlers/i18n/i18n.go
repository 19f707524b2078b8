// Package i18n holds RepCoach's message catalogs (English and Turkish) and
// formats what the catalogs leave to the reader's locale: money in a
// currency (₺1.234.567 / $1,234,567), percentages (%26 / 26%), numbers,
// dates, month and day names. A Printer speaks one language; handlers get
// one per reader. Messages are looked up by key with golang.org/x/text's
// message package, whose CLDR plural rules pick "1 deal" / "3 deals" (and
// Turkish's single form after a number, "3 anlaşma").
package i18n

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// The languages RepCoach speaks.
var (
	English = language.English
	Turkish = language.Turkish
)

// Languages lists the supported languages, the default first.
func Languages() []language.Tag { return []language.Tag{English, Turkish} }

var matcher = language.NewMatcher(Languages())

// Parse reads a language a person or a setting names: a code ("tr",
// "en"), a locale ("tr-TR", "en_US", Slack's form) or a name ("Turkish",
// "Türkçe", "English", "İngilizce"). ok is false for anything else,
// including languages RepCoach does not speak.
func Parse(s string) (tag language.Tag, ok bool) {
	k := strings.ToLower(strings.TrimSpace(s))
	switch k {
	case "turkish", "türkçe", "turkce":
		return Turkish, true
	case "english", "ingilizce", "i̇ngilizce":
		return English, true
	}
	t, err := language.Parse(strings.ReplaceAll(k, "_", "-"))
	if err != nil {
		return language.Und, false
	}
	base, _ := t.Base()
	for _, l := range Languages() {
		if b, _ := l.Base(); b == base {
			return l, true
		}
	}
	return language.Und, false
}

// Match returns the supported language closest to a Slack locale such as
// "tr-TR"; fallback when the locale is empty or nothing matches.
func Match(locale string, fallback language.Tag) language.Tag {
	if t, ok := Parse(locale); ok {
		return t
	}
	if locale != "" {
		if t, err := language.Parse(strings.ReplaceAll(locale, "_", "-")); err == nil {
			if _, i, c := matcher.Match(t); c >= language.High {
				return Languages()[i]
			}
		}
	}
	return fallback
}

// Code returns the short code of a supported language: "en" or "tr".
func Code(t language.Tag) string {
	b, _ := t.Base()
	return b.String()
}

// ParseCurrency checks an ISO 4217 code ("TRY", "usd") and returns it in
// upper case.
func ParseCurrency(code string) (string, error) {
	u, err := currency.ParseISO(strings.TrimSpace(code))
	if err != nil {
		return "", fmt.Errorf("currency %q: not an ISO 4217 code (such as USD, EUR, TRY)", code)
	}
	return u.String(), nil
}

// Printer renders messages in one language, money in one currency.
type Printer struct {
	lang     language.Tag
	p        *message.Printer
	currency currency.Unit
}

// New returns a Printer for lang (English when lang is not supported) with
// money in the ISO 4217 currency code (USD when empty or unknown).
func New(lang language.Tag, code string) *Printer {
	if _, ok := Parse(lang.String()); !ok {
		lang = English
	}
	cur, err := currency.ParseISO(code)
	if err != nil {
		cur = currency.USD
	}
	return &Printer{lang: lang, p: message.NewPrinter(lang, message.Catalog(cat)), currency: cur}
}

// Lang returns the Printer's language.
func (p *Printer) Lang() language.Tag { return p.lang }

// Currency returns the ISO 4217 code money is shown in.
func (p *Printer) Currency() string { return p.currency.String() }

// T returns the message key in the Printer's language with args filled in
// (printf verbs, numbers in the language's style). Every key must be in the
// catalog (TestCatalogComplete); a missing one comes back as the key.
func (p *Printer) T(key string, args ...any) string {
	return p.p.Sprintf(key, args...)
}

// Money formats an amount in the Printer's currency, rounded to a whole
// unit: $1,234,568 in English, ₺1.234.568 in Turkish.
func (p *Printer) Money(v float64) string { return p.money(v, p.currency) }

// MoneyIn formats an amount in the currency with ISO code code; an unknown
// code is shown as written before the number.
func (p *Printer) MoneyIn(v float64, code string) string {
	u, err := currency.ParseISO(code)
	if err != nil {
		return code + " " + p.Number(v)
	}
	return p.money(v, u)
}

func (p *Printer) money(v float64, u currency.Unit) string {
	sym := p.p.Sprint(currency.NarrowSymbol(u))
	n := p.Number(math.Abs(v))
	// A code rather than a symbol (CHF) reads better with a space.
	if r := []rune(sym); unicode.IsLetter(r[len(r)-1]) {
		sym += "\u00a0"
	}
	if math.Round(v) < 0 {
		return "-" + sym + n
	}
	return sym + n
}

// Number formats v rounded to a whole number with the language's grouping:
// 1,234,568 / 1.234.568.
func (p *Printer) Number(v float64) string {
	return p.p.Sprint(number.Decimal(math.Round(v), number.MaxFractionDigits(0)))
}

// Decimal formats v with one decimal, halves rounded up (away from
// zero): 12.5 / 12,5; 2.25 → 2.3.
func (p *Printer) Decimal(v float64) string {
	return p.p.Sprint(number.Decimal(math.Round(v*10)/10, number.MaxFractionDigits(1), number.MinFractionDigits(1)))
}

// Percent formats a fraction as a whole percentage, halves rounded up
// (away from zero; x/text would round them to even): 26% / %26; 0.525 →
// 53%.
func (p *Printer) Percent(f float64) string {
	return p.p.Sprint(number.Percent(math.Round(f*100)/100, number.MaxFractionDigits(0)))
}

// Month returns the month's name: November / Kasım.
func (p *Printer) Month(m time.Month) string { return p.T(monthKeys[m-1]) }

// Weekday returns the day's name: Friday / Cuma.
func (p *Printer) Weekday(d time.Weekday) string { return p.T(weekdayKeys[d]) }

// WeeklyAt names a weekly moment by its day and part of the day, as a
// sentence's middle reads it: "Monday morning" / "pazartesi sabahı",
// "Friday afternoon" / "cuma öğleden sonra" (Turkish writes a day's name in
// lower case unless it follows a date).
func (p *Printer) WeeklyAt(d time.Weekday, hour int) string {
	day := p.Weekday(d)
	if p.lang == Turkish {
		day = cases.Lower(language.Turkish).String(day)
	}
	switch {
	case hour < 12:
		return p.T("when.morning", day)
	case hour < 17:
		return p.T("when.afternoon", day)
	}
	return p.T("when.evening", day)
}

// Date formats a day: "Fri 27 Nov 2026" / "27 Kasım 2026 Cuma", in t's
// location.
func (p *Printer) Date(t time.Time) string {
	return p.T("date.long", t.Day(), p.Month(t.Month()), fmt.Sprint(t.Year()), p.Weekday(t.Weekday()), p.shortWeekday(t.Weekday()), p.shortMonth(t.Month()))
}

// ShortDate formats a day without the year: "27 Nov" / "27 Kas".
func (p *Printer) ShortDate(t time.Time) string {
	return p.T("date.short", t.Day(), p.shortMonth(t.Month()))
}

// DateTime formats a moment in loc: "Fri 27 Nov 2026, 16:00 UTC" /
// "27 Kasım 2026 Cuma, 16:00 UTC".
func (p *Printer) DateTime(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return p.T("datetime", p.Date(t), t.Format("15:04"), t.Format("MST"))
}

func (p *Printer) shortMonth(m time.Month) string {
	return string([]rune(p.Month(m))[:3])
}

func (p *Printer) shortWeekday(d time.Weekday) string {
	return p.T(weekdayKeys[d] + ".short")
}

var (
	monthKeys   = []string{"month.1", "month.2", "month.3", "month.4", "month.5", "month.6", "month.7", "month.8", "month.9", "month.10", "month.11", "month.12"}
	weekdayKeys = []string{"weekday.0", "weekday.1", "weekday.2", "weekday.3", "weekday.4", "weekday.5", "weekday.6"}
)
