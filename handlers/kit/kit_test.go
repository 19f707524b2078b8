package kit

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"<!channel> hi", "&lt;!channel&gt; hi"},
		{"<@U123>", "&lt;@U123&gt;"},
		{"<https://evil.example|bank>", "&lt;https://evil.example|bank&gt;"},
		{"R&D", "R&amp;D"},
		{"&amp;", "&amp;amp;"},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{Bar(0.62), "▓▓▓▓▓▓░░░░"},
		{Bar(1.7), "▓▓▓▓▓▓▓▓▓▓"},
		{Bar(-1), "░░░░░░░░░░"},
		{Plural(1, "deal", "deals"), "1 deal"},
		{Plural(3, "deal", "deals"), "3 deals"},
		{Truncate("héllo world", 5), "héll…"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestCheckBlocks(t *testing.T) {
	long := strings.Repeat("x", 3001)
	many := make([]slack.Block, 51)
	for i := range many {
		many[i] = slack.NewDividerBlock()
	}
	tenFields := make([]string, 11)
	for i := range tenFields {
		tenFields[i] = "f"
	}
	tests := []struct {
		name    string
		blocks  []slack.Block
		wantErr string
	}{
		{"ok", []slack.Block{Header("Hi"), Section("text"), Fields("a", "b"), Context("c")}, ""},
		{"too many blocks", many, "51 blocks"},
		{"long section", []slack.Block{slack.NewSectionBlock(Markdown(long), nil, nil)}, "text is 3001 chars"},
		{"too many fields", []slack.Block{Fields(tenFields...)}, "11 fields"},
		{"long header", []slack.Block{slack.NewHeaderBlock(Plain(strings.Repeat("h", 151)))}, "header text is 151"},
		{"long button", []slack.Block{slack.NewActionBlock("a", slack.NewButtonBlockElement("x", "v", Plain(strings.Repeat("b", 76))))}, "button text is 76"},
		{"long action id", []slack.Block{slack.NewActionBlock("a", slack.NewButtonBlockElement(strings.Repeat("i", 256), "v", Plain("ok")))}, "action_id is 256"},
		{"empty context", []slack.Block{slack.NewContextBlock("")}, "0 context elements"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckBlocks(SurfaceMessage, tt.blocks)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("CheckBlocks = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("CheckBlocks = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestCheckMessageNeedsFallback(t *testing.T) {
	if err := CheckMessage("", []slack.Block{Section("x")}); err == nil {
		t.Fatal("CheckMessage with blocks and no text = nil, want error")
	}
	if err := CheckMessage(strings.Repeat("t", 4001), nil); err == nil {
		t.Fatal("CheckMessage with 4001-char text = nil, want error")
	}
}
