package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v3"
)

func TestManifestDecodes(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"manifest"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	var m slack.Manifest
	if err := yaml.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("manifest is not a slack.Manifest: %v\n%s", err, out.String())
	}
	if !m.Settings.SocketModeEnabled || m.Settings.Interactivity == nil || !m.Settings.Interactivity.IsEnabled {
		t.Errorf("manifest settings = %+v, want Socket Mode and interactivity on", m.Settings)
	}
	var cmds []string
	for _, c := range m.Features.SlashCommands {
		cmds = append(cmds, c.Command)
		if c.Description == "" {
			t.Errorf("command %s has no description", c.Command)
		}
	}
	if got := strings.Join(cmds, " "); !strings.Contains(got, "/myperformance") || !strings.Contains(got, "/teamperformance") {
		t.Errorf("manifest commands = %q", got)
	}
	scopes := strings.Join(m.OAuthConfig.Scopes.Bot, " ")
	for _, s := range []string{"chat:write", "commands", "users:read", "users:read.email", "im:write", "usergroups:read"} {
		if !strings.Contains(scopes, s) {
			t.Errorf("manifest lacks bot scope %s", s)
		}
	}
	if got := strings.Join(m.Settings.EventSubscriptions.BotEvents, " "); got != "team_join user_change app_home_opened app_uninstalled tokens_revoked" {
		t.Errorf("bot events = %q, want team_join user_change app_home_opened app_uninstalled tokens_revoked", got)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"no tokens", map[string]string{}, "SLACK_APP_TOKEN is not set"},
		{"bot token as app token", map[string]string{"SLACK_APP_TOKEN": "xoxb-secret-1", "SLACK_BOT_TOKEN": "xoxb-secret-2"}, "starting with xapp-"},
		{"app token as bot token", map[string]string{"SLACK_APP_TOKEN": "xapp-secret-1", "SLACK_BOT_TOKEN": "xapp-secret-2"}, "starting with xoxb-"},
		{"bad api url", map[string]string{"SLACK_APP_TOKEN": "xapp-a", "SLACK_BOT_TOKEN": "xoxb-b", "SLACK_API_URL": "ftp://x"}, "SLACK_API_URL"},
		{"bad time zone", map[string]string{"SLACK_APP_TOKEN": "xapp-a", "SLACK_BOT_TOKEN": "xoxb-b", "REPCOACH_TZ": "Mars/Olympus"}, "REPCOACH_TZ"},
		{"bad as-of", map[string]string{"SLACK_APP_TOKEN": "xapp-a", "SLACK_BOT_TOKEN": "xoxb-b", "REPCOACH_AS_OF": "yesterday", "REPCOACH_EPHEMERAL": "true"}, "REPCOACH_AS_OF"},
		{"embedded Redis unasked", map[string]string{"SLACK_APP_TOKEN": "xapp-a", "SLACK_BOT_TOKEN": "xoxb-b"}, "REPCOACH_EPHEMERAL=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SLACK_API_URL", "REPCOACH_TZ", "REPCOACH_AS_OF", "REDIS_URL", "REPCOACH_EPHEMERAL"} {
				t.Setenv(k, tt.env[k])
			}
			if _, ok := tt.env["REPCOACH_EPHEMERAL"]; !ok && tt.wantErr != "REPCOACH_EPHEMERAL=true" {
				t.Setenv("REPCOACH_EPHEMERAL", "true")
			} else if !ok {
				t.Setenv("REPCOACH_EPHEMERAL", "false")
			}
			if _, ok := tt.env["SLACK_API_URL"]; !ok {
				t.Setenv("SLACK_API_URL", "https://slack.com/api/")
			}
			if _, ok := tt.env["REPCOACH_TZ"]; !ok {
				t.Setenv("REPCOACH_TZ", "UTC")
			}
			var out bytes.Buffer
			err := run(context.Background(), []string{"run"}, &out, &out)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run = %v, want error containing %q", err, tt.wantErr)
			}
			for _, secret := range []string{"secret-1", "secret-2"} {
				if strings.Contains(err.Error()+out.String(), secret) {
					t.Errorf("a token reached the error or logs: %v", err)
				}
			}
		})
	}
}

func TestUnknownSubcommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"fly"}, &out, &out); err == nil || !strings.Contains(out.String(), "unknown command") {
		t.Errorf("run(fly) = %v, output %q; want usage", err, out.String())
	}
}

// TestDemoTurkish plays `repcoach demo --lang tr`: the rep's Slack locale is
// tr-TR, so /myperformance answers in Turkish with Turkish arguments and
// money in lira.
func TestDemoTurkish(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"demo", "--lang", "tr"}, &out, &errOut); err != nil {
		t.Fatalf("demo --lang tr: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"types: /myperformance hafta", "Rakamlarınız: ", "4. çeyrek", "Kazanılan gelir", "₺", "/myperformance nasıl çalışır", "Size *Türkçe* yazıyorum (Slack dilinizden)",
		// The manager's and sales ops' messages, and the bot's own refusal.
		"Iris Chen ekibi: ", "types: /teamperformance hepsi ay", "Tüm satış ekibi: Aralık", "Ekip özeti: ", "Bu özet her pazartesi sabahı", "Onay bekleyen ödüller: ", "clicks “Paylaş”", "kanalında paylaşıldı", "Kim kime bağlı", "Üzgünüm, bu yalnızca şu kişilere açık: yöneticiler"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the Turkish demo does not show %q", want)
		}
	}
	for _, english := range []string{"Your numbers:", "Sorry", "'s team", "Monday", "Awards to approve", "Who is linked", "$"} {
		if strings.Contains(out.String(), english) {
			t.Errorf("the Turkish demo shows %q", english)
		}
	}
}
