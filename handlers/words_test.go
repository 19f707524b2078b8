package handlers

import (
	"slices"
	"testing"
)

func TestParseAdmin(t *testing.T) {
	tests := []struct {
		name, text string
		cmd        string
		args       []string
	}{
		{"empty is status", "", "status", nil},
		{"status", "status", "status", nil},
		{"English in capitals", "LINKS", "links", nil},
		{"durum", "durum", "status", nil},
		{"bağlantılar", "bağlantılar", "links", nil},
		{"BAĞLANTILAR folds with Turkish rules", "BAĞLANTILAR", "links", nil},
		{"baglantilar without Turkish letters", "baglantilar", "links", nil},
		{"bağla keeps the typed name", "bağla <@U0ANA> Ana Lima", "link", []string{"<@U0ANA>", "Ana", "Lima"}},
		{"ayır", "ayır <@U0ANA>", "unlink", []string{"<@U0ANA>"}},
		{"link", "link <@U0ANA> Ana", "link", []string{"<@U0ANA>", "Ana"}},
		{"dil", "dil tr", "language", []string{"tr"}},
		{"language", "Language en", "language", []string{"en"}},
		{"geri bildirim kapalı (two words)", "geri bildirim kapalı", "feedback", []string{"off"}},
		{"GERİ BİLDİRİM AÇIK", "GERİ BİLDİRİM AÇIK", "feedback", []string{"on"}},
		{"geribildirim aç", "geribildirim aç", "feedback", []string{"on"}},
		{"özet kapat", "özet kapat", "digest", []string{"off"}},
		{"öneriler açık", "öneriler açık", "nudges", []string{"on"}},
		{"nudges off", "nudges OFF", "nudges", []string{"off"}},
		{"feedback on", "feedback on", "feedback", []string{"on"}},
		{"duraklat", "duraklat", "pause", nil},
		{"sürdür", "SÜRDÜR", "resume", nil},
		{"yardım", "YARDIM", "help", nil},
		{"help", "help", "help", nil},
		{"unknown", "frobnicate now", "", []string{"frobnicate", "now"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, args := parseAdmin(tt.text)
			if cmd != tt.cmd || !slices.Equal(args, tt.args) {
				t.Errorf("parseAdmin(%q) = %q, %q; want %q, %q", tt.text, cmd, args, tt.cmd, tt.args)
			}
		})
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"İSTANBUL": "istanbul", "ISPARTA": "isparta", "Işık": "isik", "ÇEYREK": "ceyrek",
		"Geçen Hafta": "gecen hafta", "LINKS": "links", "ŞAMPİYON": "sampiyon",
	} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}
