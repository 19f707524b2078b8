// Package kit holds the Block Kit helpers every RepCoach message is built
// with: mrkdwn escaping of user text, progress bars, and
// Check, which enforces Slack's Block Kit limits (SLACK.md) on a built
// message, since Slack publishes no schema and slack-go validates little.
package kit

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Escape makes user-supplied text safe inside mrkdwn: &, < and > become
// entities, so nobody can inject <!channel>, a mention or a disguised link.
func Escape(s string) string {
	return mrkdwnEscaper.Replace(s)
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Bar draws a fraction as a ten-cell progress bar, capped at full:
// 0.62 → "▓▓▓▓▓▓░░░░".
func Bar(f float64) string {
	cells := int(math.Round(f * 10))
	cells = max(0, min(10, cells))
	return strings.Repeat("▓", cells) + strings.Repeat("░", 10-cells)
}

// Plural returns "1 deal" or "3 deals".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Truncate cuts s to at most n characters, ending in "…" when cut.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Markdown returns a mrkdwn text object.
func Markdown(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// Plain returns a plain_text text object.
func Plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// Section returns a section block of mrkdwn text.
func Section(s string) *slack.SectionBlock {
	return slack.NewSectionBlock(Markdown(Truncate(s, MaxSectionText)), nil, nil)
}

// Fields returns a section block of mrkdwn fields, two per row in Slack.
func Fields(fields ...string) *slack.SectionBlock {
	objs := make([]*slack.TextBlockObject, 0, len(fields))
	for _, f := range fields {
		objs = append(objs, Markdown(Truncate(f, MaxFieldText)))
	}
	return slack.NewSectionBlock(nil, objs, nil)
}

// Header returns a header block.
func Header(s string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(Plain(Truncate(s, MaxHeaderText)))
}

// Context returns a context block of mrkdwn elements.
func Context(parts ...string) *slack.ContextBlock {
	elems := make([]slack.MixedElement, 0, len(parts))
	for _, p := range parts {
		elems = append(elems, Markdown(p))
	}
	return slack.NewContextBlock("", elems...)
}

// Button returns a button element.
func Button(actionID, text, value string, style slack.Style) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, value, Plain(Truncate(text, MaxButtonText)))
	b.Style = style
	return b
}
