package handlers

import (
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// asciiTurkish maps the Turkish letters, once lower-cased, to the ASCII
// letters people type on a keyboard without them.
var asciiTurkish = strings.NewReplacer("ç", "c", "ğ", "g", "ı", "i", "ö", "o", "ş", "s", "ü", "u", "â", "a", "î", "i", "û", "u", "\u0307", "")

// fold is the form in which a typed word is compared with the words
// RepCoach knows, in English or Turkish: lower case by Turkish rules (İ→i,
// I→ı), then without Turkish letters, so "BAĞLANTILAR", "bağlantılar" and
// "baglantilar" are one word, as are "LINKS" and "links". Spaces are
// collapsed to one.
func fold(s string) string {
	// A Caser keeps state: one per call.
	low := cases.Lower(language.Turkish).String(strings.Join(strings.Fields(s), " "))
	return asciiTurkish.Replace(low)
}

// adminWords maps each /repcoach subcommand as typed, in English or
// Turkish (folded), to its English name.
var adminWords = foldedWords(map[string][]string{
	"status":     {"status", "durum"},
	"links":      {"links", "bağlantılar"},
	"link":       {"link", "bağla"},
	"unlink":     {"unlink", "ayır"},
	"language":   {"language", "dil"},
	KindFeedback: {"feedback", "geri bildirim", "geri-bildirim", "geribildirim"},
	KindDigest:   {"digest", "özet"},
	KindNudge:    {"nudges", "öneriler"},
	"pause":      {"pause", "duraklat"},
	"resume":     {"resume", "sürdür"},
	"help":       {"help", "yardım", "?"},
})

// switchWords maps on and off, as typed in English or Turkish, to "on"
// and "off".
var switchWords = foldedWords(map[string][]string{
	"on":  {"on", "açık", "aç"},
	"off": {"off", "kapalı", "kapat"},
})

func foldedWords(m map[string][]string) map[string]string {
	out := map[string]string{}
	for en, typed := range m {
		for _, w := range typed {
			out[fold(w)] = en
		}
	}
	return out
}

// parseAdmin reads /repcoach's text, in English or Turkish: the
// subcommand's English name ("status" for empty text, "" for one it does
// not know) and the words after it as typed, except the on|off of
// feedback, digest and nudges, given as "on" or "off".
func parseAdmin(text string) (cmd string, args []string) {
	words := strings.Fields(text)
	if len(words) == 0 {
		return "status", nil
	}
	// Subcommands are one or two words ("geri bildirim").
	for n := min(2, len(words)); n > 0; n-- {
		if en, ok := adminWords[fold(strings.Join(words[:n], " "))]; ok {
			cmd, args = en, words[n:]
			break
		}
	}
	if cmd == "" {
		return "", words
	}
	if len(args) == 1 && (cmd == KindFeedback || cmd == KindDigest || cmd == KindNudge) {
		if sw, ok := switchWords[fold(args[0])]; ok {
			args = []string{sw}
		}
	}
	if len(args) == 0 {
		args = nil
	}
	return cmd, args
}
