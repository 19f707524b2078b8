package i18n

import (
	"slices"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message/catalog"
)

// entry is one message in both languages: a printf format
// (catalog.String) or a plural choice (plural.Selectf).
type entry struct{ en, tr catalog.Message }

func str(s string) catalog.Message { return catalog.String(s) }

// count is a message chosen by the plural category of argument arg (1-based)
// in each language: one and other forms.
func count(arg int, one, other string) catalog.Message {
	return plural.Selectf(arg, "%d", plural.One, one, plural.Other, other)
}

// messages is the whole catalog. Turkish is written as a Turkish sales team
// speaks, not word for word: kota gerçekleşmesi, kazanma oranı, ortalama
// anlaşma büyüklüğü, satış döngüsü, fırsat hattı (pipeline), tahmin.
var messages = map[string]entry{
	// Dates. Arguments: day, month name, year, weekday, short weekday,
	// short month.
	"date.long":  {str("%[5]s %[1]d %[6]s %[3]s"), str("%[1]d %[2]s %[3]s %[4]s")},
	"date.short": {str("%[1]d %[2]s"), str("%[1]d %[2]s")},
	"datetime":   {str("%[1]s, %[2]s %[3]s"), str("%[1]s, %[2]s %[3]s")},
	"month.1":    {str("January"), str("Ocak")},
	"month.2":    {str("February"), str("Şubat")},
	"month.3":    {str("March"), str("Mart")},
	"month.4":    {str("April"), str("Nisan")},
	"month.5":    {str("May"), str("Mayıs")},
	"month.6":    {str("June"), str("Haziran")},
	"month.7":    {str("July"), str("Temmuz")},
	"month.8":    {str("August"), str("Ağustos")},
	"month.9":    {str("September"), str("Eylül")},
	"month.10":   {str("October"), str("Ekim")},
	"month.11":   {str("November"), str("Kasım")},
	"month.12":   {str("December"), str("Aralık")},
	"weekday.0":  {str("Sunday"), str("Pazar")},
	"weekday.1":  {str("Monday"), str("Pazartesi")},
	"weekday.2":  {str("Tuesday"), str("Salı")},
	"weekday.3":  {str("Wednesday"), str("Çarşamba")},
	"weekday.4":  {str("Thursday"), str("Perşembe")},
	"weekday.5":  {str("Friday"), str("Cuma")},
	"weekday.6":  {str("Saturday"), str("Cumartesi")},

	"weekday.0.short": {str("Sun"), str("Paz")},
	"weekday.1.short": {str("Mon"), str("Pzt")},
	"weekday.2.short": {str("Tue"), str("Sal")},
	"weekday.3.short": {str("Wed"), str("Çar")},
	"weekday.4.short": {str("Thu"), str("Per")},
	"weekday.5.short": {str("Fri"), str("Cum")},
	"weekday.6.short": {str("Sat"), str("Cmt")},

	// Counts.
	"n.deals":      {count(1, "%d deal", "%d deals"), count(1, "%d anlaşma", "%d anlaşma")},
	"n.days":       {count(1, "%d day", "%d days"), count(1, "%d gün", "%d gün")},
	"n.reps":       {count(1, "%d rep", "%d reps"), count(1, "%d temsilci", "%d temsilci")},
	"n.activities": {count(1, "%d activity", "%d activities"), count(1, "%d aktivite", "%d aktivite")},

	// /repcoach language.
	"language.set":            {str(":speech_balloon: From now on I'll write to you in English."), str(":speech_balloon: Bundan sonra size Türkçe yazacağım.")},
	"language.current":        {str("I write to you in *English* (%[1]s). `/repcoach language tr` switches to Turkish."), str("Size *Türkçe* yazıyorum (%[1]s). İngilizce için `/repcoach dil en`.")},
	"language.unknown":        {str("I speak English (`en`) and Turkish (`tr`): try `/repcoach language tr` or `/repcoach language en`."), str("İngilizce (`en`) ve Türkçe (`tr`) biliyorum: `/repcoach dil tr` ya da `/repcoach dil en` yazın.")},
	"language.source.chosen":  {str("your choice"), str("sizin seçiminiz")},
	"language.source.slack":   {str("from your Slack language"), str("Slack dilinizden")},
	"language.source.default": {str("the workspace default"), str("çalışma alanının varsayılanı")},
}

var cat = build()

func build() *catalog.Builder {
	b := catalog.NewBuilder(catalog.Fallback(English))
	for key, e := range all() {
		if e.en != nil {
			if err := b.Set(English, key, e.en); err != nil {
				panic("i18n: " + key + ": " + err.Error())
			}
		}
		if e.tr != nil {
			if err := b.Set(Turkish, key, e.tr); err != nil {
				panic("i18n: " + key + ": " + err.Error())
			}
		}
	}
	return b
}

// Keys lists every message key in the catalog, sorted.
func Keys() []string {
	keys := []string{}
	for k := range all() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Has reports whether the catalog holds key in language lang.
func Has(lang language.Tag, key string) bool {
	e, ok := all()[key]
	if !ok {
		return false
	}
	if lang == Turkish {
		return e.tr != nil
	}
	return e.en != nil
}

// all merges the catalog's parts; a key in two parts panics.
func all() map[string]entry {
	out := map[string]entry{}
	for _, part := range []map[string]entry{messages, performanceMessages, feedbackMessages, nudgeMessages, adminMessages, teamMessages, recognitionMessages} {
		for k, e := range part {
			if _, dup := out[k]; dup {
				panic("i18n: duplicate message " + k)
			}
			out[k] = e
		}
	}
	return out
}
